"""What delete, delete with purge, delete_all and forget leave behind (issue 12
items 5 and 7; the guarantees are written down in docs/erasure.md)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem import Memory
from phasemem.store.bytescan import find_any

SECRET = "my locker code is 31-7-22 at the zanzibar gym"


def _raw(db: str) -> bytes:
    return b"".join(Path(db + s).read_bytes() for s in ("", "-wal") if Path(db + s).exists())


def test_delete_keeps_history_and_drops_what_only_it_said(db_path: str) -> None:
    with Memory(db_path, embedder="hash-test") as m:
        m.add({"role": "user", "name": "Maya", "content": "I live in Lisbon."},
              user_id="maya", occurred_at="2024-01-01")  # fmt: skip
        moved = m.add({"role": "user", "name": "Maya", "content": "I moved to Porto."},
                      user_id="maya", occurred_at="2024-06-01")[0].id  # fmt: skip
        assert [f.object for f in m.facts(user_id="maya")] == ["Porto"]
        m.delete(moved)
        # the memory that moved her was wrong: Lisbon holds again, Porto is gone
        assert [f.object for f in m.facts(user_id="maya")] == ["Lisbon"]
        assert "Porto" not in [f.object for f in m.facts(user_id="maya", include_expired=True)]
        con = sqlite3.connect(db_path)
        names = {r[0] for r in con.execute("SELECT name FROM entities")}
        con.close()
        assert "Porto" not in names  # no fact names it any more
        assert [h.op for h in m.history(moved)] == ["ADD", "DELETE"]
        assert m.history(moved)[-1].before["text"] == "I moved to Porto."  # a tombstone


def test_delete_with_purge_leaves_no_byte(db_path: str) -> None:
    with Memory(db_path, embedder="hash-test") as m:
        rid = m.add({"role": "user", "name": "Maya", "content": SECRET}, user_id="maya")[0].id
        m.update(rid, SECRET + " (changed)")
        m.add("an unrelated note that stays", user_id="maya")
        m.delete(rid, purge=True)
        assert all(h.before is None and h.after in (None, {"purged": True}) for h in m.history(rid))
        assert b"zanzibar" not in _raw(db_path)
        assert m.search("note stays", user_id="maya")[0].episode.text.startswith("an unrelated")


def test_delete_all_removes_pins_and_entities_of_a_whole_user(db_path: str) -> None:
    with Memory(db_path, embedder="hash-test") as m:
        m.add({"role": "user", "name": "Maya", "content": "I live in Lisbon."},
              user_id="maya", session_id="s1")  # fmt: skip
        m.add("a note in another session", user_id="maya", session_id="s2")
        m.pin("Always answer in French.", user_id="maya")
        assert m.delete_all(user_id="maya", session_id="s1") == 1
        assert m.pins(user_id="maya") and m.facts(user_id="maya") == []  # a session: pins stay
        assert m.delete_all(user_id="maya") == 1
        assert m.pins(user_id="maya") == [] and m.get_all(user_id="maya") == []
        con = sqlite3.connect(db_path)
        assert (
            con.execute("SELECT COUNT(*) FROM entities WHERE user_id = 'maya'").fetchone()[0] == 0
        )
        con.close()


def test_forget_leaves_nothing_of_the_user(db_path: str) -> None:
    with Memory(db_path, embedder="hash-test") as m:
        m.add([{"role": "user", "name": "Zanzibar Quux", "content": "I live in Xylotown."},
               {"role": "user", "name": "Zanzibar Quux", "content": "I moved to Qwertyville."},
               {"role": "user", "name": "Zanzibar Quux", "content": "I frobnicate widgets for Acmecorp."}],
              user_id="zq", occurred_at="2024-01-01")  # fmt: skip
        m.add({"role": "user", "name": "Zanzibar Quux", "content": SECRET}, user_id="zq",
              occurred_at="2024-05-01")  # fmt: skip
        m.add({"role": "user", "name": "Bob", "content": "I live in Oslo."}, user_id="bob")
        con = sqlite3.connect(db_path)
        zq_relations = {r[0] for r in con.execute(
            "SELECT DISTINCT r.text FROM facts f JOIN relations r ON r.id = f.relation_id"
            " WHERE f.user_id = 'zq'")} - {r[0] for r in con.execute(
            "SELECT DISTINCT r.text FROM facts f JOIN relations r ON r.id = f.relation_id"
            " WHERE f.user_id = 'bob'")}  # fmt: skip
        report = m.forget(user_id="zq")
        assert report["verified"] and report["episodes"] == 4
        left = {t: con.execute(f"SELECT COUNT(*) FROM {t} WHERE user_id = 'zq'").fetchone()[0]
                for t in ("episodes", "facts", "entities", "entity_aliases", "pins", "events",
                          "relation_observations")}  # fmt: skip
        assert set(left.values()) == {0}, left
        relations = {r[0] for r in con.execute("SELECT text FROM relations")}
        assert not (zq_relations & relations), "relation phrases only the user used are gone"
        assert "live in" in relations  # Bob still uses it
        con.close()
        assert m.facts(user_id="bob")
    raw = _raw(db_path)
    for word in (b"Zanzibar", b"Xylotown", b"Qwertyville", b"Acmecorp", b"frobnicate"):
        assert word not in raw, word


def test_every_foreign_key_is_indexed(db_path: str) -> None:
    """Deleting a parent row checks its children by their foreign key: without an
    index led by that column each check scans the child table (item 7: forget
    of 4,000 memories in a 10K store took 49 s)."""
    Memory(db_path, embedder="hash-test", extractor=None).close()
    con = sqlite3.connect(db_path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    missing = []
    for t in tables:
        leading = {con.execute(f"PRAGMA index_info('{ix[1]}')").fetchone()[2]
                   for ix in con.execute(f"PRAGMA index_list('{t}')")}  # fmt: skip
        pk = [r[1] for r in con.execute(f"PRAGMA table_info('{t}')") if r[5] == 1]
        leading |= set(pk[:1])
        for fk in con.execute(f"PRAGMA foreign_key_list('{t}')"):
            if fk[3] not in leading:
                missing.append(f"{t}.{fk[3]}")
    con.close()
    assert missing == []


def test_find_any_finds_every_needle_at_every_alignment(tmp_path: Path) -> None:
    import random

    rng = random.Random(3)
    blob = bytearray(rng.randbytes(3 * 1024 * 1024))
    needles = [rng.randbytes(rng.randint(8, 40)) for _ in range(200)]
    placed = set()
    for i, n in enumerate(needles[:150]):
        pos = rng.randrange(0, len(blob) - len(n))
        blob[pos : pos + len(n)] = n
        placed.add(i)
    end = needles[150]  # right at the end of the file
    blob[-len(end) :] = end
    placed.add(150)
    (tmp_path / "f").write_bytes(bytes(blob))
    found = find_any([tmp_path / "f", tmp_path / "absent"], needles)
    assert placed <= found
    assert all(needles[i] in blob for i in found)
    with pytest.raises(ValueError):
        find_any([tmp_path / "f"], [b"short"])


def test_purge_from_the_cli(db_path: str) -> None:
    from click.testing import CliRunner

    from phasemem.cli import cli

    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        rid = m.add(SECRET, user_id="u")[0].id
    run = CliRunner().invoke(cli, ["--db", db_path, "--embedder", "hash-test",
                                            "delete", rid, "--purge"])  # fmt: skip
    assert run.exit_code == 0, run.output
    assert b"zanzibar" not in _raw(db_path)


def test_find_any_across_chunks_and_alignments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Needles of every length class at every offset mod 8, some straddling a
    chunk boundary, sharing openings with text that stays (the case that made
    first-bytes anchors slow)."""
    import random

    import phasemem.store.bytescan as bs

    monkeypatch.setattr(bs, "_CHUNK", 4096)
    rng = random.Random(9)
    common = b"I went to the pottery class with "
    filler = bytearray(common * 7000)
    needles = [common + f"friend number {i} today".encode() for i in range(40)]
    needles += [f"tiny{i:04d}".encode() for i in range(8)]  # 8 bytes: all alignments needed
    placed = set()
    for i, n in enumerate(needles):
        if i % 3 == 0:
            continue  # absent
        pos = 4096 * (i + 1) - rng.randrange(0, 20) + (i % 8)  # near a chunk edge
        filler[pos : pos + len(n)] = n
        placed.add(i)
    (tmp_path / "f").write_bytes(bytes(filler))
    found = find_any([tmp_path / "f"], needles)
    assert found == {i for i in placed if needles[i] in filler}
    assert placed <= found


