"""The one error tree of phasemem.

Every error the library raises on purpose derives from :class:`PhasememError`,
so callers can catch one type. Errors carry context (ids, paths, fields) as
attributes, not only in their message::

    PhasememError
    ├── InvalidInputError (also ValueError)     bad text, bad scope, bad time, bad query
    │   └── InvalidTimeError                    a date/time that cannot be parsed or is out of range
    ├── NotFoundError (also KeyError)           an id that does not exist (in this tenant)
    ├── StoreError                              the database failed or is corrupt
    │   └── SchemaVersionError                  the file was written by a newer phasemem
    ├── EmbeddingError                          the embedder failed
    ├── ExtractionError                         an extractor failed (the LLM one falls back)
    ├── ImportFormatError (also InvalidInputError)  a bad line in an import file
    ├── AuthError                               missing or invalid API key (server)
    └── MissingExtraError (also ImportError)    an optional extra is not installed
"""

from __future__ import annotations

from typing import Any


class PhasememError(Exception):
    """Root of every error raised by phasemem on purpose."""

    code = "phasemem_error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:  # keep the plain message; context is in .context
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """A stable JSON shape for CLI and server errors."""
        return {
            "code": self.code,
            "message": self.message,
            **{k: _jsonable(v) for k, v in self.context.items()},
        }


class InvalidInputError(PhasememError, ValueError):
    """The caller passed something phasemem cannot store or search with."""

    code = "invalid_input"


class InvalidTimeError(InvalidInputError):
    """A date or time that cannot be parsed, or lies outside the supported range."""

    code = "invalid_time"


class NotFoundError(PhasememError, KeyError):
    """An id that does not exist in the caller's scope."""

    code = "not_found"

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class StoreError(PhasememError):
    """The storage backend failed (I/O, corruption, lock that never cleared)."""

    code = "store_error"


class SchemaVersionError(StoreError):
    """The database was written by a newer phasemem than this one."""

    code = "schema_version"


class EmbeddingError(PhasememError):
    """The embedder could not embed the given texts."""

    code = "embedding_error"


class ExtractionError(PhasememError):
    """An extractor failed; the LLM extractor falls back to the rule one instead of raising."""

    code = "extraction_error"


class ImportFormatError(InvalidInputError):
    """A line in an import (JSON lines) file is malformed."""

    code = "import_format"


class AuthError(PhasememError):
    """A missing, unknown or revoked API key."""

    code = "unauthorized"


class MissingExtraError(PhasememError, ImportError):
    """An optional dependency group is not installed."""

    code = "missing_extra"

    def __init__(self, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional extra [{extra}]: pip install 'phasemem[{extra}]'",
            extra=extra,
        )


def brief_repr(value: Any, limit: int = 80) -> str:
    """``repr`` for error messages: short, and safe for any value (the repr of
    an int over 4,300 digits raises, and a 50K-character id is not a message)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - any repr may fail; the message must not
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)
