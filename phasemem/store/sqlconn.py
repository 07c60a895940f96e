"""The connection the shared SQL is written against (facts, erasure, dump).

SQLite's ``sqlite3.Connection`` satisfies it as is; the PostgreSQL backend's
:class:`phasemem.store.pg_dialect.Conn` satisfies it by rewriting each
statement. Typing the shared modules against this Protocol, not against
``sqlite3``, is what lets both backends run the very same decisions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol


class SqlCursor(Protocol):
    """Rows of one statement, and what it changed."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class SqlConn(Protocol):
    """One connection inside a transaction, taking SQLite-dialect SQL with ``?``."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> SqlCursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...


__all__ = ["SqlConn", "SqlCursor"]
