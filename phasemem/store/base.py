"""The one storage seam. Every backend implements :class:`Store`; the facade
and retrieval code talk to nothing else."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from phasemem.facts.model import Fact, NewFact
from phasemem.models import AddResult, Episode, HistoryEvent, Pin
from phasemem.store.filters import EpisodeFilter

#: Shortest id prefix taken for an id (hex digits): the 8 characters ``search``
#: prints always qualify; 4 keeps a typo from matching half a small store.
MIN_ID_PREFIX = 4


@dataclass(frozen=True, slots=True)
class NewEpisode:
    """An episode ready to be written (validated, hashed, embedded)."""

    id: str
    text: str
    user_id: str
    agent_id: str | None
    session_id: str | None
    role: str | None
    speaker: str | None
    occurred_at: float
    recorded_at: float
    source: str | None
    metadata: dict[str, Any]
    content_hash: str
    vector: np.ndarray | None
    time_mentions: int = 0


@dataclass(frozen=True, slots=True)
class VectorRows:
    """Rows for the in-memory vector index, in ``seq`` order."""

    seqs: np.ndarray  # int64
    ids: list[str]
    codes: np.ndarray  # int8 (n, d)
    scales: np.ndarray  # float32
    user_ids: list[str]
    agent_ids: list[str | None]
    session_ids: list[str | None]
    occurred: np.ndarray  # float64
    time_mentions: np.ndarray  # int16
    speakers: list[str | None]  # set at insert, never updated
    roles: list[str | None]  # likewise
    sources: list[str | None]  # likewise


class Store(abc.ABC):
    """Durable episodes, their full-text index, vectors and the event log."""

    @abc.abstractmethod
    def add_episodes(
        self,
        items: Sequence[NewEpisode],
        *,
        actor: str | None,
        facts: Sequence[Sequence[NewFact]] | None = None,
    ) -> list[AddResult]:
        """Insert in one transaction with the facts extracted from each item;
        duplicates (same scope and hash) are NOOPs and bring no facts."""

    @abc.abstractmethod
    def resolve_id(
        self, id_or_prefix: str, user_id: str | None = None, *, kind: str = "memory"
    ) -> str:
        """The full id a caller means: ``id_or_prefix`` itself when it exists (in
        ``user_id``'s scope when given), else the one id starting with it (at
        least :data:`MIN_ID_PREFIX` hex digits). ``kind``: "memory" (stored
        episodes), "pin", or "event" (any id with history, deleted memories
        too). Raises ``NotFoundError``, or ``InvalidInputError`` when a prefix
        is ambiguous (its ``candidates`` says how many ids match)."""

    @abc.abstractmethod
    def get(self, episode_id: str, user_id: str | None = None) -> Episode: ...

    @abc.abstractmethod
    def by_seq(self, seqs: Sequence[int]) -> dict[int, Episode]: ...

    @abc.abstractmethod
    def list(self, flt: EpisodeFilter, limit: int, offset: int) -> list[Episode]: ...

    @abc.abstractmethod
    def count(self, flt: EpisodeFilter | None = None) -> int: ...

    @abc.abstractmethod
    def update_text(
        self, episode_id: str, text: str, content_hash: str, vector: np.ndarray | None,
        *, user_id: str | None, actor: str | None, time_mentions: int = 0,
    ) -> Episode: ...  # fmt: skip

    @abc.abstractmethod
    def delete(self, episode_id: str, *, user_id: str | None, actor: str | None) -> Episode: ...

    @abc.abstractmethod
    def delete_scope(self, flt: EpisodeFilter, *, actor: str | None) -> int: ...

    @abc.abstractmethod
    def history(self, episode_id: str, user_id: str | None = None) -> list[HistoryEvent]: ...

    @abc.abstractmethod
    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many documents contain each (query) term."""

    @abc.abstractmethod
    def lexical_rows(
        self, after_seq: int = 0, limit: int | None = None
    ) -> list[tuple[int, str, str, str | None]]:
        """``(seq, id, text, speaker)`` of the episodes after ``after_seq``, by seq."""

    @abc.abstractmethod
    def lexical_row(self, episode_id: str) -> tuple[int, str, str, str | None] | None:
        """``(seq, id, text, speaker)`` of one episode, ``None`` when it is gone."""

    @abc.abstractmethod
    def fulltext_unscoped(self, match: str, limit: int) -> list[tuple[int, float]]:
        """(seq, bm25) over every scope, best first; callers filter."""

    @abc.abstractmethod
    def fulltext(self, match: str, flt: EpisodeFilter, limit: int) -> list[tuple[int, float]]:
        """(seq, bm25) best first; ``match`` is an already-safe FTS5 expression."""

    @abc.abstractmethod
    def speakers(self, user_id: str) -> list[str]:
        """Distinct speaker names in a user's episodes."""

    @abc.abstractmethod
    def speakers_of(self, seqs: Sequence[int], names: Sequence[str]) -> list[int]:
        """The seqs among ``seqs`` spoken by one of ``names``."""

    @abc.abstractmethod
    def previous_turn(
        self, user_id: str, session_id: str, before: float
    ) -> tuple[str | None, str] | None:
        """(speaker, text) of the turn before a time in a session, if any."""

    @abc.abstractmethod
    def vector_rows(self, after_seq: int = 0) -> VectorRows: ...

    @abc.abstractmethod
    def vector_of(self, episode_id: str) -> tuple[np.ndarray, float] | None:
        """The stored int8 code and scale of one episode."""

    @abc.abstractmethod
    def changes_since(self, event_id: int) -> tuple[int, list[tuple[str, str]]]:
        """(last event id, [(op, episode id)]) for updates and deletes since."""

    @abc.abstractmethod
    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap to poll)."""

    @abc.abstractmethod
    def export_rows(self) -> Iterator[dict[str, Any]]: ...

    @abc.abstractmethod
    def import_rows(self, rows: Sequence[dict[str, Any]], *, actor: str | None) -> int: ...

    @abc.abstractmethod
    def facts(
        self, user_id: str, *, subject: str | None = None, relation: str | None = None,
        as_of: float | None = None, include_expired: bool = False, entity: str | None = None,
    ) -> list[Fact]: ...  # fmt: skip

    @abc.abstractmethod
    def fact_vectors(self, user_id: str) -> tuple[list[Fact], np.ndarray, np.ndarray]:
        """Every fact version of a user with its int8 vector codes and scales."""

    @abc.abstractmethod
    def relation_stats(self) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def add_pin(self, pin: Pin, *, actor: str | None) -> Pin: ...

    @abc.abstractmethod
    def remove_pin(self, pin_id: str, *, user_id: str, actor: str | None) -> Pin: ...

    @abc.abstractmethod
    def pins(self, user_id: str) -> list[Pin]: ...

    @abc.abstractmethod
    def forget_user(self, user_id: str, *, actor: str | None) -> dict[str, Any]:
        """Erase every trace of a user (rows, FTS, vectors, graph, event payloads)."""

    @abc.abstractmethod
    def file_contains(self, needles: Sequence[str]) -> list[str]:
        """Which texts still occur as raw bytes in the storage files."""

    @abc.abstractmethod
    def meta_get(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def meta_set(self, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def health(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def close(self) -> None: ...
