"""What deleting leaves behind, and how erasure removes it (SQLite).

Three strengths, documented in ``docs/erasure.md``:

* **delete** (tombstone): the episode leaves every index; the facts that only it
  supported leave too (a fact it superseded becomes current again), and so do
  entities no fact names any more. The event log keeps the old text, so
  ``history`` can still show what was deleted.
* **delete with purge**: the same, and every event payload about the episode
  and its dropped facts is emptied, the full-text index is merged so no segment
  keeps its words, and the WAL is checkpointed: no byte of the text is left.
* **forget** (a whole user): every row of the user (episodes, facts, entities,
  aliases, pins, relation observations, relations only they used) and every
  payload and user id in the log, done in short transactions so other writers
  never wait long (one ``ERASE`` tombstone naming the episode ids each), then
  the same merge and checkpoint; the caller verifies the texts the erase
  transactions read.

The connection runs with ``secure_delete`` on (set when the store opens), so
freed space is overwritten with zeros as it is freed, not left for VACUUM.
Each function here runs inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from phasemem.store.base import ENDED_BY, ERASE_OP
from phasemem.store.sqlconn import SqlConn

Logger = Callable[..., None]
C = TypeVar("C", bound=SqlConn)

_CHUNK = 500


def _marks(n: int) -> str:
    return ",".join("?" * n)


def drop_orphans(
    c: SqlConn, episode_ids: Sequence[str], *, actor: str | None, log: Logger,
    purge: bool,
) -> list[str]:  # fmt: skip
    """Remove what only these (already deleted) episodes supported: facts whose
    every source episode is gone (logged as FACT_DELETE; a fact one of them
    had superseded becomes current again), then entities no fact names.
    Returns the ids of the facts removed."""
    from phasemem.store.facts_sql import FACT_COLS, FACT_FROM, fact_from_row

    dropped: list[str] = []
    users: set[str] = set()
    for i in range(0, len(episode_ids), _CHUNK):
        chunk = list(episode_ids[i : i + _CHUNK])
        marks = _marks(len(chunk))
        # in the order the facts were first linked to these episodes (every backend alike)
        fids = [r[0] for r in c.execute(
            f"SELECT fact_id FROM fact_episodes WHERE episode_id IN ({marks})"
            " GROUP BY fact_id ORDER BY MIN(rowid)", chunk)]  # fmt: skip
        c.execute(f"DELETE FROM fact_episodes WHERE episode_id IN ({marks})", chunk)
        for fid in fids:
            owner = _ended_by(c, fid, set(chunk))
            if owner is not None:
                # a negation in a deleted episode ended it: nothing says so any more
                c.execute("UPDATE facts SET invalid_at = NULL, expired_at = NULL WHERE id = ?",
                          (fid,))  # fmt: skip
                log(c, "FACT_REOPEN", fid, owner, actor, None, None)
            if c.execute(
                "SELECT 1 FROM fact_episodes WHERE fact_id = ? LIMIT 1", (fid,)
            ).fetchone():
                continue  # another episode still says it
            row = c.execute(
                f"SELECT {FACT_COLS} FROM {FACT_FROM} WHERE f.id = ?", (fid,)
            ).fetchone()
            if row is None:
                continue
            f = fact_from_row(row)
            # the version this fact had closed was closed by nothing else: it holds again
            c.execute(
                "UPDATE facts SET invalid_at = NULL, expired_at = NULL, superseded_by = NULL"
                " WHERE superseded_by = ? AND invalid_at IS ?",
                (fid, f.valid_at),
            )
            c.execute("DELETE FROM facts WHERE id = ?", (fid,))
            before = None if purge else {"subject": f.subject, "relation": f.relation,
                                         "object": f.object}  # fmt: skip
            log(c, "FACT_DELETE", fid, f.user_id, actor, before, None)
            dropped.append(fid)
            users.add(f.user_id)
    for user in users:
        drop_orphan_entities(c, user)
    return dropped


def _ended_by(c: SqlConn, fact_id: str, episode_ids: set[str]) -> str | None:
    """The fact's user when the fact is closed by a negation (not superseded)
    whose latest FACT_DELETE event names one of these episodes as its ender."""
    row = c.execute(
        "SELECT user_id FROM facts WHERE id = ? AND superseded_by IS NULL"
        " AND invalid_at IS NOT NULL",
        (fact_id,),
    ).fetchone()
    if row is None:
        return None
    ev = c.execute(
        "SELECT json_extract(after, ?) FROM events WHERE target_id = ? AND op = 'FACT_DELETE'"
        " ORDER BY id DESC LIMIT 1",
        (f"$.{ENDED_BY}", fact_id),
    ).fetchone()
    return str(row[0]) if ev is not None and ev[0] in episode_ids else None


def drop_orphan_entities(c: SqlConn, user_id: str) -> int:
    """Entities of a user that no fact names any more (their aliases cascade)."""
    return c.execute(
        "DELETE FROM entities WHERE user_id = ? AND NOT EXISTS (SELECT 1 FROM facts f"
        " WHERE f.subject_id = entities.id OR f.object_id = entities.id)",
        (user_id,),
    ).rowcount


def scrub_events(c: SqlConn, target_ids: Sequence[str]) -> int:
    """Empty the payloads of every event about these ids (the op and time stay)."""
    n = 0
    for i in range(0, len(target_ids), _CHUNK):
        chunk = list(target_ids[i : i + _CHUNK])
        n += c.execute(
            "UPDATE events SET before = NULL, after = NULL WHERE target_id IN"
            f" ({_marks(len(chunk))}) AND (before IS NOT NULL OR after IS NOT NULL)",
            chunk,
        ).rowcount
    return n


def scrub_user_events(c: SqlConn, user_id: str, limit: int) -> int:
    """Empty up to ``limit`` events of a user: payload, user id and actor (the
    targets of their trust changes went in :func:`drop_user_graph`)."""
    return c.execute(
        "UPDATE events SET before = NULL, after = NULL, user_id = NULL, actor = NULL"
        " WHERE id IN (SELECT id FROM events WHERE user_id = ? LIMIT ?)",
        (user_id, limit),
    ).rowcount


def log_erased(c: SqlConn, episode_ids: Sequence[str]) -> None:
    """The tombstone of episodes a bulk erase removed (:data:`~phasemem.store.base.ERASE_OP`):
    one event for the transaction, naming the ids and nothing of the user, so
    that other processes drop the rows from their in-memory indexes."""
    c.execute(
        "INSERT INTO events (op, target_id, user_id, at, actor, before, after)"
        " VALUES (?, NULL, NULL, ?, NULL, NULL, ?)",
        (ERASE_OP, time.time(), json.dumps({"ids": list(episode_ids)})),
    )


def user_pin_texts(c: SqlConn, user_id: str) -> list[str]:
    """The texts of a user's pins (read in the transaction that drops them)."""
    return [r[0] for r in c.execute("SELECT text FROM pins WHERE user_id = ?", (user_id,))]


