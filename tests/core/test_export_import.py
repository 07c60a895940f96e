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
