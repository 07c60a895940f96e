"""Sentence-level facts about third persons (issue 14): a name opening a sentence with
any verb when it is known as a person, "Name's" as is/has, and relation rules (dating,
engagement, pets, study years, own businesses, long stays) for any person subject.

Names, places and wordings are written for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem.extract import ExtractionInput, RuleExtractor
from phasemem.extract.contractions import expand, to_new, to_original

WHEN = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def facts(rules: RuleExtractor, text: str, speaker: str = "Nina") -> set[tuple[str, str, str]]:
    ex = rules.extract(ExtractionInput(text, speaker, WHEN))
    return {(f.subject, f.relation, f.object) for f in ex.facts}


POSITIVE = [
    # a name NER calls a person, with a verb outside live/work/move
    ("Tadeo got a flat in Valparaiso.", ("Tadeo", "live in", "Valparaiso")),
    ("Tadeo teaches at Universidad Austral.", ("Tadeo", "work at", "Universidad Austral")),
    # named earlier in the message
    ("My cousin Ilse visited. Ilse got a flat in Bremen.", ("Ilse", "live in", "Bremen")),
    # "Name's" = is / has
    ("Ilka's a pharmacist at Boots.", ("Ilka", "work at", "Boots")),
    ("Ilka's a pharmacist at Boots.", ("Ilka", "work as", "pharmacist")),
    ("Jovan's moved to Bratislava.", ("Jovan", "live in", "Bratislava")),
    ("Jovan's been vegetarian since 2021.", ("Jovan", "follow diet", "vegetarian")),
    ("Sefa's my flatmate.", ("Nina", "have flatmate", "Sefa")),
    # partners
    ("Jovan is seeing Dorota.", ("Jovan", "date", "Dorota")),
    ("I'm dating somebody new. I'm seeing someone called Anouk.", ("Nina", "date", "Anouk")),
    ("Jovan is engaged to Dorota.", ("Jovan", "be engaged to", "Dorota")),
    ("Jovan is engaged to Dorota.", ("Jovan", "have relationship status", "engaged")),
    ("Dmitri married Ximena last spring.", ("Dmitri", "have relationship status", "married")),
    # a couple with "his wife"
    ("Tadeo and his wife got a flat in Valparaiso.", ("Tadeo", "live in", "Valparaiso")),
    # a pet named in an apposition
    ("We got a cat, a tabby called Tofu, in March.", ("Nina", "have cat", "Tofu")),
    ("Ilka got a dog, a whippet named Sprout.", ("Ilka", "have dog", "Sprout")),
    ("Ilka's officially my dog now.", ("Nina", "have dog", "Ilka")),
    # a year of a course
    ("I'm in my second year of physics at Durham University.", ("Nina", "study at", "Durham University")),
    ("I'm in my second year of physics at Durham University.", ("Nina", "study", "physics")),
    ("My brother Kwame is in his final year at Kumasi Polytechnic.",
     ("Kwame", "study at", "Kumasi Polytechnic")),
    # an own business named beside it
    ("Tadeo launched his own agency, Casa Norte.", ("Tadeo", "work at", "Casa Norte")),
    ("My aunt Ros set up her own clinic, Green Lane Dental.", ("Ros", "work at", "Green Lane Dental")),
    ("I started my own company called Brightside Labs.", ("Nina", "work at", "Brightside Labs")),
    # a possessive inside an employer's name
    ("My sister Ros is a midwife at Queen's Hospital.", ("Ros", "work at", "Queen's Hospital")),
    # a lasting stay
    ("I'm staying in Denver at least until the autumn.", ("Nina", "live in", "Denver")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fact"), POSITIVE)
def test_third_person_facts(rules: RuleExtractor, text: str, fact) -> None:
    assert fact in facts(rules, text), facts(rules, text)


def test_a_left_job_is_an_ending(rules: RuleExtractor) -> None:
    ex = rules.extract(ExtractionInput("Dmitri left Arup at the end of March.", "Nina", WHEN))
    ended = [
        f for f in ex.facts if (f.subject, f.relation, f.object) == ("Dmitri", "work at", "Arup")
    ]
    assert ended and all(f.negated for f in ended)
    assert ended[0].invalid_at is not None and ended[0].invalid_at.month == 3


NEGATIVE = [
    # dictionary words opening a sentence stay things for verbs people and things share
    ("Hope got a place in Leeds.", "Hope"),
    ("Amazon got a warehouse in Leeds.", "Amazon"),
    ("Paris got a new metro line.", "Paris"),
    # a stay that is a visit
    ("We're staying in Lisbon for the weekend.", "Nina"),
    ("I'm staying in a hotel near the station.", "Nina"),
    ("I'm staying at my parents' for the weekend.", "Nina"),
    ("I'm staying in Oslo till Friday.", "Nina"),
    # seeing a place, a show, a doctor
    ("We're seeing Lisbon.", "Nina"),
    ("I'm seeing Dorota tonight.", "Nina"),
    # a business that is not one's own, or has no name
    ("I launched a podcast, Night Owls.", "Nina"),
    ("I started my own blog.", "Nina"),
    # a year that is not a course
    ("I'm in my final year at Deloitte.", "Nina"),
    # a possessive, not "is"
    ("Ilka's new job is great.", "Ilka"),
    ("Ilka's wedding in June was lovely.", "Ilka"),
]


@pytest.mark.parametrize(("text", "who"), NEGATIVE)
def test_no_fact_where_none_is_said(rules: RuleExtractor, text: str, who: str) -> None:
    got = facts(rules, text)
    assert not any(s == who for s, _, _ in got), got


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("Ilka's a nurse.", "Ilka is a nurse."),
        ("Jovan's got a dog.", "Jovan has got a dog."),
        ("Jovan's moving to Oslo.", "Jovan is moving to Oslo."),
        ("my brother's at Arup now.", "my brother is at Arup now."),
        ("Ilka's engaged!", "Ilka is engaged!"),
        ("Ilka's single mother", "Ilka's single mother"),
        ("Ilka's cooking is great.", "Ilka's cooking is great."),
        ("It's a dog.", "It's a dog."),
        ("Guy's Hospital is big.", "Guy's Hospital is big."),
    ],
)
def test_contractions_expand_only_verbs(text: str, expanded: str) -> None:
    assert expand(text)[0] == expanded


def test_contraction_offsets_round_trip() -> None:
    text = "Well. Jovan's moved to Oslo last May and Ilka's a nurse."
    new, ins = expand(text)
    assert new == "Well. Jovan has moved to Oslo last May and Ilka is a nurse."
    for i, ch in enumerate(text):
        if ch not in "'":
            assert new[to_new(i, ins)] == ch
            assert to_original(to_new(i, ins), ins) == i


def test_times_survive_the_expansion(rules: RuleExtractor) -> None:
    ex = rules.extract(ExtractionInput("So, Jovan's moved to Oslo last May.", "Nina", WHEN))
    (fact,) = [f for f in ex.facts if f.relation == "live in"]
    assert fact.valid_at == datetime(2023, 5, 1, tzinfo=UTC)
    text = "So, Jovan's moved to Oslo last May."
    assert fact.span is not None and text[fact.span[0] : fact.span[1]] == text
