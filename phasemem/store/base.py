"""The one storage seam: narrow protocols, each what one layer above reads.

The mirror reads a :class:`MirrorFeed`, retrieval a :class:`TextSearch` and an
:class:`EpisodeReader`, the write pipeline an :class:`EpisodeWriter`, fact
ranking a :class:`FactStore`; :class:`Store` is all of them. They are
``typing.Protocol``: a backend is a Store by having the methods, and a test
fake needs no base class."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from phasemem.facts.model import Fact, NewFact
from phasemem.models import AddResult, Episode, HistoryEvent, Pin
from phasemem.scope import EpisodeFilter

#: Shortest id prefix taken for an id (hex digits): the 8 characters ``search``
#: prints always qualify; 4 keeps a typo from matching half a small store.
MIN_ID_PREFIX = 4

#: Key, in a FACT_DELETE event's ``after`` payload, of the episode whose negation
#: ended the fact ("I no longer live in Lisbon"); deleting that episode reopens
#: the fact. Every backend writes and reads it the same way.
ENDED_BY = "ended_by"

#: The log's tombstone of a bulk erase (``forget``): one event per erase
#: transaction, its ``after`` payload ``{"ids": [...]}`` the episodes it removed.
#: Why not one ``DELETE`` event per episode: 10,000 of them (each a row and two
#: index entries) cost a fifth of a 100K-store ``forget``. Readers of the
#: change feed see it as one ``DELETE`` per id (:func:`feed_changes`).
ERASE_OP = "ERASE"


def feed_changes(rows: Iterable[tuple[str, str | None, str | None]]) -> list[tuple[str, str]]:
    """The mirror's ``(op, episode id)`` changes from the log's ``(op, target_id,
    after)`` rows, in order: an :data:`ERASE_OP` event becomes one ``DELETE`` per
    id it names; an event without a target (a scrubbed one) is skipped, and so
    is an ``ERASE`` whose payload is not a list of ids (a dump may carry any
    payload: it must not stop every sync)."""
    out: list[tuple[str, str]] = []
    for op, target, after in rows:
        if op == ERASE_OP:
            out.extend(("DELETE", i) for i in _erased_ids(after))
        elif target is not None:
            out.append((op, target))
    return out


def _erased_ids(after: str | None) -> list[str]:
    try:
        ids = json.loads(after)["ids"] if after else []
    except (ValueError, TypeError, KeyError):
        return []
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


@dataclass(frozen=True, slots=True)
class NewEpisode(Episode):
    """An episode ready to be written (validated, hashed, embedded): the
    :class:`~phasemem.models.Episode` fields and what a store keeps beside them."""

    vector: np.ndarray | None = None
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


#: ``(seq, id, text, speaker)`` of one episode: what the BM25 postings are built from
LexRow = tuple[int, str, str, str | None]


@runtime_checkable
class MirrorFeed(Protocol):
    """What the in-memory mirror (:mod:`phasemem.mirror`) reads to stay in step."""

    def version(self) -> int:
        """A number that changes when another handle (thread, process, host) has
        committed something this one may not have seen. Cheap to poll: it is
        asked before every search. A handle's own writes are followed by a
        forced sync instead."""
        ...

    def head(self) -> int:
        """The id of the newest event in the log (0: none)."""
        ...

    def changes_since(self, event_id: int) -> tuple[int, list[tuple[str, str]]]:
        """``(head, [(op, episode id)])``: updates and deletes after ``event_id``
        (a bulk erase's :data:`ERASE_OP` event as one ``DELETE`` per id)."""
        ...

    def vector_rows(self, after_seq: int = 0) -> VectorRows:
        """Episodes stored after ``after_seq`` (with a vector), in seq order."""
        ...

    def vector_of(self, episode_id: str) -> tuple[np.ndarray, float] | None:
        """The stored int8 code and scale of one episode."""
        ...

    def lexical_rows(self, after_seq: int = 0, limit: int | None = None) -> list[LexRow]:
        """``(seq, id, text, speaker)`` of the episodes after ``after_seq``, by seq."""
        ...

    def lexical_row(self, episode_id: str) -> LexRow | None:
        """One episode's ``(seq, id, text, speaker)``; None when it is gone."""
        ...

    def speakers(self, user_id: str) -> list[str]:
        """Distinct speaker names in a user's episodes."""
        ...


@runtime_checkable
class TextSearch(Protocol):
    """Full-text search over episodes, in whatever way the backend indexes words."""

    def search_text(
        self, terms: Sequence[str], flt: EpisodeFilter | None, limit: int
    ) -> list[tuple[int, float]]:
        """``(seq, score)`` best first for episodes holding any of ``terms``
        (plain words: the store quotes them for its own query language). With
        ``flt`` None every scope is searched and the caller filters."""
        ...

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many episodes (of every scope) hold each term."""
        ...


@runtime_checkable
class ScopedTextSearch(Protocol):
    """A store whose full-text index is keyed by scope (PostgreSQL's postings
    by term and user). Why a capability: FTS5 indexes words only, so an
    unscoped search filtered by the mirror's scope mask beats a join with the
    episodes table there; with a scoped index the scoped query is the cheap one,
    and the unscoped try first is pure waste (tens of ms over 1,000 users)."""

    def text_search_scoped(self) -> bool:
        """Whether retrieval should ask :meth:`TextSearch.search_text` with the
        filter straight away."""
        ...


@runtime_checkable
class VectorSearch(Protocol):
    """A store that ranks its own vectors (an ANN index inside the database).

    Why a capability, not part of :class:`Store`: SQLite has no vector index
    and the in-process mirror scores its vectors faster than SQL could; a
    database shared by many processes (PostgreSQL + pgvector) answers from one
    index instead of each process scanning a copy. Retrieval asks
    :meth:`dense_in_store` once and then uses one or the other, with the same
    fusion after."""

    def dense_in_store(self) -> bool:
        """Whether :meth:`search_vectors` is to be used for this store."""
        ...

    def search_vectors(
        self, vector: np.ndarray, flt: EpisodeFilter, limit: int
    ) -> list[tuple[int, float]]:
        """``(seq, inner product with the stored int8 vector times its scale)``,
        best first, among the episodes ``flt`` allows (metadata included)."""
        ...


@runtime_checkable
class EpisodeReader(Protocol):
    def get(self, episode_id: str, user_id: str | None = None) -> Episode: ...

    def resolve_id(
        self, id_or_prefix: str, user_id: str | None = None, *, kind: str = "memory"
    ) -> str:
        """The full id a caller means: ``id_or_prefix`` itself when it exists (in
        ``user_id``'s scope when given), else the one id starting with it (at
        least :data:`MIN_ID_PREFIX` hex digits). ``kind``: "memory", "pin" or
        "event" (ids in the log: deleted memories too)."""
        ...

    def by_seq(self, seqs: Sequence[int]) -> dict[int, Episode]: ...

    def episodes(self, flt: EpisodeFilter, limit: int, offset: int) -> list[Episode]: ...

    def count(self, flt: EpisodeFilter | None = None) -> int: ...

    def history(self, episode_id: str, user_id: str | None = None) -> list[HistoryEvent]: ...

    def speakers_of(self, seqs: Sequence[int], names: Sequence[str]) -> list[int]:
        """The seqs among ``seqs`` spoken by one of ``names``."""
        ...

    def previous_turn(
        self, user_id: str, session_id: str, before: float
    ) -> tuple[str | None, str] | None:
        """``(speaker, text)`` of the last turn before a time in a session."""
        ...


@runtime_checkable
class EpisodeWriter(Protocol):
    def add_episodes(
        self,
        items: Sequence[NewEpisode],
        *,
        actor: str | None,
        facts: Sequence[Sequence[NewFact]] | None = None,
    ) -> list[AddResult]:
        """Insert in one transaction with the facts extracted from each item
        (decided by :func:`phasemem.facts.decide.decide`); duplicates (same
        scope and hash) are NOOPs and bring no facts."""
        ...

    def update_text(
        self, episode_id: str, text: str, content_hash: str, vector: np.ndarray | None,
        *, user_id: str | None, actor: str | None, time_mentions: int = 0,
        facts: Sequence[NewFact] | None = None, quarantine: dict[str, Any] | None = None,
    ) -> Episode:  # fmt: skip
        """Replace the text. ``facts`` (what the new text says; None: no extractor,
        leave the graph alone) re-derive the episode's facts in the same
        transaction: what only the old text supported goes (as in ``delete``),
        then the new facts are decided as for an add, with the episode's source
        and the trust policy. ``quarantine``: the injection finding of the new
        text (None: it is clean, so an old quarantine is lifted)."""
        ...

    def delete(
        self, episode_id: str, *, user_id: str | None, actor: str | None, purge: bool = False
    ) -> Episode: ...

    def delete_scope(
        self, flt: EpisodeFilter, *, actor: str | None, purge: bool = False, pins: bool = False
    ) -> int: ...

    def forget_user(self, user_id: str, *, actor: str | None) -> dict[str, Any]:
        """Erase every trace of a user (docs/erasure.md); returns counts, and
        under ``"texts"`` the text of every episode and pin it erased, read in
        the transactions that erased them (the caller proves them gone, also
        those added while the erase ran)."""
        ...

    def residue(self, texts: Sequence[str]) -> list[str]:
        """Which of ``texts`` (8 bytes or more) still exist anywhere in storage,
        free space and logs included: the proof an erasure gives."""
        ...


@runtime_checkable
class FactStore(Protocol):
    def facts(
        self, user_id: str, *, subject: str | None = None, relation: str | None = None,
        as_of: float | None = None, include_expired: bool = False, entity: str | None = None,
        include_contested: bool = False, source: str | None = None,
    ) -> list[Fact]: ...  # fmt: skip

    def fact_vectors(self, user_id: str) -> tuple[list[Fact], np.ndarray, np.ndarray]:
        """Every fact version of a user with its int8 vector codes and scales."""
        ...

    def relation_stats(self) -> list[dict[str, Any]]: ...


class TrustStore(Protocol):
    """Per-source trust and the facts' standing (issue 15; docs/trust.md).
    ``trust_policy`` is the policy the store's fact decisions use."""

    trust_policy: Any

    def source_trust(self, user_id: str, label: str) -> tuple[float, float]: ...

    def trust_table(self, user_id: str) -> dict[str, tuple[float, float]]: ...

    def trust_events(self, user_id: str, label: str) -> list[HistoryEvent]: ...

    def fact(self, fact_id: str, user_id: str) -> Fact: ...

    def judge_fact(
        self, fact_id: str, user_id: str, verdict: str, *, actor: str | None
    ) -> Fact: ...

    def fact_standing(self, user_id: str, episode_ids: Sequence[str]) -> dict[str, list[Fact]]: ...

    def disputed_slots(self, user_id: str) -> dict[str, tuple[str, list[str], list[str]]]: ...


@runtime_checkable
class PinStore(Protocol):
    def add_pin(self, pin: Pin, *, actor: str | None) -> Pin: ...

    def remove_pin(self, pin_id: str, *, user_id: str, actor: str | None) -> Pin: ...

    def pins(self, user_id: str) -> list[Pin]: ...


@runtime_checkable
class Store(MirrorFeed, TextSearch, EpisodeReader, EpisodeWriter, FactStore, TrustStore, PinStore,
            Protocol):  # fmt: skip
    """Everything a memory needs from its storage. Backends: SQLite (the
    embedded default, :mod:`phasemem.store.sqlite`) and an in-memory fake for
    tests (:mod:`phasemem.store.memory`); one contract test suite runs against
    each (``tests/store/test_contract.py``). Nothing here is specific to a
    database: no SQL, no full-text query syntax, no file."""

    def export_rows(self, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The dump's rows (:mod:`phasemem.store.dump`), from one snapshot."""
        ...

    def import_rows(
        self, rows: Sequence[dict[str, Any]], *, actor: str | None, state: Any = None
    ) -> int:
        """Write validated dump rows in one transaction; returns episodes added."""
        ...

    def meta_get(self, key: str) -> str | None: ...

    def meta_set(self, key: str, value: str) -> None: ...

    def health(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
