"""The fact graph's SQL: entity resolution, the ADD/UPDATE/DELETE/NOOP
decision, and queries. Every function runs on a connection inside the
caller's transaction, so an ``add`` writes episodes and facts atomically and
concurrent writers cannot interleave a decision."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from phasemem.embed.quant import quantize, to_blob
from phasemem.facts.decide import Version, decide, ended_at
from phasemem.facts.model import Fact, FactOp, NewFact
from phasemem.facts.resolve import norm_entity, norm_relation
from phasemem.store.base import ENDED_BY
from phasemem.store.sqlconn import SqlConn

Logger = Callable[..., None]
#: the caller's connection type, handed back to its callbacks
C = TypeVar("C", bound=SqlConn)

FACT_COLS = (
    "f.id, f.user_id, s.name, r.text, o.name, f.valid_at, f.invalid_at, f.recorded_at, f.expired_at, "
    "f.superseded_by, r.alpha, f.confidence"
)
FACT_FROM = (
    "facts f JOIN entities s ON s.id = f.subject_id JOIN entities o ON o.id = f.object_id "
    "JOIN relations r ON r.id = f.relation_id"
)


def fact_from_row(row: Sequence[Any], episodes: tuple[str, ...] = ()) -> Fact:
    return Fact(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11],
                episodes)  # fmt: skip


def resolve_entity(
    c: SqlConn, user_id: str, name: str, etype: str, *, create: bool = True
) -> int | None:
    n = norm_entity(name)
    if not n:
        return None
    row = c.execute(
        "SELECT entity_id FROM entity_aliases WHERE user_id = ? AND alias = ?", (user_id, n)
    ).fetchone()
    if row:
        return int(row[0])
    if " " not in n and etype == "PERSON":
        rows = c.execute(
            "SELECT id FROM entities WHERE user_id = ? AND type = 'PERSON' AND norm LIKE ? ESCAPE '\\'",
            (user_id, n.replace("%", "\\%").replace("_", "\\_") + " %"),
        ).fetchall()
        if len(rows) == 1:
            c.execute(
                "INSERT OR IGNORE INTO entity_aliases VALUES (?,?,?)", (user_id, n, rows[0][0])
            )
            return int(rows[0][0])
    if not create:
        return None
    cur = c.execute(
        "INSERT INTO entities (user_id, name, norm, type, created_at) VALUES (?,?,?,?,?)",
        (user_id, name.strip(), n, etype, time.time()),
    )
    eid = int(cur.lastrowid or 0)
    c.execute("INSERT OR IGNORE INTO entity_aliases VALUES (?,?,?)", (user_id, n, eid))
    return eid


def relation_id(c: SqlConn, text: str, alpha_prior: float) -> int:
    rel = norm_relation(text)
    row = c.execute("SELECT id FROM relations WHERE text = ?", (rel,)).fetchone()
    if row:
        return int(row[0])
    cur = c.execute(
        "INSERT INTO relations (text, alpha_prior, alpha) VALUES (?,?,?)",
        (rel, alpha_prior, alpha_prior),
    )
    return int(cur.lastrowid or 0)


def _snap(
    subject: str, relation: str, obj: str, valid_at: float, invalid_at: float | None
) -> dict[str, Any]:
    return {
        "subject": subject,
        "relation": relation,
        "object": obj,
        "valid_at": valid_at,
        "invalid_at": invalid_at,
    }


def apply_fact(
    c: C,
    log: Logger,
    user_id: str,
    episode_id: str,
    nf: NewFact,
    *,
    actor: str | None,
    now: float,
    observe: Callable[[C, int, str, float, bool], None],
) -> FactOp:
    """Load the slot, let :func:`phasemem.facts.decide.decide` choose, persist
    what it chose; returns what was done. Runs in the caller's transaction, so
    concurrent writers cannot interleave a decision."""
    rel = norm_relation(nf.relation)
    text = f"{nf.subject} {rel} {nf.object}"
    sid = resolve_entity(c, user_id, nf.subject, nf.subject_type)
    if sid is None:
        return FactOp("NOOP", None, text)
    rid = relation_id(c, rel, nf.alpha_prior)
    at = ended_at(nf)  # a negation looks at what held when it says the fact ended
    current = [
        Version(r[0], int(r[1]), r[4], r[2], r[3])
        for r in c.execute(
            "SELECT f.id, f.object_id, f.valid_at, f.invalid_at, o.name FROM facts f"
            " JOIN entities o ON o.id = f.object_id WHERE f.user_id = ? AND f.subject_id = ?"
            " AND f.relation_id = ? AND f.expired_at IS NULL"
            " AND (f.invalid_at IS NULL OR f.invalid_at > ?) ORDER BY f.valid_at",
            (user_id, sid, rid, at),
        )
    ]
    if nf.negated:
        oid = None if nf.object == "*" else resolve_entity(
            c, user_id, nf.object, nf.object_type, create=False)  # fmt: skip
        later = None
    else:
        oid = resolve_entity(c, user_id, nf.object, nf.object_type)
        if oid is None:
            return FactOp("NOOP", None, text)
        later = c.execute(
            "SELECT MIN(valid_at) FROM facts WHERE user_id = ? AND subject_id = ? AND relation_id = ?"
            " AND expired_at IS NULL AND valid_at > ?",
            (user_id, sid, rid, nf.valid_at),
        ).fetchone()[0] if nf.single_valued else None  # fmt: skip
    d = decide(nf, oid, current, later)
    for days, changed in d.observations:
        observe(c, rid, user_id, days, changed)
    shown = f"not {text}" if nf.negated else text
    if d.op == "NOOP" and d.confirm is None:
        return FactOp("NOOP", None, shown)
    if d.confirm is not None:
        c.execute("INSERT OR IGNORE INTO fact_episodes VALUES (?, ?)", (d.confirm, episode_id))
        c.execute("UPDATE facts SET confidence = MIN(1.0, confidence + 0.1) WHERE id = ?",
                  (d.confirm,))  # fmt: skip
        log(c, "FACT_NOOP", d.confirm, user_id, actor, None, {"episode_id": episode_id}, at=now)
        return FactOp("NOOP", d.confirm, text)
    fid = str(uuid.uuid4()) if d.insert else None
    for cl in d.close:
        v = cl.version
        c.execute("UPDATE facts SET invalid_at = ?, expired_at = ?, superseded_by = ? WHERE id = ?",
                  (cl.invalid_at, now, fid if cl.superseded else None, v.id))  # fmt: skip
        after = _snap(nf.subject, rel, v.object, v.valid_at, cl.invalid_at)
        if cl.superseded:
            log(c, "FACT_UPDATE", v.id, user_id, actor,
                _snap(nf.subject, rel, v.object, v.valid_at, v.invalid_at),
                after | {"superseded_by": fid}, at=now)  # fmt: skip
        else:  # ended by a negation: this episode is evidence of the end
            c.execute("INSERT OR IGNORE INTO fact_episodes VALUES (?, ?)", (v.id, episode_id))
            log(c, "FACT_DELETE", v.id, user_id, actor,
                _snap(nf.subject, rel, v.object, v.valid_at, None),
                after | {ENDED_BY: episode_id}, at=now)  # fmt: skip
    closed = tuple(cl.version.id for cl in d.close)
    if fid is None:
        return FactOp(d.op, None, shown, closed)
    blob, scale = None, None
    if nf.vector is not None:
        codes, scales = quantize(nf.vector[None, :])
        blob, scale = to_blob(codes[0]), float(scales[0])
    c.execute(
        "INSERT INTO facts (id, user_id, subject_id, relation_id, object_id, valid_at, invalid_at,"
        " recorded_at, confidence, vector, vscale) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (fid, user_id, sid, rid, oid, nf.valid_at, d.invalid_at, now, nf.confidence, blob, scale),
    )
    c.execute("INSERT INTO fact_episodes VALUES (?, ?)", (fid, episode_id))
    log(c, f"FACT_{d.op}", fid, user_id, actor, None,
        _snap(nf.subject, rel, nf.object, nf.valid_at, d.invalid_at) | {"episode_id": episode_id},
        at=now)  # fmt: skip
    return FactOp(d.op, fid, text, closed)


def episodes_of(c: SqlConn, fact_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for i in range(0, len(fact_ids), 500):
        chunk = list(fact_ids[i : i + 500])
        for fid, eid in c.execute(
            f"SELECT fact_id, episode_id FROM fact_episodes WHERE fact_id IN ({','.join('?' * len(chunk))})"
            " ORDER BY rowid",
            chunk,
        ):
            out.setdefault(fid, []).append(eid)
    return {k: tuple(v) for k, v in out.items()}


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
