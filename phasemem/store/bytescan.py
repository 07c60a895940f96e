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
a 150 MB store spent 148 s here; with rare windows, about a second). Taking
one window per byte residue instead, to read only aligned words, was measured
slower: some residues of a chat text have only common windows.
"""

from __future__ import annotations

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


def _hash(words: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((words * _MULT) >> _SHIFT).astype(np.intp)


@dataclass
class _Plan:
    """Anchor words to look for at some alignments of the data."""

    alignments: tuple[int, ...]
    anchors: dict[int, list[tuple[int, int]]]  # word -> [(needle, offset of the word)]
    keys: np.ndarray  # the anchor words, sorted
    table: np.ndarray  # flags by hash of the anchor words

    @classmethod
    def build(cls, alignments: tuple[int, ...], picks: list[tuple[int, int, int]]) -> _Plan:
        anchors: dict[int, list[tuple[int, int]]] = {}
        for needle, word, offset in picks:
            anchors.setdefault(word, []).append((needle, offset))
        keys = np.array(sorted(anchors), dtype=np.uint64)
        table = np.zeros(1 << _BITS, dtype=bool)
        table[_hash(keys)] = True
        return cls(alignments, anchors, keys, table)


def find_any(paths: Iterable[str | Path], needles: Sequence[bytes]) -> set[int]:
    """Indices of ``needles`` (each at least 8 bytes) found in any of ``paths``."""
    if any(len(n) < ANCHOR for n in needles):
        raise ValueError(f"needles must be at least {ANCHOR} bytes")
    if not needles:
        return set()
    picks = _rarest_windows(needles)
    plans = [_Plan.build(tuple(range(ANCHOR)), picks)]
    longest = max(len(n) for n in needles)
    found: set[int] = set()
    for path in paths:
        p = Path(path)
        if not p.exists():
            continue
        with p.open("rb") as fh:
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
                    _scan(data, base, limit, plan, needles, found)
                if last or len(found) == len(needles):
                    break
                carry = data[limit:]
                base += limit
    return found


def _rarest_windows(needles: Sequence[bytes]) -> list[tuple[int, int, int]]:
    """``(needle, word, offset)``: for each needle, the window (as a
    little-endian word) that the fewest windows of all needles equal (the last
    such on ties: endings are more particular than openings). All in numpy,
    every window of every needle at once."""
    blob = np.frombuffer(b"".join(needles), dtype=np.uint8)
    lengths = np.fromiter((len(n) for n in needles), dtype=np.int64, count=len(needles))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    per = lengths - ANCHOR + 1  # windows in each needle
    first = np.concatenate(([0], np.cumsum(per)[:-1]))
    owner = np.repeat(np.arange(len(needles)), per)
    local = np.arange(per.sum()) - np.repeat(first, per)
    pos = starts[owner] + local
    words = np.zeros(len(pos), dtype=np.uint64)
    for j in range(ANCHOR):
        words |= blob[pos + j].astype(np.uint64) << np.uint64(8 * j)
    _, inverse, counts = np.unique(words, return_inverse=True, return_counts=True)
    key = counts[inverse].astype(np.int64) * (1 << 32) + ((1 << 32) - 1 - local)
    best = np.minimum.reduceat(key, first)
    offsets = (1 << 32) - 1 - (best & ((1 << 32) - 1))
    at = first + offsets
    return list(zip(range(len(needles)), words[at].tolist(), offsets.tolist(), strict=True))


def _exact_hits(words: np.ndarray, plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``words`` that are anchor words, and those words."""
    idx = np.flatnonzero(plan.table[_hash(words)])  # hash hits, some false
    hit = words[idx]
    at = np.searchsorted(plan.keys, hit).clip(max=len(plan.keys) - 1)
    keep = plan.keys[at] == hit  # exact anchor words only
    return idx[keep], hit[keep]


def _scan(data: bytes, base: int, limit: int, plan: _Plan, needles: Sequence[bytes],
          found: set[int]) -> None:  # fmt: skip
    """Mark the needles that start in ``data[:limit]`` (``data[0]`` is at file
    offset ``base``), looking at the plan's alignments of the file. The word
    arrays are cut in two halves run on two threads (numpy releases the lock)."""
    jobs = []
    for align in plan.alignments:
        offset = (align - base) % ANCHOR
        count = (len(data) - offset) // ANCHOR
        if count <= 0:
            continue
        words = np.frombuffer(data, dtype="<u8", count=count, offset=offset)
        half = count // 2
        jobs += [(offset, 0, words[:half]), (offset, half, words[half:])]
    results = list(_POOL.map(lambda job: (job[0], job[1], *_exact_hits(job[2], plan)), jobs))
    for offset, first, idx, hit in results:
        for j, w in zip(idx.tolist(), hit.tolist(), strict=True):
            pos = offset + ANCHOR * (first + j)
            for i, k in plan.anchors[w]:
                start = pos - k
                if i not in found and 0 <= start < limit and data.startswith(needles[i], start):
                    found.add(i)


_POOL = ThreadPoolExecutor(2, thread_name_prefix="phasemem-scan")