def test_deleting_a_negation_reopens_the_fact_it_ended(db_path: str) -> None:
    with Memory(db_path, embedder="hash-test") as m:
        m.add({"role": "user", "name": "Maya", "content": "I live in Lisbon."},
              user_id="maya", occurred_at="2024-01-01")  # fmt: skip
        ended = m.add({"role": "user", "name": "Maya", "content": "I no longer live in Lisbon."},
                      user_id="maya", occurred_at="2024-06-01")[0].id  # fmt: skip
        assert m.facts(user_id="maya") == []  # the negation ended it
        m.delete(ended)
        # the memory that ended it is gone: nothing says it ended any more
        assert [f.object for f in m.facts(user_id="maya")] == ["Lisbon"]


def test_update_re_derives_the_facts_of_the_new_text(db_path: str) -> None:
    with Memory(db_path, embedder="hash-test") as m:
        first = m.add({"role": "user", "name": "Maya", "content": "I live in Lisbon."},
                      user_id="maya", occurred_at="2024-01-01")[0].id  # fmt: skip
        assert [f.object for f in m.facts(user_id="maya")] == ["Lisbon"]
        m.update(first, "I live in Porto.")
        # the episode no longer says Lisbon: its fact goes, the new text's fact comes
        assert [f.object for f in m.facts(user_id="maya")] == ["Porto"]
        assert "Lisbon" not in [f.object for f in m.facts(user_id="maya", include_expired=True)]
        m.update(first, "Nice weather today.")
        assert m.facts(user_id="maya", include_expired=True) == []


