"""The temporal_chat benchmark: protocol, splits, JSON shape, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from phasemem.research.bench import temporal_chat as tc
from tests.conftest import SHARED_DATA

CASES = {
    "about": "tiny synthetic cases for tests",
    "cases": [
        {
            "id": f"t{i:02d}",
            "user": "Ana",
            "sessions": [
                {
                    "date": "2020-03-01T10:00:00Z",
                    "turns": [
                        {"speaker": "Ana", "text": "I live in Lisbon and I was born in Porto."},
                        {"speaker": "Assistant", "text": "Lovely city. Which phone do you have?"},
                        {"speaker": "Ana", "text": "An old Nokia."},
                    ],
                },
                {
                    "date": "2023-05-01T10:00:00Z",
                    "turns": [
                        {
                            "speaker": "Ana",
                            "text": "Big news: we moved to Berlin, I live in Berlin now.",
                        },
                        {"speaker": "Assistant", "text": "Congratulations, Ana!"},
                    ],
                },
            ],  # fmt: skip
            "questions": [
                {
                    "q": "Where does Ana live now?",
                    "as_of": None,
                    "answer": "Berlin",
                    "answer_aliases": [],
                    "evidence_session": 2,
                    "kind": "current",
                },
                {
                    "q": "Where did Ana live in 2021?",
                    "as_of": "2021-06-01",
                    "answer": "Lisbon",
                    "answer_aliases": ["Lisboa"],
                    "evidence_session": 1,
                    "kind": "as_of",
                },
                {
                    "q": "Where was Ana born?",
                    "as_of": None,
                    "answer": "Porto",
                    "answer_aliases": [],
                    "evidence_session": 1,
                    "kind": "static",
                },
            ],  # fmt: skip
        }
        for i in range(4)
    ],
}


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.json"
    p.write_text(json.dumps(CASES))
    return p


def test_load_split_and_scoring(data_file: Path) -> None:
    cases = tc.load(data_file)
    assert [c.id for c in cases] == ["t00", "t01", "t02", "t03"]
    # val: every third case by id order (positions 2, 5, ...); dev: the rest
    assert [c.id for c in tc.split(cases, "val")] == ["t02"]
    assert [c.id for c in tc.split(cases, "dev")] == ["t00", "t01", "t03"]
    q = cases[0].questions[1]
    assert q.found_in("we lived in LISBOA then") and not q.found_in("Berlin")
    assert q.as_of_ts == tc.to_ts("2021-06-01T12:00:00Z")  # the date at noon UTC
    assert tc.first_rank(["x", "in Lisbon", "Lisbon"], q) == 2
    assert cases[0].turns[1].role == "assistant" and cases[0].turns[0].role == "user"
    assert (
        cases[0].turns[0].document == "[2020-03-01] Ana: I live in Lisbon and I was born in Porto."
    )


def test_plain_rrf_baseline_filters_as_of_and_recency_resorts(data_file: Path) -> None:
    from phasemem.embed import get_embedder

    case = tc.load(data_file)[0]
    base = tc.PlainRRF(case.turns, get_embedder("hash-test-64"))
    try:
        ranked = base.rank("Where does Ana live?", as_of=tc.to_ts("2021-06-01T12:00:00Z"))
        assert {case.turns[i].session for i in ranked} == {1}  # nothing after as_of
        everything = base.rank("Where does Ana live?")
        assert len(everything) == len(case.turns)
        newest_first = base.recency(everything)
        assert case.turns[newest_first[0]].session == 2
    finally:
        base.close()


def test_run_json_shape(data_file: Path) -> None:
    res = tc.run(
        data_file,
        (1, 5),
        embedder="hash-test",
        extractor=None,
        configs={"phasemem": None, "legacy": "legacy"},
    )  # type: ignore[dict-item]
    assert res["questions"] == 12 and res["questions_by_kind"] == {
        "current": 4, "as_of": 4, "static": 4}  # fmt: skip
    for block in (res["episodes"], res["facts"], res["baselines"]["rrf"],
                  res["baselines"]["recency"], res["variants"]["legacy"]["episodes"]):  # fmt: skip
        assert set(block) == {"current", "as_of", "static"}
        for kind in block.values():
            assert set(kind) == {"1", "5"} and all(0.0 <= v <= 1.0 for v in kind.values())
    assert res["facts"]["current"]["1"] == 0.0  # no extractor, no facts
    row = res["per_question"][0]
    assert {"case", "q", "kind", "episode_rank", "fact_rank", "top1", "rrf_rank",
            "recency_rank", "legacy_episode_rank"} <= set(row)  # fmt: skip
    # the time-aware engine answers the current question with the new city
    now_rows = [r for r in res["per_question"] if r["kind"] == "current"]
    assert all(r["episode_rank"] == 1 and "Berlin" in r["top1"] for r in now_rows)


def test_cli(data_file: Path, tmp_path: Path) -> None:
    from phasemem.cli.main import cli

    out = tmp_path / "out.json"
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "bench", "temporal-chat", "--data",
                                 str(data_file), "--k", "1,5", "--split", "dev", "--compare",
                                 "no_time:episode_time=false", "--no-facts", "--json", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "temporal_chat, split dev: 9 questions" in r.output and "search p50" in r.output
    res = json.loads(out.read_text())
    assert res["split"] == "dev" and res["cases"] == ["t00", "t01", "t03"]
    assert set(res) >= {"episodes", "facts", "baselines", "questions", "per_question"}
    bad = CliRunner().invoke(cli, ["bench", "temporal-chat", "--data", str(data_file),
                                   "--compare", "x:nokey"])  # fmt: skip
    assert bad.exit_code != 0


@pytest.mark.skipif(not (SHARED_DATA / "temporal_chat" / "dev30.json").is_file(),
                    reason="shared data not present")  # fmt: skip
def test_dev_file_splits() -> None:
    cases = tc.load(SHARED_DATA / "temporal_chat" / "dev30.json")
    assert sum(len(c.questions) for c in cases) == 155
    val = tc.split(cases, "val")
    assert [c.id for c in val] == ["c006", "c012", "c018", "c024", "c030", "c036", "c042",
                                   "c048", "c054", "c060"]  # fmt: skip
    assert len(tc.split(cases, "dev")) == 20
