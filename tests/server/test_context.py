"""Context assembly (phasemem.pipeline.context), in process on a real Memory."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from phasemem import InvalidInputError, Memory
from phasemem.pipeline.context import (
    default_token_counter,
    set_token_counter,
    wordpiece_counter,
)
from tests.server.conftest import FACTS_OK, needs_facts


@pytest.fixture
def mem() -> Memory:
    m = Memory(":memory:", embedder="hash-test", extractor="default" if FACTS_OK else None)
    m.add([{"name": "Maya", "role": "user", "content": f"Day {i}: I walked Pixel the greyhound by the river."}
           for i in range(40)], user_id="maya", session_id="s1", occurred_at="2024-03-01")  # fmt: skip
    m.add([{"name": "Maya", "role": "user", "content": "I walked Pixel the greyhound by the river.",
            "occurred_at": "2024-03-02"},
           {"name": "Maya", "role": "user", "content": "I walked Pixel the greyhound by the river.",
            "occurred_at": "2024-03-03"}], user_id="maya", session_id="s2")  # fmt: skip
    m.add({"name": "Maya", "role": "user", "content": "Pixel got a new red collar today."},
          user_id="maya", session_id="s3", occurred_at="2024-06-10")  # fmt: skip
    yield m
    m.close()


def test_never_over_budget_and_count_is_real(mem: Memory) -> None:
    count = default_token_counter()
    for budget in (16, 40, 77, 150, 400, 1500):
        ctx = mem.context("Pixel greyhound walk", user_id="maya", budget_tokens=budget)
        assert ctx.tokens == count(ctx.text) <= budget
        assert ctx.budget_tokens == budget
    big = mem.context("Pixel greyhound walk", user_id="maya", budget_tokens=4000)
    assert len(big.episode_ids) == 42  # 43 stored, two identical texts kept once


def test_wordpiece_is_a_real_tokenizer() -> None:
    count = wordpiece_counter()
    assert count("") == 0
    assert count("2023-05-08") == 6  # 202 ##3 - 05 - 08: subwords, not words
    assert count("a\nb") == count("a") + count("b")


def test_pins_first_then_cited_dated_episodes(mem: Memory) -> None:
    mem.pin("Always answer in French.", user_id="maya")
    mem.pin("Never mention the weather.", user_id="maya")
    ctx = mem.context("new collar for Pixel", user_id="maya", budget_tokens=300)
    lines = ctx.text.splitlines()
    assert lines[:3] == ["Pinned instructions (always follow):", "- Always answer in French.",
                         "- Never mention the weather."]  # fmt: skip
    eps = [i for s in ctx.parts if s.name == "episodes" for i in s.items]
    best = min(eps, key=lambda i: i.data["rank"])
    assert best.data["text"] == "Pixel got a new red collar today."  # most relevant kept
    for it in eps:
        assert it.line.endswith(f"[{it.ref}]") and ctx.citations[it.ref] == it.id
    assert [int(r) for r in re.findall(r"\[(\d+)\]", ctx.text)] == list(range(1, len(eps) + 1))
    # Shown oldest first under date lines.
    body = ctx.text.split("Relevant memories (dated, oldest first):\n", 1)[1].splitlines()
    days = [datetime.strptime(x[:-1], "%d %B %Y") for x in body if not x.startswith("- ")]
    assert days == sorted(days) and len(days) == len(set(days))
    assert ctx.to_dict()["citations"] == ctx.citations


def test_pins_that_do_not_fit_are_dropped_whole(mem: Memory) -> None:
    mem.pin("Short pin.", user_id="maya")
    mem.pin("A much longer pinned instruction " + "that goes on " * 30, user_id="maya")
    ctx = mem.context("Pixel", user_id="maya", budget_tokens=40)
    assert "- Short pin." in ctx.text and "goes on" not in ctx.text and ctx.tokens <= 40


def test_as_of_hides_the_future(mem: Memory) -> None:
    ctx = mem.context("Pixel collar", user_id="maya", budget_tokens=2000, as_of="2024-04-01")
    assert "red collar" not in ctx.text
    cut = datetime(2024, 4, 1, tzinfo=UTC).timestamp()
    assert all(
        i.source.occurred_at <= cut for s in ctx.parts for i in s.items if i.kind == "episode"
    )
    assert "red collar" in mem.context("Pixel collar", user_id="maya").text


def test_counter_seam(mem: Memory) -> None:
    def lines_and_chars(text: str) -> int:  # deliberately not additive over lines
        return len(text) // 3 + text.count("\n") * 5 + 7

    try:
        set_token_counter(lines_and_chars)
        ctx = mem.context("Pixel greyhound", user_id="maya", budget_tokens=200)
        assert ctx.tokens == lines_and_chars(ctx.text) <= 200
    finally:
        set_token_counter(None)
    ctx = mem.context("Pixel", user_id="maya", budget_tokens=200, count_tokens=len)
    assert ctx.tokens == len(ctx.text) <= 200


def test_cite_by_id_prefix(mem: Memory) -> None:
    ctx = mem.context("collar", user_id="maya", budget_tokens=200, cite="id")
    for ref, full in ctx.citations.items():
        assert re.fullmatch(r"[0-9a-f]{8}", ref) and full.replace("-", "").startswith(ref)


@pytest.mark.parametrize("bad", [0, 15, 32_001, "100", True, 1.5])
def test_bad_budget(mem: Memory, bad: object) -> None:
    with pytest.raises(InvalidInputError) as e:
        mem.context("Pixel", user_id="maya", budget_tokens=bad)  # type: ignore[arg-type]
    assert e.value.context["field"] == "budget_tokens"


def test_other_users_are_not_in_context(mem: Memory) -> None:
    mem.add("Bruno's greyhound is called Pixel too.", user_id="bruno")
    ctx = mem.context("greyhound Pixel", user_id="maya", budget_tokens=4000)
    assert "Bruno" not in ctx.text


@needs_facts
def test_facts_about_the_user_come_before_other_facts() -> None:
    with Memory(":memory:", embedder="hash-test") as m:
        m.add([{"role": "user", "name": "Maya", "content": "I live in Lisbon."},
               {"role": "user", "name": "Maya", "content": "My sister Ines works at Tidewater."}],
              user_id="maya", occurred_at="2024-03-02")  # fmt: skip
        ctx = m.context("where does Maya live", user_id="maya", budget_tokens=500)
        sections = {s.name: s for s in ctx.parts}
        assert any(i.data["subject"] == "Maya" for i in sections["user"].items)
        assert all(i.data["subject"] != "Maya" for i in sections["facts"].items)
        assert ctx.text.index("About the user") < ctx.text.index("Relevant memories")


@needs_facts
def test_as_of_keeps_pins_and_titles_say_when() -> None:
    """Issue 12 item 16: as of a past time, pins still come first and the
    headings name the time the facts hold at, not "current"."""
    with Memory(":memory:", embedder="hash-test") as m:
        m.add({"role": "user", "name": "Sam", "content": "I live in Portland."},
              user_id="sam", occurred_at="2023-01-10")  # fmt: skip
        m.add({"role": "user", "name": "Sam", "content": "I moved to Seattle."},
              user_id="sam", occurred_at="2024-09-01")  # fmt: skip
        m.pin("Answer in one sentence.", user_id="sam")  # pinned now, after the as_of below
        ctx = m.context("where does Sam live", user_id="sam", budget_tokens=400,
                               as_of="2024-06-01")  # fmt: skip
        lines = ctx.text.splitlines()
        assert lines[:2] == ["Pinned instructions (always follow):", "- Answer in one sentence."]
        assert "current" not in ctx.text
        assert "About the user (true on 1 June 2024):" in lines
        assert "live in Portland" in ctx.text and "Seattle" not in ctx.text


@needs_facts
def test_the_answer_fact_goes_in_before_small_talk() -> None:
    """Issue 12 item 16: at a small budget the fact that answers the query is
    kept, and chit-chat episodes are what gets cut."""
    with Memory(":memory:", embedder="hash-test") as m:
        m.add([{"role": "user", "name": "Sam", "content": "Hi! I'm Sam."},
               {"role": "assistant", "content": "Nice to meet you, Sam!"},
               {"role": "user", "name": "Sam", "content": "I live in Seattle with my two cats."},
               {"role": "assistant", "content": "Seattle is lovely. How are the cats?"},
               {"role": "user", "name": "Sam", "content": "They are great, thanks for asking Sam's question."}],
              user_id="sam", session_id="s1", occurred_at="2024-03-02")  # fmt: skip
        for budget in (40, 100):
            ctx = m.context("Where does Sam live?", user_id="sam", budget_tokens=budget)
            assert ctx.tokens <= budget
            assert "- Sam live in Seattle" in ctx.text  # the fact line, not the episode
            if "Relevant memories" in ctx.text:
                assert ctx.text.index("- Sam live in Seattle") < ctx.text.index("Relevant memories")
