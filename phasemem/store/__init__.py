"""Storage backends behind the one :class:`Store` seam."""

from phasemem.store.base import NewEpisode, Store, VectorRows
from phasemem.store.sqlite import SQLiteStore
from phasemem.store.url import open_store, sqlite_path

__all__ = [
    "NewEpisode",
    "SQLiteStore",
    "Store",
    "VectorRows",
    "open_store",
    "sqlite_path",
]
