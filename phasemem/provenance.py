"""Provenance: where a memory came from, declared once.

Every episode and fact carries a source: a **kind** (who is speaking: the
user, the assistant, a tool, a web page, an email, another agent, an
import), a **name** (the channel, tool, domain, sender or agent id) and the
**actor** that wrote it into memory (the app, an inbox sync, the assistant).
Trust is kept per source label ``"kind:name"`` (:mod:`phasemem.trust.policy`).

Why here, in the values layer: the episode row (``models``), the store's
columns (``store.schema``), the dump (``store.dump``) and every interface
need the same names, and a second backend (PostgreSQL) must add the same
columns; :data:`EPISODE_COLUMNS`, :data:`FACT_COLUMNS` and
:data:`TRUST_COLUMNS` are that list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from phasemem.errors import InvalidInputError

#: The source kinds, most trusted first by default (docs/trust.md).
SOURCE_KINDS: tuple[str, ...] = ("user", "assistant", "tool", "web", "email", "agent", "import")
#: A write that names no source: the application's own channel for its user.
DEFAULT_KIND = "user"
DEFAULT_NAME = "default"

#: Provenance columns of an episode (beside the legacy free-text ``source``).
EPISODE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source_kind", "TEXT"),
    ("source_name", "TEXT"),
    ("actor", "TEXT"),
    ("quarantine", "TEXT"),  # the injection finding (JSON) when quarantined, else NULL
)
#: Trust columns of a fact: which source asserted it, and its standing.
FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "TEXT"),
    ("status", "TEXT NOT NULL DEFAULT 'accepted'"),  # accepted | contested | rejected
)
#: The per-source trust table (one row per user and source label).
TRUST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("user_id", "TEXT NOT NULL"),
    ("source", "TEXT NOT NULL"),
    ("kind", "TEXT NOT NULL"),
    ("name", "TEXT NOT NULL"),
    ("alpha", "REAL NOT NULL"),
    ("beta", "REAL NOT NULL"),
    ("updated_at", "REAL NOT NULL"),
)
FACT_STATUSES = ("accepted", "contested", "rejected")


@dataclass(frozen=True, slots=True)
class Provenance:
    """A write's source: ``kind`` (one of :data:`SOURCE_KINDS`), ``name``, ``actor``."""

    kind: str
    name: str
    actor: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "actor": self.actor, "label": self.label}


def parse_source(
    source: str | None, *, kind: str | None = None, name: str | None = None,
    actor: str | None = None,
) -> Provenance:  # fmt: skip
    """The provenance of a write: ``source="web:example.com"`` (kind and name),
    ``source="web"`` (a kind), ``source="chat"`` (a name: a channel of the
    application's own, kind ``user`` unless ``kind`` says otherwise), or
    explicit ``kind``/``name``. Nothing at all: the user's own channel,
    whatever the message's role says (a role is what a message claims, a
    source is how it arrived)."""
    k, n = kind, name
    if source:
        head, sep, tail = source.partition(":")
        if sep and head.strip().casefold() in SOURCE_KINDS and tail.strip():
            k = k or head.strip().casefold()
            n = n or tail.strip()
        elif source.strip().casefold() in SOURCE_KINDS:  # source="tool": a kind, unnamed
            k = k or source.strip().casefold()
        else:
            n = n or source.strip()
    k = (k or DEFAULT_KIND).casefold()  # no source: the application's own channel
    if k not in SOURCE_KINDS:
        raise InvalidInputError(f"source kind must be one of {SOURCE_KINDS}, got {k!r}",
                                field="source_kind")  # fmt: skip
    return Provenance(k, n or (DEFAULT_NAME if k == "user" else k), actor)


def label_kind(label: str | None) -> str:
    """The kind of a ``"kind:name"`` label (the user's when unknown or missing)."""
    if not label:
        return DEFAULT_KIND
    head = label.partition(":")[0]
    return head if head in SOURCE_KINDS else DEFAULT_KIND


__all__ = [
    "DEFAULT_KIND",
    "EPISODE_COLUMNS",
    "FACT_COLUMNS",
    "FACT_STATUSES",
    "SOURCE_KINDS",
    "TRUST_COLUMNS",
    "Provenance",
    "label_kind",
    "parse_source",
]
