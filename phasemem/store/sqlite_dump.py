"""The SQLite store's side of the dump format (:mod:`phasemem.store.dump`).

Export reads one consistent snapshot (one read transaction) and yields rows as
it goes, so a dump of a large store never sits whole in memory or in a file,
and a writer committing meanwhile never makes a dump half old, half new.

Import writes rows verbatim (ids, times, vectors, facts, events) and is
idempotent: importing the same dump twice adds nothing the second time (an
episode, pin or fact whose id exists is skipped; an entity is matched by its
normalised name; an event equal to one already logged is not logged again).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from phasemem.errors import ImportFormatError
from phasemem.models import EPISODE_FIELDS, EPISODE_STORED_EXTRA
from phasemem.store.dump import ImportState
from phasemem.store.sqlconn import SqlConn

_PAGE = 500

#: an episode row of the dump: the episode's fields, then what the store keeps beside them
_EPISODE_KEYS = (*EPISODE_FIELDS, *EPISODE_STORED_EXTRA)
_EPISODE_COLS = ", ".join(_EPISODE_KEYS)


def _b64(blob: bytes | None) -> str | None:
    return base64.b64encode(blob).decode() if blob is not None else None


def _pages(c: SqlConn, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
    cur = c.execute(sql, params)
    while True:
        rows = cur.fetchmany(_PAGE)
        if not rows:
            return
        yield from rows


def export_rows(c: SqlConn, user_id: str | None) -> Iterator[dict[str, Any]]:
    """Every row of the dump (header excluded) from connection ``c``, which the
    caller holds in one read transaction. ``user_id`` limits it to one user."""
    mine = "" if user_id is None else " WHERE user_id = ?"
    args: tuple[Any, ...] = () if user_id is None else (user_id,)
    for r in _pages(c, f"SELECT {_EPISODE_COLS} FROM episodes{mine} ORDER BY seq", args):
        row = dict(zip(_EPISODE_KEYS, r, strict=True))
        row["metadata"] = json.loads(row["metadata"])
        row["quarantine"] = json.loads(row["quarantine"]) if row["quarantine"] else None
        row["vector"] = _b64(row["vector"])
        yield {"kind": "episode", **row}
    for r in _pages(c, f"SELECT id, user_id, text, created_at FROM pins{mine} ORDER BY created_at, id",
                    args):  # fmt: skip
        yield {"kind": "pin", "id": r[0], "user_id": r[1], "text": r[2], "created_at": r[3]}
    # relations: the ones this user's facts or observations use (all, for a whole dump)
    used = (
        "" if user_id is None
        else " WHERE id IN (SELECT relation_id FROM facts WHERE user_id = ?"
             " UNION SELECT relation_id FROM relation_observations WHERE user_id = ?)"
    )  # fmt: skip
    rel_args = () if user_id is None else (user_id, user_id)
    for r in _pages(
        c, f"SELECT text, alpha_prior, alpha FROM relations{used} ORDER BY id", rel_args
    ):
        yield {"kind": "relation", "text": r[0], "alpha_prior": r[1], "alpha": r[2]}
    for r in _pages(
        c,
        "SELECT r.text, o.user_id, o.delta_days, o.changed, o.key FROM relation_observations o"
        " JOIN relations r ON r.id = o.relation_id"
        + ("" if user_id is None else " WHERE o.user_id = ?")
        + " ORDER BY o.rowid",
        args,
    ):
        yield {"kind": "observation", "relation": r[0], "user_id": r[1], "delta_days": r[2],
               "changed": bool(r[3]), "key": r[4]}  # fmt: skip
    aliases: dict[int, list[str]] = {}
    for eid, alias in _pages(c, f"SELECT entity_id, alias FROM entity_aliases{mine} ORDER BY rowid",
                             args):  # fmt: skip
        aliases.setdefault(eid, []).append(alias)
    for r in _pages(c, f"SELECT id, user_id, name, norm, type, created_at FROM entities{mine}"
                    " ORDER BY id", args):  # fmt: skip
        yield {"kind": "entity", "ref": r[0], "user_id": r[1], "name": r[2], "norm": r[3],
               "type": r[4], "created_at": r[5], "aliases": aliases.get(r[0], [])}  # fmt: skip
    links: dict[str, list[str]] = {}
    for fid, eid in _pages(
        c,
        "SELECT fe.fact_id, fe.episode_id FROM fact_episodes fe"
        + ("" if user_id is None else " JOIN facts f ON f.id = fe.fact_id WHERE f.user_id = ?")
        + " ORDER BY fe.rowid",
        args,
    ):
        links.setdefault(fid, []).append(eid)
    for r in _pages(
        c,
        "SELECT f.id, f.user_id, f.subject_id, r.text, f.object_id, f.valid_at, f.invalid_at,"
        " f.recorded_at, f.expired_at, f.superseded_by, f.confidence, f.vector, f.vscale,"
        " f.source, f.status FROM facts f JOIN relations r ON r.id = f.relation_id"
        + ("" if user_id is None else " WHERE f.user_id = ?")
        + " ORDER BY f.rowid",
        args,
    ):
        yield {
            "kind": "fact", "id": r[0], "user_id": r[1], "subject_ref": r[2], "relation": r[3],
            "object_ref": r[4], "valid_at": r[5], "invalid_at": r[6], "recorded_at": r[7],
            "expired_at": r[8], "superseded_by": r[9], "confidence": r[10], "vector": _b64(r[11]),
            "vscale": r[12], "episode_ids": links.get(r[0], []), "source": r[13], "status": r[14],
        }  # fmt: skip
    for r in _pages(c, f"SELECT user_id, source, kind, name, alpha, beta, updated_at FROM source_trust{mine}"
                    " ORDER BY user_id, source", args):  # fmt: skip
        yield {"kind": "trust", "user_id": r[0], "source": r[1], "source_kind": r[2], "name": r[3],
               "alpha": r[4], "beta": r[5], "updated_at": r[6]}  # fmt: skip
    for r in _pages(c, "SELECT op, target_id, user_id, at, actor, before, after FROM events"
                    f"{mine} ORDER BY id", args):  # fmt: skip
        yield {
            "kind": "event", "op": r[0], "target_id": r[1], "user_id": r[2], "at": r[3],
            "actor": r[4], "before": json.loads(r[5]) if r[5] else None,
            "after": json.loads(r[6]) if r[6] else None,
        }  # fmt: skip


Logger = Callable[..., None]


def import_rows(
    c: SqlConn, rows: Sequence[dict[str, Any]], state: ImportState, *, dim: int,
    log: Logger,
) -> None:  # fmt: skip
    """Write validated dump rows inside the caller's transaction."""
    for row in rows:
        kind = row["kind"]
        try:
            _WRITERS[kind](c, row, state, dim, log)
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportFormatError(
                f"bad import row ({exc.__class__.__name__}: {exc})", line=row.get("_line")
            ) from exc
        state.rows += 1