def drop_user_graph(c: C, user_id: str, refresh_alpha: Callable[[C, int], None]) -> dict[str, int]:
    """Facts, entities, aliases, pins, relation observations and the targets of
    trust changes of a user; the speeds of the relations they fed are recomputed from what remains, and a
    relation no one uses any more is removed (its phrase came from the user)."""
    rels = [r[0] for r in c.execute(
        "SELECT DISTINCT relation_id FROM relation_observations WHERE user_id = ?", (user_id,))]  # fmt: skip
    n_facts = c.execute("DELETE FROM facts WHERE user_id = ?", (user_id,)).rowcount
    c.execute("DELETE FROM entity_aliases WHERE user_id = ?", (user_id,))
    c.execute("DELETE FROM entities WHERE user_id = ?", (user_id,))
    n_pins = c.execute("DELETE FROM pins WHERE user_id = ?", (user_id,)).rowcount
    c.execute("DELETE FROM relation_observations WHERE user_id = ?", (user_id,))
    c.execute("DELETE FROM source_trust WHERE user_id = ?", (user_id,))
    # the target of a trust change is a source label, which can name a sender
    # address. Cleared here, once, by a statement for those rows alone: an UPDATE
    # naming target_id rewrites the target index entry of every row it touches
    # (2.8 times the pages of the events scrub, measured)
    c.execute(
        "UPDATE events SET target_id = NULL WHERE user_id = ? AND op = 'TRUST'"
        " AND target_id IS NOT NULL",
        (user_id,),
    )
    for rid in rels:
        refresh_alpha(c, rid)
    n_rel = drop_unused_relations(c)
    return {"facts": n_facts, "pins": n_pins, "relations_removed": n_rel}


