"""The natural chat set (``benchmarks/data/natural_facts.jsonl``): its shape, the scorer,
and quality floors per split (numbers in ``docs/extraction.md``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasemem.extract import ExtractedFact, Extraction, RuleExtractor
from phasemem.extract.scoring import (
    NATURAL_FAMILIES,
    family,
    fold_object,
    load_fixture,
    natural_input,
    score_natural,
)

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "natural_facts.jsonl"
ROWS = load_fixture(DATA)
FLOORS = {  # split: (precision, recall); measured numbers in docs/extraction.md
    "dev": (0.95, 0.85),  # tuned on: measured 1.00 / 0.90
    "test": (0.80, 0.60),  # held out: measured 0.84 / 0.64 (2026-12-03)
}


def test_shape() -> None:
    assert len(ROWS) >= 300
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    test = [r for r in ROWS if r["split"] == "test"]
    assert len(test) >= 100
    assert sum(not r["facts"] for r in ROWS) >= 60  # fact-free rows measure precision
    assert sum(bool(r["previous"]) for r in ROWS) >= 30  # answers to the previous turn
    fams = {family(f["relation"], f["object"]) for r in ROWS for f in r["facts"]}
    assert set(NATURAL_FAMILIES) - {"other"} <= fams
    for r in ROWS:
        for f in r["facts"]:
            assert {"subject", "relation", "object", "negated"} <= set(f)
            assert f["object"] != "*" or f["negated"]


def test_scorer_matches_after_normalisation() -> None:
    row = {"id": "x", "text": "", "previous": None, "facts": [
        {"subject": "Ana", "relation": "work as", "object": "physio",
         "object_alts": ["physiotherapist"], "negated": False},
        {"subject": "Ana", "relation": "have", "object": "two budgies", "negated": False},
    ]}  # fmt: skip
    pred = Extraction(facts=(
        ExtractedFact("ana", "have job title", "Physiotherapist", None, None),
        ExtractedFact("Ana", "have", "two Budgie", None, None),
        ExtractedFact("Ana", "like", "tea", None, None),
    ))  # fmt: skip
    rep = score_natural([row], [pred])
    assert (rep.total.tp, rep.total.fp, rep.total.fn) == (2, 1, 0)
    assert rep.by_family["work as"].tp == 1 and rep.by_family["other"].fp == 1
    assert fold_object("the Café") == "cafe"


@pytest.fixture(scope="module")
def reports() -> dict:
    rules = RuleExtractor()
    out = {}
    for split in FLOORS:
        rows = [r for r in ROWS if r["split"] == split]
        out[split] = score_natural(rows, rules.extract_batch([natural_input(r) for r in rows]))
    return out


@pytest.mark.parametrize("split", list(FLOORS))
def test_quality_floor(reports: dict, split: str) -> None:
    rep = reports[split]
    p, r = FLOORS[split]
    assert rep.total.precision >= p, rep.summary()
    assert rep.total.recall >= r, rep.summary()