def _vector(row: dict[str, Any], dim: int) -> bytes | None:
    vec = base64.b64decode(row["vector"], validate=True) if row.get("vector") else None
    if vec is not None and len(vec) != dim:
        raise ValueError(f"vector has {len(vec)} dims, expected {dim}")
    if vec is not None and row.get("vscale") is None:
        raise ValueError("vector without vscale")
    return vec


def _episode(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
             log: Logger) -> None:  # fmt: skip
    values = {key: row.get(key) for key in _EPISODE_KEYS}
    values.update(occurred_at=float(row["occurred_at"]), recorded_at=float(row["recorded_at"]),
                  metadata=json.dumps(row.get("metadata") or {}), vector=_vector(row, dim),
                  quarantine=json.dumps(row["quarantine"]) if row.get("quarantine") else None,
                  time_mentions=int(row.get("time_mentions") or 0))  # fmt: skip
    cur = c.execute(
        f"INSERT INTO episodes ({_EPISODE_COLS}) VALUES ({', '.join('?' * len(_EPISODE_KEYS))})"
        " ON CONFLICT DO NOTHING",
        tuple(values.values()),
    )
    state.episodes += cur.rowcount


def _pin(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
         log: Logger) -> None:  # fmt: skip
    c.execute("INSERT OR IGNORE INTO pins (id, user_id, text, created_at) VALUES (?,?,?,?)",
              (row["id"], row["user_id"], row["text"], float(row["created_at"])))  # fmt: skip


def _relation_id(c: SqlConn, text: str, state: ImportState) -> int:
    found = c.execute("SELECT id FROM relations WHERE text = ?", (text,)).fetchone()
    if found:
        return int(found[0])
    prior = state.relations.get(text)
    if prior is None:
        raise ValueError(f"relation {text!r} used before its relation row")
    cur = c.execute("INSERT INTO relations (text, alpha_prior, alpha) VALUES (?,?,?)",
                    (text, prior, prior))  # fmt: skip
    return int(cur.lastrowid or 0)


