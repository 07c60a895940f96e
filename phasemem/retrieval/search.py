"""Hybrid episode retrieval: lexical + dense candidates, fused, expanded.

Stages (each recorded in the hit's ``scores`` and, on request, in a trace):
1. ``bm25``: FTS5 over episode text and speaker, safe OR-query of terms;
2. ``dense``: cosine over the in-memory int8 vectors, same filters (or the
   store's own vector index, :class:`~phasemem.store.base.VectorSearch`);
3. ``fused``: min-max normalised weighted sum (or RRF) of the two lists,
   times ``1 + speaker_boost`` for turns by a speaker the query names, and
   ``1 + time_boost`` for turns that mention a time when the query asks "when";
4. ``neighbour``: the turns around strong hits get a share of their score,
   since the answer often sits next to the turn that matched the question;
5. ``time`` (with an :class:`~phasemem.retrieval.intent.Intent`): newer
   topical evidence shadows older evidence, weighted by the topic's
   volatility (:mod:`phasemem.retrieval.shadow`); ``fused`` becomes the
   time-aware score, the relevance before it stays under ``relevance``.

Scope and time: one :class:`~phasemem.scope.EpisodeFilter` decides
what a search may see. Each stage asks it for its candidates (the index's
``scope_mask`` for BM25 and dense rows and for neighbours, SQL when a stage
runs in the store), and every row that leaves the retriever passes
``flt.matches`` as a last gate, so no stage can leak a row the filter refuses.
"""

from __future__ import annotations

import heapq
import re
import time
from concurrent.futures import Future
from typing import Any, Protocol

import numpy as np

from phasemem.embed.base import Embedder
from phasemem.mirror import Mirror, VectorIndex
from phasemem.models import SearchHit
from phasemem.retrieval.config import RetrievalConfig
from phasemem.retrieval.intent import Intent
from phasemem.retrieval.query import asks_when, prune_terms
from phasemem.scope import EpisodeFilter
from phasemem.store.base import EpisodeReader, ScopedTextSearch, TextSearch, VectorSearch
from phasemem.text import unique_terms

#: (embedder name, dim, speaker) -> the "Speaker:" embedding, shared by every Retriever
_NAME_DIRS: dict[tuple[str, int, str | None], np.ndarray] = {}


def _best_first(kv: tuple[int, dict[str, float]]) -> tuple[float, int]:
    """Sort key: highest fused score first, ties by the older seq."""
    return (-kv[1]["fused"], kv[0])


class EpisodeSource(TextSearch, EpisodeReader, Protocol):
    """What retrieval reads from the store."""


