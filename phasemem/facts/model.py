"""Fact data models.

A fact has four times (DESIGN.md section 2): ``valid_at``/``invalid_at`` (when
it held in the world) and ``recorded_at``/``expired_at`` (when the store
learned it and when a newer fact superseded it). Superseded facts are kept,
so "as of" questions and ``timeline`` can still see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from phasemem.timeutil import iso


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    user_id: str
    subject: str
    relation: str
    object: str
    valid_at: float
    invalid_at: float | None
    recorded_at: float
    expired_at: float | None
    superseded_by: str | None
    alpha: float
    confidence: float
    episode_ids: tuple[str, ...] = ()
    #: the source label that asserted it ("web:example.com"), None for old rows
    source: str | None = None
    #: accepted (decided current or superseded in time), contested (a weaker
    #: source's claim waiting for consensus) or rejected (kept as a lesson)
    status: str = "accepted"

    def holds_at(self, t: float) -> bool:
        """True in the world at time ``t`` (as far as the store knows now)."""
        return self.valid_at <= t and (self.invalid_at is None or t < self.invalid_at)

    def seen_at(self, t: float) -> Fact:
        """This fact as a view as of ``t`` shows it: an end (``invalid_at``) or a
        replacement (``expired_at``, ``superseded_by``) that came after ``t`` was
        not known then, so it is left out. The web page's as-of view, the
        library, REST, MCP and the CLI all show facts through this."""
        ended = self.invalid_at is not None and self.invalid_at <= t
        replaced = self.expired_at is not None and self.expired_at <= t
        if (ended or self.invalid_at is None) and (replaced or self.expired_at is None):
            return self
        return replace(
            self,
            invalid_at=self.invalid_at if ended else None,
            expired_at=self.expired_at if replaced else None,
            superseded_by=self.superseded_by if replaced else None,
        )

    @property
    def text(self) -> str:
        return f"{self.subject} {self.relation} {self.object}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "relation": self.relation,
            "object": self.object,
            "valid_at": iso(self.valid_at),
            "invalid_at": iso(self.invalid_at),
            "recorded_at": iso(self.recorded_at),
            "expired_at": iso(self.expired_at),
            "superseded_by": self.superseded_by,
            "alpha": round(self.alpha, 4),
            "confidence": round(self.confidence, 4),
            "episode_ids": list(self.episode_ids),
            "source": self.source,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class FactHit:
    """A fact ranked for a query, with its semantic and temporal scores."""

    fact: Fact
    score: float
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        d = self.fact.to_dict()
        d["score"] = round(self.score, 6)
        d["scores"] = {k: round(v, 6) for k, v in self.scores.items()}
        return d


@dataclass(frozen=True, slots=True)
class NewFact:
    """A fact extracted from an episode, ready for the store's decision."""

    subject: str
    subject_type: str
    relation: str
    object: str
    object_type: str
    valid_at: float
    invalid_at: float | None
    negated: bool
    confidence: float
    alpha_prior: float
    single_valued: bool
    vector: np.ndarray | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class FactOp:
    """What the store did with one extracted fact: ADD, UPDATE, DELETE or NOOP."""

    op: str
    fact_id: str | None
    text: str
    closed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.op,
            "fact_id": self.fact_id,
            "fact": self.text,
            "closed": list(self.closed),
        }
