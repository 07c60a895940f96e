"""Quality floors on the hand-labelled fixture (dev and held-out test split).

The floors sit a little under the measured numbers (docs/benchmarks.md,
"Fact extraction") so a regression fails the test. The scorer itself is
tested too, so a broken scorer cannot make the floors pass.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from phasemem.extract import ExtractedFact, Extraction, RuleExtractor
from phasemem.extract.rules import needs_parse
from phasemem.extract.scoring import Report, load_fixture, norm_name, score, to_input

FIXTURE = Path(__file__).parent / "fixtures" / "labelled.jsonl"
ROWS = load_fixture(FIXTURE)
FLOORS = {  # split: (precision, recall, f1, temporal accuracy)
    "dev": (0.96, 0.96, 0.96, 0.97),  # measured 1.000 / 1.000 / 1.000 / 1.000 (rules tuned here)
    "test": (0.89, 0.78, 0.83, 0.95),  # measured 0.918 / 0.812 / 0.862 / 1.000 (held out)
}  # 2026-11-26, after the chat-pattern rules (added after that measurement): dev 1.000 on 140
# rows; test 0.951 / 0.841 / 0.892 / 1.000 (floors unchanged; see docs/benchmarks.md)


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    extractor = RuleExtractor()
    out = {}
    for split in FLOORS:
        rows = [r for r in ROWS if r["split"] == split]
        out[split] = score(rows, extractor.extract_batch([to_input(r) for r in rows]))
    return out


def test_fixture_shape() -> None:
    assert len(ROWS) >= 150
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    assert {r["split"] for r in ROWS} == {"dev", "test"}
    assert sum("smalltalk" in r["tags"] for r in ROWS) >= 30
    for split in FLOORS:
        part = [r for r in ROWS if r["split"] == split]
        assert len(part) >= 60
        assert sum(len(r["facts"]) for r in part) >= 50
        assert sum(len(r["temporals"]) for r in part) >= 25
    for r in ROWS:
        assert datetime.fromisoformat(r["occurred_at"].replace("Z", "+00:00")).tzinfo is not None
        for f in r["facts"]:
            assert {"subject", "relation", "object", "valid_at", "invalid_at", "negated"} <= set(f)
            assert f["object"] != "*" or f["negated"]


@pytest.mark.parametrize("split", list(FLOORS))
def test_quality_floor(reports: dict[str, Report], split: str) -> None:
    rep = reports[split]
    p, r, f1, t = FLOORS[split]
    msg = f"{split}: {rep.summary()}\nerrors: {rep.errors}"
    assert rep.facts.precision >= p, msg
    assert rep.facts.recall >= r, msg
    assert rep.facts.f1 >= f1, msg
    assert rep.temporal_accuracy >= t, msg
    assert rep.temporal_spurious <= 2, msg


@pytest.mark.parametrize("split", list(FLOORS))
def test_fact_free_rows_yield_nothing(reports: dict[str, Report], split: str) -> None:
    rep = reports[split]
    assert rep.no_fact_rows >= 25
    assert rep.no_fact_rows_clean == rep.no_fact_rows, rep.errors


def test_small_talk_is_mostly_not_even_parsed() -> None:
    talk = [r["text"] for r in ROWS if "smalltalk" in r["tags"]]
    skipped = sum(not needs_parse(t) for t in talk)
    assert skipped / len(talk) >= 0.7


# ---------------------------------------------------------------------- the scorer


def _fact(
    s: str, r: str, o: str, neg: bool = False, valid: datetime | None = None
) -> ExtractedFact:
    return ExtractedFact(s, r, o, valid, None, neg)


def test_scorer_counts_and_normalizes() -> None:
    row = {"id": "x", "text": "", "temporals": [], "facts": [
        {"subject": "Maya", "relation": "live in", "object": "Boston", "valid_at": "2023-04-01",
         "invalid_at": None, "negated": False},
        {"subject": "Maya", "relation": "have", "object": "car", "valid_at": None,
         "invalid_at": None, "negated": True},
    ]}  # fmt: skip
    perfect = Extraction(facts=(
        _fact("maya", "Live  In", "the Boston", valid=datetime(2023, 4, 1, 9, tzinfo=UTC)),
        _fact("Maya", "have", "a car", neg=True),
    ))  # fmt: skip
    rep = score([row], [perfect])
    assert (rep.facts.tp, rep.facts.fp, rep.facts.fn, rep.strict.tp) == (2, 0, 0, 2)
    wrong = Extraction(facts=(_fact("Maya", "live in", "Boston"), _fact("Maya", "have", "car"),
                              _fact("Maya", "like", "tea")))  # fmt: skip
    rep = score([row], [wrong])
    assert (rep.facts.tp, rep.facts.fp, rep.facts.fn) == (1, 2, 1)
    assert rep.strict.tp == 0  # the time is missing
    assert rep.facts.precision == pytest.approx(1 / 3)
    assert norm_name("  'My  Sister' ") == "sister"