class Retriever:
    """Episode retrieval over a store and its in-memory mirror (read only)."""

    def __init__(self, store: EpisodeSource, mirror: Mirror, embedder: Embedder) -> None:
        self.store = store
        self.mirror = mirror
        self.embedder = embedder
        #: the dense stage's source: the store's own index when it has one
        #: (PostgreSQL + pgvector), else the mirror's vectors
        self.vector_search: VectorSearch | None = (
            store if isinstance(store, VectorSearch) and store.dense_in_store() else None
        )
        #: the store filters its full-text search by scope in the index itself
        self.scoped_text = isinstance(store, ScopedTextSearch) and store.text_search_scoped()

    def _term_counts(self, words: list[str]) -> dict[str, int]:
        lexical = self.mirror.lexical
        if lexical is not None:
            counts = lexical.doc_counts(words)
            if counts is not None:
                return counts
        return self.store.term_counts(words)

    def _lexical(
        self, words: list[str], flt: EpisodeFilter, pool: int, needs_post: bool
    ) -> list[tuple[int, float]]:
        """BM25 candidates in scope. Fastest: the mirror's BM25 postings, when
        built (same scores as FTS5). Fast: the store's full-text search over
        every scope, filtered by the mirror's scope mask (joining the episodes
        table doubles the cost on large scopes); else the store filters
        itself (a metadata filter, too few rows survived, or a store whose
        index is keyed by scope: :class:`~phasemem.store.base.ScopedTextSearch`)."""
        index = self.mirror.vectors
        if not needs_post:
            lexical = self.mirror.lexical
            if lexical is not None:
                complete = [True]

                def allowed(seqs: np.ndarray) -> np.ndarray:
                    mask, known = index.scope_mask(seqs, flt)
                    complete[0] = known
                    return mask

                found = lexical.search(words, pool, allowed)
                if found is not None and complete[0]:
                    return found
            if self.scoped_text:
                return self.store.search_text(words, flt, pool)
            raw = self.store.search_text(words, None, pool * 4)
            ok = index.allowed([seq for seq, _ in raw], flt)
            kept = [r for r, good in zip(raw, ok, strict=True) if good][:pool]
            if len(kept) >= pool or len(raw) < pool * 4:
                return kept
        return self.store.search_text(words, flt, pool)

    def _read(self, rows: dict[int, Any], seqs: list[int]) -> None:
        """Fill ``rows`` with the episodes of ``seqs`` not read yet (one query)."""
        missing = [s for s in seqs if s not in rows]
        if missing:
            rows.update(self.store.by_seq(missing))

    def _name_dir(self, name: str | None) -> np.ndarray:
        """The embedding of "Name:" (what every turn of that speaker carries),
        zeros for no name; one per embedder and name in the process (every
        store of a server shares them; "Assistant:" is in all of them)."""
        key = (self.embedder.name, self.mirror.vectors.dim, name)
        d = _NAME_DIRS.get(key)
        if d is None:
            if name:
                d = np.asarray(self.embedder.embed([f"{name}:"])[0], dtype=np.float32)
            else:
                d = np.zeros(self.mirror.vectors.dim, dtype=np.float32)
            if len(_NAME_DIRS) > 16_384:
                _NAME_DIRS.clear()
            _NAME_DIRS[key] = d
        return d

    def _debias(
        self, dense: list[tuple[int, float]], qv: np.ndarray, query: str, flt: EpisodeFilter
    ) -> list[tuple[int, float]]:
        """Re-score the dense candidates with speaker names taken out of the
        turns and the query (:func:`~phasemem.retrieval.evidence.debiased_cosine`)."""
        from phasemem.retrieval.evidence import debiased_cosine

        seqs = [seq for seq, _ in dense]
        vecs, known = self.mirror.vectors.vectors_of(seqs)
        speakers = self.mirror.vectors.speakers_of(seqs)
        named = [n for n in self.mirror.speakers(flt.user_id) if _mentions(query, n)]
        qdirs = np.array([self._name_dir(n) for n in named], dtype=np.float32).reshape(
            -1, self.mirror.vectors.dim
        )
        sdirs = np.array([self._name_dir(sp) for sp in speakers], dtype=np.float32)
        cos = debiased_cosine(qv, qdirs, vecs, sdirs)
        scored = [(seq, float(c) if k else raw) for (seq, raw), c, k in
                  zip(dense, cos, known, strict=True)]  # fmt: skip
        scored.sort(key=lambda x: -x[1])
        return scored

    def _replies(
        self,
        sources: list[tuple[int, dict[str, float]]],
        around: dict[int, list[int]],
        rows: dict[int, Any],
    ) -> dict[int, int]:
        """source seq -> the turn that replies to it, for sources that ask a
        question (the next turn in the session, by another speaker)."""
        from phasemem.retrieval.evidence import is_question

        self._read(rows, [seq for seq, _ in sources])
        out: dict[int, int] = {}
        for seq, _ in sources:
            ep = rows.get(seq)
            if ep is None or not is_question(ep.text):
                continue
            after = [nb for nb in around.get(seq, ()) if (self.mirror.vectors.occurred_of([nb])[0] or 0.0,
                     nb) > (ep.occurred_at, seq)]  # fmt: skip
            if not after:
                continue
            nxt = min(after, key=lambda nb: (self.mirror.vectors.occurred_of([nb])[0] or 0.0, nb))
            if self.mirror.vectors.speakers_of([nxt])[0] != ep.speaker:
                out[seq] = nxt
        return out

    def _specific(
        self,
        per: dict[int, dict[str, float]],
        cfg: RetrievalConfig,
        rows: dict[int, Any],
        names: list[str],
        named: list[str],
        query: str,
    ) -> None:
        """x(1 + specific_boost) for the best candidates whose text names
        something specific (:func:`~phasemem.retrieval.evidence.specifics`);
        when the query names speakers, only for their turns (what the person
        asked about said, not a reply that repeats a name back)."""
        from phasemem.retrieval.evidence import answer_kind, names_something

        top = heapq.nsmallest(cfg.specific_top, per.items(), key=_best_first)
        self._read(rows, [seq for seq, _ in top])
        known = frozenset(names)
        who = set(named)
        kind = answer_kind(query) if cfg.specific_typed else "any"
        for seq, scores in top:
            ep = rows.get(seq)
            if ep is None or (who and ep.speaker not in who):
                continue
            if names_something(ep.text, known, kind):
                scores["specific_boost"] = cfg.specific_boost
                scores["fused"] *= 1.0 + cfg.specific_boost

    def search(
        self,
        query: str,
        flt: EpisodeFilter,
        limit: int,
        cfg: RetrievalConfig,
        *,
        query_vector: np.ndarray | Future[np.ndarray] | None = None,
        trace: bool = False,
        intent: Intent | Future[Intent] | None = None,
    ) -> tuple[list[SearchHit], dict[str, Any] | None]:
        """``query_vector`` may be a Future: the query is then embedded in a
        worker thread while the lexical stage runs (both release the GIL).
        ``intent`` (or a Future of it): the query's temporal intent; with
        ``cfg.episode_time`` it drives the time stage."""
        t0 = time.perf_counter()
        # once per search: each sync asks SQLite for its data version under the
        # store's lock, and concurrent searches queued on it (seen in a profile)
        self.mirror.sync()
        tr: dict[str, Any] | None = {"stages": {}} if trace else None
        per: dict[int, dict[str, float]] = {}
        pool = max(cfg.candidates, limit)
        # Metadata is not in the in-memory index: with a metadata filter the
        # lexical stage filters in SQL, the dense stage over-fetches, and the
        # final gate drops what does not match.
        needs_post = not flt.columns_only

        if cfg.lexical:
            words = unique_terms(query)
            if cfg.lexical_budget:
                words = prune_terms(self._term_counts(words), cfg.lexical_budget)
            lex = self._lexical(words, flt, pool, needs_post) if words else []
            for rank, (seq, s) in enumerate(lex, 1):
                per.setdefault(seq, {})["bm25"] = s
                per[seq]["bm25_rank"] = rank
            if tr is not None:
                tr["stages"]["bm25"] = {
                    "terms": words,
                    "hits": [[s, round(v, 4)] for s, v in lex[: limit * 2]],
                }
        t1 = time.perf_counter()

        if cfg.dense:
            if isinstance(query_vector, Future):
                qv = query_vector.result()
            else:
                qv = query_vector if query_vector is not None else self.embedder.embed_query(query)
            t_embed = time.perf_counter()
            if self.vector_search is not None:  # the filter (metadata too) runs in SQL
                dense = self.vector_search.search_vectors(qv, flt, pool)
            else:
                dense = self.mirror.vectors.search(qv, flt, pool * (4 if needs_post else 1))
            if cfg.dense_debias and dense:
                dense = self._debias(dense, qv, query, flt)
            for rank, (seq, s) in enumerate(dense, 1):
                per.setdefault(seq, {})["dense"] = s
                per[seq]["dense_rank"] = rank
            if tr is not None:
                tr["stages"]["dense"] = {
                    "embed_ms": round((t_embed - t1) * 1000, 3),
                    "hits": [[s, round(v, 4)] for s, v in dense[: limit * 2]],
                }
        t2 = time.perf_counter()

        _fuse(per, cfg)
        names = self.mirror.speakers(flt.user_id) if cfg.speaker_boost or cfg.specific_boost else []
        named = [n for n in names if _mentions(query, n)]
        if named:
            said, unknown = self.mirror.vectors.said_by(list(per), named)
            boosted = set(said).union(self.store.speakers_of(unknown, named))
            for seq in boosted:
                per[seq]["speaker_boost"] = cfg.speaker_boost
                per[seq]["fused"] *= 1.0 + cfg.speaker_boost
        if cfg.time_boost and asks_when(query):
            seqs = list(per)
            for seq, timed in zip(seqs, self.mirror.vectors.timed_flags(seqs), strict=True):
                if timed:
                    per[seq]["time_boost"] = cfg.time_boost
                    per[seq]["fused"] *= 1.0 + cfg.time_boost
        searched = set(per)  # found by a stage; the rest arrive as neighbours
        rows: dict[int, Any] = {}  # episodes read so far (seq -> Episode), read once

        if cfg.neighbours > 0 and per:
            # Each strong hit lends a share of its score to the turns around it:
            # an answer often sits in the turn after the question that matched.
            sources = heapq.nsmallest(cfg.neighbour_sources, per.items(), key=_best_first)
            around = self.mirror.vectors.neighbours(
                [seq for seq, _ in sources], cfg.neighbours, flt
            )
            replies = self._replies(sources, around, rows) if cfg.answer_share else {}
            for seq, scores in sources:
                for nb in around.get(seq, ()):
                    share = cfg.answer_share if replies.get(seq) == nb else cfg.neighbour_weight
                    target = per.setdefault(nb, {"fused": 0.0})
                    target["neighbour"] = target.get("neighbour", 0.0) + share * scores["fused"]
            for scores in per.values():
                scores["fused"] += scores.get("neighbour", 0.0)

        if cfg.specific_boost and per:
            self._specific(per, cfg, rows, names, named, query)

        if cfg.episode_time and intent is not None and per:
            it = intent.result() if isinstance(intent, Future) else intent
            shaded = _apply_time(per, it, cfg, self.mirror.vectors, self.store, rows)
            if tr is not None:
                tr["intent"] = it.to_dict()
                tr["shadows"] = shaded

        # only the best few are needed: a partial selection, not a full sort
        take = heapq.nsmallest(limit * 4 if needs_post else limit, per.items(), key=_best_first)
        via = {seq: "search" if seq in searched else "neighbour" for seq, _ in take}
        self._read(rows, [s for s, _ in take])
        hits: list[SearchHit] = []
        for seq, scores in take:
            ep = rows.get(seq)
            if ep is None or not flt.matches(ep):  # the last gate, for every stage
                continue
            hits.append(SearchHit(ep, scores["fused"], scores, via[seq]))
            if len(hits) >= limit:
                break
        if tr is not None:
            tr["timing_ms"] = {
                "lexical": round((t1 - t0) * 1000, 3),
                "dense": round((t2 - t1) * 1000, 3),
                "total": round((time.perf_counter() - t0) * 1000, 3),
            }
            tr["config"] = {k: getattr(cfg, k) for k in cfg.__slots__}
        return hits, tr


