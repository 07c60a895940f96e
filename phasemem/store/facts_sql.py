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
from phasemem.facts.decide import Standing, Version, decide, ended_at
from phasemem.facts.kin import Kin, parse_kin
from phasemem.facts.model import Fact, FactOp, NewFact
from phasemem.facts.resolve import is_single_valued, norm_entity, norm_relation
from phasemem.provenance import label_kind
from phasemem.store import trust_sql
from phasemem.store.base import ENDED_BY
from phasemem.store.sqlconn import SqlConn
from phasemem.temporal.gate import load_gate
from phasemem.temporal.online import refine_alpha
from phasemem.trust.policy import TrustPolicy
from phasemem.trust.standing import (
    ANNOUNCE_LOOKBACK,
    ANNOUNCED,
    announces,
    asks_trust,
    rival_and_lesson,
    since,
)
from phasemem.trust.standing import standing as standing_of

Logger = Callable[..., None]
#: the caller's connection type, handed back to its callbacks
C = TypeVar("C", bound=SqlConn)

FACT_COLS = (
    "f.id, f.user_id, s.name, r.text, o.name, f.valid_at, f.invalid_at, f.recorded_at, f.expired_at, "
    "f.superseded_by, r.alpha, f.confidence, f.source, f.status"
)
FACT_FROM = (
    "facts f JOIN entities s ON s.id = f.subject_id JOIN entities o ON o.id = f.object_id "
    "JOIN relations r ON r.id = f.relation_id"
)


def fact_from_row(row: Sequence[Any], episodes: tuple[str, ...] = ()) -> Fact:
    return Fact(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11],
                episodes, row[12], row[13] or "accepted")  # fmt: skip


def resolve_entity(
    c: SqlConn, user_id: str, name: str, etype: str, *, create: bool = True
) -> int | None:
    """The entity a name means: a close-kin name ("Tom's sister") the one person
    the user's current facts give that owner as that kin (:func:`kin_holder`; on
    a write the alias is recorded), else a known alias, else a lone first name
    onto the one PERSON whose full name starts with it, else (``create``) a new
    entity. A kin name with no single holder is an entity of its own, found by
    its norm (never merged into the person later: docs/architecture.md)."""
    n = norm_entity(name)
    if not n:
        return None
    kin = parse_kin(n)
    if kin is not None:
        holder = kin_holder(c, user_id, kin)
        if holder is not None:
            if create:  # a read ("facts(subject=...)") writes nothing
                _alias(c, user_id, n, holder)
            return holder
        row = c.execute(
            "SELECT id FROM entities WHERE user_id = ? AND norm = ?", (user_id, n)
        ).fetchone()
        if row:
            return int(row[0])
        if not create:
            return None
        return _new_entity(c, user_id, name, n, etype)
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
    return _new_entity(c, user_id, name, n, etype)


def _new_entity(c: SqlConn, user_id: str, name: str, n: str, etype: str) -> int:
    cur = c.execute(
        "INSERT INTO entities (user_id, name, norm, type, created_at) VALUES (?,?,?,?,?)",
        (user_id, name.strip(), n, etype, time.time()),
    )
    eid = int(cur.lastrowid or 0)
    c.execute("INSERT OR IGNORE INTO entity_aliases VALUES (?,?,?)", (user_id, n, eid))
    return eid


def _alias(c: SqlConn, user_id: str, alias: str, eid: int) -> None:
    """Point ``alias`` at ``eid`` (a kin name follows its current holder)."""
    row = c.execute(
        "SELECT entity_id FROM entity_aliases WHERE user_id = ? AND alias = ?", (user_id, alias)
    ).fetchone()
    if row is None:
        c.execute("INSERT INTO entity_aliases VALUES (?,?,?)", (user_id, alias, eid))
    elif int(row[0]) != eid:
        c.execute("UPDATE entity_aliases SET entity_id = ? WHERE user_id = ? AND alias = ?",
                  (eid, user_id, alias))  # fmt: skip


