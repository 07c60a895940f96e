"""Errors raised by :mod:`phasemem.research.tkg`.

They hang off the project's one error tree::

    PhasememError
    ├── InvalidInputError (also ValueError)
    │   └── TKGDataError          a bad or missing ICEWS-format file, line or name
    └── TKGError                  anything else the TKG module refuses (bad checkpoint, no gate)
"""

from __future__ import annotations

from pathlib import Path

from phasemem.errors import InvalidInputError, MissingExtraError, PhasememError

__all__ = ["MissingExtraError", "TKGDataError", "TKGError"]


class TKGError(PhasememError):
    """The temporal-KG module cannot do what was asked (bad checkpoint, missing gate, ...)."""

    code = "tkg_error"


class TKGDataError(InvalidInputError):
    """A dataset file is missing, empty or malformed, or names something unknown.

    ``path`` and ``line`` (1-based, ``None`` for whole-file problems) say where.
    """

    code = "tkg_data_error"

    def __init__(self, message: str, path: str | Path, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}", path=str(path), line=line)
        self.path = str(path)
        self.line = line
