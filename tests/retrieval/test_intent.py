"""Temporal intent of a query: mode, moment, topic, the text to match."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem.retrieval.intent import ALPHA_STABLE, parse_intent, topic_phrase, with_alpha

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC).timestamp()
DAY = 86_400.0


def test_as_of_is_a_past_moment() -> None:
    at = datetime(2021, 12, 1, 12, tzinfo=UTC).timestamp()
    it = parse_intent("Who was Tomasz working for?", now=NOW, as_of=at)
    assert (it.mode, it.t_query, it.cue) == ("past", at, "as_of")
    # an as_of of (about) now asks about now
    assert parse_intent("Where does she live?", now=NOW, as_of=NOW).mode == "current"


def test_time_phrase_is_a_past_moment_and_leaves_the_text() -> None:
    it = parse_intent("Who was Tomasz working for in December 2021?", now=NOW)
    assert it.mode == "past"
    assert it.time_phrase == "December 2021"
    mid = datetime(2021, 12, 16, 12, tzinfo=UTC).timestamp()
    assert abs(it.t_query - mid) < DAY
    assert it.text == "Who was Tomasz working for?"  # "in" went with the phrase
    assert "2021" not in it.topic and "in" not in it.topic.split()


def test_open_periods_ask_about_now() -> None:
    it = parse_intent("Where has he lived since 2020?", now=NOW)
    assert it.mode == "current" and it.t_query == NOW


def test_cues_and_tense() -> None:
    assert parse_intent("What phone is Kenji using these days?", now=NOW).mode == "current"
    assert (
        parse_intent("What car did Sven drive back then?", now=NOW).text
        == "What car did Sven drive?"
    )
    assert parse_intent("Where does Ben live?", now=NOW).mode == "current"  # present tense
    # past without a moment: nothing for time to be near
    assert parse_intent("Where did Ben grow up?", now=NOW).mode == "timeless"
    assert parse_intent("What did she use to play?", now=NOW).mode == "timeless"


def test_topic_phrase_drops_names_wh_words_and_fillers() -> None:
    assert topic_phrase("What's Tomasz's job title?", ["Tomasz"]) == "job title"
    assert topic_phrase("Where was Kenji born?", []) == "born"
    assert topic_phrase("Which company does she work for?", []) == "company work for"


def test_with_alpha_marks_stable_topics_timeless() -> None:
    it = parse_intent("When is Freya's birthday?", now=NOW)
    slow = with_alpha(it, lambda rels: np.array([ALPHA_STABLE / 2]))
    assert slow.mode == "timeless" and slow.alpha == ALPHA_STABLE / 2
    fast = with_alpha(it, lambda rels: np.array([0.8]))
    assert fast.mode == "current" and fast.alpha == 0.8
    past = parse_intent("Where did she live in 2019?", now=NOW)
    assert with_alpha(past, lambda rels: np.array([0.0])).mode == "past"  # a moment stays
    assert with_alpha(it, None).alpha is None
    assert fast.to_dict()["t_query"] == "now"
    assert past.to_dict()["t_query"].startswith("2019")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.sampled_from([None, NOW - 400 * DAY, NOW]))
def test_never_raises_and_is_well_formed(query: str, as_of: float | None) -> None:
    it = parse_intent(query or "x", now=NOW, as_of=as_of)
    assert it.mode in ("current", "past", "timeless")
    assert math.isfinite(it.t_query)
    assert it.text  # always something to match
    if it.mode != "past":
        assert it.t_query == NOW or as_of is not None
