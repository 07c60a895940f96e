"""In-memory vector index over the store's int8 vectors.

Why not a separate ANN file: the SQLite file stays the single source of
truth (one transaction covers text, FTS and vector), and the index is rebuilt
from it at open and kept in sync through the event log. Two search paths:

* exact: when the filtered set is small (one user's history, the usual case),
  the int8 codes of the candidates are scored directly;
* binary pre-filter: for large sets, Hamming distance on sign bits (48 bytes
  per 384-d vector, ``np.bitwise_count``) picks a shortlist that is then
  re-scored exactly. ``benchmarks/scale.py`` reports its recall against exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phasemem.index.quant import sign_bits
from phasemem.store.base import VectorRows

EXACT_MAX = 8192


@dataclass(frozen=True, slots=True)
class VectorQuery:
    user_id: str
    agent_id: str | None = None
    session_id: str | None = None
    occurred_after: float | None = None
    occurred_before: float | None = None


class _Codes:
    """String -> small int, so scope filters are vectorised comparisons."""

    def __init__(self) -> None:
        self.ids: dict[str | None, int] = {None: -1}

    def code(self, value: str | None) -> int:
        if value not in self.ids:
            self.ids[value] = len(self.ids)
        return self.ids[value]

    def get(self, value: str | None) -> int:
        return self.ids.get(value, -2)


class VectorIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.words = (dim + 63) // 64
        self._n = 0
        self._alloc(1024)
        self._pos: dict[str, int] = {}
        self._users, self._agents, self._sessions = _Codes(), _Codes(), _Codes()
        self.max_seq = 0

    def _alloc(self, cap: int) -> None:
        def grow(
            old: np.ndarray | None, shape: tuple[int, ...], dtype: type, fill: float | int = 0
        ) -> np.ndarray:
            new = np.full(shape, fill, dtype=dtype)
            if old is not None:
                new[: self._n] = old[: self._n]
            return new

        get = self.__dict__.get
        self.seqs = grow(get("seqs"), (cap,), np.int64)
        self.codes = grow(get("codes"), (cap, self.dim), np.int8)
        self.scales = grow(get("scales"), (cap,), np.float32)
        self.bits = grow(get("bits"), (cap, self.words), np.uint64)
        self.user = grow(get("user"), (cap,), np.int32, -3)
        self.agent = grow(get("agent"), (cap,), np.int32, -3)
        self.session = grow(get("session"), (cap,), np.int32, -3)
        self.occurred = grow(get("occurred"), (cap,), np.float64)
        self.alive = grow(get("alive"), (cap,), np.bool_, False)
        self._cap = cap

    def __len__(self) -> int:
        return int(self.alive[: self._n].sum())

    def add(self, rows: VectorRows) -> None:
        m = len(rows.seqs)
        if m == 0:
            return
        if self._n + m > self._cap:
            cap = self._cap
            while cap < self._n + m:
                cap *= 2
            self._alloc(cap)
        s = slice(self._n, self._n + m)
        self.seqs[s] = rows.seqs
        self.codes[s] = rows.codes
        self.scales[s] = rows.scales
        self.bits[s] = sign_bits(rows.codes)
        self.user[s] = [self._users.code(u) for u in rows.user_ids]
        self.agent[s] = [self._agents.code(a) for a in rows.agent_ids]
        self.session[s] = [self._sessions.code(x) for x in rows.session_ids]
        self.occurred[s] = rows.occurred
        self.alive[s] = True
        for i, ep_id in enumerate(rows.ids):
            self._pos[ep_id] = self._n + i
        self._n += m
        self.max_seq = max(self.max_seq, int(rows.seqs.max()))

    def remove(self, episode_id: str) -> None:
        pos = self._pos.pop(episode_id, None)
        if pos is not None:
            self.alive[pos] = False

    def replace(self, episode_id: str, code: np.ndarray, scale: float) -> None:
        pos = self._pos.get(episode_id)
        if pos is not None:
            self.codes[pos] = code
            self.scales[pos] = scale
            self.bits[pos] = sign_bits(code[None, :])[0]

    def _mask(self, q: VectorQuery) -> np.ndarray:
        n = self._n
        mask = self.alive[:n] & (self.user[:n] == self._users.get(q.user_id))
        if q.agent_id is not None:
            mask &= self.agent[:n] == self._agents.get(q.agent_id)
        if q.session_id is not None:
            mask &= self.session[:n] == self._sessions.get(q.session_id)
        if q.occurred_after is not None:
            mask &= self.occurred[:n] >= q.occurred_after
        if q.occurred_before is not None:
            mask &= self.occurred[:n] <= q.occurred_before
        return mask

    def search(
        self, vector: np.ndarray, q: VectorQuery, k: int, *, shortlist: int | None = None
    ) -> list[tuple[int, float]]:
        """Top-k (seq, cosine) among the rows ``q`` allows."""
        if self._n == 0 or k <= 0:
            return []
        cand = np.flatnonzero(self._mask(q))
        if cand.size == 0:
            return []
        vector = np.asarray(vector, dtype=np.float32)
        if cand.size > EXACT_MAX:
            qbits = sign_bits(vector[None, :])[0]
            ham = np.bitwise_count(self.bits[cand] ^ qbits).sum(axis=1, dtype=np.int32)
            keep = shortlist or max(40 * k, 1024)
            if keep < cand.size:
                cand = cand[np.argpartition(ham, keep)[:keep]]
        scores = (self.codes[cand].astype(np.float32) @ vector) * self.scales[cand]
        top = min(k, cand.size)
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.seqs[cand[i]]), float(scores[i])) for i in best]
