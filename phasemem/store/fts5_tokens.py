"""FTS5's own tokenizer, usable without an FTS5 table of the store.

Why here, in the storage layer: two consumers must tokenize exactly as the
SQLite store's ``episodes_fts`` does, so a query ranks the same whichever path
answers it: the in-memory BM25 postings (:mod:`phasemem.mirror.lexical`) and
the PostgreSQL store, which keeps FTS5's tokens in a postings table and
computes FTS5's BM25 in SQL (:mod:`phasemem.store.postgres`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence

from phasemem.store.schema import BM25_WEIGHTS, FTS_TOKENIZE

#: FTS5's ``bm25`` constants
K1 = 1.2
B = 0.75

# FTS5 column weights in the private tokenizer table, in the store's column order
_TEXT_W, _SPEAKER_W = BM25_WEIGHTS


class Fts5Tokenizer:
    """FTS5's tokenizer in a private ``:memory:`` database (thread-safe)."""

    #: rows tokenized before the scratch table is rebuilt: deleted rows leave
    #: tombstones in FTS5's segments that every later vocabulary scan walks
    #: (5 ms per query word after a 20K-row batch, measured)
    RESET_AFTER = 256

    def __init__(self, tokenize: str = FTS_TOKENIZE) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._tokenize = tokenize
        self._lock = threading.Lock()
        self._used = 0
        self._create()

    def _create(self) -> None:
        self._conn.execute("DROP TABLE IF EXISTS v")
        self._conn.execute("DROP TABLE IF EXISTS t")
        self._conn.execute(
            f"CREATE VIRTUAL TABLE t USING fts5(text, speaker, tokenize = '{self._tokenize}')"
        )
        self._conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        self._used = 0

    def documents(
        self, rows: Sequence[tuple[int, str, str | None]]
    ) -> list[tuple[str, int, float, int]]:
        """``(token, rowid, weighted tf, count)`` for each token of each row, where
        weighted tf is sum over occurrences of the column weight (FTS5's ``aFreq``)."""
        if not rows:
            return []
        with self._lock, self._conn:
            self._conn.executemany("INSERT INTO t (rowid, text, speaker) VALUES (?, ?, ?)", rows)
            out = self._conn.execute(
                "SELECT term, doc, SUM(CASE col WHEN 'text' THEN ? ELSE ? END), COUNT(*)"
                " FROM v GROUP BY term, doc ORDER BY term, doc",
                (_TEXT_W, _SPEAKER_W),
            ).fetchall()
            self._used += len(rows)
            if self._used > self.RESET_AFTER:
                self._create()
            else:
                self._conn.execute("DELETE FROM t")
        return out

    def words(self, words: Sequence[str]) -> list[list[str]]:
        """The tokens FTS5 makes of each word (a quoted query phrase)."""
        if not words:
            return []
        got = self.documents([(i + 1, w, None) for i, w in enumerate(words)])
        per: list[list[str]] = [[] for _ in words]
        for term, doc, _, count in got:
            per[doc - 1].extend([term] * count)
        return per

    def close(self) -> None:
        self._conn.close()
