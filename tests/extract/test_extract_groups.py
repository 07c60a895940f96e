"""A subject "they" for the people who just did something together (issue 14: couples
and families in natural chat), and "X proposed" when the message says who is engaged.

"Ruth and Gareth sold the farm. They've moved to Durham." is how people tell a couple's
news; before, "they" was never resolved, so the move was lost. Sentences are written for
these tests; names and places are made up.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem.extract import ExtractionInput, RuleExtractor
from phasemem.extract.discourse import Discourse, Session

WHEN = datetime(2023, 5, 10, 12, 0, tzinfo=UTC)
USER, BOT = "Ines", "Assistant"


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def facts(rules: RuleExtractor, text: str) -> set[tuple[str, str, str]]:
    ex = rules.extract(ExtractionInput(text, USER, WHEN, BOT))
    return {(f.subject, f.relation, f.object) for f in ex.facts}


def chat(rules: RuleExtractor, turns: list[str]) -> list[set[tuple[str, str, str]]]:
    items = []
    for i, text in enumerate(turns):
        speaker, listener = (USER, BOT) if i % 2 == 0 else (BOT, USER)
        items.append(ExtractionInput(text, speaker, WHEN, listener, turns[i - 1] if i else None,
                                     thread="s1"))  # fmt: skip
    return [{(f.subject, f.relation, f.object) for f in ex.facts}
            for ex in rules.extract_batch(items)]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anna and David sold their flat. They've moved to Tromsø.",
         {("Anna", "live in", "Tromsø"), ("David", "live in", "Tromsø")}),
        ("Kemal got a new job. He and his girlfriend got a place in Izmir. They love it.",
         {("Kemal", "live in", "Izmir")}),
        ("My parents sold the house last spring. They live in Bath now.",
         {("Ines's parents", "live in", "Bath")}),
        ("Anna and David got married. They live in Bergen now.",
         {("Anna", "live in", "Bergen"), ("David", "live in", "Bergen")}),
    ],
)  # fmt: skip
def test_they_after_a_group_of_people(rules: RuleExtractor, text: str, expected: set) -> None:
    got = facts(rules, text)
    assert expected <= got, got


@pytest.mark.parametrize(
    "text",
    [
        "Anna and David love Lisbon. The hotels are cheap and they live in the old town.",
        "Anna and I moved to Bergen. They live in Oslo.",
        "They live in Bergen now.",
        "I called Anna and David yesterday. They live in Bergen now.",
    ],
)
def test_they_without_a_group_of_people_is_nobody(rules: RuleExtractor, text: str) -> None:
    got = facts(rules, text)
    assert not any(rel == "live in" and obj in ("Oslo",) for _, rel, obj in got), got
    assert not any(s in ("Anna", "David") and o in ("the old town", "Bergen")
                   and "I" not in text.split() for s, _, o in got if "called" in text
                   or "hotels" in text)  # fmt: skip


def test_they_of_the_next_turn(rules: RuleExtractor) -> None:
    got = chat(rules, [
        "Big news from my cousins: Anna and David bought a boat.",
        "Fun! Are they still in Bergen?",
        "No, they moved to Ålesund in March.",
    ])  # fmt: skip
    assert {("Anna", "live in", "Ålesund"), ("David", "live in", "Ålesund")} <= got[2]


def test_a_group_is_forgotten_after_the_window() -> None:
    s = Session(window=2)
    d = s.discourse("Ines", "Assistant")
    d.add_group(3, ("Anna", "David"))
    s.close(d)
    assert s.discourse("Assistant", "Ines").carried_group == ("Anna", "David")
    for _ in range(2):
        s.close(s.discourse("Ines", "Assistant"))
    assert s.discourse("Ines", "Assistant").carried_group == ()


def test_a_plural_thing_blocks_the_group() -> None:
    d = Discourse()
    d.add_group(0, ("Anna", "David"))
    d.add_group(40, ())
    assert d.group_before(60) == ()
    assert d.group_before(20) == ("Anna", "David")


def test_proposal_goes_to_the_person_the_message_names(rules: RuleExtractor) -> None:
    got = chat(rules, ["Guess who's engaged? Dagny! David proposed on a ferry."])[0]
    assert ("Dagny", "be engaged to", "David") in got
    assert not any(s == USER for s, _, _ in got), got


def test_proposal_with_no_one_else_named_is_the_speaker(rules: RuleExtractor) -> None:
    got = chat(rules, ["David proposed! On a ferry, of all places."])[0]
    assert (USER, "be engaged to", "David") in got


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Marisol got a job as a sound engineer at Abbey Road.", ("Marisol", "work at", "Abbey Road")),
        ("I got a job as a barista at Blue Tokai.", (USER, "work at", "Blue Tokai")),
        ("My friend Marisol hates her job at the bank.", ("Marisol", "work at", "bank")),
    ],
)  # fmt: skip
def test_an_employer_on_the_role_or_the_verb(rules: RuleExtractor, text: str, fact) -> None:
    assert fact in facts(rules, text)


@pytest.mark.parametrize(
    "text", ["I started my job at 9am.", "I started my new job at 9am today.",
             "I quit my job at Walmart."],
)  # fmt: skip
def test_a_clock_time_or_an_ending_is_no_workplace_state(rules: RuleExtractor, text: str) -> None:
    ex = rules.extract(ExtractionInput(text, USER, WHEN, BOT))
    assert not [f for f in ex.facts if f.relation == "work at" and not f.negated], ex.facts


@pytest.mark.parametrize("text", ["Jake proposed a toast at dinner.",
                                  "My boss proposed a new rota."])  # fmt: skip
def test_proposing_something_is_no_engagement(rules: RuleExtractor, text: str) -> None:
    assert not any("engaged" in r or o == "engaged" for _, r, o in facts(rules, text))
