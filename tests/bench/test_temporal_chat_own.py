"""Our own temporal chats (benchmarks/data/temporal_chat_own): they load in the dev30
format, and every answer is said in its evidence session (a mistyped answer or session
would score a question nobody can get right)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasemem.research.bench.temporal_chat import load

OWN = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "temporal_chat_own"
SETS = {"tune.json": 28, "check_a.json": 32, "check_b.json": 17}


@pytest.mark.parametrize(("name", "questions"), sorted(SETS.items()))
def test_own_sets_load_and_answers_are_in_their_evidence_session(name: str, questions: int) -> None:
    cases = load(OWN / name)
    assert sum(len(c.questions) for c in cases) == questions
    for case in cases:
        for q in case.questions:
            assert q.as_of is None or q.kind == "as_of"
            n = q.evidence_session
            assert n is not None and 1 <= n <= len(case.sessions), (case.id, q.q)
            said = " ".join(t.text for t in case.sessions[n - 1][1])
            assert q.found_in(said), (case.id, q.q, q.answers)
            if q.as_of is not None:  # the protocol hides later sessions: the evidence is before
                assert case.sessions[n - 1][0] <= q.as_of + "T23:59:59Z", (case.id, q.q)


def test_the_sets_are_apart_from_dev30() -> None:
    ids = {c.id for name in SETS for c in load(OWN / name)}
    assert not any(i.startswith("c") for i in ids)
    assert len(ids) == 20
