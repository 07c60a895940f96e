"""``Memory``: the one object users hold.

Method names and return shapes follow mem0 where sensible (``add``,
``search``, ``get``, ``get_all``, ``update``, ``delete``, ``delete_all``,
``history``) so users can switch; each returns typed dataclasses whose
``to_dict()`` gives the JSON shape.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.embed import Embedder, get_embedder
from phasemem.errors import ImportFormatError, InvalidInputError, NotFoundError
from phasemem.facts.engine import FactEngine
from phasemem.facts.model import Fact
from phasemem.index.lexical import LexicalIndex
from phasemem.index.quant import quantize
from phasemem.index.vector import VectorIndex
from phasemem.ingest import clean_text, content_hash, drafts_from
from phasemem.models import AddResult, Episode, HistoryEvent, Pin, SearchResults
from phasemem.retrieval.config import RetrievalConfig, preset
from phasemem.retrieval.query import vague_time_cues
from phasemem.retrieval.search import Retriever
from phasemem.store import EpisodeFilter, NewEpisode, SQLiteStore, Store, dump
from phasemem.store.dump import dump_line
from phasemem.store.filters import check_scope_value
from phasemem.store.sqlite_dump import ImportState
from phasemem.timeutil import TimeLike, from_ts, to_ts
from phasemem.validate import check_flag, check_id, check_import_row, check_int, check_name

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
#: ``get_all``'s offset: as far as a page can sensibly start (SQLite's own
#: limit is 2**63 - 1; beyond it the driver raises OverflowError).
MAX_OFFSET = 10**9
IMPORT_BATCH = 500


def default_db_path() -> Path:
    """``$PHASEMEM_DB``, else a per-user data directory."""
    env = os.environ.get("PHASEMEM_DB")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "phasemem" / "memory.db"


class Memory:
    """A memory store on one SQLite file (``":memory:"`` for a throwaway one)."""

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        embedder: Embedder | str | None = None,
        config: RetrievalConfig | str | None = None,
        actor: str | None = None,
        extractor: Any = "default",
        embed_context: bool = False,
        lexical_index: bool = False,
    ) -> None:
        """``extractor``: "default" (rules, no LLM), None (episodes only, no
        facts), or any :class:`phasemem.extract.Extractor` (e.g. the LLM one).
        ``embed_context``: embed each turn after the previous turn of its
        session (+2.4 points recall@10 on LoCoMo dev, about half the ingest
        speed; see docs/benchmarks.md).
        ``lexical_index``: keep an in-memory BM25 index with FTS5's exact scores
        (:mod:`phasemem.index.lexical`): searches on large stores cost a few ms
        less CPU. It is built in a background thread (about 2.5 s per 100K
        episodes) while FTS5 answers, so opening does not wait; long-lived
        processes (the servers) want it, one-shot CLI calls do not."""
        _check_path(path)
        if embedder is not None and not isinstance(embedder, (Embedder, str)):
            raise InvalidInputError(
                "embedder must be an Embedder, its name or None", field="embedder"
            )
        if (
            extractor is not None
            and extractor != "default"
            and not callable(getattr(extractor, "extract_batch", None))
        ):
            raise InvalidInputError(
                "extractor must be 'default', None or an Extractor", field="extractor"
            )
        check_scope_value("actor", actor)
        check_flag("embed_context", embed_context)
        check_flag("lexical_index", lexical_index)
        self.embed_context = embed_context
        self.embedder = embedder if isinstance(embedder, Embedder) else get_embedder(embedder)
        self.config = _check_config(config) or RetrievalConfig()
        self.actor = actor
        self.path = str(path)
        self.store: Store = SQLiteStore(
            self.path, embedder_name=self.embedder.name, dim=self.embedder.dim
        )
        self.index = VectorIndex(self.embedder.dim)
        self.lexical: LexicalIndex | None = None  # attached once built (see _build_lexical)
        self._lexical_done = threading.Event()
        self._lexical_thread: threading.Thread | None = None
        self._closing = False
        self._sync_lock = threading.Lock()
        self._data_version = -1
        self._last_event = 0
        # user -> that user's speaker names (an ordered set; replaced, never mutated)
        self._speaker_cache: dict[str, dict[str, None]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self.facts_engine: FactEngine | None = None
        if extractor is not None:
            if extractor == "default":
                from phasemem.extract import default_extractor

                extractor = default_extractor()
            self.facts_engine = FactEngine(self.embedder, extractor)
            self._install_alpha_refinement()
        self._retriever = Retriever(
            self.store, self.index, self.embedder, self._sync, self._speakers
        )
        self._sync(force=True)
        if lexical_index:
            self._lexical_thread = threading.Thread(
                target=self._build_lexical, name="phasemem-lexical", daemon=True
            )
            self._lexical_thread.start()
        else:
            self._lexical_done.set()

    # -- lifecycle ---------------------------------------------------------------
    def close(self) -> None:
        self._closing = True
        if self._lexical_thread is not None:
            self._lexical_thread.join()  # stops between chunks of rows
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self.store.close()
        if self.lexical is not None:
            self.lexical.tokenizer.close()

    @property
    def lexical_building(self) -> bool:
        """True while the in-memory BM25 index is being built in the background."""
        return self._lexical_thread is not None and not self._lexical_done.is_set()

    def wait_for_lexical_index(self, timeout: float | None = None) -> bool:
        """Wait for the background build of the in-memory BM25 index; True when
        searches use it (False: not asked for, failed, or still building)."""
        self._lexical_done.wait(timeout)
        return self.lexical is not None

    _LEXICAL_CHUNK = 20_000

    def _build_lexical(self) -> None:
        """Build the BM25 index from a snapshot without holding the sync lock
        (searches keep using FTS5 meanwhile), then, under the lock, catch up
        with rows and edits that arrived during the build and attach it."""
        idx = LexicalIndex()
        try:
            since = self.store.last_event_id()
            after = 0
            while not self._closing:
                rows = self.store.lexical_rows(after, limit=self._LEXICAL_CHUNK)
                if not rows:
                    break
                idx.add(rows)
                after = rows[-1][0]
            if self._closing:
                idx.tokenizer.close()
                return
            with self._sync_lock:
                idx.add(self.store.lexical_rows(idx.max_seq))
                for op, ep_id in self.store.changes_since(since)[1]:
                    if op == "DELETE":
                        idx.remove(ep_id)
                    else:
                        idx.update(ep_id, self.store.lexical_row(ep_id))
                self.lexical = idx
                self._retriever.lexical = idx
        except Exception:  # a failed build leaves FTS5 in charge; searches still work
            idx.tokenizer.close()
            if not self._closing:
                log.warning("in-memory BM25 index not built; FTS5 serves", exc_info=True)
        finally:
            self._lexical_done.set()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sync(self, force: bool = False) -> None:
        """Bring the in-memory vector index up to date with the file (other
        processes may have written). Cheap when nothing changed."""
        store = self.store
        with self._sync_lock:
            dv = store.data_version()
            if not force and dv == self._data_version:
                return
            self._data_version = dv
            last, changes = store.changes_since(self._last_event)
            rows = store.vector_rows(self.index.max_seq)
            self.index.add(rows)
            if self.lexical is not None:
                self.lexical.add(store.lexical_rows(self.lexical.max_seq))
            for op, ep_id in changes:
                self._refresh(op, ep_id)
            self._note_speakers(rows.user_ids, rows.speakers, removed=bool(changes))
            self._last_event = last

    def _pool(self) -> ThreadPoolExecutor:
        """Workers that embed queries while SQLite runs BM25. More than one, so
        concurrent searches on one handle (a server) reach the embedder together
        and a :class:`~phasemem.embed.batching.BatchingEmbedder` can share a call."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="phasemem-embed")
        return self._executor

    def _install_alpha_refinement(self) -> None:
        """Per-relation alpha is refined online from the store's own slot
        transitions (see docs/temporal.md); the gate gives the prior."""
        try:
            from phasemem.temporal.gate import load_gate
            from phasemem.temporal.online import refine_alpha
        except ImportError:  # pragma: no cover - shipped with the package
            return

        def refine(prior: float, obs: list[tuple[float, bool]]) -> float:
            return float(refine_alpha(prior, load_gate().kappa, obs))

        self.store.refine_alpha = refine  # type: ignore[attr-defined]

    def _speakers(self, user_id: str) -> list[str]:
        """Speaker names of a user (the caller, a search, has synced with the file).

        Read from SQL once, then kept current by ``_sync`` from the new rows it
        reads anyway (:meth:`_note_speakers`). Why not re-read after every
        write: that query reads all of the user's rows (14-27 ms at 20K
        memories), and every read handle of a server paid it on its first
        search after each write: a writer at 5 adds/s cost the searches of
        8 clients a third of their throughput (docs/benchmarks.md)."""
        names = self._speaker_cache.get(user_id)
        if names is None:
            with self._sync_lock:  # no _sync between the read and the fill: none is missed
                names = self._speaker_cache.get(user_id)
                if names is None:
                    names = dict.fromkeys(self.store.speakers(user_id))
                    self._speaker_cache[user_id] = names
        return list(names)

    def _note_speakers(
        self, users: list[str], speakers: list[str | None], *, removed: bool
    ) -> None:
        """Add the speakers of newly synced rows to the cached users' names.
        A speaker is set at insert and never changes, so only an update or a
        delete (a forget logs one per episode) can make a name stale: then the
        cache is dropped and refilled on demand."""
        cache = self._speaker_cache
        if removed:
            cache.clear()
            return
        for user, speaker in zip(users, speakers, strict=True):
            known = cache.get(user)
            if speaker is not None and known is not None and speaker not in known:
                cache[user] = {**known, speaker: None}  # a new dict: readers iterate the old one

    def _refresh(self, op: str, ep_id: str) -> None:
        if op == "DELETE":
            self.index.remove(ep_id)
            if self.lexical is not None:
                self.lexical.remove(ep_id)
            return
        if self.lexical is not None:  # text or speaker may have changed
            self.lexical.update(ep_id, self.store.lexical_row(ep_id))
        stored = self.store.vector_of(ep_id)
        if stored is not None:
            self.index.replace(ep_id, *stored)

    # -- writes --------------------------------------------------------------------
    def add(
        self,
        messages: str | dict[str, Any] | list[dict[str, Any]],
        *,
        user_id: str,
        agent_id: str | None = None,
        session_id: str | None = None,
        occurred_at: TimeLike | None = None,
        metadata: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> list[AddResult]:
        """Store each message as an episode, in one transaction; identical
        messages in the same scope are NOOPs (idempotent retries)."""
        check_scope_value("user_id", user_id, required=True)
        check_scope_value("agent_id", agent_id)
        check_scope_value("session_id", session_id)
        check_scope_value("source", source)
        drafts = drafts_from(messages, occurred_at=occurred_at, metadata=metadata)
        now = time.time()
        prev: tuple[str | None, str] | None = None
        if session_id is not None and self.embed_context:
            first = drafts[0].occurred_at if drafts[0].occurred_at is not None else now
            prev = self.store.previous_turn(user_id, session_id, first)
        texts = []
        for d in drafts:
            texts.append(self._embed_text(d.text, d.speaker, prev))
            if self.embed_context:
                prev = (d.speaker, d.text)
        vectors = self.embedder.embed(texts)
        when = [d.occurred_at if d.occurred_at is not None else now for d in drafts]
        facts = None
        if self.facts_engine is not None:
            listeners: list[str | None] = []
            last: dict[str | None, str | None] = {}
            for d in drafts:  # "you" is the last other speaker of the exchange
                others = [sp for sp in last if sp and sp != d.speaker]
                listeners.append(others[-1] if others else None)
                last.pop(d.speaker, None)
                last[d.speaker] = d.speaker
            facts, times = self.facts_engine.prepare(
                [d.text for d in drafts], [d.speaker for d in drafts], when, listeners
            )
        else:
            from phasemem.extract import resolve_temporal

            times = [
                len(resolve_temporal(d.text, from_ts(w))) for d, w in zip(drafts, when, strict=True)
            ]  # type: ignore[arg-type]
        times = [t + vague_time_cues(d.text) for t, d in zip(times, drafts, strict=True)]
        items = [
            NewEpisode(
                id=str(uuid.uuid4()),
                text=d.text,
                user_id=user_id,
                agent_id=agent_id,
                session_id=session_id,
                role=d.role,
                speaker=d.speaker,
                occurred_at=when[i],
                recorded_at=now,
                source=source,
                metadata=d.metadata,
                content_hash=content_hash(d),
                vector=vectors[i],
                time_mentions=times[i],
            )  # fmt: skip
            for i, d in enumerate(drafts)
        ]
        results = self.store.add_episodes(items, actor=source or self.actor, facts=facts)
        self._after_write()
        return results

    @staticmethod
    def _embed_text(
        text: str, speaker: str | None, prev: tuple[str | None, str] | None = None
    ) -> str:
        """What the dense index sees: the turn with its speaker, after the
        previous turn of the session (a reply means little without what it
        answers; this lifted dense recall@10 on LoCoMo dev from 0.46 to 0.50)."""
        own = f"{speaker}: {text}" if speaker else text
        if prev is None:
            return own
        p_speaker, p_text = prev
        p_text = p_text[:400]
        return f"{p_speaker}: {p_text} {own}" if p_speaker else f"{p_text} {own}"

    def _after_write(self) -> None:
        self._sync(force=True)

    def update(self, memory_id: str, text: str, *, user_id: str | None = None) -> Episode:
        """Replace an episode's text; the old text stays in ``history``."""
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
        new_text = clean_text(text)
        ep = self.store.get(memory_id, user_id)
        from phasemem.ingest import Draft

        d = Draft(new_text, ep.role, ep.speaker, ep.occurred_at, ep.metadata)
        prev = (
            self.store.previous_turn(ep.user_id, ep.session_id, ep.occurred_at)
            if ep.session_id and self.embed_context
            else None
        )
        vec = self.embedder.embed([self._embed_text(new_text, ep.speaker, prev)])[0]
        from phasemem.extract import resolve_temporal

        times = len(resolve_temporal(new_text, ep.occurred)) + vague_time_cues(new_text)
        new = self.store.update_text(
            memory_id,
            new_text,
            content_hash(d),
            vec,
            user_id=user_id,
            actor=self.actor,
            time_mentions=times,
        )
        codes, scales = quantize(vec[None, :])
        self.index.replace(memory_id, codes[0], float(scales[0]))
        self._after_write()
        return new

    def delete(self, memory_id: str, *, user_id: str | None = None, purge: bool = False) -> Episode:
        """Delete one memory, and the facts only it supported (see docs/erasure.md).
        The log keeps its text for ``history`` unless ``purge``, which also empties
        every log entry about it and compacts the file so no byte of it is left."""
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
        check_flag("purge", purge)
        old = self.store.delete(memory_id, user_id=user_id, actor=self.actor, purge=purge)
        self.index.remove(memory_id)
        self._after_write()
        return old

    def delete_all(
        self,
        *,
        user_id: str,
        agent_id: str | None = None,
        session_id: str | None = None,
        purge: bool = False,
    ) -> int:
        """Delete every memory in a scope (and the facts only they supported).
        For a whole user (no agent or session) the user's pins go too. ``purge``
        as in :meth:`delete`. Returns how many memories were deleted."""
        flt = EpisodeFilter.build(user_id, agent_id=agent_id, session_id=session_id)
        whole_user = agent_id is None and session_id is None
        n = self.store.delete_scope(flt, actor=self.actor, purge=purge, pins=whole_user)
        self._after_write()  # the DELETE events remove the vectors from the index
        return n

    # -- pins and erasure ---------------------------------------------------------
    def pin(self, text: str, *, user_id: str) -> Pin:
        """Pin an instruction or constraint: it always goes first into context."""
        check_scope_value("user_id", user_id, required=True)
        pin = Pin(str(uuid.uuid4()), user_id, clean_text(text, max_chars=4000), time.time())
        return self.store.add_pin(pin, actor=self.actor)

    def unpin(self, pin_id: str, *, user_id: str) -> Pin:
        check_id("pin_id", pin_id)
        check_scope_value("user_id", user_id, required=True)
        return self.store.remove_pin(pin_id, user_id=user_id, actor=self.actor)

    def pins(self, *, user_id: str) -> list[Pin]:
        check_scope_value("user_id", user_id, required=True)
        return self.store.pins(user_id)

    def forget(self, *, user_id: str) -> dict[str, Any]:
        """Right to be forgotten: erase every trace of ``user_id`` and prove it.

        Returns counts plus ``verified``: True when none of the erased texts
        (every episode, pin and name of 8 bytes or more, also as the log
        spells it) occurs anywhere in the database files."""
        check_scope_value("user_id", user_id, required=True)
        texts = {e.text for e in self._iter_all(EpisodeFilter.build(user_id))}
        texts |= {p.text for p in self.store.pins(user_id)}
        texts |= {json.dumps(t)[1:-1] for t in texts}  # how an event payload spells it
        report = self.store.forget_user(user_id, actor=self.actor)
        self._sync(force=True)
        self._speaker_cache.pop(user_id, None)
        needles = sorted(t for t in texts if len(t.encode()) >= 8)
        left = self.store.file_contains(needles)
        report.update({"user_id": user_id, "checked_texts": len(needles),
                       "verified": not left, "remaining": len(left)})  # fmt: skip
        return report

    # -- reads -----------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        user_id: str,
        agent_id: str | None = None,
        session_id: str | None = None,
        limit: int = 10,
        filters: dict[str, Any] | None = None,
        config: RetrievalConfig | str | None = None,
        trace: bool = False,
        as_of: TimeLike | None = None,
        facts: int | None = None,
    ) -> SearchResults:
        """Hybrid search over the user's episodes, best first, plus the facts
        that answer the query as of ``as_of`` (or a time named in the query,
        else now). ``facts`` caps how many facts come back (default 5; 0: none).

        ``as_of`` also filters: nothing that happened after it is returned, and
        a fact is returned only when it had begun by then and one of the
        episodes it came from passes the same filter."""
        q = clean_text(query, field="query", max_chars=4000)
        limit = _check_limit(limit)
        flt = EpisodeFilter.build(
            user_id, filters, agent_id=agent_id, session_id=session_id, as_of=as_of
        )
        cfg = _check_config(config) or self.config
        check_flag("trace", trace)
        if facts is not None:
            check_int("facts", facts, 0, MAX_LIMIT)
        intent = self._intent(q, flt, cfg)
        if intent is None:
            t_query = flt.as_of if flt.as_of is not None else self.query_time(q)
            text = q
        else:  # the intent's moment is query_time's, read once
            t_query = flt.as_of if flt.as_of is not None else intent.t_query
            text = intent.text if cfg.match_without_time else q
        qv_future = self._pool().submit(self.embedder.embed_query, text)
        alpha_future = (  # the gate costs an embedding: only when time will use it
            self._pool().submit(_with_gate_alpha, intent)
            if intent is not None and cfg.episode_time and _time_matters(intent, cfg)
            else intent
        )
        hits, tr = self._retriever.search(text, flt, limit, cfg, query_vector=qv_future,
                                          trace=trace, intent=alpha_future)  # fmt: skip
        qv = qv_future.result()
        n_facts = 5 if facts is None else facts
        fact_hits = []
        if n_facts and self.facts_engine is not None:
            fact_hits = self.facts_engine.rank(  # ranked at t_query, with the query's words
                self.store,
                flt.user_id,
                qv,
                t_query,
                min(n_facts, limit),
                query_text=text,
                version=self._last_event,
                keep=self._fact_gate(flt),
            )
        if tr is not None:
            tr["query_time"] = from_ts(t_query).isoformat()  # type: ignore[union-attr]
        return SearchResults(query=q, hits=hits, trace=tr, facts=fact_hits)

    def _intent(self, q: str, flt: EpisodeFilter, cfg: RetrievalConfig) -> Any:
        """The query's temporal intent (:mod:`phasemem.retrieval.intent`) when
        the config uses it, else None; its alpha is added in a worker thread."""
        if not (cfg.episode_time or cfg.match_without_time):
            return None
        from phasemem.retrieval.intent import parse_intent

        return parse_intent(q, now=time.time(), as_of=flt.as_of,
                            names=self._speakers(flt.user_id))  # fmt: skip

    def _fact_gate(self, flt: EpisodeFilter) -> Callable[[Fact], bool] | None:
        """Which facts a read under ``flt`` may see (None: all of the user's).

        A fact belongs to the user, not to an agent or a moment, so under a
        narrower filter it is visible through its provenance: at least one
        episode it came from passes the filter. As of a time, it must also
        have begun by then."""
        if not flt.narrows:
            return None
        memo: dict[str, bool] = {}

        def visible(ids: tuple[str, ...]) -> bool:
            unknown = [i for i in ids if i not in memo]
            if unknown:
                memo.update(self._episodes_visible(unknown, flt))
            return any(memo.get(i, False) for i in ids)

        def keep(f: Fact) -> bool:
            if flt.as_of is not None and f.valid_at > flt.as_of:
                return False
            return visible(f.episode_ids)

        return keep

    def _episodes_visible(self, ids: list[str], flt: EpisodeFilter) -> dict[str, bool]:
        """Whether each episode id passes ``flt``: from the vector index when
        it can decide, else from the store (rows without a vector, metadata)."""
        out: dict[str, bool] = {}
        rest: list[str] = []
        for ep_id, ok in zip(ids, self.index.ids_allowed(ids, flt), strict=True):
            if ok is None or (ok and not flt.columns_only):
                rest.append(ep_id)
            else:
                out[ep_id] = ok
        for ep_id in rest:
            try:
                out[ep_id] = flt.matches(self.store.get(ep_id, flt.user_id))
            except NotFoundError:
                out[ep_id] = False
        return out

    def query_time(self, query: str, as_of: TimeLike | None = None) -> float:
        """The moment a query asks about: ``as_of`` if given, else a time the
        query names ("in 2022", "last May"; the middle of the named period),
        else now."""
        query = clean_text(query, field="query", max_chars=4000)
        if as_of is not None:
            return to_ts(as_of, field="as_of")
        now = time.time()
        try:
            from phasemem.extract import resolve_temporal
        except ImportError:  # pragma: no cover
            return now
        found = resolve_temporal(query, from_ts(now))  # type: ignore[arg-type]
        if not found:
            return now
        t = found[0]
        start = t.start.timestamp()
        end = t.end.timestamp() if t.end is not None else None
        role = getattr(t, "role", "at")
        if role in ("since", "after", "duration"):  # open towards now: ask about now
            return max(now, end or start)
        if role == "before":  # strictly before the named period
            return start - 1.0
        if role == "until" and end is not None:  # up to the end of the named period
            return end - 1.0
        return (start + end) / 2 if end is not None else start

    def context(
        self, query: str, *, user_id: str, budget_tokens: int = 1500, as_of: TimeLike | None = None
    ) -> Any:
        """A prompt-ready block within ``budget_tokens``: pinned instructions,
        the user's current facts, other relevant facts, then dated episodes,
        each cited (see :mod:`phasemem.context`)."""
        from phasemem.context import assemble_context

        return assemble_context(
            self, query, user_id=user_id, budget_tokens=budget_tokens, as_of=as_of
        )

    def facts(
        self,
        *,
        user_id: str,
        subject: str | None = None,
        relation: str | None = None,
        as_of: TimeLike | None = None,
        include_expired: bool = False,
    ) -> list[Fact]:
        """Facts true now (default), true at ``as_of``, or every version."""
        check_scope_value("user_id", user_id, required=True)
        check_name("subject", subject)
        check_name("relation", relation)
        check_flag("include_expired", include_expired)
        ts = to_ts(as_of, field="as_of") if as_of is not None else None
        return self.store.facts(user_id, subject=subject, relation=relation, as_of=ts,
                                include_expired=include_expired)  # fmt: skip

    def timeline(self, entity: str, *, user_id: str) -> list[Fact]:
        """Every version of every fact about ``entity``, oldest first."""
        check_scope_value("user_id", user_id, required=True)
        check_name("entity", entity, required=True)
        return self.store.facts(user_id, entity=entity, include_expired=True)

    def get(self, memory_id: str, *, user_id: str | None = None) -> Episode:
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
        return self.store.get(memory_id, user_id)

    def get_all(
        self,
        *,
        user_id: str,
        agent_id: str | None = None,
        session_id: str | None = None,
        filters: dict[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Episode]:
        flt = EpisodeFilter.build(user_id, filters, agent_id=agent_id, session_id=session_id)
        offset = check_int("offset", offset, 0, MAX_OFFSET)
        return self.store.list(flt, _check_limit(limit), offset)

    def _iter_all(self, flt: EpisodeFilter) -> Iterator[Episode]:
        offset = 0
        while True:
            page = self.store.list(flt, 1000, offset)
            yield from page
            if len(page) < 1000:
                return
            offset += len(page)

    def history(self, memory_id: str, *, user_id: str | None = None) -> list[HistoryEvent]:
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
        return self.store.history(memory_id, user_id)

    # -- export / import ----------------------------------------------------------------
    def export_iter(self, *, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The dump (:mod:`phasemem.store.dump`) as rows, header first: every
        episode, pin, entity, fact, relation speed and event, from one snapshot
        of the store. ``user_id``: that user's memory only."""
        check_scope_value("user_id", user_id)
        yield dump.header(embedder=self.embedder.name, dim=self.embedder.dim, user_id=user_id)
        yield from self.store.export_rows(user_id)

    def export(self, path: str | os.PathLike[str], *, user_id: str | None = None) -> int:
        """Write the dump to ``path`` as JSON lines; returns rows written (header
        excluded). The file is created readable by its owner only (it holds
        every memory) and appears whole or not at all."""
        target = _check_path(path)
        if not target.parent.is_dir():
            raise InvalidInputError(f"no such directory: {target.parent}", field="path")
        if target.is_dir():
            raise InvalidInputError(f"{target} is a directory", path=str(target))
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent if str(target.parent) else ".")  # fmt: skip
        n = -1
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for row in self.export_iter(user_id=user_id):
                    fh.write(dump_line(row))
                    n += 1
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return n

    def import_(self, path: str | os.PathLike[str], *, progress: Any = None) -> int:
        """Load a file written by ``export`` (format versions 1 and 2): episodes,
        pins, entities, facts, relation speeds and the event log, verbatim.
        Importing the same file twice adds nothing. Commits every few hundred
        rows so a crash keeps everything before it. Returns episodes added."""
        _check_path(path)
        if progress is not None and not callable(progress):
            raise InvalidInputError("progress must be callable or None", field="progress")
        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"no such file: {p}", path=str(p))
        reembed = True  # no header: trust no vectors
        version = 1
        state = ImportState()
        batch: list[dict[str, Any]] = []
        added = 0
        with p.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                where = f"{p}:{lineno}"
                try:
                    row = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                    raise ImportFormatError(
                        f"{where}: not a JSON line ({exc})", path=str(p), line=lineno
                    ) from exc
                if not isinstance(row, dict):
                    raise ImportFormatError(
                        f"{where}: expected an object", path=str(p), line=lineno
                    )
                if row.get("kind") == "header":
                    version = dump.check_header(row, where)
                    reembed = (row.get("embedder") != self.embedder.name
                               or row.get("dim") != self.embedder.dim)  # fmt: skip
                    continue
                try:
                    dump.check_row(row, version, where)  # shape, types and times
                except ImportFormatError as exc:
                    raise ImportFormatError(exc.message, path=str(p), line=lineno,
                                            field=exc.context.get("field")) from exc  # fmt: skip
                check_import_row(row, p, lineno)  # each field as the API checks it
                row["_line"] = lineno
                batch.append(row)
                if len(batch) >= IMPORT_BATCH:
                    added += self._import_batch(batch, p, reembed, state)
                    if progress:
                        progress(len(batch))
                    batch = []
        if batch:
            added += self._import_batch(batch, p, reembed, state)
            if progress:
                progress(len(batch))
        self._after_write()
        return added

    def _import_batch(
        self, batch: list[dict[str, Any]], path: Path, reembed: bool, state: ImportState
    ) -> int:
        """One transaction; vectors from another embedder are recomputed."""
        for r in batch:  # facts below may name these entities
            if r["kind"] == "entity":
                state.names[r["ref"]] = r["name"]
        if reembed:
            eps = [r for r in batch if r["kind"] == "episode"]
            facts = [r for r in batch if r["kind"] == "fact"]
            texts = [self._embed_text(r["text"], r.get("speaker")) for r in eps]
            texts += [self._fact_text(r, state) for r in facts]
            if texts:
                codes, scales = quantize(self.embedder.embed(texts))
                for r, c, s in zip(eps + facts, codes, scales, strict=True):
                    r["vector"] = base64.b64encode(c.tobytes()).decode()
                    r["vscale"] = float(s)
        try:
            return self.store.import_rows(batch, actor=self.actor, state=state)
        except ImportFormatError as exc:
            line = exc.context.get("line")
            raise ImportFormatError(
                f"{path}:{line}: {exc.message}", path=str(path), line=line
            ) from exc

    def _fact_text(self, row: dict[str, Any], state: ImportState) -> str:
        """What a fact's vector embeds ("subject relation object"), from the dump."""
        names = state.names
        return f"{names.get(row['subject_ref'], '')} {row['relation']} {names.get(row['object_ref'], '')}"

    # -- diagnostics ----------------------------------------------------------------
    def doctor(self) -> dict[str, Any]:
        import sys

        from phasemem import __version__

        info = self.store.health()
        info.update(
            {
                "phasemem": __version__,
                "python": sys.version.split()[0],
                "embedder": {"name": self.embedder.name, "dim": self.embedder.dim},
                "indexed_vectors": len(self.index),
                "numpy": np.__version__,
            }
        )
        return info


