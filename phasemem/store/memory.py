"""A pure-Python store: the whole :class:`~phasemem.store.base.Store` protocol in
dictionaries, with no database behind it.

Why it exists: it is the proof that the storage seam says nothing about
SQLite. The contract suite (``tests/store/test_contract.py``) runs the same
tests against it and against the SQLite store, so a behaviour the rest of
phasemem relies on is written down as a test, not as "whatever SQLite did".
It also makes a quick throwaway memory for tests and experiments:
``Memory("memory://")``. Everything is gone when the process ends (or at
:meth:`InMemoryStore.close`).

What it shares with the SQLite store, on purpose:

* the event log's ops and payloads (``history``, the mirror's change feed and
  the dump read them), sequence numbers that never go back, ids that are never
  reused, and every table in SQLite's row order, so a dump exported from one
  backend and imported into the other exports again byte for byte;
* the fact graph's rules (:mod:`.memory_state`: the same merges; :mod:`.memory_facts`:
  the same :func:`phasemem.facts.decide.decide` with the same trust standing
  (:mod:`phasemem.trust.standing`), the same rows, statuses, posteriors and
  events persisted; confirm and reject) and the relation speeds refined from
  the same observations;
* erasure as docs/erasure.md states it, with :meth:`InMemoryStore.residue`
  looking through every string the store holds.

Where it differs: full-text search tokenizes and stems on its own
(:mod:`.memory_text`; ranks are sensible, scores need not equal FTS5's);
there is one handle per store, so :meth:`InMemoryStore.version` simply counts
committed writes; ``health`` checks the tables' invariants, not a file.

Transactions: one lock; a write works on the live tables after taking a
shallow copy of each (rows are immutable), and a write that raises puts the
copy back, so it leaves nothing behind, like a rolled-back transaction.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np

from phasemem.embed.quant import quantize
from phasemem.errors import InvalidInputError, NotFoundError, StoreError
from phasemem.facts.model import Fact, NewFact
from phasemem.facts.resolve import relation_variants
from phasemem.models import AddResult, Episode, HistoryEvent, Pin
from phasemem.scope import EpisodeFilter
from phasemem.store import memory_dump, memory_facts
from phasemem.store.base import (
    ERASE_OP,
    MIN_ID_PREFIX,
    LexRow,
    NewEpisode,
    Store,
    VectorRows,
    feed_changes,
)
from phasemem.store.dump import ImportState
from phasemem.store.memory_state import EpRow, State, frozen_code, readonly
from phasemem.store.memory_text import TextIndex
from phasemem.trust.policy import TrustPolicy

#: episodes per write when deleting a scope (as the SQLite store: each chunk one transaction)
_ERASE_CHUNK = 500
_HEX = frozenset("0123456789abcdefABCDEF")
_ID_CHARS = _HEX | {"-"}
#: kind -> (noun, message) of resolve_id's errors, worded as the SQLite store words them
_ID_KINDS = {
    "memory": ("memory", "no memory with id {!r}"),
    "pin": ("pin", "no pin with id {!r}"),
    "event": ("id with history", "no history for id {!r}"),
}
#: the location that opens this store (``phasemem.store.url.MEMORY_URL``, which
#: imports this module; a test checks the two agree)
LOCATION = "memory://"
#: shortest text ``residue`` looks for (as :func:`phasemem.store.bytescan.find_any`)
_MIN_NEEDLE = 8


class InMemoryStore:
    """Every table in Python objects, guarded by one lock (servers share a store
    across threads)."""

    def __init__(self, *, embedder_name: str, dim: int) -> None:
        self.trust_policy: TrustPolicy | None = TrustPolicy()
        self.path = LOCATION
        self.dim = dim
        self._lock = threading.RLock()
        self._s = State()
        self._s.meta["embedder"] = json.dumps({"name": embedder_name, "dim": dim})
        self._version = 0
        self._text: tuple[int, TextIndex] | None = None  # (version it was built at, index)
        self._closed = False

    # -- plumbing -------------------------------------------------------------------------
    def _state(self) -> State:
        if self._closed:
            raise StoreError("the in-memory store is closed", path=self.path)
        return self._s

    @contextmanager
    def _write(self) -> Iterator[State]:
        """One transaction: all of it, or (on an exception) none of it."""
        with self._lock:
            s = self._state()
            saved = s.copy()
            try:
                yield s
            except BaseException:
                self._s = saved
                raise
            self._version += 1

    def _get_in(self, s: State, episode_id: str, user_id: str | None) -> EpRow:
        row = s.episodes.get(episode_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            raise NotFoundError(f"no memory with id {episode_id!r}", id=episode_id)
        return row

    def _index(self) -> TextIndex:
        """The text index of the current rows (rebuilt after a write)."""
        if self._text is None or self._text[0] != self._version:
            docs = ((ep.seq, ep.text_tokens, ep.speaker_tokens)
                    for ep in self._state().episodes.values())  # fmt: skip
            self._text = (self._version, TextIndex(docs))
        return self._text[1]

    # -- writes -------------------------------------------------------------------------------
    def add_episodes(
        self,
        items: Sequence[NewEpisode],
        *,
        actor: str | None,
        facts: Sequence[Sequence[NewFact]] | None = None,
    ) -> list[AddResult]:
        vectors = [it.vector for it in items]
        if any(v is not None for v in vectors):  # one batch, as the SQLite store quantizes
            codes, scales = quantize(np.stack([v for v in vectors if v is not None]))
        results: list[AddResult] = []
        vi = 0
        with self._write() as s:
            for it in items:
                code, scale = None, None
                if it.vector is not None:
                    code, scale = readonly(codes[vi]), float(scales[vi])
                    vi += 1
                row = EpRow.make(it.record(), seq=s.next_seq, vector=code, vscale=scale,
                                 time_mentions=it.time_mentions)  # fmt: skip
                s.next_seq += 1  # a duplicate uses up its seq too, as SQLite's AUTOINCREMENT does
                if row.id in s.episodes or row.dedupe in s.dedupe:
                    results.append(AddResult(s.dedupe.get(row.dedupe, it.id), "NOOP", it.text))
                    continue
                s.episodes[row.id] = row
                s.seqs[row.seq] = row.id
                s.dedupe[row.dedupe] = row.id
                s.log("ADD", it.id, it.user_id, actor, None, row.snapshot(), at=it.recorded_at)
                ops = tuple(
                    memory_facts.apply_fact(
                        s,
                        it.user_id,
                        it.id,
                        nf,
                        actor=actor,
                        now=it.recorded_at,
                        policy=self.trust_policy,
                    )
                    for nf in (facts[len(results)] if facts else ())
                )
                results.append(AddResult(it.id, "ADD", it.text, ops))
        return results

    def update_text(self, episode_id: str, text: str, content_hash: str, vector: np.ndarray | None,
                    *, user_id: str | None, actor: str | None, time_mentions: int = 0,
                    facts: Sequence[NewFact] | None = None,
                    quarantine: dict[str, Any] | None = None) -> Episode:  # fmt: skip
        with self._write() as s:
            old = self._get_in(s, episode_id, user_id)
            code, scale = frozen_code(vector)
            now = time.time()
            new = replace(
                old,
                text=text,
                content_hash=content_hash,
                vector=code,
                vscale=scale,
                updated_at=now,
                time_mentions=int(time_mentions),
                quarantine=json.loads(json.dumps(quarantine)) if quarantine is not None else None,
            ).indexed()
            holder = s.dedupe.get(new.dedupe)
            if holder is not None and holder != episode_id:
                raise InvalidInputError(
                    "an identical memory already exists in this scope", id=episode_id
                )
            del s.dedupe[old.dedupe]
            s.dedupe[new.dedupe] = episode_id
            s.episodes[episode_id] = new
            s.log("UPDATE", episode_id, old.user_id, actor, old.snapshot(), new.snapshot(), at=now)
            if facts is not None:  # the facts follow the text
                s.drop_orphans([episode_id], actor=actor, purge=False)
                for nf in facts:
                    memory_facts.apply_fact(
                        s,
                        old.user_id,
                        episode_id,
                        nf,
                        actor=actor,
                        now=now,
                        policy=self.trust_policy,
                    )
        return new.episode()

    def _remove(self, s: State, row: EpRow) -> None:
        del s.episodes[row.id]
        del s.seqs[row.seq]
        del s.dedupe[row.dedupe]

    def delete(
        self, episode_id: str, *, user_id: str | None, actor: str | None, purge: bool = False
    ) -> Episode:
        """Remove an episode and what only it supported; ``purge`` also empties
        every log payload about it (docs/erasure.md)."""
        with self._write() as s:
            old = self._get_in(s, episode_id, user_id)
            self._remove(s, old)
            facts = s.drop_orphans([episode_id], actor=actor, purge=purge)
            if purge:
                s.scrub_events([episode_id, *facts])
            s.log("DELETE", episode_id, old.user_id, actor, None if purge else old.snapshot(),
                  {"purged": True} if purge else None)  # fmt: skip
        return old.episode()

    def delete_scope(
        self, flt: EpisodeFilter, *, actor: str | None, purge: bool = False, pins: bool = False
    ) -> int:
        """Every episode ``flt`` allows (``pins``: the user's pins too), a few
        hundred per transaction, by time (the order SQLite's scope index gives)."""
        n = 0
        while True:
            with self._write() as s:
                rows = _by_time(ep for ep in s.episodes.values() if flt.matches(ep))[:_ERASE_CHUNK]
                for row in rows:
                    self._remove(s, row)
                    s.log("DELETE", row.id, row.user_id, actor,
                          None if purge else row.snapshot(), None)  # fmt: skip
                ids = [r.id for r in rows]
                facts = s.drop_orphans(ids, actor=actor, purge=purge)
                if purge:
                    s.scrub_events([*ids, *facts])
            n += len(rows)
            if len(rows) < _ERASE_CHUNK:
                break
        if pins:
            with self._write() as s:
                # by id: the order SQLite's (user_id, id) index hands them over
                mine = sorted((p for p in s.pins.values() if p.user_id == flt.user_id),
                              key=lambda p: p.id)  # fmt: skip
                for pin in mine:
                    del s.pins[pin.id]
                    s.log("UNPIN", pin.id, flt.user_id, actor,
                          None if purge else {"text": pin.text}, None)  # fmt: skip
                    if purge:
                        s.scrub_events([pin.id])
        return n

    def forget_user(self, user_id: str, *, actor: str | None) -> dict[str, Any]:
        """Every trace of a user (docs/erasure.md): episodes (one tombstone
        naming their ids stays in the log for other readers), facts, entities, aliases,
        pins, relation observations and relations only they used, and the
        payload, user id and actor of every event of theirs."""
        with self._write() as s:
            mine = _by_time(ep for ep in s.episodes.values() if ep.user_id == user_id)
            for row in mine:
                self._remove(s, row)
            if mine:
                s.log(ERASE_OP, None, None, None, None, {"ids": [row.id for row in mine]})
            texts = [row.text for row in mine]
            texts += [p.text for p in s.pins.values() if p.user_id == user_id]
            graph = s.drop_user_graph(user_id)
            n_ev = s.scrub_user_events(user_id)
            s.log(
                "FORGET", None, None, actor, None, {"episodes": len(mine), "facts": graph["facts"]}
            )
        return {"episodes": len(mine), "facts": graph["facts"], "pins": graph["pins"],
                "relations_removed": graph["relations_removed"], "events_scrubbed": n_ev,
                "checkpointed": True, "texts": texts}  # fmt: skip

    def residue(self, texts: Sequence[str]) -> list[str]:
        """Which of ``texts`` (8 bytes or more) still occur in any string the
        store holds: rows of every table, the log's payloads, metadata."""
        if any(len(t.encode("utf-8")) < _MIN_NEEDLE for t in texts):
            raise ValueError(f"needles must be at least {_MIN_NEEDLE} bytes")
        with self._lock:
            haystack = "\x00".join(_strings(self._state()))
        return [t for t in texts if t in haystack]

    # -- reads -------------------------------------------------------------------------------
    def resolve_id(
        self, id_or_prefix: str, user_id: str | None = None, *, kind: str = "memory"
    ) -> str:
        """The exact id, else the one id starting with the prefix (at least
        :data:`MIN_ID_PREFIX` hex digits; case-insensitive for phasemem's
        lowercase ids): the rules of the SQLite store."""
        noun, missing = _ID_KINDS[kind]
        if not isinstance(id_or_prefix, str) or not id_or_prefix:
            raise NotFoundError(missing.format(id_or_prefix), id=str(id_or_prefix))
        with self._lock:
            ids = set(self._ids(kind, user_id))
        if id_or_prefix in ids:
            return id_or_prefix
        hexdigits = sum(c in _HEX for c in id_or_prefix)
        if hexdigits < MIN_ID_PREFIX or not set(id_or_prefix) <= _ID_CHARS:
            raise NotFoundError(missing.format(id_or_prefix), id=id_or_prefix)
        found: list[str] = []
        for prefix in dict.fromkeys((id_or_prefix, id_or_prefix.lower())):
            found = sorted(i for i in ids if i.startswith(prefix))[:101]
            if found:
                break
        if not found:
            raise NotFoundError(missing.format(id_or_prefix), id=id_or_prefix)
        if len(found) > 1:
            n = "more than 100" if len(found) > 100 else str(len(found))
            raise InvalidInputError(
                f"id prefix {id_or_prefix!r} matches {n} {noun} ids; give more characters",
                field="id", id=id_or_prefix, candidates=len(found),
            )  # fmt: skip
        return found[0]

    def _ids(self, kind: str, user_id: str | None) -> Iterator[str]:
        s = self._state()
        if kind == "memory":
            rows: Any = s.episodes.values()
        elif kind == "pin":
            rows = s.pins.values()
        else:
            yield from (e.target_id for e in s.events if e.target_id is not None
                        and (user_id is None or e.user_id == user_id))  # fmt: skip
            return
        yield from (r.id for r in rows if user_id is None or r.user_id == user_id)

    def get(self, episode_id: str, user_id: str | None = None) -> Episode:
        with self._lock:
            return self._get_in(self._state(), episode_id, user_id).episode()

    def by_seq(self, seqs: Sequence[int]) -> dict[int, Episode]:
        with self._lock:
            s = self._state()
            return {q: s.episodes[s.seqs[q]].episode() for q in seqs if q in s.seqs}

    def _matching(self, flt: EpisodeFilter) -> list[EpRow]:
        return [ep for ep in self._state().episodes.values() if flt.matches(ep)]

    def episodes(self, flt: EpisodeFilter, limit: int, offset: int) -> list[Episode]:
        """By occurred_at, then seq (a negative limit: no limit, as SQL's)."""
        with self._lock:
            rows = _by_time(self._matching(flt))
        end = None if limit < 0 else offset + limit
        return [ep.episode() for ep in rows[offset:end]]

    def count(self, flt: EpisodeFilter | None = None) -> int:
        with self._lock:
            return len(self._state().episodes) if flt is None else len(self._matching(flt))

    def history(self, episode_id: str, user_id: str | None = None) -> list[HistoryEvent]:
        with self._lock:
            rows = [e for e in self._state().events if e.target_id == episode_id]
        if not rows or (user_id is not None and rows[0].user_id != user_id):
            raise NotFoundError(f"no history for id {episode_id!r}", id=episode_id)
        return [e.history() for e in rows]

    def speakers_of(self, seqs: Sequence[int], names: Sequence[str]) -> list[int]:
        wanted = set(names)
        with self._lock:
            s = self._state()
            return [q for q in seqs if q in s.seqs and s.episodes[s.seqs[q]].speaker in wanted]

    def previous_turn(
        self, user_id: str, session_id: str, before: float
    ) -> tuple[str | None, str] | None:
        with self._lock:
            turns = [ep for ep in self._state().episodes.values() if ep.user_id == user_id
                     and ep.session_id == session_id and ep.occurred_at < before]  # fmt: skip
        if not turns:
            return None
        last = max(turns, key=lambda ep: (ep.occurred_at, ep.seq))
        return last.speaker, last.text

    # -- text search -------------------------------------------------------------------------
    def search_text(
        self, terms: Sequence[str], flt: EpisodeFilter | None, limit: int
    ) -> list[tuple[int, float]]:
        """BM25 over :mod:`.memory_text`'s tokens for an OR of ``terms``, each a
        plain word (or phrase), best first, ties by the older seq. Statistics
        cover every scope (as FTS5's); ``flt`` then decides what is returned."""
        with self._lock:
            scores = self._index().scores(terms)
            if flt is not None:
                s = self._state()
                scores = {q: v for q, v in scores.items() if flt.matches(s.episodes[s.seqs[q]])}
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        with self._lock:
            index = self._index()
            return {t: index.count(t) for t in terms}

    # -- the mirror's feed ---------------------------------------------------------------------
    def version(self) -> int:
        """Committed writes so far: one process, one handle, so any change counts."""
        return self._version

    def head(self) -> int:
        with self._lock:
            return len(self._state().events)

    def changes_since(self, event_id: int) -> tuple[int, list[tuple[str, str]]]:
        with self._lock:
            events = self._state().events
            changes = feed_changes((e.op, e.target_id, e.after) for e in events[max(event_id, 0):]
                                   if e.op in ("UPDATE", "DELETE", ERASE_OP))  # fmt: skip
            return len(events), changes

    def _after(self, after_seq: int) -> list[EpRow]:
        """Rows with a seq above ``after_seq``, in seq order (read from the end:
        the dict is in seq order, and a sync asks for the newest few)."""
        out: list[EpRow] = []
        for ep in reversed(self._state().episodes.values()):
            if ep.seq <= after_seq:
                break
            out.append(ep)
        out.reverse()
        return out

    def vector_rows(self, after_seq: int = 0) -> VectorRows:
        with self._lock:
            rows = [ep for ep in self._after(after_seq) if ep.vector is not None]
        n = len(rows)
        codes = np.empty((n, self.dim), dtype=np.int8)
        for i, ep in enumerate(rows):
            assert ep.vector is not None
            codes[i] = ep.vector
        return VectorRows(
            seqs=np.fromiter((ep.seq for ep in rows), dtype=np.int64, count=n),
            ids=[ep.id for ep in rows], codes=codes,
            scales=np.fromiter((ep.vscale or 0.0 for ep in rows), dtype=np.float32, count=n),
            user_ids=[ep.user_id for ep in rows], agent_ids=[ep.agent_id for ep in rows],
            session_ids=[ep.session_id for ep in rows],
            occurred=np.fromiter((ep.occurred_at for ep in rows), dtype=np.float64, count=n),
            time_mentions=np.fromiter((ep.time_mentions for ep in rows), dtype=np.int16, count=n),
            speakers=[ep.speaker for ep in rows], roles=[ep.role for ep in rows],
            sources=[ep.source for ep in rows],
        )  # fmt: skip

    def vector_of(self, episode_id: str) -> tuple[np.ndarray, float] | None:
        with self._lock:
            ep = self._state().episodes.get(episode_id)
        if ep is None or ep.vector is None or ep.vscale is None:
            return None
        return ep.vector, ep.vscale

    def lexical_rows(self, after_seq: int = 0, limit: int | None = None) -> list[LexRow]:
        with self._lock:
            rows = self._after(after_seq)
        return [(ep.seq, ep.id, ep.text, ep.speaker) for ep in rows[:limit]]

    def lexical_row(self, episode_id: str) -> LexRow | None:
        with self._lock:
            ep = self._state().episodes.get(episode_id)
        return (ep.seq, ep.id, ep.text, ep.speaker) if ep is not None else None

    def speakers(self, user_id: str) -> list[str]:
        with self._lock:
            eps = self._state().episodes.values()
            return list(dict.fromkeys(ep.speaker for ep in eps
                                      if ep.user_id == user_id and ep.speaker is not None))  # fmt: skip

    # -- facts -------------------------------------------------------------------------------
    def facts(
        self,
        user_id: str,
        *,
        subject: str | None = None,
        relation: str | None = None,
        as_of: float | None = None,
        include_expired: bool = False,
        entity: str | None = None,
        include_contested: bool = False,
        source: str | None = None,
    ) -> list[Fact]:
        """Current facts (default), those true at ``as_of``, or every version
        (``include_expired``); by valid time, then as they were stored.
        Contested claims only with ``include_contested``, rejected ones only
        with ``include_expired``; ``source`` keeps the facts a source (or a
        kind) supports."""
        now = time.time()
        statuses = {"accepted", *(["contested"] if include_contested else []),
                    *(["rejected"] if include_expired else [])}  # fmt: skip
        forms = set(relation_variants(relation)) if relation is not None else None
        with self._lock:
            s = self._state()
            wanted: list[int] = []
            for name in (subject, entity):
                if name is None:
                    continue
                aliases = len(s.aliases)
                eid = s.resolve_entity(user_id, name, "PERSON", create=False)
                if len(s.aliases) != aliases:  # a first name learnt: a write, as in SQLite
                    self._version += 1
                if eid is None:
                    return []
                wanted.append(eid)
            rows = []
            for f in s.facts.values():
                if f.user_id != user_id:
                    continue
                if subject is not None and f.subject_id != wanted[0]:
                    continue
                if entity is not None and wanted[-1] not in (f.subject_id, f.object_id):
                    continue
                if forms is not None and s.relations[f.relation_id].text not in forms:
                    continue
                if f.status not in statuses or (
                    source is not None and not self._from(s, f.id, source)
                ):
                    continue
                if as_of is not None:
                    if not (f.valid_at <= as_of and (f.invalid_at is None or f.invalid_at > as_of)):
                        continue
                elif not include_expired and not (
                    f.expired_at is None and (f.invalid_at is None or f.invalid_at > now)
                ):
                    continue
                rows.append(f)
            rows.sort(key=lambda f: f.valid_at)  # stable: ties stay in rowid order
            eps = s.episodes_of()
            return [s.fact(f, eps.get(f.id, ())) for f in rows]

    @staticmethod
    def _from(s: State, fact_id: str, source: str) -> bool:
        """Whether an episode of the fact came from ``source`` (a label, or a kind)."""
        for fid, ep_id in s.links:
            ep = s.episodes.get(ep_id) if fid == fact_id else None
            if ep is not None and (ep.source_label == source if ":" in source
                                   else ep.source_label.partition(":")[0] == source):  # fmt: skip
                return True
        return False

    # -- trust (issue 15; the decisions in .memory_facts, as trust_sql / trust_read)
    def source_trust(self, user_id: str, label: str) -> tuple[float, float]:
        """A source's Beta posterior for a user (its prior when never updated)."""
        with self._lock:
            s = self._state()
            return memory_facts.posterior(s, user_id, label, self.trust_policy or TrustPolicy())

    def trust_table(self, user_id: str) -> dict[str, tuple[float, float]]:
        with self._lock:
            return {k[1]: (v[0], v[1]) for k, v in self._state().trust.items() if k[0] == user_id}

    def trust_events(self, user_id: str, label: str) -> list[HistoryEvent]:
        with self._lock:
            return [e.history() for e in self._state().events
                    if e.op == "TRUST" and e.target_id == label and e.user_id == user_id]  # fmt: skip

    def fact(self, fact_id: str, user_id: str) -> Fact:
        with self._lock:
            s = self._state()
            f = s.facts.get(fact_id)
            if f is None or f.user_id != user_id:
                raise NotFoundError(f"no fact {fact_id} for this user", id=fact_id)
            return s.fact(f, s.episodes_of().get(fact_id, ()))

    def judge_fact(self, fact_id: str, user_id: str, verdict: str, *, actor: str | None) -> Fact:
        """The user's verdict on a fact: ``confirm`` (it becomes current, its
        sources gain trust) or ``reject`` (kept as a lesson, its sources lose
        trust, a replaced version comes back)."""
        self.fact(fact_id, user_id)  # NotFoundError before writing
        policy = self.trust_policy or TrustPolicy()
        judge = memory_facts.confirm_fact if verdict == "confirm" else memory_facts.reject_fact
        with self._write() as s:
            judge(s, user_id, fact_id, policy, actor=actor, now=time.time())
        return self.fact(fact_id, user_id)

    def fact_standing(self, user_id: str, episode_ids: Sequence[str]) -> dict[str, list[Fact]]:
        wanted = set(episode_ids)
        out: dict[str, list[Fact]] = {}
        with self._lock:
            s = self._state()
            for fid, ep_id in s.links:
                f = s.facts.get(fid)
                if ep_id in wanted and f is not None and f.user_id == user_id:
                    out.setdefault(ep_id, []).append(s.fact(f))
        return out

    def disputed_slots(self, user_id: str) -> dict[str, tuple[str, list[str], list[str]]]:
        """Slots where a source was overruled (``trust_read.disputed``)."""
        with self._lock:
            return memory_facts.disputed(self._state(), user_id, time.time())

    def fact_vectors(self, user_id: str) -> tuple[list[Fact], np.ndarray, np.ndarray]:
        """Every accepted fact version of a user (with a vector), in the order stored."""
        with self._lock:
            s = self._state()
            rows = [
                f
                for f in s.facts.values()
                if f.user_id == user_id and f.code is not None and f.status == "accepted"
            ]
            eps = s.episodes_of()
            facts = [s.fact(f, eps.get(f.id, ())) for f in rows]
        codes = np.empty((len(rows), self.dim), dtype=np.int8)
        for i, f in enumerate(rows):
            assert f.code is not None
            codes[i] = f.code
        scales = np.array([f.vscale for f in rows], dtype=np.float32)
        return facts, codes, scales

    def relation_stats(self) -> list[dict[str, Any]]:
        with self._lock:
            rels = sorted(self._state().relations.values(), key=lambda r: r.text)
        return [{"relation": r.text, "alpha_prior": r.alpha_prior, "alpha": r.alpha,
                 "observations": r.n_obs, "changes": r.n_changes} for r in rels]  # fmt: skip

    # -- pins ----------------------------------------------------------------------------------
    def add_pin(self, pin: Pin, *, actor: str | None) -> Pin:
        with self._write() as s:
            if pin.id in s.pins:
                raise InvalidInputError(f"a pin with id {pin.id!r} exists", id=pin.id)
            s.pins[pin.id] = pin
            s.log("PIN", pin.id, pin.user_id, actor, None, {"text": pin.text}, at=pin.created_at)
        return pin

    def remove_pin(self, pin_id: str, *, user_id: str, actor: str | None) -> Pin:
        with self._write() as s:
            pin = s.pins.get(pin_id)
            if pin is None or pin.user_id != user_id:
                raise NotFoundError(f"no pin with id {pin_id!r}", id=pin_id)
            del s.pins[pin_id]
            s.log("UNPIN", pin_id, user_id, actor, {"text": pin.text}, None)
        return pin

    def pins(self, user_id: str) -> list[Pin]:
        with self._lock:
            mine = [p for p in self._state().pins.values() if p.user_id == user_id]
        return sorted(mine, key=lambda p: (p.created_at, p.id))

    # -- export / import --------------------------------------------------------------------------
    def export_rows(self, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The dump's rows (:mod:`phasemem.store.dump`), taken whole under the
        lock (one snapshot), then handed out."""
        with self._lock:
            rows = memory_dump.export_rows(self._state(), user_id)
        yield from rows

    def import_rows(
        self, rows: Sequence[dict[str, Any]], *, actor: str | None, state: Any = None
    ) -> int:
        """Validated dump rows in one transaction; returns episodes added. ``state``
        carries entity ids and relation priors from batch to batch."""
        st = state if state is not None else ImportState()
        before = st.episodes
        with self._write() as s:
            memory_dump.import_rows(s, list(rows), st, dim=self.dim)
            for rid in st.touched:
                s.refresh_alpha(rid)
            st.touched.clear()
        return int(st.episodes - before)

    # -- meta / health -------------------------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        with self._lock:
            return self._state().meta.get(key)

    def meta_set(self, key: str, value: str) -> None:
        with self._write() as s:
            s.meta[key] = value

    def health(self) -> dict[str, Any]:
        """The keys the SQLite store reports, from this store's own checks."""
        with self._lock:
            s = self._state()
            problems = s.problems()
            return {
                "path": self.path,
                "backend": "memory",
                "integrity": "ok" if not problems else "; ".join(problems),
                "fts_integrity": "ok",  # derived from the rows at each read: cannot drift
                "episodes": len(s.episodes),
                "events": len(s.events),
                "bytes": 0,
            }

    def close(self) -> None:
        """Drop everything (a closed store cannot be read again)."""
        with self._lock:
            self._closed = True
            self._s = State()
            self._text = None


def _by_time(rows: Iterable[EpRow]) -> list[EpRow]:
    """By occurred_at, then seq: ``episodes``'s order, and the order erasures go in."""
    return sorted(rows, key=lambda ep: (ep.occurred_at, ep.seq))


def _strings(s: State) -> Iterator[str]:
    """Every string the store holds (for :meth:`InMemoryStore.residue`)."""
    for ep in s.episodes.values():
        yield from (ep.id, ep.user_id, ep.text, ep.meta_json, ep.content_hash)
        yield from (v for v in (ep.agent_id, ep.session_id, ep.role, ep.speaker, ep.source) if v)
    for ev in s.events:
        yield from (v for v in (ev.op, ev.target_id, ev.user_id, ev.actor, ev.before, ev.after)
                    if v)  # fmt: skip
    for p in s.pins.values():
        yield from (p.id, p.user_id, p.text)
    for e in s.entities.values():
        yield from (e.user_id, e.name, e.norm)
    for user, alias in s.aliases:
        yield from (user, alias)
    for r in s.relations.values():
        yield r.text
    for o in s.observations.values():
        yield from (o.key, o.user_id or "")
    for f in s.facts.values():
        yield from (f.id, f.user_id, f.superseded_by or "", f.source or "")
    for user, label in s.trust:
        yield from (user, label)
    for fid, eid in s.links:
        yield from (fid, eid)
    for k, v in s.meta.items():
        yield from (k, v)


#: mypy proves here that the fake has every method of the seam, with its signature
_IS_A_STORE: type[Store] = InMemoryStore

__all__ = ["InMemoryStore"]