def kin_holder(c: SqlConn, user_id: str, kin: Kin) -> int | None:
    """The one entity the user's current accepted facts give ``kin.owner`` as
    ``kin.relation`` ("Tom have sister Hana"; a couple's relation either way
    round), or None when there is none or more than one. Indexed lookups: the
    owner's alias, the relation, the owner's slot (and, for a couple, the
    facts naming the owner as object)."""
    owner = resolve_entity(c, user_id, kin.owner, "PERSON", create=False)
    if owner is None:
        return None
    rel = c.execute("SELECT id FROM relations WHERE text = ?", (kin.relation,)).fetchone()
    if rel is None:
        return None
    live = " AND expired_at IS NULL AND invalid_at IS NULL AND status = 'accepted'"
    found = {int(r[0]) for r in c.execute(
        "SELECT DISTINCT object_id FROM facts WHERE user_id = ? AND subject_id = ? AND relation_id = ?"
        + live, (user_id, owner, rel[0]))}  # fmt: skip
    if kin.symmetric:
        found |= {int(r[0]) for r in c.execute(
            "SELECT DISTINCT subject_id FROM facts WHERE user_id = ? AND object_id = ? AND relation_id = ?"
            + live, (user_id, owner, rel[0]))}  # fmt: skip
    found.discard(owner)
    return found.pop() if len(found) == 1 else None


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
    source: str = "user:default",
    policy: TrustPolicy | None = None,
) -> FactOp:
    """Load the slot, let :func:`phasemem.facts.decide.decide` choose, persist
    what it chose; returns what was done. Runs in the caller's transaction, so
    concurrent writers cannot interleave a decision. ``source``: the episode's
    source label; ``policy``: the trust policy (None or ``contest`` off: trust
    plays no part in the decision)."""
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
            " AND f.relation_id = ? AND f.expired_at IS NULL AND f.status = 'accepted'"
            " AND (f.invalid_at IS NULL OR f.invalid_at > ?) ORDER BY f.valid_at, f.rowid",
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
            " AND expired_at IS NULL AND status = 'accepted' AND valid_at > ?",
            (user_id, sid, rid, nf.valid_at),
        ).fetchone()[0] if nf.single_valued else None  # fmt: skip
    standing = None
    if policy is not None and asks_trust(
        policy, current, nf.negated, lambda: trust_sql.trust_fn(c, user_id, policy)(source)
    ):
        standing = _standing(c, user_id, sid, rid, rel, oid, current, source, policy, nf.negated)
    d = decide(nf, oid, current, later, standing)
    for days, changed in d.observations:
        observe(c, rid, user_id, days, changed)
    shown = f"not {text}" if nf.negated else text
    if d.op == "CONTEST" and not d.insert and d.confirm is None:
        log(c, "FACT_CONTEST", None, user_id, actor, None,
            {"fact": shown, "episode_id": episode_id, "source": source, "reason": d.reason}, at=now)  # fmt: skip
        return FactOp("CONTEST", None, shown)
    if d.op == "NOOP" and d.confirm is None:
        return FactOp("NOOP", None, shown)
    if d.confirm is not None:
        c.execute("INSERT OR IGNORE INTO fact_episodes VALUES (?, ?)", (d.confirm, episode_id))
        if d.op == "NOOP" and d.reason is None:
            c.execute("UPDATE facts SET confidence = MIN(1.0, confidence + 0.1) WHERE id = ?",
                      (d.confirm,))  # fmt: skip
        log(c, "FACT_CONTEST" if d.op == "CONTEST" else "FACT_NOOP", d.confirm, user_id, actor, None,
            {"episode_id": episode_id, "source": source} | ({"reason": d.reason} if d.reason else {}),
            at=now)  # fmt: skip
        if (
            policy is not None
            and label_kind(source) == "user"
            and nf.single_valued
            and oid is not None
        ):
            _user_contradicts(c, log, user_id, sid, rid, oid, policy, actor=actor, now=now)
        return FactOp(d.op, d.confirm, text)
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
        " recorded_at, confidence, vector, vscale, source, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (fid, user_id, sid, rid, oid, nf.valid_at, d.invalid_at, now, nf.confidence, blob, scale,
         source, "contested" if d.contested else "accepted"),
    )  # fmt: skip
    c.execute("INSERT INTO fact_episodes VALUES (?, ?)", (fid, episode_id))
    log(c, f"FACT_{d.op}", fid, user_id, actor, None,
        _snap(nf.subject, rel, nf.object, nf.valid_at, d.invalid_at)
        | {"episode_id": episode_id, "source": source}
        | ({"reason": d.reason} if d.reason else {}), at=now)  # fmt: skip
    if d.absorb and policy is not None:  # consensus: the contested claim becomes this fact
        _absorb(c, log, user_id, fid, d.absorb, policy, actor=actor, now=now)
    if policy is not None and label_kind(source) == "user" and nf.single_valued and oid is not None:
        _user_contradicts(c, log, user_id, sid, rid, oid, policy, actor=actor, now=now)
    return FactOp(d.op, fid, text, closed)