def test_compaction_is_bounded_when_writers_keep_the_merge_busy(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer adding rows during a forget keeps FTS5's full merge from ever
    finishing (each add is a new segment): compaction must stop after rewriting
    what existed when it began, not chase the writer."""
    import phasemem.store.sqlite_erase as erase

    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        m.add([{"role": "user", "content": f"note {i} about the harbour"} for i in range(50)],
              user_id="u")  # fmt: skip
        calls = []

        def never_done(c: sqlite3.Connection, pages: int = erase.MERGE_PAGES) -> bool:
            calls.append(pages)
            return True  # there is always more: the writer added another segment

        monkeypatch.setattr(erase, "merge_fulltext_step", never_done)
        report = m.store.compact()  # type: ignore[attr-defined]
        assert report["fts_merge_steps"] == len(calls) <= 10


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lengths=st.lists(st.integers(8, 48), min_size=1, max_size=30),
    chunk=st.sampled_from([64, 100, 4096]),
)
def test_find_any_equals_a_plain_search(seed: int, lengths: list[int], chunk: int) -> None:
    """Every length tier (8-14: all alignments; 15-22: aligned words; 23+: aligned
    word pairs), at every start, across chunk edges, in text made of a small
    alphabet so that windows repeat: the result is exactly ``needle in data``."""
    import random
    import tempfile

    import phasemem.store.bytescan as bs

    rng = random.Random(seed)
    alphabet = b"ab c."
    data = bytearray(rng.choice(alphabet) for _ in range(rng.randint(0, 3000)))
    needles = [bytes(rng.choice(alphabet) for _ in range(n)) for n in lengths]
    for n in needles:
        if data and rng.random() < 0.7:
            pos = rng.randrange(0, len(data) + 1)
            data[pos:pos] = n
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f"
        path.write_bytes(bytes(data))
        old = bs._CHUNK
        bs._CHUNK = chunk
        try:
            found = find_any([path], needles)
        finally:
            bs._CHUNK = old
    assert found == {i for i, n in enumerate(needles) if n in data}


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5), st.integers(0, 200)),
                     min_size=1, max_size=80, unique_by=lambda r: (r[0], r[2])))  # fmt: skip
def test_best_window_choice_is_the_same_packed_or_lexsorted(
    rows: list[tuple[int, int, int]],
) -> None:
    import numpy as np

    from phasemem.store.bytescan import _best_per_group

    group, rarity, local = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    packed = _best_per_group(group, rarity, local)
    plain = _best_per_group(group, rarity, local, packed=False)
    assert packed.tolist() == plain.tolist()
    for i in packed.tolist():  # rarest of its group, then the latest
        same = [r for r in rows if r[0] == rows[i][0]]
        assert (rows[i][1], -rows[i][2]) == min((r[1], -r[2]) for r in same)


def _small_erase_transactions(
    monkeypatch: pytest.MonkeyPatch, rows: int, between: Callable[[int], None] | None = None
) -> None:
    """Make forget erase ``rows`` episodes per transaction; ``between(i)`` runs
    at the i-th boundary between two of them (where other writers get in)."""
    import phasemem.store.sqlite as sq

    monkeypatch.setattr(sq, "_ERASE_CHUNK", rows)
    seen = [0]

    def fixed(done: int, seconds: float) -> int:
        if between is not None:
            between(seen[0])
        seen[0] += 1
        return rows

    monkeypatch.setattr(sq, "_next_chunk", fixed)


def test_one_tombstone_per_erase_transaction_drops_the_rows_in_another_handle(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """forget logs one ERASE event per transaction (not one DELETE per memory);
    another handle's in-memory indexes still drop every erased row."""
    _small_erase_transactions(monkeypatch, 3)
    writer = Memory(db_path, embedder="hash-test", extractor=None)
    reader = Memory(db_path, embedder="hash-test", extractor=None)
    try:
        ids = [r.id for r in writer.add([{"role": "user", "content": f"harbour note {i}"}
                                         for i in range(10)], user_id="zq")]  # fmt: skip
        writer.add("a harbour note of bob", user_id="bob")
        assert len(reader.search("harbour note", user_id="zq", limit=20)) == 10
        assert len(reader.mirror.vectors) == 11
        writer.forget(user_id="zq")
        con = sqlite3.connect(db_path)
        ops = [r[0] for r in con.execute("SELECT op FROM events WHERE op IN ('ERASE', 'DELETE')")]
        con.close()
        assert ops == ["ERASE"] * 4  # 3 + 3 + 3 + 1 rows
        assert len(reader.search("harbour note", user_id="zq", limit=20)) == 0
        assert len(reader.mirror.vectors) == 1
        assert set(reader.mirror.vectors.ids_allowed(ids, _flt("zq"))) == {None}
        assert [h.episode.text for h in reader.search("harbour", user_id="bob")] == [
            "a harbour note of bob"
        ]
    finally:
        reader.close()
        writer.close()


def _flt(user: str):  # type: ignore[no-untyped-def]
    from phasemem.scope import EpisodeFilter

    return EpisodeFilter.build(user)


def test_a_memory_added_while_forget_runs_is_erased_and_verified(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The texts forget proves gone are read in the transactions that erase
    them: one added by another process between two of them is checked too."""
    late = "a late memory about the zanzibar ferry timetable"
    with Memory(db_path, embedder="hash-test", extractor=None) as m, \
            Memory(db_path, embedder="hash-test", extractor=None) as other:  # fmt: skip
        m.add([{"role": "user", "content": f"early note number {i} for the record"}
               for i in range(5)], user_id="zq")  # fmt: skip
        m.pin("Always call me by my zanzibar nickname.", user_id="zq")

        def add_once(i: int) -> None:
            if i == 0:
                other.add(late, user_id="zq")

        _small_erase_transactions(monkeypatch, 2, add_once)
        checked: list[str] = []
        real_residue = m.store.residue

        def residue(needles: list[str]) -> list[str]:
            checked.extend(needles)
            return real_residue(needles)

        monkeypatch.setattr(m.store, "residue", residue)
        report = m.forget(user_id="zq")
        assert report["episodes"] == 6 and report["pins"] == 1 and report["verified"]
        assert late in checked and "Always call me by my zanzibar nickname." in checked
        assert report["checked_texts"] == len(checked) == 7  # json spells these the same
    assert b"zanzibar" not in _raw(db_path)


def _fts_segments(db: str) -> set[int]:
    """Segment ids of the full-text index from its page rows (FTS5 numbers a
    segment's pages ``segid << 37 | height << 31 | page``), independently of
    the structure record :func:`fulltext_segments` reads."""
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute(
            "SELECT DISTINCT id >> 37 FROM episodes_fts_data WHERE id >= 1 << 37")}  # fmt: skip
    finally:
        con.close()


def test_fulltext_segments_reads_fts5s_structure_record(db_path: str) -> None:
    import phasemem.store.sqlite_erase as erase

    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        for i in range(5):  # a segment of several pages per transaction
            m.add([{"role": "user", "content": f"batch {i} note {j} on tides w{i}x{j} v{j}y{i}"}
                   for j in range(400)], user_id="u")  # fmt: skip
    con = sqlite3.connect(db_path, isolation_level=None)
    try:
        segs, merging = erase.fulltext_segments(con) or (frozenset(), True)
        assert segs == _fts_segments(db_path) and len(segs) > 1 and not merging
        con.execute("BEGIN")
        erase.merge_fulltext_step(con, pages=1)  # a merge of them all, begun, far from done
        seen = erase.fulltext_segments(con)
        assert seen is not None and seen[1]
        con.execute("COMMIT")
        assert seen[0] == _fts_segments(db_path)
        con.execute("INSERT INTO episodes_fts (episodes_fts) VALUES ('optimize')")
        assert erase.fulltext_segments(con) == (frozenset(_fts_segments(db_path)), False)
        assert len(_fts_segments(db_path)) == 1
        block = con.execute("SELECT block FROM episodes_fts_data WHERE id = 10").fetchone()[0]
        for bad in (block + b"\x00", block[:-1], b"\x00\x00\x00\x00\x05", b""):
            con.execute("UPDATE episodes_fts_data SET block = ? WHERE id = 10", (bad,))
            assert erase.fulltext_segments(con) is None, bad  # not understood: not relied on
    finally:
        con.close()


def test_compaction_stops_once_the_segments_of_the_erased_rows_are_merged(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer adds a segment after every merge step: compaction must stop as
    soon as every segment that existed when it began (those holding the
    deleted rows' words) is merged into one, not rewrite the index again for
    each new segment until its step budget runs out."""
    import phasemem.store.sqlite_erase as erase

    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        for session in ("a", "b"):  # a segment each, then one of the deletions
            m.add([{"role": "user", "content": f"tide {session}{j} w{j}x{session} zanzibarish"}
                   for j in range(400)], user_id="u", session_id=session)  # fmt: skip
        assert m.delete_all(user_id="u", session_id="a") == 400
        start = _fts_segments(db_path)
        assert len(start) > 1
        real = erase.merge_fulltext_step

        def and_a_writer(c: sqlite3.Connection, pages: int = erase.MERGE_PAGES) -> bool:
            more = real(c, pages)
            c.execute("UPDATE episodes SET text = text || ' again'"
                      " WHERE seq = (SELECT MAX(seq) FROM episodes)")  # fmt: skip
            return more

        monkeypatch.setattr(erase, "merge_fulltext_step", and_a_writer)
        report = m.store.compact()  # type: ignore[attr-defined]
        assert report["fts_merge_steps"] == 1 and report["checkpointed"]
        con = sqlite3.connect(db_path)
        segs, merging = erase.fulltext_segments(con) or (frozenset(), True)
        # what the merge made, and the writer's segment added after it
        assert len(segs) == 2 and not merging and segs == _fts_segments(db_path)
        con.execute("INSERT INTO episodes_fts (episodes_fts, rank) VALUES ('integrity-check', 1)")
        con.close()


def test_a_bulk_erase_pauses_for_other_writers_and_checkpoints_meanwhile(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``_HOLD_S`` of back-to-back transactions, forget pauses (other
    writers get the lock) and copies the WAL into the file meanwhile."""
    import phasemem.store.sqlite as sq

    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        m.add([{"role": "user", "content": f"note {i} on tides"} for i in range(30)], user_id="zq")
        store = m.store
        pauses: list[float] = []
        real_turns = store._turns  # type: ignore[attr-defined]

        def counted() -> sq._Turns:
            turns = real_turns()
            idle = turns._idle
            assert idle is not None  # a file: the pause checkpoints

            def idle_counted() -> None:
                idle()
                pauses.append(time.monotonic())

            turns._idle = idle_counted
            return turns

        monkeypatch.setattr(store, "_turns", counted)
        monkeypatch.setattr(sq, "_HOLD_S", -1.0)  # pause between every two transactions
        monkeypatch.setattr(sq, "_PAUSE_S", 0.0)
        _small_erase_transactions(monkeypatch, 7)
        assert m.forget(user_id="zq")["verified"]
        assert len(pauses) >= 6  # 5 erase transactions, the graph, the scrub, the merge
    monkeypatch.setattr(sq, "_HOLD_S", 60.0)
    n = len(pauses)
    sq._Turns(lambda: pauses.append(-1.0)).take()
    assert len(pauses) == n  # within the hold: no pause


def test_a_forget_stopped_part_way_leaves_a_consistent_store_and_a_rerun_finishes(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each erase transaction commits its deletions with their tombstone: a
    forget killed between two leaves a store where another handle sees some
    rows gone and the rest intact; running forget again erases the rest."""

    class Killed(Exception):
        pass

    def die(i: int) -> None:
        if i == 1:
            raise Killed

    with Memory(db_path, embedder="hash-test", extractor=None) as m, \
            Memory(db_path, embedder="hash-test", extractor=None) as other:  # fmt: skip
        ids = [r.id for r in m.add([{"role": "user", "content": f"zanzibar note {i} on tides"}
                                    for i in range(10)], user_id="zq")]  # fmt: skip
        assert len(other.search("zanzibar tides", user_id="zq", limit=20)) == 10
        _small_erase_transactions(monkeypatch, 3, die)
        with pytest.raises(Killed):
            m.forget(user_id="zq")
        left = {r.id for r in other.get_all(user_id="zq")}
        assert len(left) == 4 and left < set(ids)  # two transactions of 3 went through
        assert {
            h.episode.id for h in other.search("zanzibar tides", user_id="zq", limit=20)
        } == left
        con = sqlite3.connect(db_path)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        monkeypatch.undo()
        report = m.forget(user_id="zq")
        assert report["episodes"] == 4 and report["verified"] and report["checked_texts"] == 4
        assert len(other.search("zanzibar tides", user_id="zq", limit=20)) == 0
    assert b"zanzibar" not in _raw(db_path)


def test_forget_on_an_in_memory_database_is_checked_for_real() -> None:
    """``:memory:`` has no file: the proof scans the database's image, so it
    finds a text that is still there (not an empty list whatever happens)."""
    with Memory(":memory:", embedder="hash-test") as m:
        m.add("My passport number is X1234567 and I live at 12 Rua Augusta.", user_id="maya")
        m.add("Another user's note: the vault code is 998877.", user_id="tom")
        kept = ["My passport number is X1234567", "the vault code is 998877"]
        assert m.store.residue(kept) == kept  # type: ignore[attr-defined]
        report = m.forget(user_id="maya")
        assert report["verified"] and report["checked_texts"] == 1
        assert m.store.residue(kept) == ["the vault code is 998877"]  # type: ignore[attr-defined]
