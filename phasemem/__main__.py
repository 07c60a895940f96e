"""``python -m phasemem``: the ``phasemem`` command."""

from phasemem.cli import main

main()
