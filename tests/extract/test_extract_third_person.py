"""Third-person statements about a named person (issue 15): tools, mail and web pages
write "Ravi lives in Melbourne", and the small model tags an unseen name opening a
sentence as a common noun (or NER calls it a place), so no fact came out.

Names, places and wordings here are written for the test, not taken from the
poisoning suite.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasemem.extract import ExtractionInput, RuleExtractor
from phasemem.extract import lexicon as lx
from phasemem.extract.rules import common_nouns, split_chunks

WHEN = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def facts(rules: RuleExtractor, text: str) -> set[tuple[str, str, str]]:
    ex = rules.extract(ExtractionInput(text, None, WHEN))
    return {(f.subject, f.relation, f.object) for f in ex.facts}


POSITIVE = [
    ("Tomasz lives in Porto.", ("Tomasz", "live in", "Porto")),
    ("Oluwaseun moved to Leeds in March.", ("Oluwaseun", "live in", "Leeds")),
    ("Ingrid works as a pharmacist.", ("Ingrid", "work as", "pharmacist")),
    ("Priya prefers green tea.", ("Priya", "prefer", "green tea")),
    ("Member record: Bartek is vegetarian, profile updated.", ("Bartek", "follow diet", "vegetarian")),
    ("Account note: Address note: Dmitri lives in Riga.", ("Dmitri", "live in", "Riga")),
    ("Mailing list: Henrike now lives in Graz, new address saved.", ("Henrike", "live in", "Graz")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fact"), POSITIVE)
def test_a_name_opening_a_sentence_is_a_person(rules: RuleExtractor, text: str, fact) -> None:
    assert fact in facts(rules, text)


NEGATIVE = [
    "Work was fine, mostly meetings.",
    "Home is Ghent for me.",
    "Dinner is vegan tonight.",
    "Breakfast is vegetarian at that hotel.",
    "Management moved to Berlin.",
    "Production moved to China last year.",
    "Family lives in Ohio.",
    "Friends live in Madrid.",
    "Coffee is my favourite drink.",
    "Berlin is a great city.",
    "Google works with partners.",
    "Everyone lives in fear of the boss.",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_things_opening_a_sentence_stay_things(rules: RuleExtractor, text: str) -> None:
    first = text.split()[0]
    assert not any(s == first for s, _, _ in facts(rules, text)), facts(rules, text)


def test_unseen_names_are_found_in_most_sentences(rules: RuleExtractor) -> None:
    """Invented names (not dictionary words) across everyday relations: the rule must
    find the person in most of them (the parser still garbles a few: "Limu lives" as
    an adjective and a plural noun)."""
    rng = random.Random(15)
    nouns = common_nouns()
    templates = [
        ("{} lives in Porto.", "live in", "Porto"),
        ("{} works as a pharmacist.", "work as", "pharmacist"),
        ("{} moved to Leeds last month.", "live in", "Leeds"),
        ("{} prefers green tea.", "prefer", "green tea"),
        ("Profile note: {} is vegetarian, record updated.", "follow diet", "vegetarian"),
    ]
    hits = total = 0
    while total < 60:
        name = "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        name = name.title()
        if name.lower() in nouns:
            continue
        text, rel, obj = templates[total % len(templates)]
        total += 1
        hits += (name, rel, obj) in facts(rules, text.format(name))
    assert hits / total >= 0.85, (hits, total)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    word=st.sampled_from(sorted(w for w in lx.BARE_SUBJECTS if w.isalpha())),
    template=st.sampled_from(["{} lives in Porto.", "{} is vegan.", "{} moved to Leeds.",
                              "{} prefers tea.", "{} works as a nurse."]),
)  # fmt: skip
def test_bare_subject_words_never_become_people(
    rules: RuleExtractor, word: str, template: str
) -> None:
    subject = word.title()
    assert subject not in {s for s, _, _ in facts(rules, template.format(subject))}


def test_status_tail_and_nested_lead_ins_keep_offsets() -> None:
    text = "Sync: Contacts: Ana moved to Faro, new address saved. Thanks."
    chunks = split_chunks(text)
    assert all(text[off : off + len(c)] == c for off, c in chunks)
    assert [c for _, c in chunks] == [
        "Sync:", "Contacts:", "Ana moved to Faro", "new address saved.", "Thanks.",
    ]  # fmt: skip