def _standing(
    c: SqlConn, user_id: str, sid: int, rid: int, rel: str, oid: int | None,
    current: Sequence[Version], source: str, policy: TrustPolicy, negated: bool = False,
) -> Standing:  # fmt: skip
    """The slot's trust for :func:`decide`: the holders' combined trust, and
    the new claim's (this source, the contested version of the same object,
    and whoever announced it as a plan: "I'm moving to Vienna next month")."""
    sup = trust_sql.supporters(c, [v.id for v in current])
    labels = {source}
    rival = lesson = None
    if oid is not None and not negated:
        rival, lesson = rival_and_lesson(c.execute(
            "SELECT id, status, source FROM facts WHERE user_id = ? AND subject_id = ?"
            " AND relation_id = ? AND object_id = ? AND status != 'accepted'"
            " AND (expired_at IS NULL OR status = 'rejected') ORDER BY recorded_at, rowid",
            (user_id, sid, rid, oid),
        ).fetchall(), source)  # fmt: skip
        plans = [r[0] for r in c.execute("SELECT id, text FROM relations WHERE text LIKE 'plan to %'")
                 if norm_relation(r[1][len("plan to "):]) == rel] or [-1]  # fmt: skip
        began = since(current)
        # who else said it: the same object in this slot (contested, or told
        # after the holders began), or announced as the user's plan
        for (label,) in c.execute(
            "SELECT DISTINCT COALESCE(e.source_kind, 'user') || ':' || COALESCE(e.source_name, 'default')"
            " FROM facts f JOIN fact_episodes fe ON fe.fact_id = f.id JOIN episodes e ON e.id = fe.episode_id"
            " WHERE f.user_id = ? AND f.subject_id = ? AND f.object_id = ? AND f.status != 'rejected'"
            " AND (f.relation_id = ? AND (f.status = 'contested' OR e.occurred_at > ?)"
            f"      OR f.relation_id IN ({','.join('?' * len(plans))}) AND f.status = 'accepted')",
            (user_id, sid, oid, rid, began, *plans),
        ):
            labels.add(label)
        if label_kind(source) != "user" and _user_announced(c, user_id, oid, began):
            labels.add(ANNOUNCED)
    return standing_of({v.id: sup[v.id] for v in current}, labels,
                       trust_sql.trust_fn(c, user_id, policy), policy, rival=rival,
                       lesson=lesson)  # fmt: skip


def _user_announced(c: SqlConn, user_id: str, oid: int, after: float) -> bool:
    """Whether the user, in their own channel and after the holder began, named
    this object in words that announce a change (:func:`announces`): the user's
    announcement supports a later report of it (the extractor keeps no plan for
    every phrasing)."""
    name = c.execute("SELECT name FROM entities WHERE id = ?", (oid,)).fetchone()
    if not name or len(name[0]) < 3:
        return False
    rows = c.execute(
        "SELECT text FROM episodes WHERE user_id = ? AND COALESCE(source_kind, 'user') = 'user'"
        f" AND occurred_at > ? AND lower(text) LIKE ? ORDER BY occurred_at DESC LIMIT {ANNOUNCE_LOOKBACK}",
        (user_id, after, f"%{name[0].lower()}%"),
    )
    return announces(name[0], (text for (text,) in rows))


def _absorb(
    c: SqlConn, log: Logger, user_id: str, fid: str, rivals: Sequence[str],
    policy: TrustPolicy, *, actor: str | None, now: float,
) -> None:  # fmt: skip
    """Consensus reached: the contested versions' episodes now support the new
    current fact, the versions end (superseded by it), and every source that
    agreed is corroborated."""
    for rv in rivals:
        c.execute("INSERT OR IGNORE INTO fact_episodes SELECT ?, episode_id FROM fact_episodes"
                  " WHERE fact_id = ? ORDER BY rowid", (fid, rv))  # fmt: skip
        c.execute("UPDATE facts SET expired_at = ?, superseded_by = ? WHERE id = ?", (now, fid, rv))
        log(c, "FACT_CONSENSUS", rv, user_id, actor, None, {"superseded_by": fid}, at=now)
    for label in sorted(trust_sql.supporters(c, [fid])[fid]):
        if label_kind(label) != "user":
            trust_sql.bump(c, log, user_id, label, "corroborated", policy, actor=actor, now=now,
                           why={"fact_id": fid})  # fmt: skip


def _user_contradicts(
    c: SqlConn, log: Logger, user_id: str, sid: int, rid: int, oid: int,
    policy: TrustPolicy, *, actor: str | None, now: float,
) -> None:  # fmt: skip
    """The user stated a value: contested claims of another value in the slot
    are rejected (kept as lessons) and their sources contradicted."""
    rows = c.execute(
        "SELECT id FROM facts WHERE user_id = ? AND subject_id = ? AND relation_id = ?"
        " AND object_id != ? AND status = 'contested' AND expired_at IS NULL ORDER BY rowid",
        (user_id, sid, rid, oid),
    ).fetchall()
    for (fid,) in rows:
        reject_fact(c, log, user_id, fid, policy, actor=actor, now=now, event="contradicted")


