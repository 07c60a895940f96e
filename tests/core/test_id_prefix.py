"""Ids by unique prefix: ``search`` prints 8 characters, and every call that
takes an id must accept them (``SQLiteStore.resolve_id``)."""

from __future__ import annotations

import itertools
import uuid

import pytest

from phasemem import InvalidInputError, Memory, NotFoundError


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """uuid4 made predictable: two ids share the prefix abcd1 (then differ), one does not."""
    ids = [
        "abcd1111-0000-4000-8000-000000000001",
        "abcd1222-0000-4000-8000-000000000002",
        "ef012345-0000-4000-8000-000000000003",
    ]
    it = itertools.chain((uuid.UUID(i) for i in ids), iter(uuid.uuid4, None))
    monkeypatch.setattr("phasemem.memory.uuid.uuid4", lambda: next(it))
    return ids


def _three(mem: Memory) -> None:
    mem.add("first memory about hiking", user_id="u")
    mem.add("second memory about cooking", user_id="u")
    mem.add("third memory about sailing", user_id="v")


def test_get_update_delete_history_take_a_prefix(mem: Memory) -> None:
    rid = mem.add("I love hiking in Sintra", user_id="u")[0].id
    short = rid[:8]
    assert mem.get(short).id == rid
    assert mem.get(short, user_id="u").id == rid
    assert mem.get(short.upper()).id == rid  # typed from a screen, in any case
    assert mem.update(short, "I love hiking in Arrabida", user_id="u").text.endswith("Arrabida")
    assert mem.delete(rid[:6], user_id="u").id == rid
    # a deleted memory keeps its history, and its prefix still finds it there
    assert [e.op for e in mem.history(short)] == ["ADD", "UPDATE", "DELETE"]
    with pytest.raises(NotFoundError):
        mem.get(short)


def test_ambiguous_prefix_names_how_many(mem: Memory, fixed_ids: list[str]) -> None:
    _three(mem)
    with pytest.raises(InvalidInputError) as exc:
        mem.get("abcd1")
    assert exc.value.context["candidates"] == 2 and "2 memory ids" in exc.value.message
    assert mem.get("abcd11").id == fixed_ids[0]
    assert mem.get("abcd12").id == fixed_ids[1]


def test_prefix_is_resolved_inside_the_users_scope(mem: Memory, fixed_ids: list[str]) -> None:
    _three(mem)
    assert mem.get("ef01").id == fixed_ids[2]  # no scope: every user
    assert mem.get("ef01", user_id="v").id == fixed_ids[2]
    with pytest.raises(NotFoundError):  # another user's memory is not found, not leaked
        mem.get("ef01", user_id="u")
    with pytest.raises(NotFoundError):
        mem.delete(fixed_ids[2], user_id="u")
    with pytest.raises(InvalidInputError):  # both abcd1... belong to u
        mem.get("abcd1", user_id="u")
    with pytest.raises(NotFoundError):
        mem.get("abcd1", user_id="v")


@pytest.mark.parametrize("bad", ["abc", "ab-c", "zzzz1234", "abcd%", "a_cd1"])
def test_short_or_non_hex_prefixes_are_not_found(
    mem: Memory, fixed_ids: list[str], bad: str
) -> None:
    _three(mem)
    with pytest.raises(NotFoundError):
        mem.get(bad)
    with pytest.raises(InvalidInputError):  # not an id at all
        mem.get("")


def test_exact_ids_that_are_not_uuids_still_work(mem: Memory) -> None:
    """Imported ids may be anything; exact match comes first and LIKE wildcards mean nothing."""
    mem.store.import_rows(
        [{"kind": "episode", "id": "my_id%1", "user_id": "u", "text": "imported", "occurred_at": 1.0,
          "recorded_at": 1.0, "content_hash": "h1"}], actor=None)  # fmt: skip
    assert mem.get("my_id%1").text == "imported"
    with pytest.raises(NotFoundError):
        mem.get("my_id")


def test_unpin_takes_a_prefix(mem: Memory) -> None:
    pin = mem.pin("Answer in one sentence.", user_id="u")
    with pytest.raises(NotFoundError):
        mem.unpin(pin.id[:8], user_id="someone-else")
    assert mem.unpin(pin.id[:8], user_id="u").id == pin.id
    assert mem.pins(user_id="u") == []


def test_prefix_lookup_is_an_index_range_scan(mem: Memory) -> None:
    """Not LIKE, not a scan of the user's rows: the planner uses the id index."""
    rid = mem.add("hello there", user_id="u")[0].id
    seen: list[str] = []
    conn = mem.store._conn  # type: ignore[attr-defined]
    conn.set_trace_callback(seen.append)
    try:
        mem.get(rid[:8], user_id="u")
    finally:
        conn.set_trace_callback(None)
    ranged = [s for s in seen if ">=" in s and "episodes" in s]
    assert ranged and "LIKE" not in " ".join(seen)
    plan = " ".join(str(r) for r in conn.execute("EXPLAIN QUERY PLAN " + ranged[0]).fetchall())
    assert "sqlite_autoindex_episodes_1 (id>? AND id<?)" in plan
