"""The in-memory store's fact decisions, with trust: :mod:`phasemem.store.facts_sql`
and :mod:`phasemem.store.trust_sql` over the dictionaries of
:class:`~phasemem.store.memory_state.State`, rule for rule.

Why a port and not shared code: SQLite and PostgreSQL share one SQL text; this
store has no SQL. What is decided is shared (:func:`phasemem.facts.decide.decide`
and :mod:`phasemem.trust.standing`: when trust is asked, rival and lesson, the
user's announcement, the combined support); what is mirrored here is only how
the slot is loaded and how the decision is persisted: the same rows, statuses,
trust posteriors and events (``FACT_*``, ``TRUST``) with the same payloads, so
the contract suite can compare the backends' answers and dumps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from phasemem.facts.decide import Standing, Version, decide, ended_at
from phasemem.facts.model import FactOp, NewFact
from phasemem.facts.resolve import is_single_valued, norm_relation
from phasemem.provenance import label_kind
from phasemem.store.base import ENDED_BY
from phasemem.store.memory_state import FactRow, State, frozen_code, snap
from phasemem.trust.policy import TrustPolicy, mean, updated
from phasemem.trust.standing import (
    ANNOUNCE_LOOKBACK,
    ANNOUNCED,
    announces,
    asks_trust,
    fold_disputes,
    rival_and_lesson,
    since,
    standing,
)


# -- trust per source (trust_sql) ------------------------------------------------------------
def posterior(s: State, user_id: str, label: str, policy: TrustPolicy) -> tuple[float, float]:
    """The source's Beta(a, b): stored, else the policy's prior for it."""
    held = s.trust.get((user_id, label))
    return (held[0], held[1]) if held else policy.prior(label)


def trust_fn(s: State, user_id: str, policy: TrustPolicy) -> Callable[[str], float]:
    """``label -> trust`` for one user."""
    return lambda label: mean(posterior(s, user_id, label, policy))


def bump(
    s: State, user_id: str, label: str, event: str, policy: TrustPolicy,
    *, actor: str | None, now: float, why: dict[str, Any],
) -> None:  # fmt: skip
    """Apply one event to a source's posterior and log the change (``TRUST``)."""
    before = posterior(s, user_id, label, policy)
    after = updated(before, event)
    s.trust[(user_id, label)] = (after[0], after[1], now)
    s.log("TRUST", label, user_id, actor,
          {"alpha": before[0], "beta": before[1], "trust": round(mean(before), 4)},
          {"alpha": after[0], "beta": after[1], "trust": round(mean(after), 4), "event": event}
          | why, at=now)  # fmt: skip


def supporters(s: State, fact_ids: Iterable[str]) -> dict[str, set[str]]:
    """Fact id -> the source labels of the episodes it came from."""
    out: dict[str, set[str]] = {f: set() for f in fact_ids}
    for fid, eid in s.links:
        ep = s.episodes.get(eid) if fid in out else None
        if ep is not None:
            out[fid].add(ep.source_label)
    return out


def _bump_all(
    s: State, user_id: str, fid: str, event: str, policy: TrustPolicy,
    *, actor: str | None, now: float,
) -> None:  # fmt: skip
    """Every source of the fact but the user's own channel, in label order."""
    for label in sorted(supporters(s, [fid])[fid]):
        if label_kind(label) != "user":
            bump(s, user_id, label, event, policy, actor=actor, now=now, why={"fact_id": fid})


