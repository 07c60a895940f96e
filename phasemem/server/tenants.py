"""One SQLite file per tenant, opened lazily and shared by all requests.

Why a file per tenant (not a ``tenant`` column): isolation is physical. A
request's tenant comes only from its API key and picks the ``Memory`` it can
reach; no query, filter or id can name another tenant's rows because they
are in a file that request never opens. Another tenant's id therefore looks
exactly like an unknown id (404), erasure of a tenant is deleting a file, and
one tenant's write lock never blocks another. The cost is an open file, an
in-memory vector index per active tenant and one embedder shared by all.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import threading
from pathlib import Path

from phasemem.embed import Embedder, get_embedder
from phasemem.embed.batching import BatchingEmbedder
from phasemem.memory import Memory, default_db_path
from phasemem.server.keys import check_tenant
from phasemem.server.keys_pg import open_keystore

log = logging.getLogger("phasemem.server")


def default_data_dir() -> Path:
    """``server/`` next to the default database."""
    return default_db_path().parent / "server"


def tenant_url(db: str, tenant: str) -> str:
    """The tenant's schema in the shared PostgreSQL database ``db``, owned by a
    role of its own (``isolate=1``)."""
    name = check_tenant(tenant).lower()
    safe = "".join(ch if ch.isalnum() else "_" for ch in name)
    # a digest keeps tenants apart that differ only in case or punctuation
    digest = hashlib.sha256(tenant.encode()).hexdigest()[:8]
    sep = "&" if "?" in db else "?"
    return f"{db}{sep}schema=t_{safe[:30]}_{digest}&isolate=1"


class TenantPool:
    """Tenant name -> open ``Memory`` (``<data_dir>/tenants/<tenant>.db``).

    ``readers`` > 1 opens that many extra read-only handles per tenant. Why:
    a ``Memory`` has one SQLite connection behind a lock, so concurrent
    searches of one tenant would queue on it; each handle has its own
    connection (WAL lets them read in parallel) and its own vector index,
    which catches up with the writer's commits through the event log before
    every search, so a client reads its own writes. The cost is one more
    copy of the tenant's vector index in memory per reader.

    ``lexical_index``: every handle keeps the in-memory BM25 index
    (:mod:`phasemem.mirror.lexical`): FTS5's scores at a fraction of the CPU,
    built in the background when a tenant is first opened (about 2.5 s per 100K
    memories; FTS5 answers meanwhile)."""

    def __init__(self, data_dir: str | Path, *, embedder: str | Embedder | None = None,
                 facts: bool = True, readers: int = 1, lexical_index: bool = True,
                 db: str | None = None) -> None:  # fmt: skip
        #: a PostgreSQL URL: each tenant is a schema ``t_<tenant>`` owned by a role
        #: of its own (``isolate=1``), shared by every server on every host
        #: (``$PHASEMEM_TENANT_DB`` when not given, so ``--workers`` inherit it)
        self.db = db or os.environ.get("PHASEMEM_TENANT_DB") or None
        self.facts = facts
        self.lexical_index = lexical_index
        self.readers = max(1, int(readers))
        self.data_dir = Path(data_dir).expanduser()
        (self.data_dir / "tenants").mkdir(parents=True, exist_ok=True)
        # One embedder object for every tenant: the model is loaded once, and
        # concurrent searches of any tenants share query-embedding calls.
        inner = embedder if isinstance(embedder, Embedder) else get_embedder(embedder)
        self.embedder = inner if isinstance(inner, BatchingEmbedder) else BatchingEmbedder(inner)
        self._open: dict[str, list[Memory]] = {}
        self._turn = itertools.count()
        self._lock = threading.Lock()
        #: keys.db in the data dir, or the shared keys table of the PostgreSQL database
        self.keys = open_keystore(self.data_dir, self.db)

    def warm_up(self) -> None:
        """Load every model a request can need, before the first request.

        Why: each loads on first use, and the first add of a server with
        facts on loaded the spaCy pipeline, importing thinc and with it torch
        when installed: ~6 s on 2 cores, almost all of it holding the
        interpreter lock, so every search of the process stalled behind the
        first write (add p50 3.9 s, searches from ~60 to ~30 req/s in that
        window). One throwaway add runs the whole write path once: the
        embedder, the extractor, the temporal parser, the Speed Gate."""
        self.embedder.embed(["warm up"])
        if not self.facts:
            return
        try:
            with Memory(":memory:", embedder=self.embedder, extractor="default") as mem:
                mem.add([{"role": "user", "name": "Maya", "content": "I moved to Lisbon in May 2021."}],
                        user_id="warm-up")  # fmt: skip
        except Exception:  # the first real add reports it, as it would have anyway
            log.warning("fact extraction did not warm up", exc_info=True)

    def path_of(self, tenant: str) -> Path:
        return self.data_dir / "tenants" / f"{check_tenant(tenant)}.db"

    def location_of(self, tenant: str) -> str | Path:
        """The tenant's file, or its schema in the shared PostgreSQL database."""
        if self.db is None:
            return self.path_of(tenant)
        return tenant_url(self.db, tenant)

    def _memory(self, tenant: str) -> Memory:
        return Memory(self.location_of(tenant), embedder=self.embedder, actor=f"tenant:{tenant}",
                      extractor="default" if self.facts else None,
                      lexical_index=self.lexical_index)  # fmt: skip

    def get(self, tenant: str, *, write: bool = True) -> Memory:
        """The tenant's writer, or (``write=False``) one of its readers in turn."""
        handles = self._open.get(tenant)
        if handles is None:
            with self._lock:
                handles = self._open.get(tenant)
                if handles is None:
                    first = self._memory(tenant)  # creates and migrates the file
                    handles = [first] + [self._memory(tenant) for _ in range(self.readers - 1)]
                    self._open[tenant] = handles
        if write or len(handles) == 1:
            return handles[0]
        return handles[next(self._turn) % len(handles)]

    def indexes_building(self) -> int:
        """Open tenant handles whose in-memory BM25 index is still being built
        (searches on them use FTS5 until it is ready)."""
        return sum(m.lexical_building for hs in list(self._open.values()) for m in hs)

    def close(self) -> None:
        with self._lock:
            for handles in self._open.values():
                for mem in handles:
                    mem.close()
            self._open.clear()
            self.keys.close()