def reject_fact(
    c: SqlConn, log: Logger, user_id: str, fid: str, policy: TrustPolicy,
    *, actor: str | None, now: float, event: str = "rejected",
) -> None:  # fmt: skip
    """Mark a fact rejected (kept as a lesson) and lower its sources' trust.
    A rejected current version gives its slot back to the version it replaced."""
    c.execute("UPDATE facts SET status = 'rejected', expired_at = COALESCE(expired_at, ?)"
              " WHERE id = ?", (now, fid))  # fmt: skip
    for prev in c.execute("SELECT id FROM facts WHERE superseded_by = ? AND status = 'accepted'"
                          " ORDER BY rowid", (fid,)).fetchall():  # fmt: skip
        c.execute("UPDATE facts SET expired_at = NULL, invalid_at = NULL, superseded_by = NULL"
                  " WHERE id = ?", (prev[0],))  # fmt: skip
        log(c, "FACT_RESTORE", prev[0], user_id, actor, None, {"after_reject": fid}, at=now)
    log(c, "FACT_REJECT", fid, user_id, actor, None, {"event": event}, at=now)
    for label in sorted(trust_sql.supporters(c, [fid])[fid]):
        if label_kind(label) != "user":
            trust_sql.bump(c, log, user_id, label, event, policy, actor=actor, now=now,
                           why={"fact_id": fid})  # fmt: skip


def confirm_fact(
    c: SqlConn, log: Logger, user_id: str, fid: str, policy: TrustPolicy,
    *, actor: str | None, now: float,
) -> None:  # fmt: skip
    """The user confirms a fact: it becomes the slot's current version (the
    versions it contradicts end, superseded by it) and its sources gain trust."""
    row = c.execute("SELECT subject_id, relation_id, object_id, valid_at, status FROM facts"
                    " WHERE id = ? AND user_id = ?", (fid, user_id)).fetchone()  # fmt: skip
    sid, rid, oid, valid_at, status = row
    single = c.execute("SELECT text FROM relations WHERE id = ?", (rid,)).fetchone()[0]
    if is_single_valued(single):
        for (other,) in c.execute(
            "SELECT id FROM facts WHERE user_id = ? AND subject_id = ? AND relation_id = ?"
            " AND object_id != ? AND expired_at IS NULL AND status = 'accepted' ORDER BY rowid",
            (user_id, sid, rid, oid),
        ).fetchall():
            (began,) = c.execute("SELECT valid_at FROM facts WHERE id = ?", (other,)).fetchone()
            c.execute("UPDATE facts SET invalid_at = ?, expired_at = ?, superseded_by = ? WHERE id = ?",
                      (max(began, valid_at), now, fid, other))  # fmt: skip
            log(c, "FACT_UPDATE", other, user_id, actor, None, {"superseded_by": fid}, at=now)
    c.execute("UPDATE facts SET status = 'accepted', expired_at = NULL, superseded_by = NULL,"
              " confidence = 1.0 WHERE id = ?", (fid,))  # fmt: skip
    log(c, "FACT_CONFIRM", fid, user_id, actor, {"status": status}, {"status": "accepted"}, at=now)
    for label in sorted(trust_sql.supporters(c, [fid])[fid]):
        if label_kind(label) != "user":
            trust_sql.bump(c, log, user_id, label, "confirmed", policy, actor=actor, now=now,
                           why={"fact_id": fid})  # fmt: skip


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


def observe_transition(c: SqlConn, rid: int, user_id: str, delta_days: float,
                       changed: bool) -> None:  # fmt: skip
    """Record one transition of a relation's slot (by ``user_id``) and refine
    its alpha. Two observations at the same moment say nothing about a rate,
    so a non-positive gap is not recorded (it happens when one ``add``
    carries several messages with one timestamp)."""
    if not delta_days > 0:
        return
    c.execute(
        "INSERT INTO relation_observations (relation_id, delta_days, changed, user_id, key)"
        " VALUES (?,?,?,?,?)",
        (rid, float(delta_days), int(changed), user_id, uuid.uuid4().hex),
    )
    refresh_alpha(c, rid)


def refresh_alpha(c: SqlConn, rid: int) -> None:
    """A relation's alpha from its prior and every observation now stored:
    a function of the rows, so an import or an erasure gives the same
    alpha as the history that led to those rows."""
    prior = c.execute("SELECT alpha_prior FROM relations WHERE id = ?", (rid,)).fetchone()[0]
    obs = [(d, bool(ch)) for d, ch in c.execute(
        "SELECT delta_days, changed FROM relation_observations WHERE relation_id = ?"
        " ORDER BY rowid", (rid,))]  # fmt: skip
    alpha = refine_alpha(prior, load_gate().kappa, obs) if obs else prior
    c.execute("UPDATE relations SET alpha = ?, n_obs = ?, n_changes = ? WHERE id = ?",
              (alpha, len(obs), sum(1 for _, ch in obs if ch), rid))  # fmt: skip