# -- the decision (facts_sql.apply_fact) ---------------------------------------------------------
def apply_fact(
    s: State, user_id: str, episode_id: str, nf: NewFact, *, actor: str | None, now: float,
    policy: TrustPolicy | None,
) -> FactOp:  # fmt: skip
    """Load the slot, let :func:`decide` choose (with the slot's standing when
    ``policy`` asks for trust), persist what it chose; returns what was done."""
    rel = norm_relation(nf.relation)
    text = f"{nf.subject} {rel} {nf.object}"
    sid = s.resolve_entity(user_id, nf.subject, nf.subject_type)
    if sid is None:
        return FactOp("NOOP", None, text)
    rid = s.relation_id(norm_relation(rel), nf.alpha_prior)  # as facts_sql does
    at = ended_at(nf)  # a negation looks at what held when it says the fact ended
    ep = s.episodes.get(episode_id)
    source = ep.source_label if ep is not None else "user:default"
    slot = [f for f in s.facts.values() if f.user_id == user_id and f.subject_id == sid
            and f.relation_id == rid and f.status == "accepted" and f.expired_at is None]  # fmt: skip
    current = [
        Version(f.id, f.object_id, s.entities[f.object_id].name, f.valid_at, f.invalid_at)
        for f in sorted(slot, key=lambda f: f.valid_at)  # stable: ties in rowid order
        if f.invalid_at is None or f.invalid_at > at
    ]
    later: float | None = None
    if nf.negated:
        oid = None if nf.object == "*" else s.resolve_entity(
            user_id, nf.object, nf.object_type, create=False)  # fmt: skip
    else:
        oid = s.resolve_entity(user_id, nf.object, nf.object_type)
        if oid is None:
            return FactOp("NOOP", None, text)
        if nf.single_valued:
            later = min((f.valid_at for f in slot if f.valid_at > nf.valid_at), default=None)
    held = None
    if policy is not None and asks_trust(
        policy, current, nf.negated, lambda: trust_fn(s, user_id, policy)(source)
    ):
        held = _standing(s, user_id, sid, rid, rel, oid, current, source, policy, nf.negated)
    d = decide(nf, oid, current, later, held)
    for days, changed in d.observations:
        s.observe(rid, user_id, days, changed)
    shown = f"not {text}" if nf.negated else text
    if d.op == "CONTEST" and not d.insert and d.confirm is None:
        s.log("FACT_CONTEST", None, user_id, actor, None,
              {"fact": shown, "episode_id": episode_id, "source": source, "reason": d.reason},
              at=now)  # fmt: skip
        return FactOp("CONTEST", None, shown)
    if d.op == "NOOP" and d.confirm is None:
        return FactOp("NOOP", None, shown)
    user_states = policy is not None and label_kind(source) == "user" and nf.single_valued
    if d.confirm is not None:
        s.link(d.confirm, episode_id)
        if d.op == "NOOP" and d.reason is None:
            f = s.facts[d.confirm]
            s.facts[f.id] = replace(f, confidence=min(1.0, f.confidence + 0.1))
        s.log("FACT_CONTEST" if d.op == "CONTEST" else "FACT_NOOP", d.confirm, user_id, actor, None,
              {"episode_id": episode_id, "source": source}
              | ({"reason": d.reason} if d.reason else {}), at=now)  # fmt: skip
        if user_states and oid is not None:
            assert policy is not None
            _user_contradicts(s, user_id, sid, rid, oid, policy, actor=actor, now=now)
        return FactOp(d.op, d.confirm, text)
    fid = str(uuid.uuid4()) if d.insert else None
    for cl in d.close:
        v = cl.version
        s.facts[v.id] = replace(s.facts[v.id], invalid_at=cl.invalid_at, expired_at=now,
                                superseded_by=fid if cl.superseded else None)  # fmt: skip
        after = snap(nf.subject, rel, v.object, v.valid_at, cl.invalid_at)
        if cl.superseded:
            s.log("FACT_UPDATE", v.id, user_id, actor,
                  snap(nf.subject, rel, v.object, v.valid_at, v.invalid_at),
                  after | {"superseded_by": fid}, at=now)  # fmt: skip
        else:  # ended by a negation: this episode is evidence of the end
            s.link(v.id, episode_id)
            s.log("FACT_DELETE", v.id, user_id, actor,
                  snap(nf.subject, rel, v.object, v.valid_at, None),
                  after | {ENDED_BY: episode_id}, at=now)  # fmt: skip
    closed = tuple(cl.version.id for cl in d.close)
    if fid is None:
        return FactOp(d.op, None, shown, closed)
    assert oid is not None
    code, scale = frozen_code(nf.vector)
    invalid = float(d.invalid_at) if d.invalid_at is not None else None
    s.facts[fid] = FactRow(fid, user_id, sid, rid, oid, float(nf.valid_at), invalid, now, None,
                           None, float(nf.confidence), code, scale, source,
                           "contested" if d.contested else "accepted")  # fmt: skip
    s.link(fid, episode_id)
    s.log(f"FACT_{d.op}", fid, user_id, actor, None,
          snap(nf.subject, rel, nf.object, nf.valid_at, d.invalid_at)
          | {"episode_id": episode_id, "source": source}
          | ({"reason": d.reason} if d.reason else {}), at=now)  # fmt: skip
    if d.absorb and policy is not None:  # consensus: the contested claim becomes this fact
        _absorb(s, user_id, fid, d.absorb, policy, actor=actor, now=now)
    if user_states and oid is not None:
        assert policy is not None
        _user_contradicts(s, user_id, sid, rid, oid, policy, actor=actor, now=now)
    return FactOp(d.op, fid, text, closed)