def _fuse(per: dict[int, dict[str, float]], cfg: RetrievalConfig) -> None:
    """Set ``fused`` per candidate. ``sum`` (the default, best on LoCoMo dev):
    each stage's scores min-max normalised over its candidates, then weighted
    and added, so a confident stage counts more than its rank alone says."""
    stages = (("bm25", cfg.w_lexical), ("dense", cfg.w_dense))
    if cfg.fusion == "rrf":
        for scores in per.values():
            scores["fused"] = sum(
                w / (cfg.rrf_k + scores[f"{st}_rank"]) for st, w in stages if f"{st}_rank" in scores
            )
        return
    if cfg.fusion_norm == "share":
        _fuse_shares(per, stages)
        return
    bounds = {}
    for st, _ in stages:
        vals = [sc[st] for sc in per.values() if st in sc]
        if vals:
            bounds[st] = (min(vals), max(vals))
    for scores in per.values():
        fused = 0.0
        for st, w in stages:
            if st in scores:
                lo, hi = bounds[st]
                fused += w * ((scores[st] - lo) / (hi - lo) if hi > lo else 1.0)
        scores["fused"] = fused


def _fuse_shares(per: dict[int, dict[str, float]], stages: tuple[tuple[str, float], ...]) -> None:
    """``fusion_norm="share"``: each stage's score over its best (negatives and,
    for BM25, floored no-match scores at 0), weighted and added. Min-max made
    the weakest candidate of a stage 0 and, on a small store where a query's
    only matching word is the person's name (IDF floored), spread meaningless
    1e-6 BM25 scores over 0..1 (evidence.lexical_norm)."""
    from phasemem.retrieval.evidence import lexical_norm

    seqs = list(per)
    total = np.zeros(len(seqs))
    for st, w in stages:
        have = np.array([st in per[s] for s in seqs])
        if not have.any():
            continue
        raw = np.array([per[s].get(st, 0.0) for s in seqs])
        if st == "bm25":
            norm = lexical_norm(raw)
        else:
            pos = np.maximum(raw, 0.0)
            hi = pos.max()
            norm = pos / hi if hi > 0 else pos
        total += w * np.where(have, norm, 0.0)
    for s, f in zip(seqs, total, strict=True):
        per[s]["fused"] = float(f)


