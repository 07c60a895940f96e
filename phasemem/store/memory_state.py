"""The in-memory store's rows, and the fact graph's rules over them.

Why records are frozen: a write transaction starts from a shallow copy of
every table (:meth:`State.copy`) and the store swaps the copy back in when the
write fails, so a failed ``add`` or ``import`` leaves nothing behind, as a
rolled-back SQLite transaction does. That only holds if no row is ever changed
in place: a change replaces the row (``dataclasses.replace``).

The graph functions here are :mod:`phasemem.store.facts_sql` (entities,
relations, speeds) and :mod:`phasemem.store.sqlite_erase` over dictionaries,
rule for rule: the same entity merges, the same speeds, the same orphans
dropped. The fact decisions with trust are in :mod:`.memory_facts`. Tables
keep SQLite's row order (insertion order: dicts preserve it), because export
order and "ties by rowid" depend on it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from phasemem.embed.quant import quantize
from phasemem.facts.kin import Kin, parse_kin
from phasemem.facts.model import Fact
from phasemem.facts.resolve import norm_entity
from phasemem.models import EPISODE_FIELDS, EPISODE_STORED_EXTRA, Episode, HistoryEvent, Pin
from phasemem.store.base import ENDED_BY
from phasemem.store.memory_text import tokens
from phasemem.temporal.gate import load_gate
from phasemem.temporal.online import refine_alpha


def frozen_code(vector: np.ndarray | None) -> tuple[np.ndarray | None, float | None]:
    """One float vector as the stored int8 code (read-only) and scale."""
    if vector is None:
        return None, None
    codes, scales = quantize(np.asarray(vector)[None, :])
    return readonly(codes[0]), float(scales[0])


def readonly(code: np.ndarray) -> np.ndarray:
    code = np.array(code, dtype=np.int8)
    code.setflags(write=False)
    return code


def dumps(obj: Any) -> str | None:
    """A payload as the SQLite store writes it (``json.dumps`` defaults)."""
    return json.dumps(obj) if obj is not None else None


def real(value: Any) -> float | None:
    """What a SQLite REAL column gives back for a value."""
    return float(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class EpRow(Episode):
    """An episode as the store holds it: the fields of :class:`Episode` (the one
    row shape, :data:`~phasemem.models.EPISODE_FIELDS`), what a store keeps beside
    them (:data:`~phasemem.models.EPISODE_STORED_EXTRA`: the int8 ``vector``, its
    scale, time mentions), then its seq and its search tokens.

    ``metadata`` is this row's own dict (normalized through JSON, as SQLite
    stores it) and is never handed out: :meth:`episode` gives a copy."""

    seq: int = 0
    vector: np.ndarray | None = None
    vscale: float | None = None
    time_mentions: int = 0
    meta_json: str = "{}"
    text_tokens: tuple[str, ...] = ()
    speaker_tokens: tuple[str, ...] = ()

    @classmethod
    def make(
        cls, values: Mapping[str, Any], *, seq: int, vector: np.ndarray | None,
        vscale: float | None, time_mentions: int,
    ) -> EpRow:  # fmt: skip
        """A row from a mapping of :data:`EPISODE_FIELDS` (an episode's record or
        a dump row), with its values as SQLite's columns would give them back."""
        rec: dict[str, Any] = {name: values.get(name) for name in EPISODE_FIELDS}
        meta_json = json.dumps(rec["metadata"] or {})
        rec.update(
            metadata=json.loads(meta_json), occurred_at=float(rec["occurred_at"]),
            recorded_at=float(rec["recorded_at"]), updated_at=real(rec["updated_at"]),
        )  # fmt: skip
        return cls(**rec, seq=seq, vector=vector, vscale=real(vscale),
                   time_mentions=int(time_mentions), meta_json=meta_json).indexed()  # fmt: skip

    @property
    def dedupe(self) -> tuple[str, str, str, str]:
        """SQLite's ``episodes_dedupe`` key: same user, agent, session and hash."""
        return (self.user_id, self.agent_id or "", self.session_id or "", self.content_hash)

    def indexed(self) -> EpRow:
        """This row with its search tokens computed (after insert or a text change)."""
        return replace(self, text_tokens=tokens(self.text), speaker_tokens=tokens(self.speaker))

    def episode(self) -> Episode:
        """The plain :class:`Episode`, with a metadata dict of the caller's own."""
        return Episode.from_record({**self.record(), "metadata": json.loads(self.meta_json)})

    def stored(self) -> dict[str, Any]:
        """The stored extras by their names in :data:`EPISODE_STORED_EXTRA`."""
        return {name: getattr(self, name) for name in EPISODE_STORED_EXTRA}

    def snapshot(self) -> dict[str, Any]:
        """What the event log keeps of an episode (as the SQLite store logs it)."""
        return {"text": self.text, "speaker": self.speaker, "role": self.role,
                "hash": self.content_hash}  # fmt: skip


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    op: str
    target_id: str | None
    user_id: str | None
    at: float
    actor: str | None
    before: str | None  # JSON text, as stored by SQLite
    after: str | None

    def history(self) -> HistoryEvent:
        return HistoryEvent(self.id, self.op, self.target_id, self.user_id, self.at, self.actor,
                            json.loads(self.before) if self.before else None,
                            json.loads(self.after) if self.after else None)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EntityRow:
    id: int
    user_id: str
    name: str
    norm: str
    type: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class RelationRow:
    id: int
    text: str
    alpha_prior: float
    alpha: float
    n_obs: int = 0
    n_changes: int = 0


