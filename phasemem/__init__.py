"""phasemem: time-aware, local-first long-term memory for AI agents.

Importing this package has no side effects: models load on first use.
"""

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
from phasemem.memory import Memory
from phasemem.models import AddResult, Episode, HistoryEvent, SearchHit, SearchResults
from phasemem.retrieval.config import RetrievalConfig

__version__ = "0.1.0"

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
