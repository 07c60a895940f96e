"""Behaviour of the rule extractor: resolution, negation, times, bad input."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from phasemem.errors import InvalidInputError
from phasemem.extract import (
    ANY_OBJECT,
    Extraction,
    ExtractionInput,
    RuleExtractor,
    default_extractor,
)
from phasemem.extract.rules import needs_parse, split_chunks

WED = datetime(2023, 5, 10, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def run(
    rules: RuleExtractor, text: str, speaker: str | None = "Maya", listener: str | None = None
) -> Extraction:
    return rules.extract(ExtractionInput(text, speaker, WED, listener))


def triples(ex: Extraction) -> set[tuple]:
    return {(f.subject, f.relation, f.object, f.negated) for f in ex.facts}


def day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


# ---------------------------------------------------------------------- resolution


def test_speaker_and_listener_are_resolved(rules: RuleExtractor) -> None:
    assert triples(run(rules, "I live in Boston.")) == {("Maya", "live in", "Boston", False)}
    assert triples(run(rules, "We moved to Austin.")) == {("Maya", "live in", "Austin", False)}
    ex = run(rules, "Your brother plays the violin.", listener="Tom")
    assert triples(ex) == {("Tom's brother", "play", "violin", False)}


def test_unknown_people_yield_no_facts(rules: RuleExtractor) -> None:
    assert run(rules, "You work at Microsoft.").facts == ()  # no listener known
    assert run(rules, "I live in Boston.", speaker=None).facts == ()
    for text in [
        "She lives in Paris.",
        "They moved to Chicago.",
        "Someone told me he quit his job.",
    ]:
        assert run(rules, text).facts == (), text


def test_kin_without_and_with_a_name(rules: RuleExtractor) -> None:
    assert triples(run(rules, "My sister lives in Dublin.")) == {
        ("Maya's sister", "live in", "Dublin", False)
    }
    ex = run(rules, "My cousin Omar works at Siemens.")
    assert triples(ex) == {
        ("Maya", "have cousin", "Omar", False),
        ("Omar", "work at", "Siemens", False),
    }
    omar = next(e for e in ex.entities if e.name == "Omar")
    assert omar.type == "PERSON" and "Maya's cousin" in omar.aliases
    assert triples(run(rules, "My husband John is a doctor.")) == {
        ("Maya", "be married to", "John", False),
        ("John", "work as", "doctor", False),
    }


def test_entities_include_speaker_and_places(rules: RuleExtractor) -> None:
    ex = run(rules, "I moved to Berlin with Lufthansa.")
    by_name = {e.name: e.type for e in ex.entities}
    assert by_name["Maya"] == "PERSON"
    assert by_name["Berlin"] == "GPE"


# ---------------------------------------------------------------------- negation and endings


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("I no longer live in Paris.", ("Maya", "live in", "Paris", True)),
        ("I don't work at Target anymore.", ("Maya", "work at", "Target", True)),
        ("I used to play the cello.", ("Maya", "play", "cello", True)),
        ("I got divorced last year.", ("Maya", "be married to", ANY_OBJECT, True)),
        ("I quit my job at Walmart.", ("Maya", "work at", "Walmart", True)),
        ("I quit my job.", ("Maya", "work at", ANY_OBJECT, True)),
        ("We broke up.", ("Maya", "date", ANY_OBJECT, True)),
        ("I broke up with Jordan.", ("Maya", "date", "Jordan", True)),
        ("I got divorced.", ("Maya", "be married to", ANY_OBJECT, True)),
        ("I sold my car.", ("Maya", "have", "car", True)),
        ("Our cat died.", ("Maya", "have", "cat", True)),
        ("I stopped eating meat.", ("Maya", "eat", "meat", True)),
    ],
)
def test_endings_are_marked_negated(rules: RuleExtractor, text: str, fact: tuple) -> None:
    got = triples(run(rules, text))
    # a divorce also states the status "divorced" (issue 14)
    assert {t for t in got if t[1] != "have relationship status"} == {fact}


def test_plain_negation_of_liking_is_dislike_not_an_ending(rules: RuleExtractor) -> None:
    assert triples(run(rules, "I don't like spicy food.")) == {
        ("Maya", "dislike", "spicy food", False)
    }
    assert triples(run(rules, "I don't like spicy food anymore.")) == {
        ("Maya", "like", "spicy food", True)
    }
    assert triples(run(rules, "I can't stand reality shows.")) == {
        ("Maya", "dislike", "reality shows", False)
    }


def test_a_wildcard_object_is_never_positive(rules: RuleExtractor) -> None:
    texts = ["I quit my job.", "We broke up.", "I retired.", "I got laid off.", "We got married."]
    for f in (f for t in texts for f in run(rules, t).facts):
        assert f.object != ANY_OBJECT or f.negated


# ---------------------------------------------------------------------- times


def test_times_follow_the_clause_kind(rules: RuleExtractor) -> None:
    (f,) = run(rules, "I moved to Chicago last May.").facts
    assert (day(f.valid_at), day(f.invalid_at)) == ("2022-05-01", None)
    (f,) = run(rules, "I quit my job at the bakery yesterday.").facts
    assert (f.negated, day(f.valid_at), day(f.invalid_at)) == (True, None, "2023-05-09")
    (f,) = run(rules, "I worked at IBM from 2010 to 2014.").facts
    assert (day(f.valid_at), day(f.invalid_at)) == ("2010-01-01", "2015-01-01")
    (f,) = run(rules, "I lived in Rome until 2020.").facts
    assert (day(f.valid_at), day(f.invalid_at)) == (None, "2021-01-01")
    (f,) = run(rules, "I've been dating Sam for two years.").facts
    assert day(f.valid_at) == "2021-05-10"


def test_a_time_phrase_attaches_to_its_own_clause(rules: RuleExtractor) -> None:
    ex = run(rules, "I grew up in Lagos but I've lived in Madrid since 2012.")
    times = {f.object: day(f.valid_at) for f in ex.facts}
    assert times == {"Lagos": None, "Madrid": "2012-01-01"}


def test_plans_are_not_current_facts(rules: RuleExtractor) -> None:
    (f,) = run(rules, "I'm planning to move to Seattle next month.").facts
    assert (f.relation, f.object, day(f.valid_at)) == ("plan to live in", "Seattle", "2023-06-01")
    assert f.confidence < 0.9
    (f,) = run(rules, "Tomorrow I fly to Madrid.").facts
    assert f.relation == "plan to visit"


def test_birth_year_and_place(rules: RuleExtractor) -> None:
    assert triples(run(rules, "I was born in 1850.")) == {("Maya", "be born in", "1850", False)}
    (f,) = run(rules, "My grandpa was born in 1935 in Italy.").facts
    assert (f.subject, f.object, day(f.valid_at)) == ("Maya's grandfather", "Italy", "1935-01-01")


# ---------------------------------------------------------------------- no facts


@pytest.mark.parametrize(
    "text",
    [
        "Haha that's hilarious!",
        "How was your weekend?",
        "Thanks so much, that means a lot.",
        "I love you guys so much.",
        "I like that idea.",
        "I'm doing well, thanks for asking.",
        "Where do you live?",
        "Do you have any siblings?",
        "You work at Microsoft, don't you?",
        "If I won the lottery, I'd buy a boat.",
        "Maybe I should get a cat.",
        "I wish I lived in Hawaii.",
        "I might move to Austin.",
        "I would love to visit Japan one day.",
        "I hope you have a wonderful day!",
        "I want to learn French.",
        "I've never been to France.",
        "I went to the gym this morning.",
    ],
)
def test_no_facts(rules: RuleExtractor, text: str) -> None:
    assert run(rules, text, listener="Tom").facts == ()


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "🙂🙂🙂 💥",
        "\x00\x01\x02 binary \ufffd junk",
        "asdkjh qwe 45th Smarch 20000",
        "Wir leben seit 2019 in Hamburg und arbeiten bei Siemens.",
        "J'habite à Paris depuis 2019.",
        "我住在北京。",
        "<b>I</b> <i>live</i>",
        "I" * 5000,
    ],
)
def test_bad_input_never_crashes_or_invents(rules: RuleExtractor, text: str) -> None:
    ex = run(rules, text)
    assert ex.facts == ()
    for t in ex.temporals:
        assert 1 <= t.start.year <= 9999


def test_dates_outside_the_calendar_are_dropped_not_guessed(rules: RuleExtractor) -> None:
    ex = run(rules, "I moved to Paris on the 45th of Smarch.")  # a real fact, an unreal date
    assert triples(ex) == {("Maya", "live in", "Paris", False)}
    assert ex.temporals == () and ex.facts[0].valid_at is None
    ex = run(rules, "I will live on Mars in the year 20000.")
    assert ex.temporals == ()
    assert all(f.valid_at is None for f in ex.facts)
    (f,) = run(rules, "My great-great-grandmother was born in 1852.").facts
    assert day(f.valid_at) == "1852-01-01"


def test_contradictory_facts_in_one_message_are_kept_in_order(rules: RuleExtractor) -> None:
    ex = run(rules, "I live in Paris. Actually no, I live in Lyon now.")
    assert [f.object for f in ex.facts] == ["Paris", "Lyon"]
    assert ex.facts[0].span[0] < ex.facts[1].span[0]


def test_long_text_and_spans(rules: RuleExtractor) -> None:
    filler = "Nothing much happened today, honestly. " * 200
    text = filler + "I work at Google. " + filler
    ex = run(rules, text)
    assert triples(ex) == {("Maya", "work at", "Google", False)}
    s, e = ex.facts[0].span
    assert "work at Google" in text[s:e]


def test_invalid_input_is_rejected_clearly(rules: RuleExtractor) -> None:
    with pytest.raises(InvalidInputError):
        rules.extract_batch(["I live in Boston."])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError):
        rules.extract(ExtractionInput("I live in Boston.", "Maya", "2023-05-10"))  # type: ignore[arg-type]
    naive = rules.extract(
        ExtractionInput("I moved here yesterday to Boston.", "Maya", datetime(2023, 5, 10))
    )
    assert naive.temporals[0].start == datetime(2023, 5, 9, tzinfo=UTC)


def test_batch_equals_one_by_one(rules: RuleExtractor) -> None:
    items = [
        ExtractionInput("I live in Boston. My sister Anna lives in Paris.", "Maya", WED),
        ExtractionInput("Haha", "Tom", WED),
        ExtractionInput("I quit my job yesterday!", "Tom", WED, "Maya"),
    ]
    assert rules.extract_batch(items) == [rules.extract(i) for i in items]
    assert rules.extract_batch([]) == []


# ---------------------------------------------------------------------- plumbing


def test_trigger_trie_matches_the_plain_alternation() -> None:
    """The trie-built pre-filter finds a trigger exactly where the plain
    alternation of the same words does: every word alone, inside longer
    words, cut one letter short, in other casings, and in the labelled texts."""
    import re
    from pathlib import Path

    from phasemem.extract import lexicon as lx
    from phasemem.extract.scoring import load_fixture

    plain = re.compile(
        r"\b(?:" + "|".join([lx._IRREGULAR, *map(re.escape, lx._STEMS)]) + r")"
        r"|\b(?:" + "|".join(map(re.escape, lx._WORDS)) + r")\b|iphone",
        re.IGNORECASE,
    )
    words = [*lx._IRREGULAR.split("|"), *lx._STEMS, *lx._WORDS]
    texts = [r["text"] for r in load_fixture(Path(__file__).parent / "fixtures" / "labelled.jsonl")]
    for w in words:
        texts += [w, w.upper(), f"so {w}s ok", f"x{w} y", w[:-1], f"a {w[:-1]}.", f"{w}-ish"]
    differ = [t for t in texts if bool(plain.search(t)) != bool(lx.TRIGGER_RE.search(t))]
    assert not differ, differ[:5]
    assert sum(bool(plain.search(t)) for t in texts) > 1000  # the check saw both answers
    assert sum(not plain.search(t) for t in texts) > 100
    assert lx.literal_union(["ab", "abc", "b"]) == "(?:ab(?:c)?|b)"


def test_prefilter_and_chunks() -> None:
    assert needs_parse("I moved to Boston")
    assert not needs_parse("Haha that's hilarious!")
    assert not needs_parse("")
    chunks = split_chunks("Hey Mel! I work at St. Mary's hospital. Dr. Who is great.")
    assert [c for _, c in chunks] == [
        "Hey Mel!",
        "I work at St. Mary's hospital.",
        "Dr. Who is great.",
    ]
    text = "a. b! c?"
    assert all(text[o : o + len(c)] == c for o, c in split_chunks(text))


def test_default_extractor_is_shared() -> None:
    assert default_extractor() is default_extractor()
    assert isinstance(default_extractor(), RuleExtractor)


def test_import_has_no_side_effects() -> None:
    code = (
        "import sys, phasemem.extract as e; e.default_extractor(); "
        "assert not {'spacy', 'httpx', 'dateparser'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_public_api() -> None:
    import phasemem.extract as pkg

    assert sorted(pkg.__all__) == sorted(
        ["ANY_OBJECT", "ExtractedEntity", "ExtractedFact", "Extraction", "ExtractionInput",
         "Extractor", "LLMExtractor", "RuleExtractor", "TemporalExpression",
         "default_extractor", "resolve_temporal"]
    )  # fmt: skip
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None
    assert issubclass(pkg.LLMExtractor, pkg.Extractor) and issubclass(
        pkg.RuleExtractor, pkg.Extractor
    )


def test_concurrent_use_from_threads(rules: RuleExtractor) -> None:
    from concurrent.futures import ThreadPoolExecutor

    item = ExtractionInput("I moved to Oslo last month. My dog Rex loves snow.", "Maya", WED)
    expected = rules.extract(item)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: rules.extract(item), range(16)))
    assert all(r == expected for r in results)
    assert ("Maya", "live in", "Oslo", False) in triples(expected)
