"""ICEWS-format temporal KG data: parsing, vocabularies, encoded splits and rank filters.

Numpy only (no torch). A file holds one quadruple per line::

    head<TAB>relation<TAB>tail<TAB>YYYY-MM-DD

Times are whole days since :attr:`Vocab.epoch` (a UTC calendar date). Every
problem (missing or empty file, wrong column count, bad date, empty name, a
name outside the vocabulary) raises :class:`~phasemem.research.tkg.errors.TKGDataError`
naming the file and the 1-based line.

Vocabulary protocol: :func:`load_dataset` builds entity and relation
vocabularies from *all* splits it loads (train, valid, test), as the standard
ICEWS14 benchmark code does (tkbc, DE-SimplE); 146 ICEWS14 test quadruples
name an entity that never occurs in train. Encoding a *new* file against a
fixed vocabulary (e.g. a checkpoint's) fails on the first unknown name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.research.tkg.errors import TKGDataError

__all__ = [
    "DEFAULT_DATA_ROOT",
    "FilterIndex",
    "Quad",
    "TKGDataset",
    "Vocab",
    "add_reciprocals",
    "build_filters",
    "encode",
    "load_dataset",
    "read_quadruples",
]

#: Where the benchmark data lives, relative to the repository root.
DEFAULT_DATA_ROOT = Path("..") / "shared" / "data"

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Quad:
    """One raw quadruple with the line it came from."""

    head: str
    relation: str
    tail: str
    day: date
    line: int


def read_quadruples(path: str | Path) -> list[Quad]:
    """Parse an ICEWS-format file; raise :class:`TKGDataError` on the first bad line."""
    p = Path(path)
    if not p.is_file():
        raise TKGDataError("file not found", p)
    out: list[Quad] = []
    with p.open(encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) != 4:
                raise TKGDataError(
                    f"expected 4 tab-separated columns (head, relation, tail, YYYY-MM-DD), got {len(cols)}",
                    p,
                    lineno,
                )
            head, rel, tail, when = (c.strip() for c in cols)
            for name, value in (("head", head), ("relation", rel), ("tail", tail)):
                if not value:
                    raise TKGDataError(f"empty {name}", p, lineno)
            if not _DATE_RE.match(when):
                raise TKGDataError(f"unknown date {when!r}: expected YYYY-MM-DD", p, lineno)
            try:
                day = date.fromisoformat(when)
            except ValueError as exc:
                raise TKGDataError(f"unknown date {when!r}: {exc}", p, lineno) from None
            out.append(Quad(head, rel, tail, day, lineno))
    if not out:
        raise TKGDataError("empty file: no quadruples", p)
    return out


@dataclass
class Vocab:
    """Entity and relation names, and the day that is time 0."""

    entities: list[str]
    relations: list[str]
    epoch: date
    ent_index: dict[str, int] = field(init=False, repr=False)
    rel_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.ent_index = {e: i for i, e in enumerate(self.entities)}
        self.rel_index = {r: i for i, r in enumerate(self.relations)}

    @property
    def n_entities(self) -> int:
        return len(self.entities)

    @property
    def n_relations(self) -> int:
        return len(self.relations)

    @classmethod
    def build(cls, quads: Iterable[Quad], epoch: date | None = None) -> Vocab:
        """Sorted names from ``quads``; ``epoch`` defaults to their earliest day."""
        ents: set[str] = set()
        rels: set[str] = set()
        first: date | None = None
        for q in quads:
            ents.add(q.head)
            ents.add(q.tail)
            rels.add(q.relation)
            first = q.day if first is None or q.day < first else first
        if first is None:
            raise ValueError("cannot build a vocabulary from no quadruples")
        return cls(sorted(ents), sorted(rels), epoch or first)

    def to_dict(self) -> dict[str, object]:
        return {
            "entities": list(self.entities),
            "relations": list(self.relations),
            "epoch": self.epoch.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Vocab:
        return cls(list(d["entities"]), list(d["relations"]), date.fromisoformat(str(d["epoch"])))


def encode(quads: Sequence[Quad], vocab: Vocab, path: str | Path) -> np.ndarray:
    """``(n, 4)`` int64 array ``[head, relation, tail, day]``; unknown names raise."""
    arr = np.empty((len(quads), 4), dtype=np.int64)
    for i, q in enumerate(quads):
        try:
            h = vocab.ent_index[q.head]
        except KeyError:
            raise TKGDataError(f"unknown entity {q.head!r} (head)", path, q.line) from None
        try:
            r = vocab.rel_index[q.relation]
        except KeyError:
            raise TKGDataError(f"unknown relation {q.relation!r}", path, q.line) from None
        try:
            t = vocab.ent_index[q.tail]
        except KeyError:
            raise TKGDataError(f"unknown entity {q.tail!r} (tail)", path, q.line) from None
        arr[i] = (h, r, t, (q.day - vocab.epoch).days)
    return arr


def add_reciprocals(quads: np.ndarray, n_relations: int) -> np.ndarray:
    """Append ``(t, r + n_relations, h, day)`` for every ``(h, r, t, day)``.

    Head queries ``(?, r, t, day)`` are then tail queries on the reciprocal relation.
    """
    inv = quads[:, [2, 1, 0, 3]].copy()
    inv[:, 1] += n_relations
    return np.concatenate([quads, inv], axis=0)


@dataclass
class TKGDataset:
    """Encoded splits plus the vocabulary and time range."""

    name: str
    vocab: Vocab
    splits: dict[str, np.ndarray]
    paths: dict[str, Path]

    @property
    def n_entities(self) -> int:
        return self.vocab.n_entities

    @property
    def n_relations(self) -> int:
        return self.vocab.n_relations

    @property
    def train(self) -> np.ndarray:
        return self.splits["train"]

    @property
    def day_range(self) -> tuple[int, int]:
        """Smallest and largest day over all loaded splits (inclusive)."""
        days = np.concatenate([s[:, 3] for s in self.splits.values()])
        return int(days.min()), int(days.max())

    def all_quads(self) -> np.ndarray:
        return np.concatenate(list(self.splits.values()), axis=0)


def load_dataset(
    directory: str | Path,
    splits: Sequence[str] = SPLITS,
    vocab: Vocab | None = None,
) -> TKGDataset:
    """Load ``{split}.txt`` files from ``directory``.

    Without ``vocab`` the vocabulary is built from all loaded splits (the standard
    protocol, see the module docstring); with one, unknown names raise.
    """
    d = Path(directory)
    if not d.is_dir():
        raise TKGDataError("data directory not found", d)
    raw: dict[str, list[Quad]] = {}
    paths: dict[str, Path] = {}
    for split in splits:
        p = d / f"{split}.txt"
        if not p.is_file():
            raise TKGDataError(f"missing {split} split", p)
        raw[split] = read_quadruples(p)
        paths[split] = p
    if vocab is None:
        vocab = Vocab.build(q for qs in raw.values() for q in qs)
    enc = {s: encode(qs, vocab, paths[s]) for s, qs in raw.items()}
    return TKGDataset(d.name, vocab, enc, paths)


class FilterIndex:
    """For a query key, the entities that are true answers (to be filtered out of the rank).

    ``time_aware=True`` keys on ``(head, relation, day)``: only answers true at the
    same timestamp are removed (the standard protocol). ``False`` keys on
    ``(head, relation)``: answers true at any time are removed (time-agnostic).
    Relations are expected with reciprocals (``0 .. 2R-1``).
    """

    def __init__(
        self, quads: np.ndarray, n_rel2: int, day_lo: int, n_days: int, time_aware: bool
    ) -> None:
        self.n_rel2 = n_rel2
        self.day_lo = day_lo
        self.n_days = n_days
        self.time_aware = time_aware
        keys = self._keys(quads[:, 0], quads[:, 1], quads[:, 3])
        order = np.lexsort((quads[:, 2], keys))
        keys_s = keys[order]
        tails_s = quads[order, 2]
        # drop exact duplicate (key, tail) pairs
        keep = np.ones(len(keys_s), dtype=bool)
        keep[1:] = (keys_s[1:] != keys_s[:-1]) | (tails_s[1:] != tails_s[:-1])
        self._keys_s = keys_s[keep]
        self._tails_s = tails_s[keep]
        uniq, start = np.unique(self._keys_s, return_index=True)
        end = np.append(start[1:], len(self._keys_s))
        self._slices = {int(k): (int(a), int(b)) for k, a, b in zip(uniq, start, end, strict=True)}

    def _keys(self, h: np.ndarray, r: np.ndarray, day: np.ndarray) -> np.ndarray:
        base = h.astype(np.int64) * self.n_rel2 + r.astype(np.int64)
        if self.time_aware:
            return base * self.n_days + (day.astype(np.int64) - self.day_lo)
        return base

    def answers(self, h: np.ndarray, r: np.ndarray, day: np.ndarray) -> list[np.ndarray]:
        """True answers for each query, as int64 arrays (possibly empty)."""
        keys = self._keys(np.asarray(h), np.asarray(r), np.asarray(day))
        empty = np.empty(0, dtype=np.int64)
        out = []
        for k in keys.tolist():
            sl = self._slices.get(k)
            out.append(self._tails_s[sl[0] : sl[1]] if sl else empty)
        return out


def build_filters(dataset: TKGDataset) -> dict[str, FilterIndex]:
    """Time-aware and time-agnostic filters over train + valid + test (with reciprocals)."""
    allq = add_reciprocals(dataset.all_quads(), dataset.n_relations)
    lo, hi = dataset.day_range
    n_rel2 = 2 * dataset.n_relations
    return {
        "time_aware": FilterIndex(allq, n_rel2, lo, hi - lo + 1, True),
        "time_agnostic": FilterIndex(allq, n_rel2, lo, hi - lo + 1, False),
    }
