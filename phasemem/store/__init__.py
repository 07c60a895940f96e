"""Storage backends behind the one :class:`Store` seam."""

from phasemem.store.base import NewEpisode, Store, VectorRows
from phasemem.store.filters import EpisodeFilter
from phasemem.store.sqlite import SQLiteStore

__all__ = ["EpisodeFilter", "NewEpisode", "SQLiteStore", "Store", "VectorRows"]
