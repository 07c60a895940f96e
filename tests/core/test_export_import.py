from __future__ import annotations

from pathlib import Path

import pytest

from phasemem import ImportFormatError, InvalidInputError, Memory


def test_round_trip_is_exact(tmp_path: Path) -> None:
    a = Memory(str(tmp_path / "a.db"), embedder="hash-test", extractor=None)
    ids = [r.id for r in a.add([{"role": "user", "name": "Zoë", "content": "ünïcode ✓ text"},
                                {"role": "assistant", "content": "reply"}], user_id="u", session_id="s",
                               occurred_at="2021-03-04T05:06:07Z", metadata={"k": [1, 2]})]  # fmt: skip
    a.update(ids[1], "edited reply")
    a.add("to be deleted", user_id="v")
    a.delete_all(user_id="v")
    a.export(tmp_path / "one.jsonl")
    b = Memory(str(tmp_path / "b.db"), embedder="hash-test", extractor=None)
    assert b.import_(tmp_path / "one.jsonl") == 2
    b.export(tmp_path / "two.jsonl")
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert [h.op for h in b.history(ids[1])] == ["ADD", "UPDATE"]
    assert b.search("edited reply", user_id="u")[0].episode.id == ids[1]
    # importing again adds nothing
    assert b.import_(tmp_path / "one.jsonl") == 0
    a.close()
    b.close()


def test_bad_import_lines_name_the_line(tmp_path: Path, mem: Memory) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"kind": "header", "format": "phasemem-export", "embedder": "hash-test-64", "dim": 64}\n{oops\n'
    )
    with pytest.raises(ImportFormatError, match=":2:"):
        mem.import_(bad)
    bad.write_text('{"kind": "episode", "id": "x"}\n')
    with pytest.raises(ImportFormatError):
        mem.import_(bad)
    with pytest.raises(InvalidInputError):
        mem.import_(tmp_path / "missing.jsonl")
    assert mem.store.count() == 0


# -- a whole memory moves losslessly (issue 12 item 3) ---------------------------------
from phasemem.store import dump as dump_format  # noqa: E402


def _fill(m: Memory) -> list[str]:
    ids = [r.id for r in m.add([
        {"role": "user", "name": "Maya", "content": "I live in Lisbon and work at Tidewater."},
        {"role": "assistant", "content": "Lisbon is lovely!"},
    ], user_id="maya", session_id="s1", occurred_at="2024-03-02")]  # fmt: skip
    ids += [r.id for r in m.add(
        {"role": "user", "name": "Maya", "content": "We moved to Porto last month."},
        user_id="maya", session_id="s2", occurred_at="2025-01-20", agent_id="a1",
        metadata={"mood": "happy"}, source="chat")]  # fmt: skip
    ids += [r.id for r in m.add({"role": "user", "name": "Tom", "content": "I live in Oslo."},
                                user_id="tom", occurred_at="2023-05-05")]  # fmt: skip
    m.update(ids[1], "Lisbon is lovely in spring!")
    m.pin("Answer in one sentence.", user_id="maya")
    extra = m.add("A note to delete.", user_id="maya")[0].id
    m.delete(extra)
    return ids


def _answers(m: Memory, user: str) -> dict[str, object]:
    """What a user sees: search (ids, order), facts now and then, timeline, context, history."""
    res = m.search("where does Maya live", user_id=user, limit=10)
    eps = m.get_all(user_id=user)
    return {
        "search": [(h.episode.id, round(h.score, 5)) for h in res],
        "search_facts": [h.fact.id for h in res.facts],
        "facts": sorted(f.to_dict()["id"] for f in m.facts(user_id=user)),
        "facts_then": sorted(f.id for f in m.facts(user_id=user, as_of="2024-06-01")),
        "all_versions": [f.to_dict() for f in m.facts(user_id=user, include_expired=True)],
        "timeline": [f.to_dict() for f in m.timeline("Maya", user_id=user)]
        if user == "maya"
        else [],
        "context": m.context("where does Maya live", user_id=user, budget_tokens=400).text,
        "pins": [p.to_dict() for p in m.pins(user_id=user)],
        # event ids are the store's own sequence numbers: compared without them
        "history": {e.id: [h.to_dict() | {"id": None} for h in m.history(e.id)] for e in eps},
        "relations": m.store.relation_stats(),
    }


