"""Which chat turn is the evidence: the pure corrections to relevance."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem.retrieval.evidence import (
    BM25_NO_MATCH,
    announces_change,
    answer_kind,
    answer_turns,
    debiased_cosine,
    fits,
    is_question,
    lexical_norm,
    names_something,
    specifics,
    without_direction,
)


def test_lexical_norm_keeps_no_match_at_zero() -> None:
    # floored IDF (a word in most rows): ~1e-6 per row is no match, not a 0..1 spread
    assert list(lexical_norm(np.array([1e-6, 2e-6, 3e-6]))) == [0.0, 0.0, 0.0]
    out = lexical_norm(np.array([2.0, 1.0, 1e-6, 0.0]))
    assert list(out) == [1.0, 0.5, 0.0, 0.0]
    assert lexical_norm(np.array([])).size == 0
    assert BM25_NO_MATCH > 1e-6


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 50), min_size=1, max_size=30))
def test_lexical_norm_is_a_share_of_the_best(xs: list[float]) -> None:
    out = lexical_norm(np.array(xs))
    assert np.all((out >= 0) & (out <= 1))
    assert out.max() in (0.0, 1.0)
    order = np.argsort(-np.array(xs), kind="stable")
    assert np.all(np.diff(out[order]) <= 1e-12)  # the order of real matches is kept


def test_debias_removes_the_speaker_direction() -> None:
    rng = np.random.default_rng(0)
    name = rng.normal(size=16).astype(np.float32)
    name /= np.linalg.norm(name)
    content = rng.normal(size=(3, 16)).astype(np.float32)
    content /= np.linalg.norm(content, axis=1, keepdims=True)
    v = without_direction(content + 3 * name, np.tile(name, (3, 1)))
    assert np.allclose(v @ name, 0, atol=1e-5) and np.allclose(np.linalg.norm(v, axis=1), 1)
    # a turn that is mostly "Name:" is close to a question naming them; debiased, it is not
    turn = (name + 0.1 * content[0])[None, :]
    turn /= np.linalg.norm(turn)
    query = name + 0.5 * content[1]
    query /= np.linalg.norm(query)
    raw = float(turn[0] @ query)
    deb = float(debiased_cosine(query, name[None, :], turn, name[None, :])[0])
    assert raw > 0.5 and abs(deb) < raw
    # no names: a plain cosine
    assert np.isclose(debiased_cosine(query, np.zeros((0, 16)), turn, np.zeros((1, 16)))[0], raw)


def test_questions_and_replies() -> None:
    assert is_question("What phone is it?") and is_question('He asked "why?"')
    assert not is_question("A Pixel 7.")
    flags = answer_turns(["What phone is it?", "A Pixel 7.", "Nice!", "Really?", "Yes."],
                         ["Assistant", "Kenji", "Assistant", "Assistant", "Kenji"])  # fmt: skip
    assert flags == [False, True, False, False, True]


def test_specifics_and_answer_kinds() -> None:
    assert specifics("Thanks, Tomasz! That's well deserved.", ["Tomasz"]) == []
    assert specifics("We bought a Polestar 2 instead.", []) == ["Polestar", "2"]
    assert specifics("I moved. Berlin is great, I love it.", []) == []  # sentence starts
    assert answer_kind("How much does Elena earn now?") == "number"
    assert answer_kind("When is Rosa's birthday?") == "date"
    assert answer_kind("Which city does Freya live in?") == "name"
    assert answer_kind("What's Jonas's diet like?") == "any"
    assert fits("2", "number") and not fits("Polestar", "number")
    assert fits("September", "date") and not fits("September", "name") and fits("Ana", "name")
    assert fits("Halloween", "date")  # "when" takes any specific (module docs)
    assert names_something("It starts in September.", frozenset(), "date")
    assert not names_something("It starts in September.", frozenset(), "name")
    assert not names_something("It starts in September.", frozenset(), "number")


def test_change_cues() -> None:
    assert announces_change("Long story. We cancelled and bought a Polestar 2 instead.")
    assert announces_change("Since April I'm the education officer.")
    assert not announces_change("The range drops maybe 25 percent in the cold.")