def _texts(seqs: list[int], rows: dict[int, Any], store: EpisodeReader) -> dict[int, str]:
    """Texts of ``seqs``, reading the ones not in ``rows`` (and keeping them)."""
    missing = [s for s in seqs if s not in rows]
    if missing:
        rows.update(store.by_seq(missing))
    return {s: rows[s].text for s in seqs if s in rows}


def _apply_time(
    per: dict[int, dict[str, float]],
    intent: Intent,
    cfg: RetrievalConfig,
    index: VectorIndex,
    store: EpisodeReader,
    rows: dict[int, Any],
) -> list[dict[str, Any]]:
    """The time stage: re-score the best ``cfg.specific_top`` candidates with
    :func:`shadow_rank` (pure) and return which shadowed which (seqs), for
    the trace. The rest keep their relevance on the same scale (below the
    best's, so they cannot be topical; shadowing would only lower them)."""
    from phasemem.retrieval.evidence import announces_change
    from phasemem.retrieval.shadow import EpisodeCandidate, ShadowParams, shadow_rank, trace_of

    alpha = (intent.alpha or 0.0) * (1.0 if intent.explicit else cfg.implicit_current)
    if intent.mode == "timeless" or alpha <= 0.0:
        return []  # no time weighting: the order is relevance
    best = heapq.nsmallest(max(cfg.specific_top, 1), per.items(), key=_best_first)
    seqs = [s for s, _ in best]
    when = index.occurred_of(seqs)
    if any(t is None for t in when):  # episodes stored without a vector: ask the store
        _texts([s for s, t in zip(seqs, when, strict=True) if t is None], rows, store)
        when = [rows[s].occurred_at if t is None and s in rows else t
                for s, t in zip(seqs, when, strict=True)]  # fmt: skip
    texts = _texts(seqs, rows, store)  # read once, shared with the other stages
    cands = [
        EpisodeCandidate(s, per[s]["fused"], t, s in texts and announces_change(texts[s]))
        for s, t in zip(seqs, when, strict=True)
        if t is not None
    ]
    params = ShadowParams(beta=cfg.shadow_beta, tau=cfg.shadow_tau, width=cfg.shadow_width,
                          quiet_close=cfg.shadow_quiet, change_boost=cfg.change_boost,
                          placement=cfg.shadow_placement)  # fmt: skip
    when_asked = intent.period if intent.period is not None else intent.t_query
    ranked = shadow_rank(cands, intent.mode, when_asked, alpha, params)
    top = max((c.relevance for c in cands), default=0.0)
    scale = 1.0 / top if top > 0 else 1.0
    for scores in per.values():  # the same scale as shadow_rank's (relevance over the best)
        scores["relevance"] = scores["fused"]
        scores["fused"] = scores["fused"] * scale
    for r in ranked:
        scores = per[r.key]
        scores["s_time"] = r.parts["s_time"]
        scores["fused"] = r.score
    return trace_of(ranked, {s: rows[s].id for s in seqs if s in rows})


def _mentions(query: str, name: str) -> bool:
    q, n = query.casefold(), name.casefold()
    if n not in q:  # the common case, without building a regex
        return False
    return re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", q) is not None
