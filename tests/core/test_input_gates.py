"""Regression tests for inputs that once escaped the error tree or were
silently misread: each one must now raise a ``PhasememError`` subclass (with
the field named), and nothing stored before is harmed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from phasemem import (
    ImportFormatError,
    InvalidInputError,
    InvalidTimeError,
    Memory,
    PhasememError,
)
from phasemem.timeutil import MAX_TIME, MIN_TIME, to_utc

YEAR1_PLUS5 = "0001-01-01T00:00:00+05:00"  # before year 1 once in UTC
Y9999_MINUS5 = "9999-12-31T23:00:00-05:00"  # after year 9999 once in UTC
EDGE_TIMES: list[Any] = [
    YEAR1_PLUS5,
    Y9999_MINUS5,
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
    "9999-12-31",
    date(1, 1, 1),
    1e308,
    -1e308,
    10**400,
    float("inf"),
    float("nan"),
]
NUMBERS_AS_TEXT = ["nan", "-1", "1e309", "inf", "-inf", "1.5", "2024", "1700000000"]
RELATIVE_WORDS = ["now", "yesterday", "tomorrow", "in 2 days", "Tuesday", "12:30", "12 May"]


@pytest.fixture
def stored(mem: Memory) -> str:
    """A sentinel memory every test checks is still readable at the end."""
    return mem.add("the sentinel lives at Kestrel Street", user_id="s")[0].id


def _intact(mem: Memory, sentinel: str) -> None:
    assert mem.get(sentinel).text == "the sentinel lives at Kestrel Street"
    assert [h.episode.id for h in mem.search("Kestrel sentinel", user_id="s").hits] == [sentinel]


# -- item 9: one time gate, a documented range ---------------------------------------------
@pytest.mark.parametrize("when", EDGE_TIMES, ids=repr)
def test_times_out_of_range_are_invalid_time_everywhere(
    mem: Memory, stored: str, when: Any
) -> None:
    calls = [
        lambda: mem.add("x", user_id="u", occurred_at=when),
        lambda: mem.add([{"role": "user", "content": "x", "occurred_at": when}], user_id="u"),
        lambda: mem.search("x", user_id="u", as_of=when),
        lambda: mem.search("x", user_id="u", filters={"occurred_after": when}),
        lambda: mem.search("x", user_id="u", filters={"occurred_before": when}),
        lambda: mem.get_all(user_id="u", filters={"occurred_after": when}),
        lambda: mem.facts(user_id="u", as_of=when),
        lambda: mem.context("x", user_id="u", as_of=when),
        lambda: mem.query_time("x", as_of=when),
    ]
    for call in calls:
        with pytest.raises(InvalidTimeError) as ei:
            call()
        assert ei.value.context["field"] in (
            "occurred_at", "messages[0].occurred_at", "as_of", "occurred_after", "occurred_before",
        )  # fmt: skip
    assert mem.get_all(user_id="u") == []
    _intact(mem, stored)


@pytest.mark.parametrize("text", NUMBERS_AS_TEXT + RELATIVE_WORDS)
def test_numbers_and_relative_words_are_not_dates(text: str) -> None:
    # "nan" became 2026-08-01, "-1" 2026-01-01 and "1e309" 'now minus an hour'
    with pytest.raises(InvalidTimeError):
        to_utc(text, field="occurred_at")


def test_written_dates_still_parse() -> None:
    assert to_utc("1:56 pm on 8 May, 2023") == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert to_utc("8 May, 2023") == datetime(2023, 5, 8, tzinfo=UTC)
    assert to_utc("10/12/2023") == datetime(2023, 10, 12, tzinfo=UTC)
    assert to_utc("2024-03-02T18:30:00Z") == datetime(2024, 3, 2, 18, 30, tzinfo=UTC)
    assert to_utc("2024-03-02T18:30:00+02:00") == datetime(2024, 3, 2, 16, 30, tzinfo=UTC)


def test_range_edges_are_stored_and_read_back(mem: Memory) -> None:
    last = MAX_TIME - timedelta(seconds=1)
    for when in (MIN_TIME, last, "0001-01-02", "9999-12-30T23:59:59Z"):
        mem.add(f"edge {when}", user_id="u", occurred_at=when)
    times = {e.to_dict()["occurred_at"] for e in mem.get_all(user_id="u")}
    assert times == {"0001-01-02T00:00:00+00:00", "9999-12-30T23:59:59+00:00"}
    assert mem.search("edge", user_id="u", as_of=last).hits
    for outside in (MIN_TIME - timedelta(microseconds=1), MAX_TIME):
        with pytest.raises(InvalidTimeError):
            to_utc(outside)


def _export_rows(mem: Memory, tmp_path: Path) -> list[dict[str, Any]]:
    mem.export(tmp_path / "out.jsonl")
    return [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("field", "value"),
    [("occurred_at", 1e308), ("occurred_at", -1e308), ("recorded_at", 1e308),
     ("updated_at", 1e308), ("occurred_at", 10**400)],
)  # fmt: skip
def test_import_refuses_times_the_gate_refuses(
    mem: Memory, stored: str, tmp_path: Path, field: str, value: float
) -> None:
    # an imported occurred_at of 1e308 once made get, search and export fail for the whole store
    src = Memory(":memory:", embedder="hash-test", extractor=None)
    src.add("an imported memory", user_id="s")
    rows = _export_rows(src, tmp_path)
    src.close()
    next(r for r in rows if r["kind"] == "episode")[field] = value
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(ImportFormatError) as ei:
        mem.import_(path)
    assert ei.value.context["field"] == field and ei.value.context["line"] == 2
    _intact(mem, stored)
    assert len(_export_rows(mem, tmp_path)) > 1


def test_import_refuses_event_time_out_of_range(mem: Memory, stored: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"kind": "event", "op": "ADD", "at": 1e308, "target_id": "x"}) + "\n"
    )
    with pytest.raises(ImportFormatError, match="at"):
        mem.import_(path)
    _intact(mem, stored)


# -- item 10: errors outside the tree ---------------------------------------------------------
SURROGATE = "maya\ud800"


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.add("x", user_id=SURROGATE),
        lambda m: m.add("x", user_id="u", session_id=SURROGATE),
        lambda m: m.search("x", user_id=SURROGATE),
        lambda m: m.get_all(user_id=SURROGATE),
        lambda m: m.forget(user_id=SURROGATE),
        lambda m: m.pins(user_id=SURROGATE),
        lambda m: m.add("x", user_id="u", metadata={"k": SURROGATE}),
        lambda m: m.add("x", user_id="u", metadata={SURROGATE: 1}),
        lambda m: m.add("x", user_id="u", metadata={"a": [{"b": SURROGATE}]}),
        lambda m: m.add([{"role": "user", "content": "x", "metadata": {"k": SURROGATE}}], user_id="u"),
        lambda m: m.search("x", user_id="u", filters={"role": SURROGATE}),
        lambda m: m.search("x", user_id="u", filters={"metadata": {"k": SURROGATE}}),
    ],
)  # fmt: skip
def test_lone_surrogates_are_invalid_input(mem: Memory, stored: str, call: Any) -> None:
    with pytest.raises(InvalidInputError):
        call(mem)
    _intact(mem, stored)


@pytest.mark.parametrize("user", ["maya\n", "maya\r\n", "\nmaya", "maya\x85"])
def test_scope_ids_with_line_breaks_are_refused(mem: Memory, user: str) -> None:
    # "maya\n" was stored as a user distinct from "maya" (the check ended in `$`)
    with pytest.raises(InvalidInputError) as ei:
        mem.add("x", user_id=user)
    assert ei.value.context["field"] == "user_id"
    with pytest.raises(InvalidInputError):
        mem.get_all(user_id=user)
    assert mem.store.count() == 0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m, i: m.get_all(user_id="s", offset=2**63), "offset"),
        (lambda m, i: m.get_all(user_id="s", offset=1.5), "offset"),
        (lambda m, i: m.get_all(user_id="s", offset=True), "offset"),
        (lambda m, i: m.get_all(user_id="s", limit=2**64), "limit"),
        (lambda m, i: m.search("x", user_id="s", facts=1.5), "facts"),
        (lambda m, i: m.search("x", user_id="s", facts=-1), "facts"),
        (lambda m, i: m.search("x", user_id="s", facts="3"), "facts"),
        (lambda m, i: m.search("x", user_id="s", trace="yes"), "trace"),
        (lambda m, i: m.facts(user_id="s", include_expired="no"), "include_expired"),
        (lambda m, i: m.history([i]), "memory_id"),
        (lambda m, i: m.delete([i]), "memory_id"),
        (lambda m, i: m.update([i], "new text"), "memory_id"),
        (lambda m, i: m.get([i]), "memory_id"),
        (lambda m, i: m.get(i, user_id=5), "user_id"),
        (lambda m, i: m.delete(i, user_id=["s"]), "user_id"),
        (lambda m, i: m.history(i + "\n"), "memory_id"),
        (lambda m, i: m.unpin(["p"], user_id="s"), "pin_id"),
        (lambda m, i: m.search("x", user_id="s", filters=[("role", "user")]), "filters"),
        (lambda m, i: m.get_all(user_id="s", filters="role=user"), "filters"),
        (lambda m, i: m.search("x", user_id="s", filters={1: "a", "b": 2}), "filters"),
        (lambda m, i: m.search("x", user_id="s", config=5), "config"),
        (lambda m, i: m.search("x", user_id="s", filters={"metadata": {"k": 2**70}}), "metadata"),
        (lambda m, i: m.search("x", user_id="s", filters={"metadata": {"k": object()}}), "metadata"),
        (lambda m, i: m.facts(user_id="s", subject=5), "subject"),
        (lambda m, i: m.facts(user_id="s", relation=["lives in"]), "relation"),
        (lambda m, i: m.timeline(7, user_id="s"), "entity"),
        (lambda m, i: m.add([{"role": ["user"], "content": "x"}], user_id="s"), "messages[0].role"),
    ],
)  # fmt: skip
def test_wrong_types_and_ranges_are_invalid_input(
    mem: Memory, stored: str, call: Any, field: str
) -> None:
    with pytest.raises(InvalidInputError) as ei:
        call(mem, stored)
    assert ei.value.context.get("field") == field
    _intact(mem, stored)


def test_config_is_checked_when_opening() -> None:
    with pytest.raises(InvalidInputError) as ei:
        Memory(":memory:", embedder="hash-test", extractor=None, config=5)  # type: ignore[arg-type]
    assert ei.value.context["field"] == "config"


def test_deeply_nested_metadata_is_invalid_input(mem: Memory) -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidInputError):
        mem.add("x", user_id="u", metadata={"a": deep})


def test_huge_names_are_invalid_input_not_sqlite_errors() -> None:
    # 50K characters once reached SQLite's LIKE ("LIKE or GLOB pattern too complex")
    with Memory(":memory:", embedder="hash-test") as m:
        m.add([{"role": "user", "name": "Maya", "content": "I live in Porto."}], user_id="u",
              occurred_at="2020-01-05")  # fmt: skip
        for call in (
            lambda: m.facts(user_id="u", subject="m" * 50_000),
            lambda: m.timeline("m" * 50_000, user_id="u"),
            lambda: m.facts(user_id="u", relation="r" * 50_000),
        ):
            with pytest.raises(InvalidInputError):
                call()
        assert m.get_all(user_id="u")


def test_every_failure_is_in_the_tree(mem: Memory, stored: str) -> None:
    """The common root: a caller catching PhasememError catches all of the above."""
    with pytest.raises(PhasememError):
        mem.search("x", user_id="s", filters="nope")  # type: ignore[arg-type]
    _intact(mem, stored)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"path": 5}, "path"),
        ({"embedder": 5}, "embedder"),
        ({"extractor": 5}, "extractor"),
        ({"extractor": "llm"}, "extractor"),
        ({"embed_context": "yes"}, "embed_context"),
        ({"lexical_index": 1}, "lexical_index"),
        ({"actor": "a\nb"}, "actor"),
    ],
)
def test_opening_checks_its_arguments(
    kwargs: dict[str, Any], field: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # Memory(5) once created a database file named "5"
    args = {"path": ":memory:", "embedder": "hash-test", "extractor": None, **kwargs}
    with pytest.raises(InvalidInputError) as ei:
        Memory(**args)
    assert ei.value.context["field"] == field
    assert list(tmp_path.iterdir()) == []


def test_export_and_import_check_their_paths(
    mem: Memory, stored: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # export(5) once left a file named "5.tmp"
    for call in (
        lambda: mem.export(5),
        lambda: mem.export([1]),
        lambda: mem.export(tmp_path / "missing" / "out.jsonl"),  # was FileNotFoundError
        lambda: mem.import_(5),
        lambda: mem.import_(tmp_path / "x.jsonl", progress=5),
    ):
        with pytest.raises(InvalidInputError):
            call()
    assert list(tmp_path.iterdir()) == []
    _intact(mem, stored)
