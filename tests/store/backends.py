"""The backends the Store contract runs against, by name.

A backend is a way to get a store at a place. ``location(folder)`` names where
a test's store lives, given a folder of the test's own: the same folder gives
the same location (a second open of a ``shared`` backend sees the same data), a
new folder an empty store. ``unavailable()`` says why the backend cannot run on
this machine (a server that cannot start, a driver not installed), or None.

Adding a backend (PostgreSQL, say) is one :func:`register` call, here or in a
module this one imports: every contract test, the cross-backend comparisons
(same writes, same answers; dumps moving between backends) and the ``Memory``
end-to-end tests pick it up, and skip it with its reason where it is
unavailable. What a backend may legitimately lack is a capability flag
(``shared``, ``scans``), never a test of its internals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from phasemem.store import Store, open_store

DIM = 8
EMBEDDER = "contract-test"


def _always() -> str | None:
    return None


@dataclass(frozen=True)
class Backend:
    name: str
    #: the location (path or URL, as ``Memory`` and ``--db`` take it) of the store in a folder
    location: Callable[[Path], str]
    #: opening the same location again gives a second handle on the same data
    shared: bool = False
    #: ``residue`` looks at everything the store holds (SQLite ``:memory:`` has no file to scan)
    scans: bool = True
    #: why this backend cannot run here, or None; asked once per run
    unavailable: Callable[[], str | None] = field(default=_always)

    def open(self, folder: Path) -> Store:
        """The store at this backend's location in ``folder`` (empty in a new folder)."""
        return open_store(self.location(folder), embedder_name=EMBEDDER, dim=DIM)


BACKENDS: dict[str, Backend] = {}
_REASONS: dict[str, str | None] = {}


def register(backend: Backend) -> Backend:
    if backend.name in BACKENDS:
        raise ValueError(f"backend {backend.name!r} is registered twice")
    BACKENDS[backend.name] = backend
    return backend


def reason(name: str) -> str | None:
    """Why ``name`` cannot run here (cached: a server is probed once per run)."""
    if name not in _REASONS:
        _REASONS[name] = BACKENDS[name].unavailable()
    return _REASONS[name]


def require(name: str) -> Backend:
    """The backend, or a skip of the calling test saying why it cannot run here."""
    why = reason(name)
    if why is not None:
        pytest.skip(f"backend {name}: {why}")
    return BACKENDS[name]


def available() -> list[Backend]:
    """The backends that can run here, in registration order (at least the built-in ones)."""
    return [b for name, b in BACKENDS.items() if reason(name) is None]


register(Backend("sqlite-file", lambda folder: str(folder / "store.db"), shared=True))
register(Backend("sqlite-memory", lambda folder: ":memory:", scans=False))
register(Backend("memory", lambda folder: "memory://"))


def _pg_location(folder: Path) -> str:
    """A schema per test folder: the same folder, the same (shared) store."""
    import hashlib
    from urllib.parse import urlencode

    from tests.conftest import _PG, postgres_url

    base = postgres_url()
    opts = {"schema": "c_" + hashlib.sha256(str(folder).encode()).hexdigest()[:20]}
    if not _PG.get("vector_ok"):
        opts["dense"] = "mirror"
    return base + ("&" if "?" in base else "?") + urlencode(opts)


def _pg_unavailable() -> str | None:
    try:
        from tests.conftest import postgres_url

        postgres_url()
    except pytest.skip.Exception as exc:
        return str(exc)
    return None


register(Backend("postgres", _pg_location, shared=True, unavailable=_pg_unavailable))
