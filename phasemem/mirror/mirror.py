"""The in-memory mirror of a store: vectors, BM25 postings and speaker names.

Why a mirror: the store (a SQLite file, or a database shared by several
processes) is the single source of truth, but scoring 100K vectors or BM25
postings through SQL costs milliseconds a search; numpy arrays in this process
cost a fraction. The mirror owns those copies and keeps them in step with the
store through the store's change feed (new rows by sequence number, updates
and deletes from the event log), so writes by other processes are seen before
the next search. Nothing here calls back into ``Memory``: the facade tells the
mirror to sync after its own writes, and retrieval reads it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from phasemem.mirror.lexical import LexicalIndex
from phasemem.mirror.vectors import VectorIndex

if TYPE_CHECKING:
    from phasemem.store.base import MirrorFeed

log = logging.getLogger(__name__)

#: rows per read while building the BM25 postings in the background
LEXICAL_CHUNK = 20_000


class Mirror:
    """In-memory indexes over one store, synced from its change feed."""

    def __init__(self, feed: MirrorFeed, dim: int) -> None:
        self.feed = feed
        self.vectors = VectorIndex(dim)
        self.lexical: LexicalIndex | None = None  # attached once built (see build_lexical)
        self._lock = threading.Lock()
        self._version = -1
        #: the last event of the store this mirror reflects (a cache key for what
        #: is derived from the store, e.g. a user's fact matrix)
        self.head = 0
        # user -> that user's speaker names (an ordered set; replaced, never mutated)
        self._speakers: dict[str, dict[str, None]] = {}
        self._lexical_done = threading.Event()
        self._lexical_done.set()
        self._lexical_thread: threading.Thread | None = None
        self._closing = False
        self.sync(force=True)

    # -- sync ---------------------------------------------------------------------------
    def sync(self, force: bool = False) -> None:
        """Catch up with the store (other processes may have written). Cheap
        when nothing changed: one version check. ``force`` after this
        process's own writes, which a version check may not show."""
        feed = self.feed
        with self._lock:
            version = feed.version()
            if not force and version == self._version:
                return
            self._version = version
            head, changes = feed.changes_since(self.head)
            rows = feed.vector_rows(self.vectors.max_seq)
            self.vectors.add(rows)
            if self.lexical is not None:
                self.lexical.add(feed.lexical_rows(self.lexical.max_seq))
            for op, ep_id in changes:
                self._refresh(op, ep_id)
            self._note_speakers(rows.user_ids, rows.speakers, removed=bool(changes))
            self.head = head

    def _refresh(self, op: str, ep_id: str) -> None:
        if op == "DELETE":
            self.vectors.remove(ep_id)
            if self.lexical is not None:
                self.lexical.remove(ep_id)
            return
        if self.lexical is not None:  # text or speaker may have changed
            self.lexical.update(ep_id, self.feed.lexical_row(ep_id))
        stored = self.feed.vector_of(ep_id)
        if stored is not None:
            self.vectors.replace(ep_id, *stored)

    # -- speakers ---------------------------------------------------------------------------
    def speakers(self, user_id: str) -> list[str]:
        """Speaker names of a user (the caller has synced).

        Read from the store once, then kept current by :meth:`sync` from the
        new rows it reads anyway. Why not re-read after every write: that query
        reads all of the user's rows (14-27 ms at 20K memories), and every read
        handle of a server paid it on its first search after each write: a
        writer at 5 adds/s cost the searches of 8 clients a third of their
        throughput (docs/benchmarks.md)."""
        names = self._speakers.get(user_id)
        if names is None:
            with self._lock:  # no sync between the read and the fill: none is missed
                names = self._speakers.get(user_id)
                if names is None:
                    names = dict.fromkeys(self.feed.speakers(user_id))
                    self._speakers[user_id] = names
        return list(names)

    def _note_speakers(
        self, users: list[str], speakers: list[str | None], *, removed: bool
    ) -> None:
        """Add the speakers of newly synced rows to the cached users' names. A
        speaker is set at insert and never changes, so only an update or a
        delete can make a name stale: then the cache is dropped and refilled."""
        cache = self._speakers
        if removed:
            cache.clear()
            return
        for user, speaker in zip(users, speakers, strict=True):
            known = cache.get(user)
            if speaker is not None and known is not None and speaker not in known:
                cache[user] = {**known, speaker: None}  # a new dict: readers iterate the old one

    def forget_user(self, user_id: str) -> None:
        self._speakers.pop(user_id, None)

    # -- the in-memory BM25 index ----------------------------------------------------------
    def build_lexical(self) -> None:
        """Build the BM25 postings in a background thread; FTS (the store's own
        full-text search) answers meanwhile."""
        self._lexical_done.clear()
        self._lexical_thread = threading.Thread(
            target=self._build_lexical, name="phasemem-lexical", daemon=True
        )
        self._lexical_thread.start()

    @property
    def lexical_building(self) -> bool:
        return self._lexical_thread is not None and not self._lexical_done.is_set()

    def wait_for_lexical(self, timeout: float | None = None) -> bool:
        """True once searches use the in-memory BM25 index (False: not asked
        for, failed, or still building after ``timeout``)."""
        self._lexical_done.wait(timeout)
        return self.lexical is not None

    def _build_lexical(self) -> None:
        """Build from a snapshot without holding the sync lock (searches go on),
        then, under the lock, catch up with what arrived meanwhile and attach."""
        idx = LexicalIndex()
        try:
            since = self.feed.head()
            after = 0
            while not self._closing:
                rows = self.feed.lexical_rows(after, limit=LEXICAL_CHUNK)
                if not rows:
                    break
                idx.add(rows)
                after = rows[-1][0]
            if self._closing:
                idx.tokenizer.close()
                return
            with self._lock:
                idx.add(self.feed.lexical_rows(idx.max_seq))
                for op, ep_id in self.feed.changes_since(since)[1]:
                    if op == "DELETE":
                        idx.remove(ep_id)
                    else:
                        idx.update(ep_id, self.feed.lexical_row(ep_id))
                self.lexical = idx
        except Exception:  # a failed build leaves the store's FTS in charge
            idx.tokenizer.close()
            if not self._closing:
                log.warning("in-memory BM25 index not built; the store's FTS serves", exc_info=True)
        finally:
            self._lexical_done.set()

    def close(self) -> None:
        self._closing = True
        if self._lexical_thread is not None:
            self._lexical_thread.join()  # stops between chunks of rows
        if self.lexical is not None:
            self.lexical.tokenizer.close()


__all__ = ["LEXICAL_CHUNK", "Mirror"]
