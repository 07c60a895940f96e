from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem import Episode, Memory, NotFoundError, RetrievalConfig


def _conv(mem: Memory, user: str = "u1") -> list[str]:
    res = mem.add(
        [
            {
                "role": "user",
                "name": "Ann",
                "content": "I adopted a grey cat called Miso last week",
            },
            {"role": "assistant", "content": "Lovely! How is Miso settling in?"},
            {"role": "user", "name": "Ann", "content": "She sleeps on my keyboard all day"},
        ],
        user_id=user,
        session_id="s1",
        occurred_at="2024-05-01T10:00:00Z",
    )
    return [r.id for r in res]


def test_add_returns_mem0_shape_and_dedupes(mem: Memory) -> None:
    ids = _conv(mem)
    assert len(ids) == 3
    again = mem.add("I adopted a grey cat called Miso last week", user_id="u1", session_id="s1")
    # no speaker/time given: a different hash than the named, timed message -> ADD
    assert again[0].event == "ADD"
    dup = mem.add("plain note", user_id="u1")
    assert mem.add("plain note", user_id="u1")[0].event == "NOOP"
    assert mem.add("plain note", user_id="u1")[0].id == dup[0].id
    assert dup[0].to_dict() == {"id": dup[0].id, "event": "ADD", "memory": "plain note"}


def test_search_finds_and_reports_stage_scores(mem: Memory) -> None:
    _conv(mem)
    res = mem.search("what is the cat called?", user_id="u1", limit=2, trace=True)
    assert res[0].episode.text.startswith("I adopted a grey cat")
    assert {"bm25", "dense", "fused"} <= set(res[0].scores)
    assert res.trace is not None and {"bm25", "dense"} <= set(res.trace["stages"])
    d = res.to_dict()
    assert d["results"][0]["memory"] == res[0].episode.text and "score" in d["results"][0]


def test_search_is_scoped_by_user(mem: Memory) -> None:
    _conv(mem, "u1")
    mem.add("Bob's cat is called Tiger", user_id="u2")
    texts = [h.episode.text for h in mem.search("cat called", user_id="u1", limit=10)]
    assert texts and all("Tiger" not in t for t in texts)
    texts2 = [h.episode.text for h in mem.search("cat called", user_id="u2", limit=10)]
    assert texts2 == ["Bob's cat is called Tiger"]


def test_time_and_session_filters(mem: Memory) -> None:
    mem.add("trip to Rome", user_id="u", session_id="a", occurred_at="2020-01-01")
    mem.add("trip to Oslo", user_id="u", session_id="b", occurred_at="2023-01-01")
    hits = mem.search("trip", user_id="u", filters={"occurred_after": "2022-01-01"})
    assert [h.episode.text for h in hits] == ["trip to Oslo"]
    hits = mem.search("trip", user_id="u", session_id="a")
    assert [h.episode.text for h in hits] == ["trip to Rome"]
    hits = mem.search(
        "trip", user_id="u", filters={"occurred_before": datetime(2021, 1, 1, tzinfo=UTC)}
    )
    assert [h.episode.text for h in hits] == ["trip to Rome"]


def test_metadata_filter(mem: Memory) -> None:
    mem.add("blue notebook", user_id="u", metadata={"tag": "a"})
    mem.add("blue pencil", user_id="u", metadata={"tag": "b"})
    hits = mem.search("blue", user_id="u", filters={"metadata": {"tag": "b"}})
    assert [h.episode.text for h in hits] == ["blue pencil"]
    assert [e.text for e in mem.get_all(user_id="u", filters={"metadata": {"tag": "a"}})] == [
        "blue notebook"
    ]


def test_neighbour_expansion_adds_adjacent_turns(mem: Memory) -> None:
    mem.add(
        [
            {"role": "user", "content": "What was the name of that bakery?"},
            {"role": "assistant", "content": "It was Golden Crumb on Pine street."},
            {"role": "user", "content": "unrelated chatter about weather"},
        ],
        user_id="u",
        session_id="s",
        occurred_at="2024-01-01",
    )
    cfg = RetrievalConfig(dense=False, neighbours=1)
    hits = mem.search("bakery name", user_id="u", limit=3, config=cfg)
    vias = {h.episode.text: h.via for h in hits}
    assert vias["What was the name of that bakery?"] == "search"
    assert vias["It was Golden Crumb on Pine street."] == "neighbour"


def test_get_update_history_delete(mem: Memory) -> None:
    ids = _conv(mem)
    ep = mem.get(ids[0])
    assert isinstance(ep, Episode) and ep.speaker == "Ann" and ep.role == "user"
    new = mem.update(ids[0], "I adopted a black cat called Miso")
    assert new.text == "I adopted a black cat called Miso" and new.updated_at is not None
    hist = mem.history(ids[0])
    assert [h.op for h in hist] == ["ADD", "UPDATE"]
    assert hist[1].before["text"].startswith("I adopted a grey cat") and hist[1].after[
        "text"
    ].startswith("I adopted a black")
    # the index follows the update
    assert mem.search("black cat", user_id="u1", limit=1)[0].episode.id == ids[0]
    mem.delete(ids[0])
    with pytest.raises(NotFoundError):
        mem.get(ids[0])
    assert [h.op for h in mem.history(ids[0])] == ["ADD", "UPDATE", "DELETE"]
    assert all(h.episode.id != ids[0] for h in mem.search("cat Miso", user_id="u1"))


def test_get_all_pagination_and_delete_all(mem: Memory) -> None:
    for i in range(25):
        mem.add(f"note number {i}", user_id="u", occurred_at=f"2024-01-{i + 1:02d}")
    mem.add("other user's note", user_id="v")
    page1 = mem.get_all(user_id="u", limit=10)
    page3 = mem.get_all(user_id="u", limit=10, offset=20)
    assert [e.text for e in page1][:2] == ["note number 0", "note number 1"] and len(page3) == 5
    assert mem.delete_all(user_id="u") == 25
    assert mem.get_all(user_id="u") == [] and len(mem.get_all(user_id="v")) == 1
    assert mem.search("note", user_id="u").hits == []


def test_user_scoped_get_hides_other_tenants(mem: Memory) -> None:
    rid = mem.add("secret", user_id="alice")[0].id
    with pytest.raises(NotFoundError):
        mem.get(rid, user_id="bob")
    with pytest.raises(NotFoundError):
        mem.update(rid, "hacked", user_id="bob")
    with pytest.raises(NotFoundError):
        mem.delete(rid, user_id="bob")
    assert mem.get(rid, user_id="alice").text == "secret"


def test_file_database_persists_and_other_process_writes_are_seen(db_path: str) -> None:
    a = Memory(db_path, embedder="hash-test", extractor=None)
    b = Memory(db_path, embedder="hash-test", extractor=None)
    rid = a.add("the red kite flies", user_id="u")[0].id
    assert (
        b.search("red kite", user_id="u", config=RetrievalConfig(lexical=False))[0].episode.id
        == rid
    )
    a.delete(rid)
    assert b.search("red kite", user_id="u", config=RetrievalConfig(lexical=False)).hits == []
    a.close()
    b.close()
    with Memory(db_path, embedder="hash-test", extractor=None) as c:
        assert c.history(rid)[-1].op == "DELETE"