def drop_unused_relations(c: SqlConn) -> int:
    return c.execute(
        "DELETE FROM relations WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.relation_id ="
        " relations.id) AND NOT EXISTS (SELECT 1 FROM relation_observations o WHERE"
        " o.relation_id = relations.id)"
    ).rowcount


#: pages of FTS5 index work per merge step (one short transaction each)
MERGE_PAGES = 2000


#: rowid of FTS5's structure record in its ``_data`` table (``FTS5_STRUCTURE_ROWID``)
_FTS_STRUCTURE_ROWID = 10
#: what follows the cookie in a version-2 structure record (``FTS5_STRUCTURE_V2``)
_FTS_STRUCTURE_V2 = b"\xff\x00\x00\x01"


def _varint(b: bytes, i: int) -> tuple[int, int]:
    """SQLite's varint at ``b[i]`` (7 bits a byte, big-endian; a ninth byte
    gives 8) and the offset after it."""
    v = 0
    for k in range(8):
        x = b[i + k]
        v = (v << 7) | (x & 0x7F)
        if x < 0x80:
            return v, i + k + 1
    return (v << 8) | b[i + 8], i + 9


def fulltext_segments(c: sqlite3.Connection) -> tuple[frozenset[int], bool] | None:
    """The segment ids of the full-text index and whether an incremental merge
    is under way, from FTS5's structure record (``fts5StructureDecode`` in
    SQLite's fts5_index.c: a 4-byte cookie, then varints: levels, segments,
    write counter; per level the number of its segments being merged, their
    count, and per segment its id and first and last page, plus five more
    numbers in the version-2 record). None when the record does not parse to
    exactly that: the caller must not rely on it then. (Segment ids are reused
    once a segment is merged away; a test checks them against the pages.)

    Why: compaction must merge until the segments that held the erased words
    are merged into one, and no further. A writer adding rows meanwhile makes a
    new segment each time, and each further merge step rewrote the whole index
    again to fold it in (5 steps, 1.5 s of a forget under load, measured)."""
    row = c.execute("SELECT block FROM episodes_fts_data WHERE id = ?",
                    (_FTS_STRUCTURE_ROWID,)).fetchone()  # fmt: skip
    if row is None or not isinstance(row[0], bytes):
        return None
    b = row[0]
    try:
        i, per_seg = 4, 3
        if b[4:8] == _FTS_STRUCTURE_V2:
            i, per_seg = 8, 8
        levels, i = _varint(b, i)
        n_seg, i = _varint(b, i)
        _, i = _varint(b, i)  # write counter
        ids: list[int] = []
        merging = False
        for _ in range(levels):
            n_merge, i = _varint(b, i)
            n, i = _varint(b, i)
            merging |= n_merge > 0
            for _ in range(n):
                seg, i = _varint(b, i)
                ids.append(seg)
                for _ in range(per_seg - 1):
                    _, i = _varint(b, i)
    except IndexError:
        return None
    if i != len(b) or len(ids) != n_seg:
        return None
    return frozenset(ids), merging


def merge_fulltext_step(c: sqlite3.Connection, pages: int = MERGE_PAGES) -> bool:
    """One bounded step of an incremental full merge of the FTS5 index (deleted
    rows' words leave the index only when the segments holding them are merged).
    Returns True when there was work to do."""
    before = c.total_changes
    c.execute("INSERT INTO episodes_fts (episodes_fts, rank) VALUES ('merge', ?)", (-pages,))
    return c.total_changes - before > 1
