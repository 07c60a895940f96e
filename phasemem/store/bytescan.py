"""Find which of many byte strings occur anywhere in some files, in one pass.

Why not ``needle in data`` per needle: erasure proves itself by scanning the
database files for every erased text, and 10,000 texts over a 150 MB file is
10,000 scans (minutes). Here each needle is reduced to a few 8-byte windows of
itself (its anchors); the files are read in chunks viewed as 64-bit words,
hashed with one multiply and looked up in a table of anchor hashes, all in
numpy. Only words that are an anchor are compared byte for byte, so the cost
is a couple of passes over the data whatever the number of needles, and
nothing is missed.

Which window: for each needle, the one the fewest windows of all needles
equal. Chat texts share openings ("I went to the...") with each other and with
texts that stay in the file, so a first-8-bytes anchor matched thousands of
places, each compared with thousands of needles (a forget of 10,000 memories in
a 150 MB store spent 148 s here; with rare windows, about a second).

Which words of the file: a needle can start at any byte, so an 8-byte anchor
must be looked for at all 8 alignments of the file (8 passes). A needle of 23
bytes or more always covers two consecutive *aligned* words, whatever its
start: so long needles are anchored on 16-byte windows, one per residue of the
start modulo 8 (the rarest 16-byte window at offsets of that residue), and
found in one pass over the aligned word pairs. 16 bytes rather than 8 because a
residue class of a chat text often has only common 8-byte windows (measured:
one 8-byte window per residue was slower than 8 passes). Needles of 15-22 bytes
always cover one aligned word: one pass over aligned words with 8-byte anchors.
Only needles of 8-14 bytes need the 8 passes, and only when there are any.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ANCHOR = 8
#: hash table of 2**20 flags (1 MB): stays in cache; its few false hits are
#: dropped by an exact binary search (16M flags measured twice as slow)
_BITS = 20
_MULT = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - _BITS)
_CHUNK = 16 * 1024 * 1024
#: bins of the histogram that estimates how common each needle window is
_RARITY_BITS = 22


def _hash(words: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((words * _MULT) >> _SHIFT).astype(np.intp)


#: shortest needles that always cover one / two aligned words, wherever they start
ONE_WORD = ANCHOR + ANCHOR - 1
TWO_WORDS = 2 * ANCHOR + ANCHOR - 1
_PAIR_MULT = np.uint64(0xC2B2AE3D27D4EB4F)


def _pair_keys(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One 64-bit key per 16-byte window (two words). Different windows may share
    a key; every hit is compared byte for byte, so that costs a comparison only."""
    with np.errstate(over="ignore"):
        return lo * _PAIR_MULT + hi


@dataclass
class _Plan:
    """Anchor keys to look for at some alignments of the data: a key is one word,
    or with ``pair`` the key of two consecutive words. The anchors are flat arrays
    sorted by key, so the hits of a chunk are expanded to candidates in numpy."""

    alignments: tuple[int, ...]
    pair: bool
    keys: np.ndarray  # the distinct anchor keys, sorted
    first: np.ndarray  # where each key's anchors begin in ``needle``/``offset``
    count: np.ndarray  # how many anchors each key has
    needle: np.ndarray  # which needle each anchor belongs to (grouped by key)
    offset: np.ndarray  # where in its needle the anchor's window starts
    table: np.ndarray  # flags by hash of the anchor keys

    @classmethod
    def build(cls, alignments: tuple[int, ...], needle: np.ndarray, keys: np.ndarray,
              offset: np.ndarray, pair: bool = False) -> _Plan:  # fmt: skip
        order = np.argsort(keys, kind="stable")
        distinct, first, count = np.unique(keys[order], return_index=True, return_counts=True)
        table = np.zeros(1 << _BITS, dtype=bool)
        table[_hash(distinct)] = True
        return cls(alignments, pair, distinct, first, count, needle[order], offset[order], table)


class _Needles:
    """The needles' lengths and their first and last 8 bytes, for a cheap
    vectorised check of each candidate before the exact comparison."""

    def __init__(self, needles: Sequence[bytes]) -> None:
        self.items = needles
        self.length = np.fromiter((len(n) for n in needles), dtype=np.int64, count=len(needles))
        self.head = np.frombuffer(b"".join(n[:ANCHOR] for n in needles), dtype="<u8")
        self.tail = np.frombuffer(b"".join(n[-ANCHOR:] for n in needles), dtype="<u8")


