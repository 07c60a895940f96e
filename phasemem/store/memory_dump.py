"""The in-memory store's side of the dump format (:mod:`phasemem.store.dump`).

Row for row what :mod:`phasemem.store.sqlite_dump` reads and writes, in the
same order with the same values, so a dump moves between backends and comes
back byte-identical (the contract suite checks both directions). Numbers are
stored as SQLite's REAL columns store them (floats), so an integer time in a
dump is exported again as the float SQLite would give.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from phasemem.errors import ImportFormatError
from phasemem.models import Pin
from phasemem.store.dump import ImportState
from phasemem.store.memory_state import EpRow, EventRow, FactRow, ObsRow, State, readonly, real


def _b64(code: np.ndarray | None) -> str | None:
    return base64.b64encode(code.tobytes()).decode() if code is not None else None


def export_rows(s: State, user_id: str | None) -> list[dict[str, Any]]:
    """Every row of the dump (header excluded), as ``sqlite_dump.export_rows``."""

    def mine(user: str | None) -> bool:
        return user_id is None or user == user_id

    out: list[dict[str, Any]] = []
    for ep in s.episodes.values():
        if mine(ep.user_id):
            row = {**ep.record(), "metadata": json.loads(ep.meta_json), **ep.stored()}
            out.append({"kind": "episode", **row, "vector": _b64(ep.vector)})
    for p in sorted((p for p in s.pins.values() if mine(p.user_id)),
                    key=lambda p: (p.created_at, p.id)):  # fmt: skip
        out.append({"kind": "pin", "id": p.id, "user_id": p.user_id, "text": p.text,
                    "created_at": p.created_at})  # fmt: skip
    used: set[int] | None = None
    if user_id is not None:  # the relations this user's facts or observations use
        used = {f.relation_id for f in s.facts.values() if f.user_id == user_id}
        used |= {o.relation_id for o in s.observations.values() if o.user_id == user_id}
    for r in sorted(s.relations.values(), key=lambda r: r.id):
        if used is None or r.id in used:
            out.append({"kind": "relation", "text": r.text, "alpha_prior": r.alpha_prior,
                        "alpha": r.alpha})  # fmt: skip
    for o in s.observations.values():
        if mine(o.user_id):
            out.append({"kind": "observation", "relation": s.relations[o.relation_id].text,
                        "user_id": o.user_id, "delta_days": o.delta_days, "changed": o.changed,
                        "key": o.key})  # fmt: skip
    aliases: dict[int, list[str]] = {}
    for (user, alias), entity in s.aliases.items():
        if mine(user):
            aliases.setdefault(entity, []).append(alias)
    for e in sorted(s.entities.values(), key=lambda e: e.id):
        if mine(e.user_id):
            out.append({"kind": "entity", "ref": e.id, "user_id": e.user_id, "name": e.name,
                        "norm": e.norm, "type": e.type, "created_at": e.created_at,
                        "aliases": aliases.get(e.id, [])})  # fmt: skip
    links: dict[str, list[str]] = {}
    for fid, eid in s.links:
        if mine(s.facts[fid].user_id):
            links.setdefault(fid, []).append(eid)
    for f in s.facts.values():
        if mine(f.user_id):
            out.append({
                "kind": "fact", "id": f.id, "user_id": f.user_id, "subject_ref": f.subject_id,
                "relation": s.relations[f.relation_id].text, "object_ref": f.object_id,
                "valid_at": f.valid_at, "invalid_at": f.invalid_at, "recorded_at": f.recorded_at,
                "expired_at": f.expired_at, "superseded_by": f.superseded_by,
                "confidence": f.confidence, "vector": _b64(f.code), "vscale": f.vscale,
                "episode_ids": links.get(f.id, []), "source": f.source, "status": f.status,
            })  # fmt: skip
    for (user, label), (a, b, at) in sorted(s.trust.items()):
        if mine(user):
            kind, _, name = label.partition(":")
            out.append({"kind": "trust", "user_id": user, "source": label, "source_kind": kind,
                        "name": name, "alpha": a, "beta": b, "updated_at": at})  # fmt: skip
    for ev in s.events:
        if user_id is None or ev.user_id == user_id:
            out.append({"kind": "event", "op": ev.op, "target_id": ev.target_id,
                        "user_id": ev.user_id, "at": ev.at, "actor": ev.actor,
                        "before": json.loads(ev.before) if ev.before else None,
                        "after": json.loads(ev.after) if ev.after else None})  # fmt: skip
    return out


def import_rows(s: State, rows: list[dict[str, Any]], state: ImportState, *, dim: int) -> None:
    """Write validated dump rows into ``s`` (the caller's transaction)."""
    _Importer(s, state, dim).run(rows)


def _vector(row: dict[str, Any], dim: int) -> np.ndarray | None:
    raw = base64.b64decode(row["vector"], validate=True) if row.get("vector") else None
    if raw is None:
        return None
    if len(raw) != dim:
        raise ValueError(f"vector has {len(raw)} dims, expected {dim}")
    if row.get("vscale") is None:
        raise ValueError("vector without vscale")
    return readonly(np.frombuffer(raw, dtype=np.int8))


_EventKey = tuple[str, str | None, str | None, float, str | None, str | None, str | None]


def _event_key(e: EventRow) -> _EventKey:
    return (e.op, e.target_id, e.user_id, e.at, e.actor, e.before, e.after)


class _Importer:
    """One batch of rows into one state, each row as ``sqlite_dump`` writes it."""

    def __init__(self, s: State, state: ImportState, dim: int) -> None:
        self.s, self.state, self.dim = s, state, dim
        self._seen: set[_EventKey] | None = None  # the log's entries, for re-imports

    def run(self, rows: list[dict[str, Any]]) -> None:
        writers: dict[str, Callable[[dict[str, Any]], None]] = {
            "episode": self.episode, "pin": self.pin, "relation": self.relation,
            "observation": self.observation, "entity": self.entity, "fact": self.fact,
            "event": self.event, "trust": self.trust,
        }  # fmt: skip
        for row in rows:
            try:
                writers[row["kind"]](row)
            except (KeyError, TypeError, ValueError) as exc:
                raise ImportFormatError(
                    f"bad import row ({exc.__class__.__name__}: {exc})", line=row.get("_line")
                ) from exc
            self.state.rows += 1

    def episode(self, row: dict[str, Any]) -> None:
        s = self.s
        ep = EpRow.make(row, seq=s.next_seq, vector=_vector(row, self.dim),
                        vscale=row.get("vscale"), time_mentions=row.get("time_mentions") or 0)  # fmt: skip
        s.next_seq += 1  # used up even by a duplicate, as SQLite's AUTOINCREMENT does
        if ep.id in s.episodes or ep.dedupe in s.dedupe:  # ON CONFLICT DO NOTHING
            return
        s.episodes[ep.id] = ep
        s.seqs[ep.seq] = ep.id
        s.dedupe[ep.dedupe] = ep.id
        self.state.episodes += 1

    def pin(self, row: dict[str, Any]) -> None:
        pin = Pin(row["id"], row["user_id"], row["text"], float(row["created_at"]))
        self.s.pins.setdefault(pin.id, pin)  # INSERT OR IGNORE

    def _relation_id(self, text: str) -> int:
        if text in self.s.relation_ids:
            return self.s.relation_ids[text]
        prior = self.state.relations.get(text)
        if prior is None:
            raise ValueError(f"relation {text!r} used before its relation row")
        return self.s.relation_id(text, prior)

    def relation(self, row: dict[str, Any]) -> None:
        self.state.relations[row["text"]] = float(row["alpha_prior"])
        self._relation_id(row["text"])  # created now, so a relation without facts survives too

    def observation(self, row: dict[str, Any]) -> None:
        rid = self._relation_id(row["relation"])
        key = row.get("key") or uuid.uuid4().hex
        if key not in self.s.observations:  # INSERT OR IGNORE on the unique key
            self.s.observations[key] = ObsRow(rid, float(row["delta_days"]), bool(row["changed"]),
                                              row.get("user_id"), key)  # fmt: skip
            self.state.touched.add(rid)

    def entity(self, row: dict[str, Any]) -> None:
        s, user, norm = self.s, row["user_id"], row["norm"]
        eid = s.entity_norms.get((user, norm))
        if eid is None:
            eid = s.add_entity(user, row["name"], norm, row.get("type"),
                               float(row.get("created_at") or 0.0))  # fmt: skip
        for alias in [norm, *row.get("aliases", [])]:
            s.aliases.setdefault((user, alias), eid)
        self.state.entities[int(row["ref"])] = eid

    def fact(self, row: dict[str, Any]) -> None:
        ents = self.state.entities
        try:
            sid, oid = ents[row["subject_ref"]], ents[row["object_ref"]]
        except KeyError as exc:
            raise ValueError(
                f"fact {row['id']} names entity ref {exc.args[0]} not in the dump"
            ) from None
        rid = self._relation_id(row["relation"])
        conf = row.get("confidence")
        fact = FactRow(row["id"], row["user_id"], sid, rid, oid, float(row["valid_at"]),
                       real(row.get("invalid_at")), float(row["recorded_at"]),
                       real(row.get("expired_at")), row.get("superseded_by"),
                       float(conf if conf is not None else 1.0), _vector(row, self.dim),
                       real(row.get("vscale")), row.get("source"),
                       row.get("status") or "accepted")  # fmt: skip
        self.s.facts.setdefault(fact.id, fact)  # ON CONFLICT DO NOTHING
        for ep in row.get("episode_ids", []):
            self.s.link(row["id"], ep)

    def trust(self, row: dict[str, Any]) -> None:
        """A source's posterior: the newer of the held and the imported one wins."""
        key = (row["user_id"], row["source"])
        new = (float(row["alpha"]), float(row["beta"]), float(row["updated_at"]))
        if key not in self.s.trust or self.s.trust[key][2] < new[2]:
            self.s.trust[key] = new

    def event(self, row: dict[str, Any]) -> None:
        s = self.s
        before = json.dumps(row["before"]) if row.get("before") is not None else None
        after = json.dumps(row["after"]) if row.get("after") is not None else None
        key: _EventKey = (row["op"], row.get("target_id"), row.get("user_id"), float(row["at"]),
                          row.get("actor"), before, after)  # fmt: skip
        if self._seen is None:
            self._seen = {_event_key(e) for e in s.events}
        if key in self._seen:  # the same dump imported again: the log already holds this entry
            return
        s.log(row["op"], row.get("target_id"), row.get("user_id"), row.get("actor"),
              row.get("before"), row.get("after"), at=float(row["at"]))  # fmt: skip
        self._seen.add(_event_key(s.events[-1]))
