"""Benchmarks shipped with the package (``phasemem bench ...``)."""