@dataclass(frozen=True, slots=True)
class ObsRow:
    relation_id: int
    delta_days: float
    changed: bool
    user_id: str | None
    key: str


@dataclass(frozen=True, slots=True)
class FactRow:
    id: str
    user_id: str
    subject_id: int
    relation_id: int
    object_id: int
    valid_at: float
    invalid_at: float | None
    recorded_at: float
    expired_at: float | None
    superseded_by: str | None
    confidence: float
    code: np.ndarray | None
    vscale: float | None
    source: str | None = None  # the source label that asserted it
    status: str = "accepted"  # accepted | contested | rejected (phasemem.provenance)


def snap(subject: str, relation: str, obj: str, valid_at: float,
          invalid_at: float | None) -> dict[str, Any]:  # fmt: skip
    """A fact version as FACT_* events carry it."""
    return {"subject": subject, "relation": relation, "object": obj, "valid_at": valid_at,
            "invalid_at": invalid_at}  # fmt: skip


@dataclass
class State:
    """Every table of the store. Ids count up and are never reused (SQLite's
    AUTOINCREMENT), so a seq or an event id means one row forever."""

    episodes: dict[str, EpRow] = field(default_factory=dict)  # by id, in seq order
    seqs: dict[int, str] = field(default_factory=dict)  # seq -> id
    dedupe: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)  # events[i].id == i + 1
    pins: dict[str, Pin] = field(default_factory=dict)
    entities: dict[int, EntityRow] = field(default_factory=dict)
    entity_norms: dict[tuple[str, str], int] = field(default_factory=dict)  # UNIQUE (user, norm)
    aliases: dict[tuple[str, str], int] = field(default_factory=dict)  # (user, alias) -> entity
    relations: dict[int, RelationRow] = field(default_factory=dict)
    relation_ids: dict[str, int] = field(default_factory=dict)  # text -> id
    observations: dict[str, ObsRow] = field(default_factory=dict)  # by unique key
    facts: dict[str, FactRow] = field(default_factory=dict)  # by id, in rowid order
    links: dict[tuple[str, str], None] = field(default_factory=dict)  # (fact, episode), ordered
    #: (user, source label) -> (alpha, beta, updated_at): per-source trust (imported)
    trust: dict[tuple[str, str], tuple[float, float, float]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    next_seq: int = 1
    next_entity: int = 1
    next_relation: int = 1

    def copy(self) -> State:
        """A shallow copy of every table: enough to undo a write, rows being frozen."""
        return State(**{f.name: copy(getattr(self, f.name)) for f in fields(self)})

    # -- log ---------------------------------------------------------------------------
    def log(self, op: str, target: str | None, user: str | None, actor: str | None,
            before: dict[str, Any] | None, after: dict[str, Any] | None,
            at: float | None = None) -> None:  # fmt: skip
        self.events.append(EventRow(len(self.events) + 1, op, target, user,
                                    at if at is not None else time.time(), actor,
                                    dumps(before), dumps(after)))  # fmt: skip

    def scrub_events(self, target_ids: list[str]) -> int:
        """Empty the payloads of every event about these ids (the op and time stay)."""
        targets, n = set(target_ids), 0
        for i, ev in enumerate(self.events):
            if ev.target_id in targets and (ev.before is not None or ev.after is not None):
                self.events[i] = replace(ev, before=None, after=None)
                n += 1
        return n

    def scrub_user_events(self, user_id: str) -> int:
        """Empty every event of a user: payload, user id and actor, and the
        target of a trust change (a source label can name a sender address)."""
        n = 0
        for i, ev in enumerate(self.events):
            if ev.user_id == user_id:
                target = None if ev.op == "TRUST" else ev.target_id
                self.events[i] = replace(ev, before=None, after=None, user_id=None, actor=None,
                                         target_id=target)  # fmt: skip
                n += 1
        return n

    # -- entities and relations ----------------------------------------------------------
    def resolve_entity(self, user_id: str, name: str, etype: str, *,
                       create: bool = True) -> int | None:  # fmt: skip
        """:func:`phasemem.store.facts_sql.resolve_entity`: a close-kin name the one
        person the owner's current kin fact names, else a known alias, else a lone
        first name onto the one PERSON whose full name starts with it, else
        (``create``) a new entity."""
        n = norm_entity(name)
        if not n:
            return None
        kin = parse_kin(n)
        if kin is not None:  # facts_sql: the kin's one holder, else the name's own entity
            holder = self.kin_holder(user_id, kin)
            if holder is not None:
                if create:  # a read writes nothing (facts_sql)
                    self.aliases[(user_id, n)] = holder  # a new key goes last, as an INSERT
                return holder
            own = self.entity_norms.get((user_id, n))
            if own is not None or not create:
                return own
            return self.add_entity(user_id, name.strip(), n, etype, time.time())
        found = self.aliases.get((user_id, n))
        if found is not None:
            return found
        if " " not in n and etype == "PERSON":
            people = [e.id for e in self.entities.values() if e.user_id == user_id
                      and e.type == "PERSON" and e.norm.startswith(n + " ")]  # fmt: skip
            if len(people) == 1:
                self.aliases.setdefault((user_id, n), people[0])
                return people[0]
        if not create:
            return None
        eid = self.add_entity(user_id, name.strip(), n, etype, time.time())
        return eid

    def kin_holder(self, user_id: str, kin: Kin) -> int | None:
        """:func:`phasemem.store.facts_sql.kin_holder`: the one entity the user's
        current accepted facts give the owner as that kin, else None."""
        owner = self.resolve_entity(user_id, kin.owner, "PERSON", create=False)
        rid = self.relation_ids.get(kin.relation)
        if owner is None or rid is None:
            return None
        found: set[int] = set()
        for f in self.facts.values():
            if (f.user_id == user_id and f.relation_id == rid and f.expired_at is None
                    and f.invalid_at is None and f.status == "accepted"):  # fmt: skip
                if f.subject_id == owner:
                    found.add(f.object_id)
                elif kin.symmetric and f.object_id == owner:
                    found.add(f.subject_id)
        found.discard(owner)
        return found.pop() if len(found) == 1 else None

    def add_entity(self, user_id: str, name: str, norm: str, etype: str | None,
                   created_at: float) -> int:  # fmt: skip
        if (user_id, norm) in self.entity_norms:  # SQLite: UNIQUE (user_id, norm)
            raise ValueError(f"entity {norm!r} of {user_id!r} exists")
        eid = self.next_entity
        self.next_entity += 1
        self.entities[eid] = EntityRow(eid, user_id, name, norm, etype, created_at)
        self.entity_norms[(user_id, norm)] = eid
        self.aliases.setdefault((user_id, norm), eid)
        return eid

    def relation_id(self, text: str, alpha_prior: float) -> int:
        """The id of a relation phrase, created with its prior when new."""
        rid = self.relation_ids.get(text)
        if rid is not None:
            return rid
        rid = self.next_relation
        self.next_relation += 1
        self.relations[rid] = RelationRow(rid, text, float(alpha_prior), float(alpha_prior))
        self.relation_ids[text] = rid
        return rid

    def observe(self, rid: int, user_id: str, delta_days: float, changed: bool) -> None:
        """One transition of a relation's slot (a non-positive gap says nothing
        about a rate and is not recorded), then the relation's alpha refined."""
        if not delta_days > 0:
            return
        key = uuid.uuid4().hex
        self.observations[key] = ObsRow(rid, float(delta_days), bool(changed), user_id, key)
        self.refresh_alpha(rid)

    def refresh_alpha(self, rid: int) -> None:
        """Alpha from the prior and every observation stored, in order: a function
        of the rows, as ``SQLiteStore._refresh_alpha``."""
        rel = self.relations[rid]
        obs = [(o.delta_days, o.changed) for o in self.observations.values()
               if o.relation_id == rid]  # fmt: skip
        alpha = refine_alpha(rel.alpha_prior, load_gate().kappa, obs) if obs else rel.alpha_prior
        self.relations[rid] = replace(rel, alpha=alpha, n_obs=len(obs),
                                      n_changes=sum(1 for _, ch in obs if ch))  # fmt: skip

    def drop_unused_relations(self) -> int:
        used = {f.relation_id for f in self.facts.values()}
        used |= {o.relation_id for o in self.observations.values()}
        gone = [r for r in self.relations.values() if r.id not in used]
        for r in gone:
            del self.relations[r.id]
            del self.relation_ids[r.text]
        return len(gone)

    # -- facts -----------------------------------------------------------------------------
    def link(self, fact_id: str, episode_id: str) -> None:
        self.links.setdefault((fact_id, episode_id), None)

    def fact(self, f: FactRow, episodes: tuple[str, ...] = ()) -> Fact:
        rel = self.relations[f.relation_id]
        return Fact(f.id, f.user_id, self.entities[f.subject_id].name, rel.text,
                    self.entities[f.object_id].name, f.valid_at, f.invalid_at, f.recorded_at,
                    f.expired_at, f.superseded_by, rel.alpha, f.confidence, episodes, f.source,
                    f.status)  # fmt: skip

    def episodes_of(self) -> dict[str, tuple[str, ...]]:
        """Each fact's source episodes, in link order."""
        out: dict[str, list[str]] = {}
        for fid, eid in self.links:
            out.setdefault(fid, []).append(eid)
        return {k: tuple(v) for k, v in out.items()}

    # -- erasure -----------------------------------------------------------------------------
    def drop_orphans(self, episode_ids: list[str], *, actor: str | None,
                     purge: bool) -> list[str]:  # fmt: skip
        """:func:`phasemem.store.sqlite_erase.drop_orphans`: facts whose every source
        episode is gone leave (a version one of them superseded holds again), then
        the entities no fact names. Returns the ids of the facts removed."""
        gone = set(episode_ids)
        fids = list(dict.fromkeys(fid for fid, eid in self.links if eid in gone))
        for key in [k for k in self.links if k[1] in gone]:
            del self.links[key]
        still = {fid for fid, _ in self.links}
        dropped: list[str] = []
        users: set[str] = set()
        for fid in fids:
            row = self.facts.get(fid)
            if row is not None and self.ended_by(row, gone):
                # a negation in a deleted episode ended it: nothing says so any more
                row = self.facts[fid] = replace(row, invalid_at=None, expired_at=None)
                self.log("FACT_REOPEN", fid, row.user_id, actor, None, None)
            if fid in still or row is None:
                continue  # another episode still says it
            f = self.fact(row)
            for other in list(self.facts.values()):
                if other.superseded_by == fid and other.invalid_at == f.valid_at:
                    self.facts[other.id] = replace(other, invalid_at=None, expired_at=None,
                                                   superseded_by=None)  # fmt: skip
            del self.facts[fid]
            before = None if purge else {"subject": f.subject, "relation": f.relation,
                                         "object": f.object}  # fmt: skip
            self.log("FACT_DELETE", fid, f.user_id, actor, before, None)
            dropped.append(fid)
            users.add(f.user_id)
        for user in users:
            self.drop_orphan_entities(user)
        return dropped

    def ended_by(self, f: FactRow, episode_ids: set[str]) -> bool:
        """Whether a negation in one of these episodes closed the fact: its latest
        FACT_DELETE event names that episode (:data:`phasemem.store.base.ENDED_BY`)."""
        if f.superseded_by is not None or f.invalid_at is None:
            return False
        for ev in reversed(self.events):
            if ev.target_id == f.id and ev.op == "FACT_DELETE":
                after = json.loads(ev.after) if ev.after else {}
                return after.get(ENDED_BY) in episode_ids
        return False

    def drop_orphan_entities(self, user_id: str) -> int:
        named = {f.subject_id for f in self.facts.values()}
        named |= {f.object_id for f in self.facts.values()}
        gone = {e.id for e in self.entities.values() if e.user_id == user_id and e.id not in named}
        self._drop_entities(gone)
        return len(gone)

    def _drop_entities(self, ids: set[int]) -> None:
        """Entities and, as SQLite's cascade does, their aliases and facts."""
        if not ids:
            return
        for eid in ids:
            e = self.entities.pop(eid)
            del self.entity_norms[(e.user_id, e.norm)]
        for key in [k for k, eid in self.aliases.items() if eid in ids]:
            del self.aliases[key]
        self._drop_facts([f.id for f in self.facts.values()
                          if f.subject_id in ids or f.object_id in ids])  # fmt: skip

    def _drop_facts(self, fact_ids: list[str]) -> None:
        """Facts and (cascade) their links."""
        ids = set(fact_ids)
        for fid in fact_ids:
            del self.facts[fid]
        for key in [k for k in self.links if k[0] in ids]:
            del self.links[key]

    def drop_user_graph(self, user_id: str) -> dict[str, int]:
        """:func:`phasemem.store.sqlite_erase.drop_user_graph`: facts, entities,
        aliases, pins and relation observations of a user; the speeds they fed
        recomputed from what remains; relations no one uses any more removed."""
        rels = list(dict.fromkeys(o.relation_id for o in self.observations.values()
                                  if o.user_id == user_id))  # fmt: skip
        facts = [f.id for f in self.facts.values() if f.user_id == user_id]
        self._drop_facts(facts)
        for key in [k for k in self.aliases if k[0] == user_id]:
            del self.aliases[key]
        self._drop_entities({e.id for e in self.entities.values() if e.user_id == user_id})
        pins = [p.id for p in self.pins.values() if p.user_id == user_id]
        for pid in pins:
            del self.pins[pid]
        for obs_key in [k for k, o in self.observations.items() if o.user_id == user_id]:
            del self.observations[obs_key]
        for trust_key in [k for k in self.trust if k[0] == user_id]:
            del self.trust[trust_key]
        for rid in rels:
            self.refresh_alpha(rid)
        return {"facts": len(facts), "pins": len(pins),
                "relations_removed": self.drop_unused_relations()}  # fmt: skip

    # -- checks --------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """What breaks the tables' invariants (the fake's ``integrity_check``)."""
        out: list[str] = []
        if [e.id for e in self.events] != list(range(1, len(self.events) + 1)):
            out.append("event ids are not 1..n")
        if {ep.seq: ep.id for ep in self.episodes.values()} != self.seqs:
            out.append("seq index differs from episodes")
        if {ep.dedupe: ep.id for ep in self.episodes.values()} != self.dedupe:
            out.append("dedupe index differs from episodes")
        if {(e.user_id, e.norm): e.id for e in self.entities.values()} != self.entity_norms:
            out.append("entity names differ from entities")
        if any(eid not in self.entities for eid in self.aliases.values()):
            out.append("an alias names a missing entity")
        for f in self.facts.values():
            if f.subject_id not in self.entities or f.object_id not in self.entities:
                out.append(f"fact {f.id} names a missing entity")
            if f.relation_id not in self.relations:
                out.append(f"fact {f.id} names a missing relation")
        if any(fid not in self.facts for fid, _ in self.links):
            out.append("a link names a missing fact")
        if any(o.relation_id not in self.relations for o in self.observations.values()):
            out.append("an observation names a missing relation")
        return out


__all__ = ["EntityRow", "EpRow", "EventRow", "FactRow", "ObsRow", "RelationRow", "State", "snap"]
