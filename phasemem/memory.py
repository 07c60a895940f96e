"""``Memory``: the one object users hold.

Method names and return shapes follow mem0 where sensible (``add``,
``search``, ``get``, ``get_all``, ``update``, ``delete``, ``delete_all``,
``history``) so users can switch; each returns typed dataclasses whose
``to_dict()`` gives the JSON shape.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.embed import Embedder, get_embedder
from phasemem.errors import ImportFormatError, InvalidInputError
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
from phasemem.store import EpisodeFilter, NewEpisode, Store, open_store, sqlite_path
from phasemem.store.filters import check_scope_value
from phasemem.timeutil import TimeLike, from_ts, to_ts

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
IMPORT_BATCH = 500


def default_db_path() -> Path:
    """``$PHASEMEM_DB``, else a per-user data directory."""
    env = os.environ.get("PHASEMEM_DB")
    if env:  # checked before Path() folds a URL's "//" into a folder name
        return Path(sqlite_path(env)).expanduser()
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
        """``path``: a SQLite file, ``":memory:"``, or ``sqlite:///path``; a URL
        of a database this build does not serve (``postgresql://...``) raises
        :class:`InvalidInputError`.
        ``extractor``: "default" (rules, no LLM), None (episodes only, no
        facts), or any :class:`phasemem.extract.Extractor` (e.g. the LLM one).
        ``embed_context``: embed each turn after the previous turn of its
        session (+2.4 points recall@10 on LoCoMo dev, about half the ingest
        speed; see docs/benchmarks.md).
        ``lexical_index``: keep an in-memory BM25 index with FTS5's exact scores
        (:mod:`phasemem.index.lexical`): searches on large stores cost a few ms
        less CPU. It is built in a background thread (about 2.5 s per 100K
        episodes) while FTS5 answers, so opening does not wait; long-lived
        processes (the servers) want it, one-shot CLI calls do not."""
        self.embed_context = embed_context
        self.embedder = embedder if isinstance(embedder, Embedder) else get_embedder(embedder)
        self.config = preset(config) if isinstance(config, str) else (config or RetrievalConfig())
        self.actor = actor
        self.store: Store = open_store(
            path, embedder_name=self.embedder.name, dim=self.embedder.dim
        )
        self.path = getattr(self.store, "path", str(path))
        self.index = VectorIndex(self.embedder.dim)
        self.lexical: LexicalIndex | None = None  # attached once built (see _build_lexical)
        self._lexical_done = threading.Event()
        self._lexical_thread: threading.Thread | None = None
        self._closing = False
        self._sync_lock = threading.Lock()
        self._data_version = -1
        self._last_event = 0
        self._speaker_cache: dict[str, tuple[int, list[str]]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self.facts_engine: FactEngine | None = None
        if extractor is not None:
            if extractor == "default":  # imported on the first add, not to open a store
                from phasemem.extract import DeferredExtractor

                extractor = DeferredExtractor()
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

    def warm_up(self, *, wait: bool = False) -> threading.Thread | None:
        """Load the embedding model and the fact extractor's parser now, in a
        daemon thread (``wait=True``: in this one), so the first ``add`` or
        ``search`` of a long-lived process (the MCP server) does not wait for
        them; calls made meanwhile wait for the load in progress."""

        def load() -> None:
            try:
                self.embedder.warm()
                if self.facts_engine is not None:
                    getattr(self.facts_engine.extractor, "warm", lambda: None)()
            except Exception:  # the first real call raises it where it is handled
                log.debug("warm-up failed", exc_info=True)

        if wait:
            load()
            return None
        thread = threading.Thread(target=load, name="phasemem-warm", daemon=True)
        thread.start()
        return thread

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
            self.index.add(store.vector_rows(self.index.max_seq))
            if self.lexical is not None:
                self.lexical.add(store.lexical_rows(self.lexical.max_seq))
            for op, ep_id in changes:
                self._refresh(op, ep_id)
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
        """Speaker names of a user, cached until the next write anywhere (the
        caller, a search, has synced with the file)."""
        hit = self._speaker_cache.get(user_id)
        if hit is None or hit[0] != self._last_event:
            hit = (self._last_event, self.store.speakers(user_id))
            self._speaker_cache[user_id] = hit
        return hit[1]

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
        """Replace an episode's text; the old text stays in ``history``.
        ``memory_id`` may be a unique prefix (as ``search`` prints it)."""
        memory_id = self.store.resolve_id(memory_id, user_id)
        ep = self.store.get(memory_id, user_id)
        new_text = clean_text(text)
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

    def delete(self, memory_id: str, *, user_id: str | None = None) -> Episode:
        memory_id = self.store.resolve_id(memory_id, user_id)
        old = self.store.delete(memory_id, user_id=user_id, actor=self.actor)
        self.index.remove(memory_id)
        self._after_write()
        return old

    def delete_all(
        self, *, user_id: str, agent_id: str | None = None, session_id: str | None = None
    ) -> int:
        flt = EpisodeFilter.build(user_id, agent_id=agent_id, session_id=session_id)
        n = self.store.delete_scope(flt, actor=self.actor)
        self._after_write()  # the DELETE events remove the vectors from the index
        return n

    # -- pins and erasure ---------------------------------------------------------
    def pin(self, text: str, *, user_id: str) -> Pin:
        """Pin an instruction or constraint: it always goes first into context."""
        check_scope_value("user_id", user_id, required=True)
        pin = Pin(str(uuid.uuid4()), user_id, clean_text(text, max_chars=4000), time.time())
        return self.store.add_pin(pin, actor=self.actor)

    def unpin(self, pin_id: str, *, user_id: str) -> Pin:
        check_scope_value("user_id", user_id, required=True)
        pin_id = self.store.resolve_id(pin_id, user_id, kind="pin")
        return self.store.remove_pin(pin_id, user_id=user_id, actor=self.actor)

    def pins(self, *, user_id: str) -> list[Pin]:
        check_scope_value("user_id", user_id, required=True)
        return self.store.pins(user_id)

    def forget(self, *, user_id: str) -> dict[str, Any]:
        """Right to be forgotten: erase every trace of ``user_id`` and prove it.

        Returns counts plus ``verified``: True when none of the erased texts
        (up to 2,000 of them, longest first) occurs in the database files."""
        check_scope_value("user_id", user_id, required=True)
        texts = sorted({e.text for e in self._iter_all(EpisodeFilter.build(user_id))} |
                       {p.text for p in self.store.pins(user_id)}, key=len, reverse=True)[:2000]  # fmt: skip
        report = self.store.forget_user(user_id, actor=self.actor)
        self._sync(force=True)
        self._speaker_cache.pop(user_id, None)
        left = self.store.file_contains([t for t in texts if len(t.encode()) >= 8])
        report.update(
            {
                "user_id": user_id,
                "checked_texts": len(texts),
                "verified": not left,
                "remaining": len(left),
            }
        )
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
        else now). ``facts`` caps how many facts come back (default 5; 0: none)."""
        q = clean_text(query, field="query", max_chars=4000)
        limit = _check_limit(limit)
        flt = EpisodeFilter.build(user_id, filters, agent_id=agent_id, session_id=session_id)
        cfg = preset(config) if isinstance(config, str) else (config or self.config)
        t_query = self.query_time(q, as_of)
        qv_future = self._pool().submit(self.embedder.embed_query, q)
        hits, tr = self._retriever.search(q, flt, limit, cfg, query_vector=qv_future, trace=trace)
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
                query_text=q,
                version=self._last_event,
            )
        if tr is not None:
            tr["query_time"] = from_ts(t_query).isoformat()  # type: ignore[union-attr]
        return SearchResults(query=q, hits=hits, trace=tr, facts=fact_hits)

    def query_time(self, query: str, as_of: TimeLike | None = None) -> float:
        """The moment a query asks about: ``as_of`` if given, else a time the
        query names ("in 2022", "last May"; the middle of the named period),
        else now."""
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
        ts = to_ts(as_of, field="as_of") if as_of is not None else None
        return self.store.facts(user_id, subject=subject, relation=relation, as_of=ts,
                                include_expired=include_expired)  # fmt: skip

    def timeline(self, entity: str, *, user_id: str) -> list[Fact]:
        """Every version of every fact about ``entity``, oldest first."""
        check_scope_value("user_id", user_id, required=True)
        if not isinstance(entity, str) or not entity.strip():
            raise InvalidInputError("entity must be a non-empty string", field="entity")
        return self.store.facts(user_id, entity=entity, include_expired=True)

    def get(self, memory_id: str, *, user_id: str | None = None) -> Episode:
        """One memory by id, or by a unique prefix of it (at least 4 hex digits)."""
        return self.store.get(self.store.resolve_id(memory_id, user_id), user_id)

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
        if not isinstance(offset, int) or offset < 0:
            raise InvalidInputError("offset must be a non-negative integer", field="offset")
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
        """Every change to a memory (deleted ones too); an id prefix works."""
        return self.store.history(self.store.resolve_id(memory_id, user_id, kind="event"), user_id)

    # -- export / import ----------------------------------------------------------------
    def export(self, path: str | os.PathLike[str]) -> int:
        """Write every episode (with vector) and event as JSON lines; returns lines written."""
        n = 0
        tmp = Path(str(path) + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps({"kind": "header", "format": "phasemem-export", "version": 1,
                                 "embedder": self.embedder.name, "dim": self.embedder.dim}) + "\n")  # fmt: skip
            for row in self.store.export_rows():
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
        os.replace(tmp, path)
        return n

    def import_(self, path: str | os.PathLike[str], *, progress: Any = None) -> int:
        """Load a file written by ``export``; commits every few hundred rows so
        a crash keeps everything before it. Returns episodes added."""
        added = 0
        reembed = True  # no header: trust no vectors
        batch: list[dict[str, Any]] = []
        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"no such file: {p}", path=str(p))
        with p.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise ImportFormatError(
                        f"{p}:{lineno}: not a JSON line ({exc})", path=str(p), line=lineno
                    ) from exc
                if not isinstance(row, dict):
                    raise ImportFormatError(
                        f"{p}:{lineno}: expected an object", path=str(p), line=lineno
                    )
                if row.get("kind") == "header":
                    reembed = (
                        row.get("embedder") != self.embedder.name
                        or row.get("dim") != self.embedder.dim
                    )
                    continue
                _check_import_row(row, p, lineno)
                row["_line"] = lineno
                batch.append(row)
                if len(batch) >= IMPORT_BATCH:
                    added += self._import_batch(batch, p, reembed)
                    if progress:
                        progress(len(batch))
                    batch = []
        if batch:
            added += self._import_batch(batch, p, reembed)
            if progress:
                progress(len(batch))
        self._after_write()
        return added

    def _import_batch(self, batch: list[dict[str, Any]], path: Path, reembed: bool) -> int:
        """One transaction; vectors from another embedder are recomputed."""
        if reembed:
            eps = [r for r in batch if r.get("kind") == "episode"]
            if eps:
                vecs = self.embedder.embed(
                    [self._embed_text(r["text"], r.get("speaker")) for r in eps]
                )
                codes, scales = quantize(vecs)
                for r, c, s in zip(eps, codes, scales, strict=True):
                    r["vector"] = base64.b64encode(c.tobytes()).decode()
                    r["vscale"] = float(s)
        try:
            return self.store.import_rows(batch, actor=self.actor)
        except ImportFormatError as exc:
            line = exc.context.get("line")
            raise ImportFormatError(
                f"{path}:{line}: {exc.message}", path=str(path), line=line
            ) from exc

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


_EPISODE_KEYS = {"id": str, "user_id": str, "text": str, "occurred_at": (int, float),
                 "recorded_at": (int, float), "content_hash": str}  # fmt: skip
_EVENT_KEYS = {"op": str, "at": (int, float)}


def _check_import_row(row: dict[str, Any], path: Path, line: int) -> None:
    """Reject a malformed export row before anything of its batch is written."""
    need = {"episode": _EPISODE_KEYS, "event": _EVENT_KEYS}.get(row.get("kind"))  # type: ignore[arg-type]
    if need is None:
        raise ImportFormatError(
            f"{path}:{line}: unknown row kind {row.get('kind')!r}", path=str(path), line=line
        )
    for key, typ in need.items():
        if not isinstance(row.get(key), typ) or isinstance(row.get(key), bool):
            raise ImportFormatError(f"{path}:{line}: field {key!r} missing or of the wrong type",
                                    path=str(path), line=line, field=key)  # fmt: skip
    if row["kind"] == "episode":
        check_scope_value("user_id", row["user_id"], required=True)
        clean_text(row["text"])


def _check_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be an integer in 1..{MAX_LIMIT}", field="limit")
    return limit
