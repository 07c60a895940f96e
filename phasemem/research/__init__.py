"""Research tools: the temporal-KG trainer (``tkg``, needs the ``[tkg]`` extra)
and the benchmark drivers (``bench``).

They may use the whole product; nothing in the product (the facade, the
pipelines, the servers) imports them (``tests/core/test_architecture.py``).
``phasemem bench`` and ``phasemem tkg`` run them.
"""