def test_whole_memory_round_trip_with_facts(tmp_path: Path) -> None:
    with Memory(str(tmp_path / "a.db"), embedder="hash-test") as a:
        _fill(a)
        assert a.facts(user_id="maya"), "the extractor should find facts here"
        n = a.export(tmp_path / "one.jsonl")
        before = {u: _answers(a, u) for u in ("maya", "tom")}
    kinds = {__import__("json").loads(x)["kind"] for x in (tmp_path / "one.jsonl").open()}
    assert {"episode", "pin", "entity", "fact", "relation", "event"} <= kinds
    with Memory(str(tmp_path / "b.db"), embedder="hash-test") as b:
        assert b.import_(tmp_path / "one.jsonl") == 4  # five added, one deleted
        assert b.export(tmp_path / "two.jsonl") == n
        assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
        after = {u: _answers(b, u) for u in ("maya", "tom")}
        assert after == before
        # the same dump again adds nothing: no duplicate history, no double-counted speeds
        assert b.import_(tmp_path / "one.jsonl") == 0
        assert {u: _answers(b, u) for u in ("maya", "tom")} == before
        b.export(tmp_path / "three.jsonl")
        assert (tmp_path / "three.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()


def test_one_users_export_moves_that_user_only(tmp_path: Path) -> None:
    with Memory(str(tmp_path / "a.db"), embedder="hash-test") as a:
        _fill(a)
        a.export(tmp_path / "maya.jsonl", user_id="maya")
        before = _answers(a, "maya")
    text = (tmp_path / "maya.jsonl").read_text()
    assert "Oslo" not in text and "Tom" not in text
    with Memory(str(tmp_path / "b.db"), embedder="hash-test") as b:
        b.import_(tmp_path / "maya.jsonl")
        assert b.get_all(user_id="tom") == []
        after = _answers(b, "maya")
    before.pop("relations"), after.pop("relations")  # speeds learned from Tom stay behind
    # BM25 statistics are store-wide (FTS5's): without Tom's "I live in Oslo"
    # the word "live" is informative again, so scores move; the ranking may not
    for d in (before, after):
        d["search"] = [episode_id for episode_id, _ in d["search"]]  # type: ignore[attr-defined]
    assert after == before


def test_export_file_is_private_and_atomic(tmp_path: Path, mem: Memory) -> None:
    mem.add("secret", user_id="u")
    mem.export(tmp_path / "d.jsonl")
    assert (tmp_path / "d.jsonl").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["d.jsonl"]  # no temporary file left


def test_a_dump_from_another_embedder_is_re_embedded(tmp_path: Path) -> None:
    with Memory(str(tmp_path / "a.db"), embedder="hash-test") as a:
        _fill(a)
        rows = [r for r in a.export_iter()]
    rows[0]["embedder"] = "some-other-model"
    (tmp_path / "d.jsonl").write_text("".join(dump_format.dump_line(r) for r in rows))
    with Memory(str(tmp_path / "b.db"), embedder="hash-test") as b:
        b.import_(tmp_path / "d.jsonl")
        assert b.search("Porto", user_id="maya")[0].episode.text == "We moved to Porto last month."
        assert {f.object for f in b.facts(user_id="maya")} >= {"Porto"}


def test_version_1_dumps_still_import(tmp_path: Path, mem: Memory) -> None:
    import json

    v1 = [
        {"kind": "header", "format": "phasemem-export", "version": 1, "embedder": "x", "dim": 3},
        {"kind": "episode", "id": "e1", "user_id": "u", "text": "old note", "occurred_at": 1.6e9,
         "recorded_at": 1.6e9, "content_hash": "h1"},
        {"kind": "event", "op": "ADD", "target_id": "e1", "user_id": "u", "at": 1.6e9,
         "after": {"text": "old note"}},
    ]  # fmt: skip
    (tmp_path / "v1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in v1))
    assert mem.import_(tmp_path / "v1.jsonl") == 1
    assert [h.op for h in mem.history("e1")] == ["ADD"]


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (
            {
                "kind": "fact",
                "id": "f",
                "user_id": "u",
                "subject_ref": 1,
                "object_ref": 2,
                "relation": "live in",
                "valid_at": 1e9,
                "recorded_at": 1e9,
            },
            "entity ref",
        ),  # fmt: skip
        (
            {
                "kind": "episode",
                "id": "e",
                "user_id": "u",
                "text": "x",
                "occurred_at": 1e308,
                "recorded_at": 1e9,
                "content_hash": "h",
            },
            "occurred_at",
        ),  # fmt: skip
        ({"kind": "relation", "text": "live in", "alpha_prior": 1.5}, "alpha_prior"),
        ({"kind": "widget"}, "unknown row kind"),
    ],
)
def test_bad_v2_rows_are_refused_with_their_line(
    tmp_path: Path, mem: Memory, row: dict[str, object], match: str
) -> None:
    import json

    head = {"kind": "header", "format": "phasemem-export", "version": 2, "embedder": "x", "dim": 3}
    (tmp_path / "d.jsonl").write_text(json.dumps(head) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(ImportFormatError, match=match) as info:
        mem.import_(tmp_path / "d.jsonl")
    assert ":2" in str(info.value)
    assert mem.store.count() == 0


def test_a_newer_dump_version_is_refused(tmp_path: Path, mem: Memory) -> None:
    (tmp_path / "d.jsonl").write_text(
        '{"kind": "header", "format": "phasemem-export", "version": 9}\n'
    )
    with pytest.raises(ImportFormatError, match="upgrade"):
        mem.import_(tmp_path / "d.jsonl")
