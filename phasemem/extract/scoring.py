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

    def summary(self) -> dict[str, float | int | str]:
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
                 _day(f.valid_at), _day(f.invalid_at)) for f in ex.facts
                if not _derived_status(f, row["facts"])]  # fmt: skip
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


# ---------------------------------------------------------------------- natural chat set
#
# ``benchmarks/data/natural_facts.jsonl``: chat turns written in the style of real
# conversations (implicit statements, answers to the previous turn, changes said in
# passing), each with the previous turn when it matters and the gold facts. Scored per
# relation family, matching after the store's own normalisation: the relation's
# canonical form (``facts.resolve.norm_relation``, so "work as" meets "have job title"),
# names case-, accent- and article-insensitive, a plural object meeting its singular.
# Gold facts may list alternative relations/objects ("physio" or "physiotherapist").

NATURAL_FAMILIES = (
    "live in", "work at", "work as", "partner", "family", "pet", "hobby", "diet",
    "possession", "car", "phone", "study", "origin", "other",
)  # fmt: skip


def fold(text: str) -> str:
    """Case-, accent- and article-insensitive form of a name ("the Café" -> "cafe")."""
    import unicodedata

    text = unicodedata.normalize("NFKD", norm_name(text).replace("’", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def fold_object(text: str) -> str:
    """:func:`fold` (the plural of the last word is matched by :func:`object_forms`)."""
    return fold(text)


def object_forms(text: str) -> set[str]:
    """The folded object and its possible singulars ("budgies" -> budgie, "puppies" ->
    puppy): an object matches another when their forms overlap."""
    text = fold(text)
    head, _, last = text.rpartition(" ")
    forms = {text}
    if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        forms.add(f"{head} {last[:-1]}".strip())
        if last.endswith("ies"):
            forms.add(f"{head} {last[:-3]}y".strip())
        if last.endswith("es"):
            forms.add(f"{head} {last[:-2]}".strip())
    return forms


def canonical_relation(relation: str) -> str:
    from phasemem.facts.resolve import norm_relation as store_norm

    rel = " ".join(relation.lower().split())
    if rel.startswith("plan to "):
        return "plan to " + store_norm(rel[8:])
    return store_norm(rel)


def family(relation: str, obj: str) -> str:
    """Which relation family a (canonical relation, object) pair belongs to."""
    from phasemem.extract import lexicon as lx

    rel = canonical_relation(relation).removeprefix("plan to ")
    heads = {form.rpartition(" ")[2] for form in object_forms(obj)}
    head = fold_object(obj).rpartition(" ")[2]
    if rel in ("live in", "work at", "have hobby", "follow diet", "drive", "use phone"):
        return {"have hobby": "hobby", "follow diet": "diet", "drive": "car",
                "use phone": "phone"}.get(rel, rel)  # fmt: skip
    if rel == "have job title":
        return "work as"
    if rel in ("be married to", "be engaged to", "date", "have relationship status") or (
        rel == "be" and head == "single"
    ):
        return "partner"
    if rel in ("study at", "study", "graduate from"):
        return "study"
    if rel in ("eat", "drink"):
        return "diet"
    if rel in ("be born in", "be from", "grow up in"):
        return "origin"
    if rel.startswith("have "):
        kin = rel[5:]
        if kin in lx.PETS or kin.rstrip("s") in lx.PETS or kin in lx.PET_BREEDS:
            return "pet"
        return "family"
    if rel == "have":
        if heads & (lx.PETS | lx.PET_BREEDS):
            return "pet"
        if heads & set(lx.KIN):
            return "family"
        return "possession"
    return "other"


@dataclass(slots=True)
class NaturalReport:
    by_family: dict[str, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)
    fact_free_rows: int = 0
    fact_free_clean: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def counts(self, fam: str) -> Counts:
        return self.by_family.setdefault(fam, Counts())

    def summary(self) -> dict[str, Any]:
        def row(c: Counts) -> dict[str, Any]:
            return {"gold": c.tp + c.fn, "predicted": c.tp + c.fp, "precision": round(c.precision, 3),
                    "recall": round(c.recall, 3), "f1": round(c.f1, 3)}  # fmt: skip

        fams = {f: row(self.by_family[f]) for f in NATURAL_FAMILIES if f in self.by_family}
        return {"all": row(self.total), "families": fams,
                "fact_free_rows_clean": f"{self.fact_free_clean}/{self.fact_free_rows}"}  # fmt: skip


def _gold_options(g: dict[str, Any]) -> tuple[str, set[str], set[str], bool]:
    rels = {canonical_relation(r) for r in [g["relation"], *g.get("relation_alts", [])]}
    objs = {form for o in [g["object"], *g.get("object_alts", [])] for form in object_forms(o)}
    return fold(g["subject"]), rels, objs, bool(g.get("negated"))


def score_natural(
    rows: Sequence[dict[str, Any]], extractions: Iterable[Extraction]
) -> NaturalReport:
    """Per relation family precision/recall on the natural chat set (see module notes).

    Each gold fact matches at most one prediction; a gold fact's family comes from its
    first relation/object, a spurious prediction's from its own relation and object.
    """
    rep = NaturalReport()
    for row, ex in zip(rows, extractions, strict=True):
        preds = [(fold(f.subject), canonical_relation(f.relation), object_forms(f.object), f.negated, f)
                 for f in ex.facts]  # fmt: skip
        left = list(range(len(preds)))
        missed = []
        for g in row["facts"]:
            subj, rels, objs, neg = _gold_options(g)
            fam = family(g["relation"], g["object"])
            hit = next((k for k in left if preds[k][0] == subj and preds[k][1] in rels
                        and preds[k][2] & objs and preds[k][3] == neg), None)  # fmt: skip
            for c in (rep.counts(fam), rep.total):
                if hit is None:
                    c.fn += 1
                else:
                    c.tp += 1
            if hit is None:
                missed.append((g["subject"], g["relation"], g["object"], neg))
            else:
                left.remove(hit)
        spurious = []
        for k in left:
            f = preds[k][4]
            if _derived_status(f, row["facts"]):
                continue  # the status a labelled partner fact implies: neither hit nor error
            for c in (rep.counts(family(f.relation, f.object)), rep.total):
                c.fp += 1
            spurious.append((f.subject, f.relation, f.object, f.negated))
        if not row["facts"]:
            rep.fact_free_rows += 1
            rep.fact_free_clean += not ex.facts
        if missed or spurious:
            rep.errors.append({"id": row["id"], "previous": (row.get("previous") or {}).get("text"),
                               "text": row["text"], "missed": missed, "spurious": spurious})  # fmt: skip
    return rep


#: The status each partner relation implies (the extractor states both; labels give one).
_STATUS_OF = {"be married to": "married", "be engaged to": "engaged", "be": "single"}


def _derived_status(f: Any, gold: Sequence[dict[str, Any]]) -> bool:
    """Whether a predicted relationship status restates a labelled partner fact."""
    if canonical_relation(f.relation) != "have relationship status" or f.negated:
        return False
    status = fold_object(f.object)
    for g in gold:
        if fold(g["subject"]) != fold(f.subject):
            continue
        rel, neg = canonical_relation(g["relation"]), bool(g.get("negated"))
        if (not neg and _STATUS_OF.get(rel) == status) or (
            neg and rel == "be married to" and status == "divorced"
        ):
            return True
    return False


def natural_input(row: dict[str, Any]) -> ExtractionInput:
    """The extractor's input for a natural-set row, with the previous turn when it has one."""
    when = datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00"))
    prev = row.get("previous") or {}
    return ExtractionInput(row["text"], row.get("speaker"), when, row.get("listener"),
                           previous=prev.get("text"))  # fmt: skip
