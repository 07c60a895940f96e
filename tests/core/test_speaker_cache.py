"""A write must not make every read handle re-read all of a user's speakers.

The speaker boost needs the names of a user's speakers. They used to be read
again (a DISTINCT over all the user's rows) on each handle's first search
after any write; a server with a writer then paid that query per read handle
per add. Now it is read once and kept current from the rows each sync reads
anyway; the names must still be exactly what the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from phasemem import Memory

EMB = "hash-test"


def _turn(name: str, text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "name": name, "content": text}]


@pytest.fixture
def handles(tmp_path: Path) -> Any:
    db = tmp_path / "m.db"
    writer = Memory(db, embedder=EMB, extractor=None)
    reader = Memory(db, embedder=EMB, extractor=None)  # a server's read handle
    yield writer, reader
    reader.close()
    writer.close()


def _count_speaker_reads(monkeypatch: pytest.MonkeyPatch, mem: Memory) -> list[str]:
    calls: list[str] = []
    real = mem.store.speakers

    def counted(user_id: str) -> list[str]:
        calls.append(user_id)
        return real(user_id)

    monkeypatch.setattr(mem.store, "speakers", counted)
    return calls


def test_adds_do_not_make_readers_reread_speakers(
    handles: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = handles
    for i in range(5):
        writer.add(_turn("Maya", f"I went to Porto on trip {i}."), user_id="u")
    calls = _count_speaker_reads(monkeypatch, reader)
    reader.search("Maya Porto trip", user_id="u")
    assert calls == ["u"]  # read once
    for i in range(20):
        writer.add(_turn("Maya", f"Another note {i} about Lisbon."), user_id="u")
        reader.search("what did Maya say about Lisbon", user_id="u")
    assert calls == ["u"]  # and never again while only adds happen


def test_new_speakers_are_seen_and_removed_ones_dropped(handles: Any) -> None:
    writer, reader = handles
    writer.add(_turn("Maya", "I live in Porto."), user_id="u")
    writer.add(_turn("Ines", "Hello from Faro."), user_id="other")
    reader.search("Porto", user_id="u")
    assert reader.mirror.speakers("u") == ["Maya"]

    tomas = writer.add(_turn("Tomas", "Tomas here, I play the cello."), user_id="u")[0]
    reader.search("cello", user_id="u")  # syncs
    assert sorted(reader.mirror.speakers("u")) == ["Maya", "Tomas"]
    assert reader.mirror.speakers("other") == ["Ines"]  # never mixed across users
    hits = reader.search("what did Tomas say", user_id="u", trace=True).hits
    assert hits[0].episode.id == tomas.id and hits[0].scores.get("speaker_boost")

    writer.delete(tomas.id, user_id="u")
    reader.search("cello", user_id="u")
    assert reader.mirror.speakers("u") == ["Maya"]
    writer.forget(user_id="other")
    reader.search("Faro", user_id="other")
    assert reader.mirror.speakers("other") == []
