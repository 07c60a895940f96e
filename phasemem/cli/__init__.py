"""The ``phasemem`` command line."""

from phasemem.cli.main import cli, main

__all__ = ["cli", "main"]
