"""Plain data models returned by the public API.

They are frozen dataclasses with a ``to_dict()`` that gives the JSON shape used
by the CLI's ``--json``, export files and the server, so every interface shows
the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from phasemem.timeutil import from_ts, iso


@dataclass(frozen=True, slots=True)
class Episode:
    """One raw event (a message, a turn, a chunk). Never rewritten in place:
    ``update`` records the old text in the event log."""

    id: str
    text: str
    user_id: str
    agent_id: str | None
    session_id: str | None
    role: str | None
    speaker: str | None
    occurred_at: float
    recorded_at: float
    updated_at: float | None
    source: str | None
    metadata: dict[str, Any]
    content_hash: str
    #: provenance (phasemem.provenance): kind and name of the source, who wrote it
    source_kind: str | None = None
    source_name: str | None = None
    actor: str | None = None
    #: the injection finding when the text addresses the model (quarantined), else None
    quarantine: dict[str, Any] | None = None

    @property
    def source_label(self) -> str:
        """The trust key ``"kind:name"`` (the user's own channel when unknown)."""
        return f"{self.source_kind or 'user'}:{self.source_name or 'default'}"

    @property
    def occurred(self) -> datetime:
        return from_ts(self.occurred_at)

    def record(self) -> dict[str, Any]:
        """The stored shape (:data:`EPISODE_FIELDS`: raw times, metadata as a dict)."""
        return {name: getattr(self, name) for name in EPISODE_FIELDS}

    @classmethod
    def from_record(cls, values: Mapping[str, Any]) -> Episode:
        """An episode from a mapping of :data:`EPISODE_FIELDS` (extra keys ignored)."""
        kwargs: dict[str, Any] = {name: values.get(name) for name in EPISODE_FIELDS}
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON shape: the same fields, mem0's names for two of them
        (:data:`EPISODE_API_NAMES`) and times as ISO-8601 strings."""
        out: dict[str, Any] = {}
        for name in EPISODE_FIELDS:
            value = getattr(self, name)
            out[EPISODE_API_NAMES.get(name, name)] = iso(value) if name in _TIMES else value
        return out


#: The episode row, declared once: a store's columns, the dump's episode rows
#: and every copy of an episode follow these names in this order.
EPISODE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Episode))
#: Field -> its name in the API's JSON (mem0's names), where they differ.
EPISODE_API_NAMES: dict[str, str] = {"text": "memory", "content_hash": "hash"}
_TIMES = frozenset({"occurred_at", "recorded_at", "updated_at"})
#: What a store keeps beside an episode's fields (its int8 vector and scale, and
#: how many time expressions its text holds).
EPISODE_STORED_EXTRA: tuple[str, ...] = ("vector", "vscale", "time_mentions")


@dataclass(frozen=True, slots=True)
class AddResult:
    """What one ``add`` did to each message: ADD, or NOOP for a duplicate."""

    id: str
    event: str
    text: str
    facts: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "event": self.event, "memory": self.text}
        if self.facts:
            d["facts"] = [f.to_dict() for f in self.facts]
        return d


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One retrieved episode with the score of each retrieval stage.

    ``scores`` holds, per stage, the raw score and rank (e.g. ``bm25``,
    ``bm25_rank``, ``dense``, ``dense_rank``, ``fused``, ``neighbour``) so a
    caller can see why a hit ranks where it does.
    """

    episode: Episode
    score: float
    scores: dict[str, float]
    via: str = "search"

    def to_dict(self) -> dict[str, Any]:
        d = self.episode.to_dict()
        d["score"] = round(self.score, 6)
        d["scores"] = {k: round(v, 6) for k, v in self.scores.items()}
        d["via"] = self.via
        return d


@dataclass(frozen=True, slots=True)
class SearchResults:
    """Hits in rank order, plus the per-stage trace when asked for."""

    query: str
    hits: list[SearchHit]
    trace: dict[str, Any] | None = None
    facts: list[Any] = field(default_factory=list)
    #: where the retrieved memories disagree: the slot, the value that stands,
    #: and the sources on each side (phasemem.trust.consensus)
    disputes: list[dict[str, Any]] = field(default_factory=list)

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, i: int) -> SearchHit:
        return self.hits[i]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"results": [h.to_dict() for h in self.hits]}
        if self.facts:
            out["facts"] = [f.to_dict() for f in self.facts]
        if self.disputes:
            out["disputes"] = self.disputes
        if self.trace is not None:
            out["trace"] = self.trace
        return out


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One entry of the append-only event log."""

    id: int
    op: str
    target_id: str | None
    user_id: str | None
    at: float
    actor: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.op,
            "memory_id": self.target_id,
            "user_id": self.user_id,
            "at": iso(self.at),
            "actor": self.actor,
            "old": self.before,
            "new": self.after,
        }


@dataclass(frozen=True, slots=True)
class Pin:
    """A pinned instruction: always placed first in assembled context."""

    id: str
    user_id: str
    text: str
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "text": self.text,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class TrustReport:
    """How far one source is trusted for one user: Beta(alpha, beta), its mean,
    the independence group it votes in, and every change (``TRUST`` events)."""

    source: str
    alpha: float
    beta: float
    group: str
    events: list[HistoryEvent] = field(default_factory=list)

    @property
    def trust(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "trust": round(self.trust, 4), "alpha": self.alpha,
                "beta": self.beta, "group": self.group,
                "events": [e.to_dict() for e in self.events]}  # fmt: skip
