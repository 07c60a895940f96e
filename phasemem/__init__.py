"""phasemem: time-aware, local-first long-term memory for AI agents.

Importing this package has no side effects and is cheap: the errors load
eagerly, everything else (``Memory`` and numpy, the models, the retrieval
config) on first use of the name, so ``phasemem --help`` and the servers'
command line never pay for what they do not run.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from phasemem.errors import (
    AuthError,
    EmbeddingError,
    ExtractionError,
    ImportFormatError,
    InvalidInputError,
    InvalidTimeError,
    MissingExtraError,
    NotFoundError,
    PhasememError,
    SchemaVersionError,
    StoreError,
)

if TYPE_CHECKING:
    from phasemem.memory import Memory
    from phasemem.models import AddResult, Episode, HistoryEvent, SearchHit, SearchResults
    from phasemem.retrieval.config import RetrievalConfig

from phasemem._version import __version__

#: public name -> module that defines it (imported on first access)
_LAZY = {
    "Memory": "phasemem.memory",
    "AddResult": "phasemem.models",
    "Episode": "phasemem.models",
    "HistoryEvent": "phasemem.models",
    "SearchHit": "phasemem.models",
    "SearchResults": "phasemem.models",
    "RetrievalConfig": "phasemem.retrieval.config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'phasemem' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AddResult",
    "AuthError",
    "EmbeddingError",
    "Episode",
    "ExtractionError",
    "HistoryEvent",
    "ImportFormatError",
    "InvalidInputError",
    "InvalidTimeError",
    "Memory",
    "MissingExtraError",
    "NotFoundError",
    "PhasememError",
    "RetrievalConfig",
    "SchemaVersionError",
    "SearchHit",
    "SearchResults",
    "StoreError",
    "__version__",
]