def find_any(sources: Iterable[str | Path | bytes], needles: Sequence[bytes]) -> set[int]:
    """Indices of ``needles`` (each at least 8 bytes) found in any of ``sources``:
    files (missing ones are skipped) or bytes (an in-memory database's image)."""
    if any(len(n) < ANCHOR for n in needles):
        raise ValueError(f"needles must be at least {ANCHOR} bytes")
    if not needles:
        return set()
    tiers: dict[str, list[int]] = {"short": [], "one": [], "two": []}
    for i, n in enumerate(needles):
        tier = "two" if len(n) >= TWO_WORDS else "one" if len(n) >= ONE_WORD else "short"
        tiers[tier].append(i)
    plans = []
    if tiers["two"]:
        plans.append(_Plan.build((0,), *_per_residue(needles, tiers["two"], 2), pair=True))
    if tiers["one"]:
        plans.append(_Plan.build((0,), *_per_residue(needles, tiers["one"], 1)))
    if tiers["short"]:
        picks = _rarest_windows([needles[i] for i in tiers["short"]])
        which = np.array(tiers["short"], dtype=np.int64)
        plans.append(_Plan.build(tuple(range(ANCHOR)), which[[j for j, _, _ in picks]],
                                 np.array([w for _, w, _ in picks], dtype=np.uint64),
                                 np.array([k for _, _, k in picks], dtype=np.int64)))  # fmt: skip
    longest = max(len(n) for n in needles)
    meta = _Needles(needles)
    found: set[int] = set()
    for source in sources:
        if not isinstance(source, bytes) and not Path(source).exists():
            continue
        with io.BytesIO(source) if isinstance(source, bytes) else Path(source).open("rb") as fh:
            carry = b""
            base = 0  # file offset of data[0]: alignment is a property of the file
            while True:
                block = fh.read(_CHUNK)
                data = carry + block
                last = not block
                # needles that start in [0, limit) are decided here; the rest,
                # which may run past this chunk, are looked at again next time
                limit = len(data) if last else max(0, len(data) - longest + 1)
                for plan in plans:
                    _scan(data, base, limit, plan, meta, found)
                if last or len(found) == len(needles):
                    break
                carry = data[limit:]
                base += limit
    return found


