"""The name of a relative asked about across turns (issue 14): "a surprise for my
sister" / "What's she like?" / "Hana's a nurse ..." names the sister. Without the kin
fact, "Tom's sister" and Hana stay two people in the store, so a later "my sister"
never reaches Hana's facts. Wordings and names are written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem.extract import ExtractionInput, RuleExtractor

WHEN = datetime(2023, 5, 10, 12, 0, tzinfo=UTC)
USER, BOT = "Ines", "Assistant"


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def reply(rules: RuleExtractor, turns: list[str]) -> set[tuple[str, str, str]]:
    """Facts of the last turn of a user/assistant exchange (the user speaks first)."""
    items = []
    for i, text in enumerate(turns):
        speaker, listener = (USER, BOT) if i % 2 == 0 else (BOT, USER)
        items.append(ExtractionInput(text, speaker, WHEN, listener, turns[i - 1] if i else None,
                                     thread="s1"))  # fmt: skip
    return {(f.subject, f.relation, f.object) for f in rules.extract_batch(items)[-1].facts}


@pytest.mark.parametrize(
    ("turns", "fact"),
    [
        (["Any gift ideas for my sister?", "Sure! What's she into?", "Zainab's a climber, mostly."],
         (USER, "have sister", "Zainab")),
        (["My brother is visiting next week.", "Nice! What's his name?", "Oskar. He's a chef."],
         (USER, "have brother", "Oskar")),
        (["My brother is visiting next week.", "Nice! What's he like?",
          "His name's Oskar, he's a chef in Turku."], (USER, "have brother", "Oskar")),
    ],
)  # fmt: skip
def test_a_reply_opening_with_a_name_names_the_kin_asked_about(rules, turns, fact) -> None:
    assert fact in reply(rules, turns)


def test_the_later_she_of_the_reply_is_the_named_sister(rules: RuleExtractor) -> None:
    got = reply(rules, ["Any gift ideas for my sister?", "Sure! What's she into?",
                        "Zainab's a climber. She lives in Tampere."])  # fmt: skip
    assert ("Zainab", "live in", "Tampere") in got


@pytest.mark.parametrize(
    "turns",
    [
        ["My brother is visiting.", "Nice! What's he like?", "Funny. He's a chef."],
        ["My brother is visiting.", "Nice! Where does he live?", "Tampere. He's a chef there."],
        ["My brother Oskar is visiting.", "Nice! What's he like?", "Funny. Selma adores him."],
        ["My brother is visiting.", "Great. Do you need a recipe?", "Zainab has one, thanks."],
        ["My sisters are visiting.", "Nice! What are they like?", "Zainab is lovely."],
        ["Seeing my brother tomorrow.", "How's he doing?", "Jarmo said he's fine."],
        ["My sister and her friend are visiting.", "Nice! What's she like?", "Zainab? Lovely."],
    ],
)
def test_no_kin_name_without_an_unnamed_kin_asked_about(rules, turns) -> None:
    assert not any(r.startswith("have ") and r != "have cat" for _, r, _ in reply(rules, turns))
