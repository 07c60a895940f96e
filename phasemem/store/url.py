"""From a database argument (path or URL) to a store.

Why one function: ``--db``, ``$PHASEMEM_DB`` and ``Memory(path)`` all take
"where the memory lives". A URL is told apart from a path before anything
touches the file system: read as a path, ``postgresql://user@host/db`` once
became a SQLite file in a folder named ``postgresql:``, and the user's writes
went there without a word.

Locations:

* a file path, ``:memory:``, ``sqlite:///path``: the SQLite store;
* ``postgresql://...``: the PostgreSQL store (:mod:`phasemem.store.postgres`);
* ``memory://``: the pure-Python store (:mod:`phasemem.store.memory`), for
  tests and experiments; nothing is written anywhere and it is gone when the
  process ends (each ``memory://`` opened is a new, empty store).
"""

from __future__ import annotations

import os
import re

from phasemem.errors import InvalidInputError
from phasemem.store.base import Store

# A scheme of two or more characters, then "://" (one letter would be a Windows drive).
_URL_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+)://(?P<rest>.*)$", re.DOTALL)
_POSTGRES = {"postgres", "postgresql", "pgsql"}
#: the in-memory store's location (:class:`phasemem.store.memory.InMemoryStore`)
MEMORY_URL = "memory://"


def is_memory_url(location: str | os.PathLike[str]) -> bool:
    """True for ``memory://`` (any case of the scheme); another ``memory://...``
    is refused: the in-memory store has no name or options to give."""
    text = os.fspath(location)
    m = _URL_RE.match(text) if isinstance(text, str) else None
    if m is None or m["scheme"].lower() != "memory":
        return False
    if m["rest"]:
        raise InvalidInputError(
            "the in-memory store is memory:// with nothing after it", field="db", scheme="memory"
        )
    return True


def store_location(location: str | os.PathLike[str]) -> str:
    """What ``location`` opens, checked: ``memory://`` as it is, else the SQLite
    file (:func:`sqlite_path`). For callers that prepare a place first (the CLI
    makes the file's folder) without opening anything."""
    return MEMORY_URL if is_memory_url(location) else sqlite_path(location)


def sqlite_path(location: str | os.PathLike[str]) -> str:
    """The SQLite file ``location`` names: a plain path or ``":memory:"`` as
    given, ``sqlite:///relative.db`` / ``sqlite:////absolute.db`` (SQLAlchemy's
    spelling) as that path, ``sqlite://`` as ``":memory:"``. Any other URL
    raises :class:`InvalidInputError` without showing its credentials."""
    text = os.fspath(location)
    if not isinstance(text, str):
        raise InvalidInputError("the database must be a path or a URL string", field="db")
    m = _URL_RE.match(text)
    if m is None:
        return text
    scheme = m["scheme"].lower()
    rest = m["rest"]
    if scheme.split("+", 1)[0] == "sqlite":
        if "?" in rest or "#" in rest:
            raise InvalidInputError(
                "options in a sqlite:// URL are not supported; give the file path only",
                field="db", scheme=scheme,
            )  # fmt: skip
        if rest in ("", "/"):
            return ":memory:"
        if not rest.startswith("/"):  # sqlite://host/... has no meaning for a file
            raise InvalidInputError(
                "a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db",
                field="db", scheme=scheme,
            )  # fmt: skip
        return rest[1:]
    if scheme.split("+", 1)[0] in _POSTGRES:
        raise InvalidInputError(
            f"{scheme}:// is a PostgreSQL database, not a SQLite file",
            field="db", scheme=scheme,
        )  # fmt: skip
    if scheme == "memory":
        raise InvalidInputError(
            "memory:// names no file: it opens the in-memory store (open_store, Memory)",
            field="db", scheme=scheme,
        )  # fmt: skip
    raise InvalidInputError(
        f"{scheme}:// database URLs are not supported; give a SQLite file path "
        "(e.g. memory.db), sqlite:///path.db, postgresql://user@host/db, "
        "or memory:// (in memory, for tests)",
        field="db", scheme=scheme,
    )  # fmt: skip


def is_postgres(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` is a PostgreSQL URL (``postgresql://``, ``postgres://``)."""
    text = os.fspath(location)
    m = _URL_RE.match(text) if isinstance(text, str) else None
    return m is not None and m["scheme"].lower().split("+", 1)[0] in _POSTGRES


def open_store(location: str | os.PathLike[str], *, embedder_name: str, dim: int) -> Store:
    """The store for a path or URL: ``postgresql://`` the PostgreSQL store (the
    ``[postgres]`` extra), ``memory://`` the in-memory store, every other
    location :func:`sqlite_path` accepts a SQLite store."""
    if is_postgres(location):
        from phasemem.store.postgres import PostgresStore

        return PostgresStore(os.fspath(location), embedder_name=embedder_name, dim=dim)
    where = store_location(location)
    if where == MEMORY_URL:
        from phasemem.store.memory import InMemoryStore

        return InMemoryStore(embedder_name=embedder_name, dim=dim)
    from phasemem.store.sqlite import SQLiteStore

    return SQLiteStore(where, embedder_name=embedder_name, dim=dim)
