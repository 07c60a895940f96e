"""Storage backends behind the one :class:`Store` seam."""

from phasemem.store.base import NewEpisode, Store, VectorRows
from phasemem.store.memory import InMemoryStore
from phasemem.store.sqlite import SQLiteStore
from phasemem.store.url import MEMORY_URL, open_store, sqlite_path, store_location

__all__ = [
    "MEMORY_URL",
    "InMemoryStore",
    "NewEpisode",
    "SQLiteStore",
    "Store",
    "VectorRows",
    "open_store",
    "sqlite_path",
    "store_location",
]
