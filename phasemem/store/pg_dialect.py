"""The SQLite-dialect SQL shared by both SQL stores, rendered for PostgreSQL.

Why: the fact graph's decisions (:mod:`.facts_sql`), the dump
(:mod:`.sqlite_dump`) and erasure (:mod:`.sqlite_erase`) are a few hundred lines
of SQL whose meaning must be the same on both backends. Keeping one copy and
rendering the handful of SQLite-only spellings here keeps the two from
drifting apart. The rewrites are a closed list (each tested):

=============================  ==========================================
SQLite                         PostgreSQL
=============================  ==========================================
``?``                          ``%s`` (and a literal ``%`` doubled)
``INSERT OR IGNORE INTO t``    ``INSERT INTO t ... ON CONFLICT DO NOTHING``
``x IS ?``                     ``x IS NOT DISTINCT FROM %s``
``IFNULL(``                    ``COALESCE(``
``MIN(a, b)`` (two arguments)  ``LEAST(a, b)``
``json_extract(col, ?)``       ``jsonb_path_query_first(col::jsonb, ?)``
``cursor.lastrowid``           ``RETURNING id`` on tables with a serial id
=============================  ==========================================

``rowid`` needs no rewrite: the PostgreSQL tables the shared SQL orders by have
a column of that name (:mod:`.pg_schema`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg

#: tables whose primary key is a serial ``id`` the shared SQL reads back
_SERIAL_ID = frozenset({"entities", "relations"})

_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_IS_PARAM = re.compile(r"\bIS\s+\?", re.I)
_IFNULL = re.compile(r"\bIFNULL\(", re.I)
_MIN2 = re.compile(r"\bMIN\(([^(),]+),([^(),]+)\)", re.I)
_JSON_EXTRACT = re.compile(r"\bjson_extract\((\w+(?:\.\w+)?),\s*\?\)", re.I)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.I)


@lru_cache(maxsize=512)
def render(sql: str) -> tuple[str, str | None]:
    """``(postgres_sql, serial_table)``: the statement in PostgreSQL's spelling,
    and the table whose new ``id`` to return (None: not such an insert)."""
    out = sql.replace("%", "%%")
    ignore = bool(_OR_IGNORE.match(out))
    if ignore:
        out = _OR_IGNORE.sub("INSERT INTO", out, count=1)
    out = _IS_PARAM.sub("IS NOT DISTINCT FROM ?", out)
    out = _IFNULL.sub("COALESCE(", out)
    # SQLite's '$.key' paths are valid SQL/JSON paths too
    out = _JSON_EXTRACT.sub(r"(jsonb_path_query_first(\1::jsonb, ?::jsonpath) #>> '{}')", out)
    out = _MIN2.sub(r"LEAST(\1,\2)", out)
    out = out.replace("?", "%s")
    if ignore and "ON CONFLICT" not in out.upper():
        out += " ON CONFLICT DO NOTHING"
    m = _INSERT_INTO.match(out)
    table = m.group(1).lower() if m else None
    if table in _SERIAL_ID and "RETURNING" not in out.upper():
        out += " RETURNING id"
        return out, table
    return out, None


class Cursor:
    """What the shared SQL reads from ``execute``: rows, ``rowcount``, ``lastrowid``."""

    __slots__ = ("_cur", "lastrowid", "rowcount")

    def __init__(self, cur: psycopg.Cursor[Any], returning: bool) -> None:
        self._cur = cur
        self.rowcount = cur.rowcount
        self.lastrowid: int | None = None
        if returning:
            row = cur.fetchone()
            self.lastrowid = int(row[0]) if row is not None else None

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    def fetchmany(self, size: int = 100, /) -> list[Any]:
        return self._cur.fetchmany(size)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cur)


class Conn:
    """A psycopg connection that takes the shared (SQLite-dialect) SQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        text, returning = render(sql)
        cur = self.raw.cursor()
        cur.execute(text, list(params))
        return Cursor(cur, returning is not None)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        text, _ = render(sql)
        with self.raw.cursor() as cur:
            cur.executemany(text, list(rows))