def _standing(
    s: State, user_id: str, sid: int, rid: int, rel: str, oid: int | None,
    current: Sequence[Version], source: str, policy: TrustPolicy, negated: bool,
) -> Standing:  # fmt: skip
    """``facts_sql._standing``: the holders' supporters, and the new claim's
    (this source; whoever said the same object in the slot, contested or after
    the holders began; the user's plan or announcement of it)."""
    sup = supporters(s, [v.id for v in current])
    labels = {source}
    rival = lesson = None
    if oid is not None and not negated:
        same = [f for f in s.facts.values() if f.user_id == user_id and f.subject_id == sid
                and f.object_id == oid]  # fmt: skip
        earlier = sorted(
            (f for f in same if f.relation_id == rid and f.status != "accepted"
             and (f.expired_at is None or f.status == "rejected")),
            key=lambda f: f.recorded_at,
        )  # fmt: skip
        rival, lesson = rival_and_lesson(((f.id, f.status, f.source) for f in earlier), source)
        plans = {r.id for r in s.relations.values() if r.text.startswith("plan to ")
                 and norm_relation(r.text[len("plan to "):]) == rel}  # fmt: skip
        began = since(current)
        backers = [f.id for f in same if f.status != "rejected" and (
            (f.relation_id == rid and f.status == "contested")
            or (f.relation_id in plans and f.status == "accepted"))]  # fmt: skip
        told_after = {f.id for f in same if f.relation_id == rid and f.status != "rejected"}
        for fid, eid in s.links:
            e = s.episodes.get(eid)
            if e is None:
                continue
            if fid in backers or (fid in told_after and e.occurred_at > began):
                labels.add(e.source_label)
        if label_kind(source) != "user" and _user_announced(s, user_id, oid, began):
            labels.add(ANNOUNCED)
    return standing({v.id: sup[v.id] for v in current}, labels, trust_fn(s, user_id, policy),
                    policy, rival=rival, lesson=lesson)  # fmt: skip


def _user_announced(s: State, user_id: str, oid: int, after: float) -> bool:
    """``facts_sql._user_announced``: the user's latest turns (own channel, after
    the holders began) that contain the value's name, read for a change cue."""
    name = s.entities[oid].name
    needle = name.lower()
    turns = sorted((e for e in s.episodes.values() if e.user_id == user_id
                    and (e.source_kind or "user") == "user" and e.occurred_at > after
                    and needle in e.text.lower()), key=lambda e: -e.occurred_at)  # fmt: skip
    return announces(name, (e.text for e in turns[:ANNOUNCE_LOOKBACK]))


def _absorb(
    s: State, user_id: str, fid: str, rivals: Sequence[str], policy: TrustPolicy,
    *, actor: str | None, now: float,
) -> None:  # fmt: skip
    """Consensus reached: the contested versions' episodes now support the new
    current fact, the versions end (superseded by it), every agreeing source
    is corroborated."""
    for rv in rivals:
        for eid in [e for f, e in s.links if f == rv]:
            s.link(fid, eid)
        s.facts[rv] = replace(s.facts[rv], expired_at=now, superseded_by=fid)
        s.log("FACT_CONSENSUS", rv, user_id, actor, None, {"superseded_by": fid}, at=now)
    _bump_all(s, user_id, fid, "corroborated", policy, actor=actor, now=now)