def _time_matters(intent: Any, cfg: RetrievalConfig) -> bool:
    """Whether the time stage can re-rank for this intent (else its alpha is moot)."""
    if intent.mode == "timeless":
        return False
    return bool(intent.explicit or cfg.implicit_current > 0)


def _with_gate_alpha(intent: Any) -> Any:
    """The intent with its topic's volatility from the shipped Speed Gate."""
    from phasemem.retrieval.intent import with_alpha
    from phasemem.temporal.gate import load_gate

    return with_alpha(intent, load_gate().alpha)


def _check_path(path: Any) -> Path:
    """A file path: a string or an ``os.PathLike`` (an int is not a file name)."""
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(
            f"path must be a string or os.PathLike, got {type(path).__name__}", field="path"
        )
    return Path(path)


def _check_limit(limit: Any) -> int:
    return check_int("limit", limit, 1, MAX_LIMIT)


def _check_config(config: Any) -> RetrievalConfig | None:
    """A :class:`RetrievalConfig`, a preset's name, or None (the default)."""
    if config is None or isinstance(config, RetrievalConfig):
        return config
    if isinstance(config, str):
        return preset(config)
    raise InvalidInputError(
        f"config must be a RetrievalConfig or a preset name, got {type(config).__name__}",
        field="config",
    )
