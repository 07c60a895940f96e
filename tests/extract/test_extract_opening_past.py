"""A chat line that opens with a past form and no subject ("Got an iPhone 13 for
Christmas") is the speaker's news: the tagger reads the capitalised past form as an
imperative (VB, lemma "got"), so no rule fired. Sentences are written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem.extract import ExtractionInput, RuleExtractor
from phasemem.extract.rules import _opening_past, load_model

WHEN = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def facts(rules: RuleExtractor, text: str) -> set[tuple[str, str, str]]:
    return {(f.subject, f.relation, f.object)
            for f in rules.extract(ExtractionInput(text, "Rosa", WHEN)).facts}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Got a Fairphone 5 for my birthday, finally off the old Moto.", ("Rosa", "use phone", "Fairphone 5")),
        ("Got a new phone, a Pixel 8.", ("Rosa", "use phone", "Pixel 8")),
        ("Bought a Galaxy S23 last week.", ("Rosa", "use phone", "Galaxy S23")),
    ],
)  # fmt: skip
def test_a_line_opening_with_a_past_form_is_the_speakers_news(rules, text, fact) -> None:
    assert fact in facts(rules, text)


@pytest.mark.parametrize("text", ["Get a Pixel 8, it's cheaper.", "Buy a Galaxy S23 if you can.",
                                  "Need a new phone, any ideas?"])  # fmt: skip
def test_an_imperative_or_a_wish_states_nothing(rules: RuleExtractor, text: str) -> None:
    assert not any(r == "use phone" for _, r, _ in facts(rules, text)), facts(rules, text)


def test_past_forms_and_base_forms() -> None:
    past = _opening_past(load_model().get_pipe("lemmatizer"))
    assert all(past(w) for w in ("got", "bought", "moved", "started", "went"))
    assert not any(past(w) for w in ("get", "need", "help", "feed", "make", "speed", "bed"))