def _user_contradicts(
    s: State, user_id: str, sid: int, rid: int, oid: int, policy: TrustPolicy,
    *, actor: str | None, now: float,
) -> None:  # fmt: skip
    """The user stated a value: contested claims of another value in the slot
    are rejected (kept as lessons) and their sources contradicted."""
    rows = [f.id for f in s.facts.values() if f.user_id == user_id and f.subject_id == sid
            and f.relation_id == rid and f.object_id != oid and f.status == "contested"
            and f.expired_at is None]  # fmt: skip
    for fid in rows:
        reject_fact(s, user_id, fid, policy, actor=actor, now=now, event="contradicted")


def reject_fact(
    s: State, user_id: str, fid: str, policy: TrustPolicy, *, actor: str | None, now: float,
    event: str = "rejected",
) -> None:  # fmt: skip
    """Mark a fact rejected (kept as a lesson) and lower its sources' trust.
    A rejected current version gives its slot back to the version it replaced."""
    f = s.facts[fid]
    s.facts[fid] = replace(f, status="rejected",
                           expired_at=f.expired_at if f.expired_at is not None else now)  # fmt: skip
    for prev in [p for p in s.facts.values() if p.superseded_by == fid and p.status == "accepted"]:
        s.facts[prev.id] = replace(prev, expired_at=None, invalid_at=None, superseded_by=None)
        s.log("FACT_RESTORE", prev.id, user_id, actor, None, {"after_reject": fid}, at=now)
    s.log("FACT_REJECT", fid, user_id, actor, None, {"event": event}, at=now)
    _bump_all(s, user_id, fid, event, policy, actor=actor, now=now)


def confirm_fact(
    s: State, user_id: str, fid: str, policy: TrustPolicy, *, actor: str | None, now: float
) -> None:
    """The user confirms a fact: it becomes the slot's current version (the
    versions it contradicts end, superseded by it) and its sources gain trust."""
    f = s.facts[fid]
    if is_single_valued(s.relations[f.relation_id].text):
        for other in [o for o in s.facts.values() if o.user_id == user_id
                      and o.subject_id == f.subject_id and o.relation_id == f.relation_id
                      and o.object_id != f.object_id and o.expired_at is None
                      and o.status == "accepted"]:  # fmt: skip
            s.facts[other.id] = replace(other, invalid_at=max(other.valid_at, f.valid_at),
                                        expired_at=now, superseded_by=fid)  # fmt: skip
            s.log("FACT_UPDATE", other.id, user_id, actor, None, {"superseded_by": fid}, at=now)
    s.facts[fid] = replace(s.facts[fid], status="accepted", expired_at=None, superseded_by=None,
                           confidence=1.0)  # fmt: skip
    s.log("FACT_CONFIRM", fid, user_id, actor, {"status": f.status}, {"status": "accepted"}, at=now)
    _bump_all(s, user_id, fid, "confirmed", policy, actor=actor, now=now)


# -- reads (trust_read) -----------------------------------------------------------------------
def disputed(s: State, user_id: str, now: float) -> dict[str, tuple[str, list[str], list[str]]]:
    """``trust_read.disputed``: slot ("subject relation", casefolded) -> (its
    current object, the objects contested or rejected in it, the current
    version's episode ids), for slots where a source was ever overruled."""
    mine = [f for f in s.facts.values() if f.user_id == user_id]
    lost = {(f.subject_id, f.relation_id) for f in mine if f.status != "accepted"}
    if not lost:
        return {}
    eps = s.episodes_of()
    facts = (
        s.fact(row, eps.get(row.id, ()))
        for row in mine
        if (row.subject_id, row.relation_id) in lost
    )
    return fold_disputes(facts, now)


__all__ = ["apply_fact", "bump", "confirm_fact", "disputed", "posterior", "reject_fact",
           "supporters", "trust_fn"]  # fmt: skip
