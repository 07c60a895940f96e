"""The read path: a query, its scope and its moment, to episodes and facts together.

One place owns what a read may see and when it is asked about:

* **scope** (:meth:`ReadPipeline.scope`): the caller's user, agent, session,
  filters and ``as_of`` become one :class:`~phasemem.scope.EpisodeFilter`
  (``as_of`` folds into ``occurred_before`` there and nowhere else);
* **the query's time** (:meth:`ReadPipeline.query_time`): ``as_of`` when given,
  else a time the query names ("in 2022", "last May"), else now;
* **episodes**: :class:`~phasemem.retrieval.search.Retriever` over the store and
  its mirror, every stage held to the filter;
* **facts**: :class:`~phasemem.facts.rank.FactRanker` at the query's time, shown
  only through a source episode the same filter allows;
* **trust** (:meth:`ReadPipeline.arrange`): hits from less trusted sources
  rank below equally relevant trusted ones, a slot's current version above
  its superseded and contested ones, and disagreeing memories are reported
  (:mod:`phasemem.trust.consensus`).

``Memory.search``, ``context`` (:mod:`phasemem.pipeline.context`), REST and
MCP all read through here, so none can see more than another.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol

from phasemem.embed.base import Embedder
from phasemem.errors import NotFoundError
from phasemem.facts.model import Fact, FactHit
from phasemem.facts.rank import FactRanker, relation_family
from phasemem.facts.resolve import norm_relation
from phasemem.mirror import Mirror
from phasemem.models import Episode, SearchHit, SearchResults
from phasemem.retrieval.agree import (
    demote_stale,
    evidence_of,
    fact_asked,
    lift_evidence,
    rerank_facts,
    trust_fact,
)
from phasemem.retrieval.config import RetrievalConfig
from phasemem.retrieval.intent import Intent, parse_intent, with_alpha
from phasemem.retrieval.search import EpisodeSource, Retriever
from phasemem.scope import EpisodeFilter
from phasemem.store.base import FactStore, TrustStore
from phasemem.timeutil import TimeLike, from_ts
from phasemem.trust.policy import TrustPolicy, mean

#: fact hits within this share of the best one are candidates for the query's topic
FOCUS_SHARE = 0.75

DAY = 86400.0
#: how many facts the ranker returns for the evidence agreement to re-order
AGREE_POOL = 10
#: how many episodes the agreement looks at (the caller's limit when larger)
AGREE_HITS = 25
#: how many of the top fact's source episodes (the latest) the lift reads
AGREE_SOURCES = 8


class ReadSource(EpisodeSource, FactStore, TrustStore, Protocol):
    """What the read path reads from the store."""


class ReadPipeline:
    def __init__(
        self,
        store: ReadSource,
        mirror: Mirror,
        embedder: Embedder,
        facts: FactRanker | None,
        config: RetrievalConfig,
        policy: TrustPolicy | None = None,
    ) -> None:
        self.policy = policy or TrustPolicy()
        self.store = store
        self.mirror = mirror
        self.embedder = embedder
        self.facts = facts
        self.config = config
        self.retriever = Retriever(store, mirror, embedder)
        self._executor: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    # -- the read's scope and moment -----------------------------------------------------
    @staticmethod
    def scope(
        user_id: str | None,
        filters: dict[str, Any] | None = None,
        *,
        agent_id: str | None = None,
        session_id: str | None = None,
        as_of: TimeLike | None = None,
    ) -> EpisodeFilter:
        """What a read may see: validated scope and filters, ``as_of`` folded in."""
        return EpisodeFilter.build(
            user_id, filters, agent_id=agent_id, session_id=session_id, as_of=as_of
        )

    @staticmethod
    def query_time(query: str, flt: EpisodeFilter | None = None) -> float:
        """The moment a query asks about: the read's ``as_of`` if it has one,
        else a time the query names ("in 2022", "last May"; the middle of the
        named period), else now."""
        if flt is not None and flt.as_of is not None:
            return flt.as_of
        now = time.time()
        from phasemem.extract.temporal import resolve_temporal

        found = resolve_temporal(query, from_ts(now))
        if not found:
            return now
        t = found[0]
        start = t.start.timestamp()
        end = t.end.timestamp() if t.end is not None else None
        role = t.role
        if role in ("since", "after", "duration"):  # open towards now: ask about now
            return max(now, end or start)
        if role == "before":  # strictly before the named period
            return start - 1.0
        if role == "until" and end is not None:  # up to the end of the named period
            return end - 1.0
        return (start + end) / 2 if end is not None else start

    # -- search ----------------------------------------------------------------------------
    def _pool(self) -> ThreadPoolExecutor:
        """Workers that embed queries while the lexical stage runs. More than
        one, so concurrent searches on one handle (a server) reach the embedder
        together and a batching embedder can share a call."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="phasemem-embed")
        return self._executor

    def search(
        self,
        query: str,
        flt: EpisodeFilter,
        limit: int,
        *,
        config: RetrievalConfig | None = None,
        trace: bool = False,
        n_facts: int = 5,
    ) -> SearchResults:
        """Episodes (best first) and facts (ranked at the query's time) for a
        validated query under ``flt``."""
        cfg = config or self.config
        intent = self.intent(query, flt, cfg)
        if intent is None:
            t_query = self.query_time(query, flt)
            text = query
        else:  # the intent's moment is query_time's, read once
            t_query = flt.as_of if flt.as_of is not None else intent.t_query
            text = intent.text if cfg.match_without_time else query
        qv_future = self._pool().submit(self.embedder.embed_query, text)
        alpha_future = (  # the gate costs an embedding: only when time will use it
            self._pool().submit(_with_gate_alpha, intent)
            if intent is not None and cfg.episode_time and _time_matters(intent, cfg)
            else intent
        )
        # the agreement looks a little deeper than the caller's limit, so the
        # current fact's evidence can be lifted into a short list
        agrees = cfg.demote_stale or cfg.evidence_lift
        deep = max(limit, AGREE_HITS) if n_facts and agrees else limit
        hits, tr = self.retriever.search(
            text, flt, deep, cfg, query_vector=qv_future, trace=trace, intent=alpha_future
        )
        qv = qv_future.result()
        fact_hits: list[FactHit] = []
        if (n_facts or self.policy.rank) and self.facts is not None:
            want = min(max(n_facts, 1), limit)  # trust's topic needs the best fact
            fact_hits = self.facts.rank(  # ranked at t_query, with the query's words
                self.store,
                flt.user_id,
                qv,
                t_query,
                max(want, AGREE_POOL) if cfg.fact_evidence_weight else want,
                query_text=text,
                version=self.mirror.head,
                keep=self.fact_gate(flt),
            )
            if n_facts:
                timeless = intent is not None and intent.mode == "timeless"
                hits, fact_hits = self._agree(hits, fact_hits, t_query, cfg, tr,
                                              query=text, flt=flt, timeless=timeless)  # fmt: skip
        top = fact_hits[0].score if fact_hits else 0.0
        focus = [h.fact for h in fact_hits if h.score >= FOCUS_SHARE * top]
        hits, disputes = self.arrange(hits, flt, t_query, tr, focus)
        if tr is not None:
            tr["query_time"] = from_ts(t_query).isoformat()
        shown = fact_hits[: min(n_facts, limit)]
        if flt.as_of is not None:  # a view as of then: no end or replacement that came later
            shown = [replace(fh, fact=fh.fact.seen_at(flt.as_of)) for fh in shown]
        return SearchResults(query=query, hits=hits[:limit], trace=tr, facts=shown,
                             disputes=disputes)  # fmt: skip

    def _agree(
        self,
        hits: list[SearchHit],
        facts: list[FactHit],
        t_query: float,
        cfg: RetrievalConfig,
        tr: dict[str, Any] | None,
        *,
        query: str = "",
        flt: EpisodeFilter | None = None,
        timeless: bool = False,
    ) -> tuple[list[SearchHit], list[FactHit]]:
        """Facts and episodes that agree (:mod:`phasemem.retrieval.agree`): facts
        re-scored by their evidence episode's rank, then, for a question about
        now, the episodes of versions the top fact's slot no longer holds put
        below its evidence; then, when the top fact is trusted over the
        episode ranker, the turn that states it goes first (its source
        episodes read under ``flt`` only)."""
        if not facts:
            return hits, facts
        if cfg.fact_evidence_weight:
            facts = rerank_facts(facts, hits, cfg.fact_evidence_weight)
        moved: list[str] = []
        # for a question about now only: as of a past time the filter and the
        # episode time stage already keep later turns out (measured: dev as_of@1
        # lost a question when the top fact was wrong, current gained)
        if cfg.demote_stale and t_query >= time.time() - DAY:
            top = facts[0].fact
            slot = self.store.facts(top.user_id, subject=top.subject, relation=top.relation,
                                    include_expired=True)  # fmt: skip
            hits, moved = demote_stale(hits, top, slot, t_query,
                                       lift=cfg.stale_placement == "lift")  # fmt: skip
        lifted: str | None = None
        why: str | None = "off"
        if cfg.evidence_lift and flt is not None and hits:
            top = facts[0].fact
            # the checks that need no episode first: most searches stop there,
            # before the fact's source episodes are read from the store
            why = fact_asked(query, top, t_query, family=relation_family)
            sources = self._sources(top, hits, flt) if why is None else []
            if why is None:
                first = hits[0].episode
                read = [f.fact for f in facts if first.id in f.fact.episode_ids]
                why = trust_fact(query, top, t_query, sources, first, timeless=timeless,
                                 family=relation_family, read_from_first=read)  # fmt: skip
            if why is None:
                hits, lifted = lift_evidence(hits, top, sources)
                why = "lifted" if lifted else "no other turn names its value"
        if tr is not None:
            rank = {h.episode.id: i for i, h in enumerate(hits)}
            tr["agree"] = {
                "top_fact": facts[0].fact.text,
                "evidence": evidence_of(facts[0].fact, rank)[0],
                "demoted": moved,
                "lifted": lifted,
                "lift": why,
            }
        return hits, facts

    def _sources(self, fact: Fact, hits: Sequence[SearchHit], flt: EpisodeFilter) -> list[Episode]:
        """The fact's source episodes the read may see: from the hits, else
        read from the store (the latest few) and held to ``flt``."""
        have = {h.episode.id: h.episode for h in hits}
        ids = list(fact.episode_ids)
        known = [have[i] for i in ids if i in have]
        rest = [i for i in ids if i not in have][-AGREE_SOURCES:]
        return known + self.visible_episodes(rest, flt)

    def arrange(
        self, hits: list[SearchHit], flt: EpisodeFilter, t_query: float,
        tr: dict[str, Any] | None, focus: Sequence[Fact] = (),
    ) -> tuple[list[SearchHit], list[dict[str, Any]]]:  # fmt: skip
        """Trust's say in the order (:func:`phasemem.trust.consensus.arrange`):
        each hit weighed by its source's trust, a slot's current version
        lifted above versions that lost (first, when it is the slot the query
        asks about: one of ``focus``, its best facts; only when the query asks
        about now), disagreeing contact values settled; the disputes found.

        A disputed slot whose losing value the hits mention, while no hit
        backs its current version (a flood pushed it out), gets that
        version's episode added, so the truth is there to be lifted."""
        p = self.policy
        if not hits or not (p.rank or p.consensus):
            return hits, []
        from phasemem.trust.consensus import HitView, arrange

        user = flt.user_id
        table = self.store.trust_table(user)

        def trust(label: str) -> float:
            return mean(table.get(label) or p.prior(label))

        now_ish = abs(t_query - time.time()) < 86400.0
        disputed = self.store.disputed_slots(user) if now_ish else {}
        if disputed:
            hits = hits + self._missing_truth(hits, disputed, flt)
        if not disputed and len({trust(h.episode.source_label) for h in hits}) <= 1:
            # equally trusted sources and no overruled claim: trust has nothing to
            # add (the agreement stage already orders the asked slot's versions)
            return hits, []
        standing = self.store.fact_standing(user, [h.episode.id for h in hits]) if now_ish else {}
        now = time.time()
        views = [HitView(h.episode.id, h.score, h.episode.source_label, trust(h.episode.source_label),
                         h.episode.occurred_at, h.episode.text,
                         [(f"{f.subject} {f.relation}".casefold(), f.object, _state(f, now), f.valid_at)
                          for f in standing.get(h.episode.id, ())]) for h in hits]  # fmt: skip
        slots = list(dict.fromkeys(_slot(f) for f in focus)) if now_ish else []
        order, disputes, why = arrange(views, p, trust, disputed, slots)
        out = [hits[i] for i in order]
        if tr is not None:
            tr["trust"] = {"order": [h.episode.id for h in out], "hits": why,
                           "disputes": [d.to_dict() for d in disputes]}  # fmt: skip
        return out, [d.to_dict() for d in disputes]

    def intent(self, query: str, flt: EpisodeFilter, cfg: RetrievalConfig) -> Intent | None:
        """The query's temporal intent (:mod:`phasemem.retrieval.intent`) when
        the config uses it, else None; its alpha is added in a worker thread."""
        if not (cfg.episode_time or cfg.match_without_time):
            return None
        return parse_intent(query, now=time.time(), as_of=flt.as_of,
                            names=self.mirror.speakers(flt.user_id))  # fmt: skip

    # -- which facts a read may see -------------------------------------------------------------
    def fact_gate(self, flt: EpisodeFilter) -> Callable[[Fact], bool] | None:
        """Which facts a read under ``flt`` may see (None: all of the user's).

        A fact belongs to the user, not to an agent or a moment, so under a
        narrower filter it is visible through its provenance: at least one
        episode it came from passes the filter. As of a time, it must also
        have begun by then."""
        if not flt.narrows:
            return None
        memo: dict[str, bool] = {}

        def visible(ids: Sequence[str]) -> bool:
            unknown = [i for i in ids if i not in memo]
            if unknown:
                memo.update(self._episodes_visible(unknown, flt))
            return any(memo.get(i, False) for i in ids)

        def keep(f: Fact) -> bool:
            if flt.as_of is not None and f.valid_at > flt.as_of:
                return False
            return visible(f.episode_ids)

        return keep

    def facts_at(self, flt: EpisodeFilter) -> list[Fact]:
        """The user's facts true at the read's time (now without ``as_of``)
        that the read may see, as they stood then (:meth:`Fact.seen_at`)."""
        keep = self.fact_gate(flt)
        rows = self.store.facts(flt.user_id, as_of=flt.as_of)
        if keep is not None:
            rows = [f for f in rows if keep(f)]
        return rows if flt.as_of is None else [f.seen_at(flt.as_of) for f in rows]

    def visible_episodes(self, ids: Sequence[str], flt: EpisodeFilter) -> list[Episode]:
        """The episodes among ``ids`` that a read under ``flt`` may see."""
        out = []
        for ep_id in ids:
            try:
                ep = self.store.get(ep_id, flt.user_id)
            except NotFoundError:
                continue
            if flt.matches(ep):
                out.append(ep)
        return out

    def _episodes_visible(self, ids: list[str], flt: EpisodeFilter) -> dict[str, bool]:
        """Whether each episode id passes ``flt``: from the mirror when it can
        decide, else from the store (rows without a vector, metadata)."""
        out: dict[str, bool] = {}
        rest: list[str] = []
        for ep_id, ok in zip(ids, self.mirror.vectors.ids_allowed(ids, flt), strict=True):
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

    def _missing_truth(
        self, hits: list[SearchHit], disputed: dict[str, tuple[str, list[str], list[str]]],
        flt: EpisodeFilter,
    ) -> list[SearchHit]:  # fmt: skip
        """Episodes of disputed slots' current versions that the hits lack
        while mentioning a value that lost there (newest first, filter-checked)."""
        from phasemem.trust.consensus import mentions

        have = {h.episode.id for h in hits}
        floor = min((h.score for h in hits), default=0.0)
        out: list[SearchHit] = []
        for _cur, losers, ids in disputed.values():
            if not ids or any(i in have for i in ids):
                continue
            if not any(mentions(h.episode.text, o) for h in hits for o in losers):
                continue
            for ep_id in reversed(ids):
                try:
                    ep = self.store.get(ep_id, flt.user_id)
                except NotFoundError:
                    continue
                if flt.matches(ep):
                    out.append(SearchHit(ep, floor, {"fused": floor}, "trust"))
                    have.add(ep.id)
                    break
        return out


def _slot(f: Fact) -> str:
    """The slot a fact answers; a plan ("plan to work as") answers its relation's."""
    rel = f.relation
    if rel.startswith("plan to "):
        rel = norm_relation(rel[len("plan to ") :])
    return f"{f.subject} {rel}".casefold()


def _state(f: Fact, now: float) -> str:
    """A fact's standing for ranking: current, stale (replaced or ended), contested, rejected."""
    if f.status != "accepted":
        return f.status
    return (
        "current"
        if f.expired_at is None and (f.invalid_at is None or f.invalid_at > now)
        else "stale"
    )


def _time_matters(intent: Intent, cfg: RetrievalConfig) -> bool:
    """Whether the time stage can re-rank for this intent (else its alpha is moot)."""
    if intent.mode == "timeless":
        return False
    return bool(intent.explicit or cfg.implicit_current > 0)


def _with_gate_alpha(intent: Intent) -> Intent:
    """The intent with its topic's volatility from the shipped Speed Gate."""
    from phasemem.temporal.gate import load_gate

    return with_alpha(intent, load_gate().alpha)


__all__ = ["ReadPipeline", "ReadSource"]
