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

import time

import numpy as np

from phasemem.embed.quant import sign_bits
from phasemem.scope import EpisodeFilter
from phasemem.store.base import VectorRows

EXACT_MAX = 8192


class _Codes:
    """String -> small int, so scope filters are vectorised comparisons."""

    def __init__(self) -> None:
        self.ids: dict[str | None, int] = {None: -1}
        self.values: dict[int, str | None] = {-1: None}  # code -> value

    def code(self, value: str | None) -> int:
        if value not in self.ids:
            self.values[len(self.ids)] = value  # before ids: a reader never sees a code without it
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
        self._seq_pos: dict[int, int] = {}
        # (user, session) -> (row positions ordered by (occurred_at, seq), position ->
        # its index in that order), built lazily
        self._sessions_order: dict[tuple[int, int], tuple[np.ndarray, dict[int, int]]] = {}
        self._users, self._agents, self._sessions = _Codes(), _Codes(), _Codes()
        self._speakers, self._roles, self._sources = _Codes(), _Codes(), _Codes()
        self.max_seq = 0
        # seqlock for ``replace``: odd while a row is being rewritten; a search that saw
        # it change scores again (readers never block, the one writer never waits)
        self._version = 0
        self._ascending = True  # seqs[:n] sorted: positions by binary search

    def _alloc(self, cap: int) -> None:
        def grow(
            old: np.ndarray | None, shape: tuple[int, ...], dtype: type, fill: float | int = 0
        ) -> np.ndarray:
            new: np.ndarray = np.full(shape, fill, dtype=dtype)
            if old is not None:
                new[: self._n] = old[: self._n]
            return new

        get = self.__dict__.get
        self.seqs = grow(get("seqs"), (cap,), np.int64)
        self.codes = grow(get("codes"), (cap, self.dim), np.int8)
        self.scales = grow(get("scales"), (cap,), np.float32)
        old_bits = get("bits")
        bits = np.zeros((self.words, cap), dtype=np.uint64)  # word-major: one row per word
        if old_bits is not None:
            bits[:, : self._n] = old_bits[:, : self._n]
        # assigned only when complete: a search in another thread may read it meanwhile
        self.bits = bits
        self.user = grow(get("user"), (cap,), np.int32, -3)
        self.agent = grow(get("agent"), (cap,), np.int32, -3)
        self.session = grow(get("session"), (cap,), np.int32, -3)
        self.speaker = grow(get("speaker"), (cap,), np.int32, -3)
        self.role = grow(get("role"), (cap,), np.int32, -3)
        self.source = grow(get("source"), (cap,), np.int32, -3)
        self.occurred = grow(get("occurred"), (cap,), np.float64)
        self.alive = grow(get("alive"), (cap,), np.bool_, False)
        self.timed = grow(get("timed"), (cap,), np.bool_, False)
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
        new = np.asarray(rows.seqs, dtype=np.int64)
        if (self._n and new[0] <= self.seqs[self._n - 1]) or bool(np.any(np.diff(new) <= 0)):
            self._ascending = False
        self.seqs[s] = rows.seqs
        self.codes[s] = rows.codes
        self.scales[s] = rows.scales
        self.bits[:, s] = sign_bits(rows.codes).T
        self.user[s] = [self._users.code(u) for u in rows.user_ids]
        self.agent[s] = [self._agents.code(a) for a in rows.agent_ids]
        self.session[s] = [self._sessions.code(x) for x in rows.session_ids]
        self.speaker[s] = [self._speakers.code(x) for x in rows.speakers]
        self.role[s] = [self._roles.code(x) for x in rows.roles]
        self.source[s] = [self._sources.code(x) for x in rows.sources]
        self.occurred[s] = rows.occurred
        self.alive[s] = True
        self.timed[s] = rows.time_mentions > 0
        for i, ep_id in enumerate(rows.ids):
            self._pos[ep_id] = self._n + i
            self._seq_pos[int(rows.seqs[i])] = self._n + i
        for key in set(zip(self.user[s].tolist(), self.session[s].tolist(), strict=True)):
            self._sessions_order.pop(key, None)
        self._n += m
        self.max_seq = max(self.max_seq, int(rows.seqs.max()))

    def remove(self, episode_id: str) -> None:
        pos = self._pos.pop(episode_id, None)
        if pos is not None:
            self.alive[pos] = False
            self._seq_pos.pop(int(self.seqs[pos]), None)
            self._sessions_order.pop((int(self.user[pos]), int(self.session[pos])), None)

    def allowed(self, seqs: list[int], flt: EpisodeFilter) -> list[bool]:
        """Whether each seq is a live row that ``flt`` allows (on its columns)."""
        return self.scope_mask(np.asarray(seqs, dtype=np.int64), flt)[0].tolist()

    def scope_mask(self, seqs: np.ndarray, flt: EpisodeFilter) -> tuple[np.ndarray, bool]:
        """``(allowed, all_known)``: whether each seq is a live row that passes
        ``flt``'s column conditions (all but metadata), and whether every seq
        is a row this index holds (episodes stored without a vector are not: a
        caller that needs them asks SQL)."""
        if len(seqs) == 0:
            return np.zeros(0, dtype=bool), True
        n = self._n  # one snapshot for both reads (see ``search``)
        pos = self._positions(seqs, n)
        known = pos >= 0
        out = np.zeros(len(seqs), dtype=bool)
        out[known] = self._mask_at(flt, pos[known])
        return out, bool(known.all())

    def ids_allowed(self, ids: list[str], flt: EpisodeFilter) -> list[bool | None]:
        """Per episode id: whether ``flt``'s column conditions allow it, or
        None when this index does not hold it (gone, or stored without a vector)."""
        pos = [self._pos.get(i, -1) for i in ids]
        known = np.array([p for p in pos if p >= 0], dtype=np.int64)
        ok = iter(self._mask_at(flt, known).tolist() if len(known) else [])
        return [next(ok) if p >= 0 else None for p in pos]

    def _mask_at(self, flt: EpisodeFilter, pos: np.ndarray) -> np.ndarray:
        """:meth:`_mask` at some row positions only (a few hundred candidates
        need not pay for a mask over every row)."""
        mask = self.alive[pos] & (self.user[pos] == self._users.get(flt.user_id))
        for col, codes, want in self._columns(flt):
            mask &= col[pos] == codes.get(want)
        if flt.occurred_after is not None:
            mask &= self.occurred[pos] >= flt.occurred_after
        if flt.occurred_before is not None:
            mask &= self.occurred[pos] <= flt.occurred_before
        return mask

    def _columns(self, flt: EpisodeFilter) -> list[tuple[np.ndarray, _Codes, str]]:
        """The string columns ``flt`` constrains: (codes per row, code book, wanted value)."""
        pairs = ((self.agent, self._agents, flt.agent_id),
                 (self.session, self._sessions, flt.session_id),
                 (self.role, self._roles, flt.role),
                 (self.speaker, self._speakers, flt.speaker),
                 (self.source, self._sources, flt.source))  # fmt: skip
        return [(col, book, want) for col, book, want in pairs if want is not None]

    def _positions(self, seqs: list[int] | np.ndarray, n: int | None = None) -> np.ndarray:
        """Row position of each seq, -1 for unknown ones (vectorised: a search
        asks this for a few hundred BM25 rows)."""
        if not self._ascending:
            return np.array([self._seq_pos.get(s, -1) for s in seqs], dtype=np.int64)
        want = np.asarray(seqs, dtype=np.int64)
        n = self._n if n is None else n
        pos = np.searchsorted(self.seqs[:n], want).clip(max=max(n - 1, 0))
        found = (self.seqs[pos] == want) if n else np.zeros(len(want), dtype=bool)
        return np.where(found, pos, -1)

    def said_by(self, seqs: list[int], names: list[str]) -> tuple[list[int], list[int]]:
        """``(seqs whose speaker is one of names, seqs this index does not hold)``:
        the speaker boost without a SQL query per search (the second list is
        for the store to answer: episodes stored without a vector)."""
        if not seqs:
            return [], []
        want = np.array([self._speakers.get(n) for n in names], dtype=np.int32)
        arr = np.asarray(seqs, dtype=np.int64)
        pos = self._positions(arr)
        known = pos >= 0
        hit = known.copy()
        hit[known] = np.isin(self.speaker[pos[known]], want)
        return arr[hit].tolist(), arr[~known].tolist()

    def occurred_of(self, seqs: list[int]) -> list[float | None]:
        """Each episode's ``occurred_at`` (None for seqs this index does not hold)."""
        pos = self._seq_pos
        return [float(self.occurred[pos[s]]) if s in pos else None for s in seqs]

    def vectors_of(self, seqs: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(float vectors, known mask)`` of the given seqs (zero rows where unknown)."""
        p = self._positions(np.asarray(seqs, dtype=np.int64))
        known = p >= 0
        out = np.zeros((len(seqs), self.dim), dtype=np.float32)
        if known.any():
            k = p[known]
            out[known] = self.codes[k].astype(np.float32) * self.scales[k, None]
        return out, known

    def speakers_of(self, seqs: list[int]) -> list[str | None]:
        """Each episode's speaker (None when unknown or not set)."""
        names = self._speakers.values
        pos = self._seq_pos
        return [names.get(int(self.speaker[pos[s]])) if s in pos else None for s in seqs]

    def timed_flags(self, seqs: list[int]) -> list[bool]:
        """Whether each episode mentions a time (unknown seqs: False)."""
        return [bool(self.timed[self._seq_pos[s]]) if s in self._seq_pos else False for s in seqs]

    def neighbours(
        self, seqs: list[int], window: int, flt: EpisodeFilter | None = None
    ) -> dict[int, list[int]]:
        """The ``window`` turns before and after each seq in its user and
        session, in time order, from memory (no SQL per hit). With ``flt``, a
        neighbour the filter does not allow is left out (another agent's turn,
        or a turn after an ``as_of``, is not a neighbour a read may see)."""
        out: dict[int, list[int]] = {}
        for seq in seqs:
            pos = self._seq_pos.get(seq)
            if pos is None:
                continue
            key = (int(self.user[pos]), int(self.session[pos]))
            cached = self._sessions_order.get(key)
            if cached is None:
                n = self._n
                rows = np.flatnonzero(
                    self.alive[:n] & (self.user[:n] == key[0]) & (self.session[:n] == key[1])
                )
                order = rows[np.lexsort((self.seqs[rows], self.occurred[rows]))]
                cached = (order, {p: i for i, p in enumerate(order.tolist())})
                self._sessions_order[key] = cached
            order, where = cached
            i = where[pos]
            near = np.concatenate([order[max(0, i - window) : i], order[i + 1 : i + 1 + window]])
            if flt is not None and len(near):
                near = near[self._mask_at(flt, near)]
            out[seq] = self.seqs[near].tolist()
        return out

    def replace(self, episode_id: str, code: np.ndarray, scale: float) -> None:
        """Rewrite one row's vector in place (an updated memory). Codes, scale and sign
        bits are three writes; the version counter lets a concurrent search notice it
        read across them and score again. One writer at a time (the store's)."""
        pos = self._pos.get(episode_id)
        if pos is not None:
            bits = sign_bits(code[None, :])[0]
            self._version += 1
            try:
                self.codes[pos] = code
                self.scales[pos] = scale
                self.bits[:, pos] = bits
            finally:
                self._version += 1

    def _mask(self, flt: EpisodeFilter, n: int) -> np.ndarray:
        """Rows ``[0, n)`` that pass ``flt``'s column conditions (``n``: the
        caller's snapshot of the row count). Metadata is not held here: a
        caller with a metadata filter checks the rows it keeps."""
        mask = self.alive[:n] & (self.user[:n] == self._users.get(flt.user_id))
        for col, codes, want in self._columns(flt):
            mask &= col[:n] == codes.get(want)
        if flt.occurred_after is not None:
            mask &= self.occurred[:n] >= flt.occurred_after
        if flt.occurred_before is not None:
            mask &= self.occurred[:n] <= flt.occurred_before
        return mask

    def _hamming(self, qbits: np.ndarray, n: int) -> np.ndarray:
        """Hamming distance of rows ``[0, n)`` to ``qbits``: word by word over
        contiguous rows, into preallocated buffers (about 0.6 ms per 100K)."""
        acc = np.zeros(n, dtype=np.uint16)
        buf = np.empty(n, dtype=np.uint64)
        pc = np.empty(n, dtype=np.uint8)
        for w in range(self.words):
            np.bitwise_xor(self.bits[w, :n], qbits[w], out=buf)
            np.bitwise_count(buf, out=pc)
            np.add(acc, pc, out=acc)
        return acc

    def search(
        self, vector: np.ndarray, q: EpisodeFilter, k: int, *, shortlist: int | None = None
    ) -> list[tuple[int, float]]:
        """Top-k (seq, cosine) among the rows ``q`` allows.

        Reads the row count once: ``add`` (another thread's sync) fills new rows
        before it raises the count, so rows below the snapshot are complete and
        every array this search reads agrees on them."""
        n = self._n
        if n == 0 or k <= 0:
            return []
        while True:
            version = self._version
            if version & 1:  # a replace is half-way: let it finish
                time.sleep(0)
                continue
            hits = self._search(vector, q, k, shortlist, n)
            if self._version == version:
                return hits

    def _search(
        self, vector: np.ndarray, q: EpisodeFilter, k: int, shortlist: int | None, n: int
    ) -> list[tuple[int, float]]:
        mask = self._mask(q, n)
        n_cand = int(mask.sum())
        if n_cand == 0:
            return []
        vector = np.asarray(vector, dtype=np.float32)
        if n_cand > EXACT_MAX:
            ham = self._hamming(sign_bits(vector[None, :])[0], n)
            if n_cand < n:
                ham[~mask] = self.dim + 1  # farther than any real row
            keep = min(shortlist or max(8 * k, 512), n_cand)
            # the shortlist: every row within the smallest distance that holds
            # ``keep`` rows (ties included), by a histogram of the few hundred
            # possible distances instead of a partition of all rows
            cut = int(np.searchsorted(np.cumsum(np.bincount(ham, minlength=self.dim + 2)), keep))
            cand = np.flatnonzero(ham <= cut)
        else:
            cand = np.flatnonzero(mask)
        scores = (self.codes[cand].astype(np.float32) @ vector) * self.scales[cand]
        top = min(k, cand.size)
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.seqs[cand[i]]), float(scores[i])) for i in best]
