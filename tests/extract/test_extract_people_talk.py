"""Facts about the people a user talks about, and diet/job wording of chat (issue 14).

Sentences here are written for the tests in the style of everyday chat; names and places
are made up for them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem.extract import ExtractionInput, RuleExtractor
from phasemem.extract.discourse import bare_name

WHEN = datetime(2023, 5, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def facts(rules: RuleExtractor, text: str, previous: str | None = None) -> set[tuple]:
    ex = rules.extract(ExtractionInput(text, "Ines", WHEN, "Assistant", previous=previous))
    return {(f.subject, f.relation, f.object, f.negated) for f in ex.facts}


POSITIVE = [
    # a name right after a kin noun names it even when the parser hangs it on the verb
    ("My cousin Rafa rang last night. He moved to Leeds in March.",
     {("Ines", "have cousin", "Rafa", False), ("Rafa", "live in", "Leeds", False)}),
    # "Whose?" answered with a possessive name: the name, without its "'s"
    ("Bruno's. He left Acme and started at Initech.",
     {("Bruno", "work at", "Acme", True), ("Bruno", "work at", "Initech", False)}),
    ("Maud? She left Initech in April.", {("Maud", "work at", "Initech", True)}),
    # eating meat again: the diet is an omnivore's now
    ("I started eating lamb again.", {("Ines", "follow diet", "omnivore", False)}),
    ("I gave up on it in the end. I eat everything again now.",
     {("Ines", "follow diet", "omnivore", False)}),
    # relationship status, whether or not the partner is named
    ("We got married at my aunt's farm in May.",
     {("Ines", "have relationship status", "married", False)}),
    ("Zoe and I got engaged last night!",
     {("Ines", "be engaged to", "Zoe", False), ("Ines", "have relationship status", "engaged", False)}),
    ("Dario proposed on the beach!",
     {("Ines", "be engaged to", "Dario", False), ("Ines", "have relationship status", "engaged", False)}),
    ("I'm single again.", {("Ines", "have relationship status", "single", False)}),
    ("We got divorced in 2019.", {("Ines", "have relationship status", "divorced", False)}),
    # role words outside the occupation list still get the sentence parsed
    ("I'm a radiographer now.", {("Ines", "work as", "radiographer", False)}),
    ("They renamed my post, I'm officially 'Senior Radiographer' now.",
     {("Ines", "work as", "Senior Radiographer", False)}),
    # a reported question hedges its own clause only
    ("I've been pescatarian since 2019 and my dad still asks if I want some ham.",
     {("Ines", "follow diet", "pescatarian", False)}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_positive(rules: RuleExtractor, text: str, expected: set[tuple]) -> None:
    assert expected <= facts(rules, text)


NEGATIVE = [
    # a condition still hedges the whole sentence
    ("If I get the job, I'll move to Leeds.", ("Ines", "live in", "Leeds")),
    ("I don't know if I live in Leeds anymore.", ("Ines", "live in", "Leeds")),
    # eating everything without "again" says nothing about a diet
    ("I eat everything.", ("Ines", "follow diet", "omnivore")),
    ("I didn't eat meat again after that.", ("Ines", "follow diet", "omnivore")),
    # plans and pronouns: no status, no partner
    ("We're getting married next spring.", ("Ines", "have relationship status", "married")),
    ("We're getting divorced.", ("Ines", "have relationship status", "divorced")),
    ("He proposed last night.", ("Ines", "have relationship status", "engaged")),
    ("I proposed to nobody.", ("Ines", "have relationship status", "engaged")),
    # a kin noun followed by a place is not a name
    ("My brother in Leeds called.", ("Ines", "have brother", "Leeds")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "absent"), NEGATIVE)
def test_negative(rules: RuleExtractor, text: str, absent: tuple) -> None:
    assert not any(f[:3] == absent for f in facts(rules, text))


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True), st.sampled_from(["'s", "’s", ""]),
       st.sampled_from([".", "!", "?", ""]))  # fmt: skip
def test_bare_name_drops_a_possessive(name: str, poss: str, end: str) -> None:
    got = bare_name(f"{name}{poss}{end}")
    assert got is None or got == name
