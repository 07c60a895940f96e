"""In-memory BM25 that returns exactly what the store's FTS5 ``bm25()`` returns.

Why: FTS5 scores every row that matches an OR query, in C but through its
auxiliary-function API, about 0.7 us a row. On a large single-user store a
query's rarest term can still match thousands of rows (3 ms of a 6 ms search
at 100K memories). Here postings are numpy arrays, so the same scores cost a
few vectorised operations.

Exactness is the design constraint, so ranking never depends on which path ran:

* tokens come from FTS5's own tokenizer (the store's ``tokenize`` string), run
  in a private in-memory database and read back through ``fts5vocab``;
* the score is FTS5's ``bm25`` (``k1 = 1.2``, ``b = 0.75``, column weights
  ``text 1.0, speaker 0.5``, document length over all columns, IDF floored at
  ``1e-6``), with the row count, document frequencies and average length taken
  over live rows of every user, as FTS5 does;
* a query word that is not exactly one token (a phrase for FTS5) is answered
  ``None``, and the caller asks FTS5.

The index mirrors the SQLite file through the store's event log like the
vector index: new rows by ``seq``, updates and deletes by episode id.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

import numpy as np

from phasemem.store.fts5_tokens import K1, B, Fts5Tokenizer

#: rows (episode seq, id, text, speaker) as the store hands them over
LexRow = tuple[int, str, str, "str | None"]

__all__ = ["B", "K1", "Fts5Tokenizer", "LexicalIndex", "LexRow"]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores plus every row tied with the lowest of them."""
    part = np.argpartition(-scores, k - 1)[:k]
    return np.flatnonzero(scores >= scores[part].min())


class _Postings:
    """One term's postings: base arrays plus appended chunks, merged on read."""

    __slots__ = ("pos", "wtf", "chunks")

    def __init__(self, pos: np.ndarray, wtf: np.ndarray) -> None:
        self.pos, self.wtf = pos, wtf
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.chunks:
            self.pos = np.concatenate([self.pos, *(c[0] for c in self.chunks)])
            self.wtf = np.concatenate([self.wtf, *(c[1] for c in self.chunks)])
            self.chunks = []
        return self.pos, self.wtf