def _windows(
    needles: Sequence[bytes], words: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every window of ``words`` 8-byte words of every needle, at every offset, in
    numpy: which needle (``owner``), at what offset (``local``), where each needle's
    windows begin (``first``), and the window as a key (the word, or a pair key)."""
    span = ANCHOR * words
    joined = b"".join(needles)
    lengths = np.fromiter((len(n) for n in needles), dtype=np.int64, count=len(needles))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    per = lengths - span + 1  # windows in each needle
    first = np.concatenate(([0], np.cumsum(per)[:-1]))
    owner = np.repeat(np.arange(len(needles)), per)
    local = np.arange(per.sum()) - np.repeat(first, per)
    pos = starts[owner] + local
    # the little-endian word at every byte offset, as a view with a stride of one
    # byte (no copy): one gather per word instead of eight byte gathers and shifts
    at = np.ndarray((len(joined) - ANCHOR + 1,), dtype="<u8", buffer=joined, strides=(1,))
    parts = [at[pos + w * ANCHOR].astype(np.uint64, copy=False) for w in range(words)]
    key = parts[0] if words == 1 else _pair_keys(parts[0], parts[1])
    return owner, local, first, key


def _rarest_windows(needles: Sequence[bytes]) -> list[tuple[int, int, int]]:
    """``(needle, word, offset)``: for each needle, the window (as a
    little-endian word) that the fewest windows of all needles equal (the last
    such on ties: endings are more particular than openings). All in numpy,
    every window of every needle at once."""
    owner, local, first, words = _windows(needles, 1)
    _, inverse, counts = np.unique(words, return_inverse=True, return_counts=True)
    key = counts[inverse].astype(np.int64) * (1 << 32) + ((1 << 32) - 1 - local)
    best = np.minimum.reduceat(key, first)
    offsets = (1 << 32) - 1 - (best & ((1 << 32) - 1))
    at = first + offsets
    return list(zip(range(len(needles)), words[at].tolist(), offsets.tolist(), strict=True))


def _per_residue(
    needles: Sequence[bytes], which: list[int], words: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(needle, key, offset)`` arrays, 8 rows per needle of ``which``: for each
    residue ``r`` of its start modulo 8, the rarest window of ``words`` words among
    those at offsets ``r, r + 8, ...`` (ties: the last). Wherever the needle starts
    in the file, the window of the matching residue lies on aligned words.

    Rarity is counted in a hashed histogram (2**22 bins) rather than by sorting:
    a collision can only make a window look commoner than it is."""
    owner, local, _, key = _windows([needles[i] for i in which], words)
    with np.errstate(over="ignore"):
        slot = ((key * _MULT) >> np.uint64(64 - _RARITY_BITS)).astype(np.intp)
    rarity = np.bincount(slot, minlength=1 << _RARITY_BITS)[slot]
    group = owner * ANCHOR + local % ANCHOR
    best = _best_per_group(group, rarity, local)
    return np.asarray(which, dtype=np.int64)[owner[best]], key[best], local[best]


def _best_per_group(group: np.ndarray, rarity: np.ndarray, local: np.ndarray,
                    packed: bool = True) -> np.ndarray:  # fmt: skip
    """Index of the rarest row of each group (ties: the largest ``local``; ``(group,
    local)`` pairs are distinct), groups in increasing order. Without a sort when
    the numbers fit: the best packed (rarity, -local) per group by ``minimum.at``,
    then the rows that hold it; else a three-key lexsort."""
    rarity = np.minimum(rarity, (1 << 20) - 1)
    if packed and local.max() < (1 << 21):
        score = (rarity << 21) | ((1 << 21) - 1 - local)
        best = np.full(int(group.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, group, score)
        chosen = np.flatnonzero(score == best[group])
        return chosen[np.argsort(group[chosen], kind="stable")]
    order = np.lexsort((-local, rarity, group))
    g = group[order]
    return order[np.concatenate(([True], g[1:] != g[:-1]))]


def _candidates(words: np.ndarray, plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """For the words (or word-pair keys) that are anchor keys: their indices in
    ``words`` and the anchors they match, one row per (position, anchor).

    The hash is computed in place in one scratch array: fresh temporaries of a
    16 MB chunk cost more in page faults than the arithmetic."""
    scratch = np.multiply(words, _MULT)
    np.right_shift(scratch, _SHIFT, out=scratch)
    idx = np.flatnonzero(plan.table[scratch.view(np.int64)])  # hash hits, some false
    hit = words[idx]
    at = np.searchsorted(plan.keys, hit).clip(max=len(plan.keys) - 1)
    real = plan.keys[at] == hit  # a false hash hit has no anchors
    idx, at = idx[real], at[real]
    n = plan.count[at]
    rows = np.repeat(np.arange(len(idx)), n)
    anchor = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(plan.first[at], n)
    return idx[rows], anchor


def _words_at(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The little-endian 8-byte word at each of the byte offsets ``at``."""
    return data[at[:, None] + np.arange(ANCHOR)].copy().view("<u8").ravel()


def _scan(data: bytes, base: int, limit: int, plan: _Plan, needles: _Needles,
          found: set[int]) -> None:  # fmt: skip
    """Mark the needles that start in ``data[:limit]`` (``data[0]`` is at file
    offset ``base``), looking at the plan's alignments of the file. The word
    arrays are cut in two halves run on two threads (numpy releases the lock).
    Candidates (a needle placed by an anchor hit) must fit in the data and agree
    on the needle's first and last 8 bytes before the exact comparison: a window
    shared with text that stays (a common ending) makes many candidates."""
    jobs = []
    for align in plan.alignments:
        offset = (align - base) % ANCHOR
        count = (len(data) - offset) // ANCHOR
        if count <= int(plan.pair):
            continue
        words = np.frombuffer(data, dtype="<u8", count=count, offset=offset)
        if plan.pair:
            words = _pair_keys(words[:-1], words[1:])
        half = len(words) // 2
        jobs += [(offset, 0, words[:half]), (offset, half, words[half:])]
    raw = np.frombuffer(data, dtype=np.uint8)

    def run(job: tuple[int, int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        offset, first, words = job
        idx, anchor = _candidates(words, plan)
        which = plan.needle[anchor]
        start = offset + ANCHOR * (first + idx) - plan.offset[anchor]
        end = start + needles.length[which]
        ok = (start >= 0) & (start < limit) & (end <= len(data))
        start, end, which = start[ok], end[ok], which[ok]
        ok = (_words_at(raw, start) == needles.head[which]) & (
            _words_at(raw, end - ANCHOR) == needles.tail[which]
        )
        return start[ok], which[ok]

    for start, which in _POOL.map(run, jobs):
        for at, i in zip(start.tolist(), which.tolist(), strict=True):
            if i not in found and data.startswith(needles.items[i], at):
                found.add(i)


_POOL = ThreadPoolExecutor(2, thread_name_prefix="phasemem-scan")
