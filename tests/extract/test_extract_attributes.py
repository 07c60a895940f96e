"""Open attributes: pay, rent, street addresses, goals, projects, pay bands (issue 14).

Sentences are written for these tests in the style of everyday chat; names, places and
amounts are made up. Each relation is single-valued, so the last test checks that a
later value replaces the earlier one in the store.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem.extract import ExtractionInput, RuleExtractor
from phasemem.extract.discourse import slot_of
from phasemem.facts.focus import asked_kinds
from phasemem.facts.resolve import is_single_valued

WHEN = datetime(2023, 5, 10, 12, 0, tzinfo=UTC)
ATTRS = {"earn", "pay rent", "have office at", "live at", "have goal", "work on", "be on pay band"}


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def attrs(rules: RuleExtractor, text: str, previous: str | None = None) -> set[tuple]:
    ex = rules.extract(ExtractionInput(text, "Ines", WHEN, "Assistant", previous=previous))
    return {(f.subject, f.relation, f.object) for f in ex.facts if f.relation in ATTRS}


POSITIVE = [
    # pay: a verb of earning, "on" a figure, "pay me", a salary noun, a net figure alone
    ("I earn about £2,400 a month after tax.", {("Ines", "earn", "£2,400 a month after tax")}),
    ("Honestly I'm on 61k now and it's fine.", {("Ines", "earn", "61k")}),
    ("The agency pays me €18 an hour.", {("Ines", "earn", "€18 an hour")}),
    ("My salary is now 7,200 zł gross.", {("Ines", "earn", "7,200 zł gross")}),
    ("4,800 net from next month, finally.", {("Ines", "earn", "4,800 net")}),
    ("My brother earns around $95k a year at the port.", {("Ines's brother", "earn", "$95k a year")}),
    # rent: a rent noun the speaker owns, "paying X in rent", a dwelling's weekly cost
    ("The rent for our flat in Gràcia is €1,150 a month.", {("Ines", "pay rent", "€1,150 a month")}),
    ("We're paying £980 a month in rent.", {("Ines", "pay rent", "£980 a month")}),
    ("It's $610 a week for a two-bedroom, which we share.", {("Ines", "pay rent", "$610 a week")}),
    # street addresses: an office, a move of it, a home
    ("Our office is on Calle Alcalá 120 now.", {("Ines", "have office at", "Calle Alcalá 120")}),
    ("The firm is moving offices to 40 Harbour Street in the spring.",
     {("Ines", "have office at", "40 Harbour Street")}),
    ("I live at 7 Orchard Lane.", {("Ines", "live at", "7 Orchard Lane")}),
    # goals, a race entered, projects, pay bands
    ("My big goal this year is a sub-50 10k.", {("Ines", "have goal", "a sub-50 10k")}),
    ("Next target: the Lisbon Marathon in October.", {("Ines", "have goal", "the Lisbon Marathon")}),
    ("I'm training for the Dolomites Ultra, it's brutal.",
     {("Ines", "have goal", "the Dolomites Ultra")}),
    ("My current project is the warehouse scanner app.",
     {("Ines", "work on", "the warehouse scanner app")}),
    ("I've been working on the loyalty card migration since June.",
     {("Ines", "work on", "the loyalty card migration")}),
    ("I finally landed the Band 7 role in the neonatal unit.", {("Ines", "be on pay band", "Band 7")}),
    ("Got promoted to Grade 8 last week!", {("Ines", "be on pay band", "Grade 8")}),
    ("I pay $1,350 a month for my apartment.", {("Ines", "pay rent", "$1,350 a month")}),
    ("Rent's £640 a month, which is fine.", {("Ines", "pay rent", "£640 a month")}),
    ("Our new address is 9 Calle Prim.", {("Ines", "live at", "9 Calle Prim")}),
    # other people, named in the sentence or just before
    ("My flatmate Oskar pays £560 a month in rent.", {("Oskar", "pay rent", "£560 a month")}),
    ("My cousin Lale found a job. Her office is at 3 Dock Road.",
     {("Lale", "have office at", "3 Dock Road")}),
    ("My friend Ruben is over the moon, he got the Band 6 post.",
     {("Ruben", "be on pay band", "Band 6")}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_stated_attributes(rules: RuleExtractor, text: str, expected: set[tuple]) -> None:
    assert attrs(rules, text) == expected


NEGATIVE = [
    "The bike was €400 but it was worth it.",  # a price
    "A weekend there costs maybe €500 to 700.",  # a budget range
    "Most people in my team get 11 or 12.",  # someone else's pay
    "Rent in Dublin is insane, like €2,000 for a room.",  # nobody's rent in particular
    "I ran 21k on Sunday.",  # a distance
    "I've got an interview for a Band 6 post next week.",  # not yet
    "I'm working on my patience.",  # no project
    "My new project is driving me mad.",  # says nothing of what it is
    "My goal is to finish it.",  # "it" with nothing to stand for
    "If I got 70k I'd move.",  # hypothetical
    "Do you earn more than £40k?",  # a question
    "The rent in Lisbon is €1,300 a month now.",  # a city's rent, nobody's
    "He earned 30k at his old job.",  # a past figure in passing
    # found in review: counts, costs and comparisons are no pay, a goal said in the negative
    "I'm on 20k steps a day now.",
    "We're on €40 a night at the hostel.",
    "I'm on £30 a day for food while travelling.",
    "I earn 40k less than my wife.",
    "The rent for my parents' house is £900.",
    "My goal is not to win but to finish.",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_attribute(rules: RuleExtractor, text: str) -> None:
    assert attrs(rules, text) == set()


def test_a_project_stops_where_another_clause_starts(rules: RuleExtractor) -> None:
    got = attrs(rules, "I'm working on my thesis and my sister's working on a novel.")
    assert {o for _, r, o in got if r == "work on"} == {"my thesis"}, got


def test_answers_across_sentences(rules: RuleExtractor) -> None:
    # the figure may come after the job in the answer; others' pay after it is no answer
    got = attrs(
        rules,
        "Data analyst, two years now. 6,500 lei net a month. My mates get way more.",
        previous="What do you do, and how much do you make?",
    )
    assert got == {("Ines", "earn", "6,500 lei net a month")}
    got = attrs(rules, "A booking system for dentists, so patients can pick a slot.",
                previous="Nice. What's the project?")  # fmt: skip
    assert got == {("Ines", "work on", "a booking system for dentists")}
    got = attrs(rules, "Only to swim a mile in open water. Nothing fancy.",
                previous="Good luck! What's your goal?")  # fmt: skip
    assert got == {("Ines", "have goal", "swim a mile in open water")}
    # a goal that refers to the race named just before
    got = attrs(rules, "I signed up for the Porto Half in May. My goal is to finish it smiling.")
    assert ("Ines", "have goal", "finish the Porto Half smiling") in got


def test_slots_and_question_kinds() -> None:
    slot = slot_of("What are you earning at the moment?")
    assert slot is not None and slot.relation == "earn"
    slot = slot_of("What's the project?")
    assert slot is not None and slot.relation == "work on"
    slot = slot_of("What's your goal for the season?")
    assert slot is not None and slot.relation == "have goal"

    def kinds(q: str) -> set[str]:
        return {r.pattern for r in asked_kinds(q)}

    assert "^earn$" in kinds("How much does Ines earn now?")
    assert "^earn$" in kinds("What was Ines's salary in 2022?")
    assert kinds("How much rent does Ines pay?") == {"^pay rent$"}
    assert "^(?:have office at|live at)$" in kinds("What's the address of her office?")
    assert "^have goal$" in kinds("What was Ines's running goal last spring?")
    assert "^work on$" in kinds("What project is Ines working on?")
    assert r"\bwork\b" not in kinds("What project is Ines working on?")
    assert "^be on pay band$" in kinds("What pay band is Ines on?")
    assert "^earn$" not in kinds("What pay band is Ines on?")
    assert all(is_single_valued(r) for r in ATTRS)


def test_later_value_supersedes() -> None:
    from phasemem import Memory

    mem = Memory(":memory:")
    mem.add([{"role": "user", "name": "Ines", "content": "My salary is €3,000 a month."}],
            user_id="u", occurred_at="2021-03-01T10:00:00Z")  # fmt: skip
    mem.add([{"role": "user", "name": "Ines", "content": "They pay me €3,600 a month now."}],
            user_id="u", occurred_at="2022-03-01T10:00:00Z")  # fmt: skip
    earn = {
        f.object: f for f in mem.facts(user_id="u", include_expired=True) if f.relation == "earn"
    }
    assert set(earn) == {"€3,000 a month", "€3,600 a month"}
    assert earn["€3,000 a month"].invalid_at is not None
    assert earn["€3,600 a month"].invalid_at is None