class LexicalIndex:
    """BM25 postings over every live episode of a store file (see the module doc).

    Thread-safe: a server's threads search one handle while its sync adds rows;
    postings merge their appended chunks on read, so reads and writes share a lock."""

    def __init__(self, tokenizer: Fts5Tokenizer | None = None) -> None:
        self.tokenizer = tokenizer or Fts5Tokenizer()
        self._lock = threading.RLock()
        self._terms: dict[str, _Postings] = {}
        self._n = 0
        self.seqs = np.zeros(1024, dtype=np.int64)
        self.length = np.zeros(1024, dtype=np.float64)  # tokens over all columns
        self.alive = np.zeros(1024, dtype=bool)
        self._by_id: dict[str, int] = {}  # episode id -> position
        self._live = 0
        self._total_tokens = 0.0
        self.max_seq = 0
        self._word_cache: dict[str, list[str]] = {}

    # -- maintenance -------------------------------------------------------------
    def _grow(self, need: int) -> None:
        cap = len(self.seqs)
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        for name in ("seqs", "length", "alive"):
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)

    def add(self, rows: Sequence[LexRow]) -> None:
        """Index new rows (``seq`` ascending, above everything indexed so far,
        except re-indexed updates, which :meth:`update` sends)."""
        if not rows:
            return
        with self._lock:
            self._add(rows)

    def _add(self, rows: Sequence[LexRow]) -> None:
        m = len(rows)
        self._grow(self._n + m)
        first = self._n
        seq_arr = np.fromiter((r[0] for r in rows), dtype=np.int64, count=m)
        self.seqs[first : first + m] = seq_arr
        self.alive[first : first + m] = True
        for i, r in enumerate(rows):
            self._by_id[r[1]] = first + i
        toks = self.tokenizer.documents([(r[0], r[2], r[3]) for r in rows])
        self._n += m
        self._live += m
        self.max_seq = max(self.max_seq, int(seq_arr.max()))
        if not toks:
            return
        terms = [t[0] for t in toks]
        docs = np.fromiter((t[1] for t in toks), dtype=np.int64, count=len(toks))
        wtf = np.fromiter((t[2] for t in toks), dtype=np.float32, count=len(toks))
        cnt = np.fromiter((t[3] for t in toks), dtype=np.float64, count=len(toks))
        order = np.argsort(seq_arr, kind="stable")
        pos = first + order[np.searchsorted(seq_arr[order], docs)]
        lengths = np.bincount(pos - first, weights=cnt, minlength=m)
        self.length[first : first + m] = lengths
        self._total_tokens += float(lengths.sum())
        # rows come grouped by term: split at term boundaries
        starts = [0] + [i for i in range(1, len(terms)) if terms[i] != terms[i - 1]]
        ends = starts[1:] + [len(terms)]
        for s, e in zip(starts, ends, strict=True):
            p = pos[s:e].astype(np.int32)
            w = wtf[s:e]
            post = self._terms.get(terms[s])
            if post is None:
                self._terms[terms[s]] = _Postings(p, w)
            else:
                post.chunks.append((p, w))

    def remove(self, episode_id: str) -> None:
        with self._lock:
            pos = self._by_id.pop(episode_id, None)
            if pos is not None and self.alive[pos]:
                self.alive[pos] = False
                self._live -= 1
                self._total_tokens -= float(self.length[pos])

    def update(self, episode_id: str, row: LexRow | None) -> None:
        """Re-index an episode whose text or speaker changed (``row`` is its
        current ``(seq, id, text, speaker)``; ``None``: it is gone)."""
        with self._lock:
            self.remove(episode_id)
            if row is not None:
                keep = self.max_seq
                self._add([row])
                self.max_seq = keep

    # -- queries -----------------------------------------------------------------
    def tokens(self, words: Sequence[str]) -> list[str] | None:
        """One FTS5 token per word, or ``None`` when some word is not exactly one."""
        with self._lock:
            return self._tokens(words)

    def _tokens(self, words: Sequence[str]) -> list[str] | None:
        todo = [w for w in words if w not in self._word_cache]
        if todo:
            if len(self._word_cache) > 50_000:
                self._word_cache.clear()
            for w, toks in zip(todo, self.tokenizer.words(todo), strict=True):
                self._word_cache[w] = toks
        out: list[str] = []
        for w in words:
            toks = self._word_cache[w]
            if len(toks) != 1:
                return None
            out.append(toks[0])
        return out

    def doc_counts(self, words: Sequence[str]) -> dict[str, int] | None:
        """Live rows containing each word (what ``COUNT(*) ... MATCH '"word"'`` gives)."""
        with self._lock:
            toks = self._tokens(words)
            if toks is None:
                return None
            out: dict[str, int] = {}
            for w, t in zip(words, toks, strict=True):
                post = self._terms.get(t)
                out[w] = 0 if post is None else int(self.alive[post.arrays()[0]].sum())
            return out

    def scores(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """``(seqs, scores)`` of every live row matching any word: FTS5's bm25 negated."""
        with self._lock:
            return self._scores(words)

    def _scores(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        toks = self._tokens(words)
        if toks is None:
            return None
        n_rows = self._live
        if n_rows == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        avgdl = self._total_tokens / n_rows
        rows: list[np.ndarray] = []
        parts: list[np.ndarray] = []
        for t in toks:  # two words with one stem are two phrases to FTS5: counted twice
            post = self._terms.get(t)
            if post is None:
                continue
            pos, wtf = post.arrays()
            live = self.alive[pos]
            pos, f = pos[live], wtf[live].astype(np.float64)
            n_hit = len(pos)
            if n_hit == 0:
                continue
            idf = math.log((n_rows - n_hit + 0.5) / (n_hit + 0.5))
            idf = idf if idf > 0.0 else 1e-6
            d = self.length[pos]
            rows.append(pos)
            parts.append(idf * (f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * d / avgdl)))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        # Sum per row over the matched postings only (a few thousand at most
        # after term pruning), not over an array of every row: in row order,
        # each row's terms added in query order, as FTS5 does.
        if len(rows) == 1:
            order = np.argsort(rows[0], kind="stable")
            return self.seqs[rows[0][order]], parts[0][order]
        hit, inverse = np.unique(np.concatenate(rows), return_inverse=True)
        return self.seqs[hit], np.bincount(inverse, weights=np.concatenate(parts))

    def search(
        self,
        words: Sequence[str],
        k: int,
        allowed: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> list[tuple[int, float]] | None:
        """Top ``k`` ``(seq, score)`` among rows ``allowed(seqs)`` keeps, best
        first, ties by the older seq; ``None``: ask FTS5 instead."""
        got = self.scores(words)
        if got is None:
            return None
        seqs, sc = got
        if allowed is not None and len(seqs):
            # Scope-check the best rows first: when k of them pass, no row below
            # them can enter the top k (rows tied with the cut are included).
            head = _top(sc, 4 * k) if len(seqs) > 4 * k else None
            ok = np.asarray(allowed(seqs[head] if head is not None else seqs), dtype=bool)
            if head is not None and int(ok.sum()) < k:
                head, ok = None, np.asarray(allowed(seqs), dtype=bool)
            if head is not None:
                seqs, sc = seqs[head], sc[head]
            seqs, sc = seqs[ok], sc[ok]
        if len(seqs) > k:
            part = _top(sc, k)
            seqs, sc = seqs[part], sc[part]
        order = np.lexsort((seqs, -sc))[:k]
        return [(int(seqs[i]), float(sc[i])) for i in order]

    def __len__(self) -> int:
        return self._live