def _relation(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
              log: Logger) -> None:  # fmt: skip
    state.relations[row["text"]] = float(row["alpha_prior"])
    _relation_id(c, row["text"], state)  # created now, so a relation without facts survives too


def _observation(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
                 log: Logger) -> None:  # fmt: skip
    rid = _relation_id(c, row["relation"], state)
    cur = c.execute(
        "INSERT OR IGNORE INTO relation_observations (relation_id, delta_days, changed, user_id, key)"
        " VALUES (?,?,?,?,?)",
        (rid, float(row["delta_days"]), int(bool(row["changed"])), row.get("user_id"),
         row.get("key") or uuid.uuid4().hex),
    )  # fmt: skip
    if cur.rowcount:
        state.touched.add(rid)


def _entity(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
            log: Logger) -> None:  # fmt: skip
    user, norm = row["user_id"], row["norm"]
    found = c.execute(
        "SELECT id FROM entities WHERE user_id = ? AND norm = ?", (user, norm)
    ).fetchone()
    if found:
        eid = int(found[0])
    else:
        cur = c.execute(
            "INSERT INTO entities (user_id, name, norm, type, created_at) VALUES (?,?,?,?,?)",
            (user, row["name"], norm, row.get("type"), float(row.get("created_at") or 0.0)),
        )
        eid = int(cur.lastrowid or 0)
    for alias in [norm, *row.get("aliases", [])]:
        c.execute("INSERT OR IGNORE INTO entity_aliases VALUES (?,?,?)", (user, alias, eid))
    state.entities[int(row["ref"])] = eid


def _fact(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
          log: Logger) -> None:  # fmt: skip
    try:
        sid, oid = state.entities[row["subject_ref"]], state.entities[row["object_ref"]]
    except KeyError as exc:
        raise ValueError(
            f"fact {row['id']} names entity ref {exc.args[0]} not in the dump"
        ) from None
    rid = _relation_id(c, row["relation"], state)
    c.execute(
        "INSERT INTO facts (id, user_id, subject_id, relation_id, object_id, valid_at, invalid_at,"
        " recorded_at, expired_at, superseded_by, confidence, vector, vscale, source, status)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
        (row["id"], row["user_id"], sid, rid, oid, float(row["valid_at"]), row.get("invalid_at"),
         float(row["recorded_at"]), row.get("expired_at"), row.get("superseded_by"),
         _confidence(row),
         _vector(row, dim), row.get("vscale"), row.get("source"), row.get("status") or "accepted"),
    )  # fmt: skip
    for ep in row.get("episode_ids", []):
        c.execute("INSERT OR IGNORE INTO fact_episodes VALUES (?, ?)", (row["id"], ep))


def _trust(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
           log: Logger) -> None:  # fmt: skip
    """A source's posterior: the newer of the stored and the imported one wins."""
    c.execute(
        "INSERT INTO source_trust (user_id, source, kind, name, alpha, beta, updated_at)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT (user_id, source) DO UPDATE SET alpha = excluded.alpha,"
        " beta = excluded.beta, updated_at = excluded.updated_at"
        " WHERE excluded.updated_at > source_trust.updated_at",
        (row["user_id"], row["source"], row["source_kind"], row["name"], float(row["alpha"]),
         float(row["beta"]), float(row["updated_at"])),
    )  # fmt: skip


def _confidence(row: dict[str, Any]) -> float:
    value = row.get("confidence")
    return 1.0 if value is None else float(value)


def _event(c: SqlConn, row: dict[str, Any], state: ImportState, dim: int,
           log: Logger) -> None:  # fmt: skip
    before = json.dumps(row["before"]) if row.get("before") is not None else None
    after = json.dumps(row["after"]) if row.get("after") is not None else None
    dup = c.execute(
        "SELECT 1 FROM events WHERE op = ? AND target_id IS ? AND user_id IS ? AND at = ?"
        " AND actor IS ? AND before IS ? AND after IS ? LIMIT 1",
        (row["op"], row.get("target_id"), row.get("user_id"), float(row["at"]),
         row.get("actor"), before, after),
    ).fetchone()  # fmt: skip
    if dup:  # the same dump imported again: the log already holds this entry
        return
    log(c, row["op"], row.get("target_id"), row.get("user_id"), row.get("actor"),
        row.get("before"), row.get("after"), at=float(row["at"]))  # fmt: skip


_WRITERS: dict[str, Callable[..., None]] = {
    "episode": _episode, "pin": _pin, "relation": _relation, "observation": _observation,
    "entity": _entity, "fact": _fact, "event": _event, "trust": _trust,
}  # fmt: skip
