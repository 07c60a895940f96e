"""Bad input gets a typed error and nothing is partly written."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem import InvalidInputError, InvalidTimeError, Memory, NotFoundError, PhasememError
from phasemem.store.sqlite import fts_or
from phasemem.text import unique_terms

FTS_NASTIES = [
    '"unbalanced quote', "a AND b", "NEAR(cat dog", "cat*", "-cat", "col:cat", "((cat)", "cat)",
    "OR", "AND NOT", "^start", "😀 emoji 🐈", "{a b}", "'single'", "NEAR(a b, 3)", "*", ":", "-", '""',
    "a + b", "héllo wörld", "中文 查询", "x" * 500,
]  # fmt: skip


@pytest.mark.parametrize("text", ["", "   ", "\n\t  "])
def test_empty_text_rejected(mem: Memory, text: str) -> None:
    with pytest.raises(InvalidInputError):
        mem.add(text, user_id="u")
    assert mem.get_all(user_id="u") == []


def test_huge_text_rejected_cleanly(mem: Memory) -> None:
    with pytest.raises(InvalidInputError) as ei:
        mem.add("x" * 1_000_000, user_id="u")
    assert ei.value.context["limit"] < 1_000_000
    assert mem.store.count() == 0


def test_invalid_utf8_and_surrogates(mem: Memory) -> None:
    with pytest.raises(InvalidInputError, match="UTF-8"):
        mem.add(b"caf\xe9 \xff", user_id="u")
    with pytest.raises(InvalidInputError):
        mem.add("bad \ud800 surrogate", user_id="u")
    with pytest.raises(InvalidInputError):
        mem.add("nul \x00 inside", user_id="u")
    assert mem.add("caf\u00e9".encode(), user_id="u")[0].text == "café"


def test_one_bad_message_rejects_whole_add(mem: Memory) -> None:
    msgs = [{"role": "user", "content": "fine"}, {"role": "user", "content": "   "}]
    with pytest.raises(InvalidInputError, match=r"messages\[1\]"):
        mem.add(msgs, user_id="u")
    with pytest.raises(InvalidInputError):
        mem.add([{"role": "wizard", "content": "x"}], user_id="u")
    with pytest.raises(InvalidInputError):
        mem.add([], user_id="u")
    with pytest.raises(InvalidInputError):
        mem.add(["not a dict"], user_id="u")  # type: ignore[list-item]
    assert mem.store.count() == 0


@pytest.mark.parametrize("scope", [None, "", "   ", "a\x00b", "x" * 300, 42, "tab\tid"])
def test_bad_scope(mem: Memory, scope: object) -> None:
    with pytest.raises(InvalidInputError):
        mem.add("hello", user_id=scope)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        mem.search("hello", user_id=scope)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        mem.add("hello", user_id="u", session_id=scope if scope is not None else "")  # type: ignore[arg-type]
    assert mem.store.count() == 0


def test_bad_times_and_metadata(mem: Memory) -> None:
    with pytest.raises(InvalidTimeError):
        mem.add("x", user_id="u", occurred_at="not a date at all qq")
    with pytest.raises(InvalidTimeError):
        mem.add("x", user_id="u", occurred_at=float("nan"))
    with pytest.raises(InvalidInputError):
        mem.add("x", user_id="u", metadata={"k": object()})
    with pytest.raises(InvalidInputError):
        mem.add("x", user_id="u", metadata=["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        mem.search("x", user_id="u", filters={"bogus": 1})
    with pytest.raises(InvalidInputError):
        mem.search("x", user_id="u", limit=0)
    assert mem.store.count() == 0


def test_unknown_ids(mem: Memory) -> None:
    for call in (mem.get, mem.delete, mem.history):
        with pytest.raises(NotFoundError):
            call("no-such-id")
    with pytest.raises(NotFoundError):
        mem.update("no-such-id", "text")
    with pytest.raises(PhasememError):
        mem.get("")


@pytest.mark.parametrize("query", FTS_NASTIES)
def test_fts_syntax_in_queries_never_raises(mem: Memory, query: str) -> None:
    mem.add('cat dog "quoted" NEAR stuff 😀 emoji héllo', user_id="u")
    res = mem.search(query, user_id="u")
    assert isinstance(res.hits, list)


def test_fts_query_still_searches_words() -> None:
    assert fts_or(unique_terms('NEAR("cat" dog')) == '"near" OR "cat" OR "dog"'
    assert fts_or(unique_terms("!!! ???")) is None


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_any_query_text_is_safe(query: str) -> None:
    mem = Memory(":memory:", embedder="hash-test", extractor=None)
    mem.add("some stored words", user_id="u")
    try:
        mem.search(query, user_id="u")
    except InvalidInputError:
        assert (
            not query.strip() or "\x00" in query or any(0xD800 <= ord(c) <= 0xDFFF for c in query)
        )
    finally:
        mem.close()
