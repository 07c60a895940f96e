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

import threading
from pathlib import Path

from phasemem.embed import Embedder, get_embedder
from phasemem.memory import Memory, default_db_path
from phasemem.server.keys import KeyStore, check_tenant


def default_data_dir() -> Path:
    """``server/`` next to the default database."""
    return default_db_path().parent / "server"


class TenantPool:
    """Tenant name -> open ``Memory`` (``<data_dir>/tenants/<tenant>.db``)."""

    def __init__(self, data_dir: str | Path, *, embedder: str | Embedder | None = None,
                 facts: bool = True) -> None:  # fmt: skip
        self.facts = facts
        self.data_dir = Path(data_dir).expanduser()
        (self.data_dir / "tenants").mkdir(parents=True, exist_ok=True)
        # One embedder object for every tenant: the model is loaded once.
        self.embedder = embedder if isinstance(embedder, Embedder) else get_embedder(embedder)
        self._open: dict[str, Memory] = {}
        self._lock = threading.Lock()
        self.keys = KeyStore(self.data_dir / "keys.db")

    def path_of(self, tenant: str) -> Path:
        return self.data_dir / "tenants" / f"{check_tenant(tenant)}.db"

    def get(self, tenant: str) -> Memory:
        mem = self._open.get(tenant)
        if mem is not None:
            return mem
        with self._lock:
            mem = self._open.get(tenant)
            if mem is None:
                mem = Memory(self.path_of(tenant), embedder=self.embedder, actor=f"tenant:{tenant}",
                             extractor="default" if self.facts else None)  # fmt: skip
                self._open[tenant] = mem
            return mem

    def close(self) -> None:
        with self._lock:
            for mem in self._open.values():
                mem.close()
            self._open.clear()
            self.keys.close()
