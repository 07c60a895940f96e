from __future__ import annotations

import sqlite3

import pytest

from phasemem import Memory, NotFoundError


def test_pin_unpin(mem: Memory) -> None:
    p = mem.pin("Always answer in French.", user_id="u")
    mem.pin("Never mention peanuts.", user_id="u")
    assert [x.text for x in mem.pins(user_id="u")] == [
        "Always answer in French.",
        "Never mention peanuts.",
    ]
    assert mem.pins(user_id="other") == []
    with pytest.raises(NotFoundError):
        mem.unpin(p.id, user_id="other")
    mem.unpin(p.id, user_id="u")
    assert [x.text for x in mem.pins(user_id="u")] == ["Never mention peanuts."]


def test_forget_erases_every_trace_and_proves_it(db_path: str) -> None:
    secret = "my locker combination is 31-7-22 zanzibar"
    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        rid = m.add(secret, user_id="alice")[0].id
        m.update(rid, secret + " (updated)")
        m.add("bob keeps this", user_id="bob")
        m.pin("alice pinned instruction xyzzy", user_id="alice")
        other = Memory(
            db_path, embedder="hash-test", extractor=None
        )  # a second process-like handle
        report = m.forget(user_id="alice")
        assert report["episodes"] == 1 and report["pins"] == 1 and report["verified"] is True
        assert m.get_all(user_id="alice") == [] and m.search("zanzibar", user_id="alice").hits == []
        assert [e.text for e in m.get_all(user_id="bob")] == ["bob keeps this"]
        assert other.search("zanzibar combination", user_id="alice").hits == []
        other.close()
    from pathlib import Path

    raw = Path(db_path).read_bytes()
    assert b"zanzibar" not in raw and b"xyzzy" not in raw
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT COUNT(*) FROM events WHERE user_id = 'alice'").fetchone()[0] == 0
    assert (
        con.execute(
            "SELECT COUNT(*) FROM episodes_fts WHERE episodes_fts MATCH 'zanzibar'"
        ).fetchone()[0]
        == 0
    )
    con.close()
