"""``Memory``: the one object users hold. It validates, delegates, and owns
the lifecycle; the work happens in the pipelines below it, and nothing below
calls back up (docs/architecture.md)::

    add     -> pipeline.write  (drafts -> embedding -> extraction -> one store transaction)
    search  -> pipeline.read   (scope and time -> retrieval + fact ranking)
    context -> pipeline.context (reads through pipeline.read)
    export / import -> pipeline.transfer

Method names and return shapes follow mem0 where sensible (``add``,
``search``, ``get``, ``get_all``, ``update``, ``delete``, ``delete_all``,
``history``) so users can switch; each returns typed dataclasses whose
``to_dict()`` gives the JSON shape.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.embed import Embedder, get_embedder
from phasemem.errors import InvalidInputError
from phasemem.extract.types import BatchExtractor
from phasemem.facts.model import Fact
from phasemem.facts.prepare import FactPreparer
from phasemem.facts.rank import FactRanker
from phasemem.ingest import clean_text, drafts_from
from phasemem.mirror import Mirror
from phasemem.models import AddResult, Episode, HistoryEvent, Pin, SearchResults, TrustReport
from phasemem.pipeline import transfer
from phasemem.pipeline.context import Context, TokenCounter, assemble_context
from phasemem.pipeline.read import ReadPipeline
from phasemem.pipeline.write import Scope, WritePipeline
from phasemem.provenance import parse_source
from phasemem.retrieval.config import RetrievalConfig, preset
from phasemem.scope import EpisodeFilter, check_scope_value
from phasemem.store import Store, open_store, sqlite_path
from phasemem.timeutil import TimeLike, to_ts
from phasemem.trust.policy import TrustPolicy
from phasemem.validate import check_flag, check_id, check_int, check_name

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
#: ``get_all``'s offset: as far as a page can sensibly start (SQLite's own
#: limit is 2**63 - 1; beyond it the driver raises OverflowError).
MAX_OFFSET = 10**9


def default_db_path() -> Path:
    """``$PHASEMEM_DB``, else a per-user data directory."""
    env = os.environ.get("PHASEMEM_DB")
    if env:  # checked before Path() folds a URL's "//" into a folder name
        return Path(sqlite_path(env)).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "phasemem" / "memory.db"


class Memory:
    """A memory on one store: a SQLite file (``":memory:"`` or ``memory://`` for a
    throwaway one)."""

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        embedder: Embedder | str | None = None,
        config: RetrievalConfig | str | None = None,
        actor: str | None = None,
        extractor: BatchExtractor | str | None = "default",
        embed_context: bool = False,
        lexical_index: bool = False,
        trust: TrustPolicy | None = None,
    ) -> None:
        """``path``: a SQLite file, ``":memory:"``, or ``sqlite:///path``;
        ``memory://`` for the pure-Python store (tests, experiments; gone with
        the process); a URL of a database this build does not serve
        (``postgresql://...``) raises :class:`InvalidInputError`.
        ``extractor``: "default" (rules, no LLM), None (episodes only, no
        facts), or any :class:`phasemem.extract.Extractor` (e.g. the LLM one).
        ``embed_context``: embed each turn after the previous turn of its
        session (+2.4 points recall@10 on LoCoMo dev, about half the ingest
        speed; see docs/benchmarks.md).
        ``lexical_index``: keep an in-memory BM25 index with FTS5's exact scores
        (:mod:`phasemem.mirror.lexical`): searches on large stores cost a few ms
        less CPU. It is built in a background thread (about 2.5 s per 100K
        episodes) while FTS5 answers, so opening does not wait; long-lived
        processes (the servers) want it, one-shot CLI calls do not.
        ``trust``: the :class:`~phasemem.trust.policy.TrustPolicy` (priors per
        source kind, sources the user set up, independence, which defences
        are on); see docs/trust.md."""
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
        if trust is not None and not isinstance(trust, TrustPolicy):
            raise InvalidInputError("trust must be a TrustPolicy or None", field="trust")
        self.trust_policy = trust or TrustPolicy()
        self.embedder = embedder if isinstance(embedder, Embedder) else get_embedder(embedder)
        self.config = _check_config(config) or RetrievalConfig()
        self.actor = actor
        self.store: Store = open_store(
            path, embedder_name=self.embedder.name, dim=self.embedder.dim
        )
        self.path = getattr(self.store, "path", str(path))
        self.store.trust_policy = self.trust_policy
        self.extractor: BatchExtractor | None = None
        if extractor == "default":  # imported on the first add, not to open a store
            from phasemem.extract import DeferredExtractor

            self.extractor = DeferredExtractor()
        elif extractor is not None and not isinstance(extractor, str):
            self.extractor = extractor
        self.mirror = Mirror(self.store, self.embedder.dim)
        facts = self.extractor is not None
        self.reader = ReadPipeline(self.store, self.mirror, self.embedder,
                                   FactRanker() if facts else None, self.config,
                                   self.trust_policy)  # fmt: skip
        self.writer = WritePipeline(
            self.store, self.embedder,
            FactPreparer(self.embedder, self.extractor) if self.extractor is not None else None,
            embed_context=embed_context, actor=actor, policy=self.trust_policy,
        )  # fmt: skip
        if lexical_index:
            self.mirror.build_lexical()

    # -- lifecycle ---------------------------------------------------------------
    def close(self) -> None:
        self.mirror.close()
        self.reader.close()
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def warm_up(self, *, wait: bool = False) -> threading.Thread | None:
        """Load the embedding model and the fact extractor's parser now, in a
        daemon thread (``wait=True``: in this one), so the first ``add`` or
        ``search`` of a long-lived process (the MCP server) does not wait for
        them; calls made meanwhile wait for the load in progress."""

        def load() -> None:
            try:
                self.embedder.warm()
                warm = getattr(self.extractor, "warm", None)  # an Extractor has it
                if warm is not None:
                    warm()
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
        return self.mirror.lexical_building

    def wait_for_lexical_index(self, timeout: float | None = None) -> bool:
        """Wait for the background build of the in-memory BM25 index; True when
        searches use it (False: not asked for, failed, or still building)."""
        return self.mirror.wait_for_lexical(timeout)

    def _after_write(self) -> None:
        self.mirror.sync(force=True)

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
        source_kind: str | None = None,
        actor: str | None = None,
    ) -> list[AddResult]:
        """Store each message as an episode, in one transaction; identical
        messages in the same scope are NOOPs (idempotent retries).

        Provenance: ``source="web:example.com"`` (kind and name; kinds in
        :data:`phasemem.provenance.SOURCE_KINDS`), or ``source="crm"`` with
        ``source_kind="tool"``; ``actor``: who wrote it into memory (default:
        the handle's actor). No source: the user's own channel. The source
        decides how far the memory is trusted (docs/trust.md)."""
        check_scope_value("user_id", user_id, required=True)
        check_scope_value("agent_id", agent_id)
        check_scope_value("session_id", session_id)
        check_scope_value("source", source)
        check_scope_value("source_kind", source_kind)
        check_scope_value("actor", actor)
        prov = parse_source(source, kind=source_kind, actor=actor or self.actor)
        drafts = drafts_from(messages, occurred_at=occurred_at, metadata=metadata)
        results = self.writer.add(drafts, Scope(user_id, agent_id, session_id, source, prov))
        self._after_write()
        return results

    def update(self, memory_id: str, text: str, *, user_id: str | None = None) -> Episode:
        """Replace an episode's text; the old text stays in ``history``.
        ``memory_id`` may be a unique prefix (as ``search`` prints it)."""
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
        memory_id = self.store.resolve_id(memory_id, user_id)
        new_text = clean_text(text)
        new = self.writer.update(self.store.get(memory_id, user_id), new_text, user_id=user_id)
        self._after_write()
        return new

    def delete(self, memory_id: str, *, user_id: str | None = None, purge: bool = False) -> Episode:
        """Delete one memory (or a unique id prefix), and the facts only it
        supported (see docs/erasure.md). The log keeps its text for ``history``
        unless ``purge``, which also empties every log entry about it and
        compacts the file so no byte of it is left."""
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
        check_flag("purge", purge)
        memory_id = self.store.resolve_id(memory_id, user_id)
        old = self.store.delete(memory_id, user_id=user_id, actor=self.actor, purge=purge)
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
        check_flag("purge", purge)
        flt = EpisodeFilter.build(user_id, agent_id=agent_id, session_id=session_id)
        whole_user = agent_id is None and session_id is None
        n = self.store.delete_scope(flt, actor=self.actor, purge=purge, pins=whole_user)
        self._after_write()  # the DELETE events remove the rows from the mirror
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
        pin_id = self.store.resolve_id(pin_id, user_id, kind="pin")
        return self.store.remove_pin(pin_id, user_id=user_id, actor=self.actor)

    def pins(self, *, user_id: str) -> list[Pin]:
        check_scope_value("user_id", user_id, required=True)
        return self.store.pins(user_id)

    def forget(self, *, user_id: str) -> dict[str, Any]:
        """Right to be forgotten: erase every trace of ``user_id`` and prove it.

        Returns counts plus ``verified``: True when none of the erased texts
        (every episode and pin of 8 bytes or more, also as the log spells it)
        occurs anywhere in storage (docs/erasure.md)."""
        check_scope_value("user_id", user_id, required=True)
        report = self.store.forget_user(user_id, actor=self.actor)
        # read by the transactions that erased them: a memory added meanwhile is checked too
        texts = set(report.pop("texts"))
        texts |= {json.dumps(t)[1:-1] for t in texts}  # how an event payload spells it
        self._after_write()
        self.mirror.forget_user(user_id)
        needles = sorted(t for t in texts if len(t.encode()) >= 8)
        left = self.store.residue(needles)
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
        flt = self.reader.scope(user_id, filters, agent_id=agent_id, session_id=session_id,
                                as_of=as_of)  # fmt: skip
        cfg = _check_config(config)
        check_flag("trace", trace)
        n_facts = 5 if facts is None else check_int("facts", facts, 0, MAX_LIMIT)
        return self.reader.search(q, flt, limit, config=cfg, trace=trace, n_facts=n_facts)

    def query_time(self, query: str, as_of: TimeLike | None = None) -> float:
        """The moment a query asks about: ``as_of`` if given, else a time the
        query names ("in 2022", "last May"; the middle of the named period),
        else now."""
        q = clean_text(query, field="query", max_chars=4000)
        if as_of is not None:
            return to_ts(as_of, field="as_of")
        return self.reader.query_time(q)

    def context(
        self,
        query: str,
        *,
        user_id: str,
        budget_tokens: int = 1500,
        as_of: TimeLike | None = None,
        count_tokens: TokenCounter | None = None,
        cite: str = "ref",
        candidates: int | None = None,
        source: str | None = None,
    ) -> Context:
        """A prompt-ready block within ``budget_tokens``: pinned instructions,
        the user's facts, other relevant facts, dated episodes, each cited,
        then quoted untrusted content (see :mod:`phasemem.pipeline.context`).
        ``source``: only memories from that source or kind."""
        return assemble_context(self.reader, self.store, query, user_id=user_id,
                                budget_tokens=budget_tokens, as_of=as_of,
                                count_tokens=count_tokens, cite=cite, candidates=candidates,
                                source=source)  # fmt: skip

    def facts(
        self,
        *,
        user_id: str,
        subject: str | None = None,
        relation: str | None = None,
        as_of: TimeLike | None = None,
        include_expired: bool = False,
        include_contested: bool = False,
        source: str | None = None,
    ) -> list[Fact]:
        """Facts true now (default), true at ``as_of`` (valid time; an end or a
        replacement that came later is not shown: :meth:`Fact.seen_at`), or every version. ``include_contested``: also the claims
        of weaker sources that wait for consensus (``status="contested"``);
        ``source``: only facts a source supports (``"web:example.com"`` or a
        kind, ``"web"``). Each fact says which source asserted it."""
        check_scope_value("user_id", user_id, required=True)
        check_name("subject", subject)
        check_name("relation", relation)
        check_flag("include_expired", include_expired)
        check_flag("include_contested", include_contested)
        check_scope_value("source", source)
        ts = to_ts(as_of, field="as_of") if as_of is not None else None
        rows = self.store.facts(user_id, subject=subject, relation=relation, as_of=ts,
                                include_expired=include_expired,
                                include_contested=include_contested, source=source)  # fmt: skip
        return rows if ts is None else [f.seen_at(ts) for f in rows]

    # -- trust ------------------------------------------------------------------------
    def trust(self, source: str, *, user_id: str) -> TrustReport:
        """How far ``source`` ("web:example.com", "user:chat") is trusted for
        ``user_id``: its Beta posterior, its mean, its independence group, and
        the log of every change."""
        check_scope_value("source", source, required=True)
        check_scope_value("user_id", user_id, required=True)
        label = parse_source(source).label
        a, b = self.store.source_trust(user_id, label)
        return TrustReport(label, a, b, self.trust_policy.group(label),
                           self.store.trust_events(user_id, label))  # fmt: skip

    def confirm(self, fact_id: str, *, user_id: str) -> Fact:
        """The user confirms a fact: it becomes current (replacing what it
        contradicts) and the sources that said it gain trust."""
        check_id("fact_id", fact_id)
        check_scope_value("user_id", user_id, required=True)
        fact = self.store.judge_fact(fact_id, user_id, "confirm", actor=self.actor)
        self._after_write()
        return fact

    def reject(self, fact_id: str, *, user_id: str) -> Fact:
        """The user rejects a fact: it is kept as a lesson (the same claim from
        the same source is recognised), its sources lose trust, and a version it
        had replaced becomes current again."""
        check_id("fact_id", fact_id)
        check_scope_value("user_id", user_id, required=True)
        fact = self.store.judge_fact(fact_id, user_id, "reject", actor=self.actor)
        self._after_write()
        return fact

    def timeline(self, entity: str, *, user_id: str, as_of: TimeLike | None = None) -> list[Fact]:
        """Every version of every fact about ``entity``, oldest first: superseded,
        contested and rejected ones too (each says its source and status).
        ``as_of``: the timeline as it stood then: only versions that had begun,
        each without an end or replacement that came later (:meth:`Fact.seen_at`)."""
        check_scope_value("user_id", user_id, required=True)
        check_name("entity", entity, required=True)
        ts = to_ts(as_of, field="as_of") if as_of is not None else None
        rows = self.store.facts(
            user_id, entity=entity, include_expired=True, include_contested=True
        )
        return rows if ts is None else [f.seen_at(ts) for f in rows if f.valid_at <= ts]

    def get(self, memory_id: str, *, user_id: str | None = None) -> Episode:
        """One memory by id, or by a unique prefix of it (at least 4 hex digits)."""
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
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
        offset = check_int("offset", offset, 0, MAX_OFFSET)
        return self.store.episodes(flt, _check_limit(limit), offset)

    def _iter_all(self, flt: EpisodeFilter) -> Iterator[Episode]:
        offset = 0
        while True:
            page = self.store.episodes(flt, 10_000, offset)
            yield from page
            if len(page) < 10_000:
                return
            offset += len(page)

    def history(self, memory_id: str, *, user_id: str | None = None) -> list[HistoryEvent]:
        """Every change to a memory (deleted ones too); an id prefix works."""
        check_id("memory_id", memory_id)
        check_scope_value("user_id", user_id)
        return self.store.history(self.store.resolve_id(memory_id, user_id, kind="event"), user_id)

    # -- export / import ----------------------------------------------------------------
    def export_iter(self, *, user_id: str | None = None) -> Generator[dict[str, Any], None, None]:
        """The dump (:mod:`phasemem.store.dump`) as rows, header first: every
        episode, pin, entity, fact, relation speed and event, from one snapshot
        of the store. ``user_id``: that user's memory only."""
        check_scope_value("user_id", user_id)
        return transfer.export_iter(self.store, self.embedder, user_id=user_id)

    def export(self, path: str | os.PathLike[str], *, user_id: str | None = None) -> int:
        """Write the dump to ``path`` as JSON lines; returns rows written (header
        excluded). The file is created readable by its owner only (it holds
        every memory) and appears whole or not at all."""
        target = _check_path(path)
        check_scope_value("user_id", user_id)
        return transfer.export_file(self.export_iter(user_id=user_id), target)

    def import_(
        self, path: str | os.PathLike[str], *, progress: Callable[[int], Any] | None = None
    ) -> int:
        """Load a file written by ``export`` (format versions 1 and 2): episodes,
        pins, entities, facts, relation speeds and the event log, verbatim.
        Importing the same file twice adds nothing. Commits every few hundred
        rows so a crash keeps everything before it. Returns episodes added."""
        p = _check_path(path)
        if progress is not None and not callable(progress):
            raise InvalidInputError("progress must be callable or None", field="progress")
        try:
            return transfer.import_file(self.store, self.embedder, p, actor=self.actor,
                                        progress=progress)  # fmt: skip
        finally:
            self._after_write()

    # -- diagnostics ----------------------------------------------------------------
    def doctor(self) -> dict[str, Any]:
        from phasemem._version import __version__

        info = self.store.health()
        info.update(
            {
                "phasemem": __version__,
                "python": sys.version.split()[0],
                "embedder": {"name": self.embedder.name, "dim": self.embedder.dim},
                "indexed_vectors": len(self.mirror.vectors),
                "numpy": np.__version__,
            }
        )
        return info


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
