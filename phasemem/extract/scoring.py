"""Score extractions against the hand-labelled fixture (shared by tests and the benchmark).

Matching rules, documented in ``docs/extraction.md``:

- facts: subject and object match case-insensitively after removing a leading
  article/possessive determiner ("a", "an", "the", "my", "our", "your", "his",
  "her", "their", "some"), surrounding quotes/punctuation and extra spaces;
  the relation matches exactly after lower-casing and collapsing spaces;
  ``negated`` must be equal. Each gold fact matches at most one prediction.
- strict facts: as above and ``valid_at``/``invalid_at`` equal at day precision.
- temporals: a gold phrase is resolved correctly when a predicted phrase
  overlaps its text (one contains the other, case-insensitive) and has the same
  start date, end date (or both None) and role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from phasemem.extract.types import Extraction, ExtractionInput

_DET_RE = re.compile(r"^(?:a|an|the|my|our|your|his|her|their|some)\s+", re.IGNORECASE)


def norm_name(text: str) -> str:
    """Normal form of a subject/object for matching."""
    text = " ".join(text.strip().strip("'\"“”‘’.,!?;:").split()).lower()
    return _DET_RE.sub("", text)


def norm_relation(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class Report:
    facts: Counts = field(default_factory=Counts)
    strict: Counts = field(default_factory=Counts)
    temporal_gold: int = 0
    temporal_correct: int = 0
    temporal_predicted: int = 0
    temporal_spurious: int = 0
    no_fact_rows: int = 0
    no_fact_rows_clean: int = 0  # rows labelled fact-free where nothing was extracted
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def temporal_accuracy(self) -> float:
        return self.temporal_correct / self.temporal_gold if self.temporal_gold else 1.0

    def summary(self) -> dict[str, float | int]:
        return {
            "fact_precision": round(self.facts.precision, 3),
            "fact_recall": round(self.facts.recall, 3),
            "fact_f1": round(self.facts.f1, 3),
            "strict_f1": round(self.strict.f1, 3),
            "facts_gold": self.facts.tp + self.facts.fn,
            "facts_predicted": self.facts.tp + self.facts.fp,
            "temporal_accuracy": round(self.temporal_accuracy, 3),
            "temporals_gold": self.temporal_gold,
            "temporals_spurious": self.temporal_spurious,
            "fact_free_rows_clean": f"{self.no_fact_rows_clean}/{self.no_fact_rows}",
        }


def load_fixture(path: str | Path, split: str | None = None) -> list[dict[str, Any]]:
    rows = [
        json.loads(line)
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [r for r in rows if split is None or r["split"] == split]


def to_input(row: dict[str, Any]) -> ExtractionInput:
    when = datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00"))
    return ExtractionInput(row["text"], row.get("speaker"), when, row.get("listener"))


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, datetime) else str(value)[:10]


def score(rows: Sequence[dict[str, Any]], extractions: Iterable[Extraction]) -> Report:
    rep = Report()
    for row, ex in zip(rows, extractions, strict=True):
        gold = [(norm_name(g["subject"]), norm_relation(g["relation"]), norm_name(g["object"]),
                 bool(g.get("negated")), g.get("valid_at"), g.get("invalid_at")) for g in row["facts"]]  # fmt: skip
        pred = [(norm_name(f.subject), norm_relation(f.relation), norm_name(f.object), f.negated,
                 _day(f.valid_at), _day(f.invalid_at)) for f in ex.facts]  # fmt: skip
        for counts, width in ((rep.facts, 4), (rep.strict, 6)):
            left = [p[:width] for p in pred]
            missed = []
            for g in gold:
                if g[:width] in left:
                    left.remove(g[:width])
                    counts.tp += 1
                else:
                    counts.fn += 1
                    missed.append(g[:width])
            counts.fp += len(left)
            if width == 4 and (left or missed):
                rep.errors.append(
                    {"id": row["id"], "text": row["text"], "missed": missed, "spurious": left}
                )
        if not row["facts"]:
            rep.no_fact_rows += 1
            rep.no_fact_rows_clean += not ex.facts
        used: set[int] = set()
        for g in row["temporals"]:
            rep.temporal_gold += 1
            for k, t in enumerate(ex.temporals):
                a, b = g["text"].lower(), t.text.lower()
                if k not in used and (a in b or b in a) and _day(t.start) == g["start"] \
                        and _day(t.end) == g.get("end") and t.role == g["role"]:  # fmt: skip
                    rep.temporal_correct += 1
                    used.add(k)
                    break
        rep.temporal_predicted += len(ex.temporals)
        rep.temporal_spurious += sum(
            1 for t in ex.temporals
            if not any(g["text"].lower() in t.text.lower() or t.text.lower() in g["text"].lower()
                       for g in row["temporals"])
        )  # fmt: skip
    return rep
