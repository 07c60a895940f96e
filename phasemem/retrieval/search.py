"""Hybrid episode retrieval: lexical + dense candidates, fused, expanded.

Stages (each recorded in the hit's ``scores`` and, on request, in a trace):
1. ``bm25``: FTS5 over episode text and speaker, safe OR-query of terms;
2. ``dense``: cosine over the in-memory int8 vectors, same filters;
3. ``fused``: min-max normalised weighted sum (or RRF) of the two lists,
   times ``1 + speaker_boost`` for turns by a speaker the query names, and
   ``1 + time_boost`` for turns that mention a time when the query asks "when";
4. ``neighbour``: the turns around strong hits get a share of their score,
   since the answer often sits next to the turn that matched the question.

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
from phasemem.mirror import Mirror
from phasemem.models import SearchHit
from phasemem.retrieval.config import RetrievalConfig
from phasemem.retrieval.query import asks_when, prune_terms
from phasemem.scope import EpisodeFilter
from phasemem.store.base import EpisodeReader, TextSearch
from phasemem.text import unique_terms


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
        itself (a metadata filter, or too few rows survived)."""
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
            raw = self.store.search_text(words, None, pool * 4)
            ok = index.allowed([seq for seq, _ in raw], flt)
            kept = [r for r, good in zip(raw, ok, strict=True) if good][:pool]
            if len(kept) >= pool or len(raw) < pool * 4:
                return kept
        return self.store.search_text(words, flt, pool)

    def search(
        self,
        query: str,
        flt: EpisodeFilter,
        limit: int,
        cfg: RetrievalConfig,
        *,
        query_vector: np.ndarray | Future[np.ndarray] | None = None,
        trace: bool = False,
    ) -> tuple[list[SearchHit], dict[str, Any] | None]:
        """``query_vector`` may be a Future: the query is then embedded in a
        worker thread while the lexical stage runs (both release the GIL)."""
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
            dense = self.mirror.vectors.search(qv, flt, pool * (4 if needs_post else 1))
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
        names = self.mirror.speakers(flt.user_id) if cfg.speaker_boost else []
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

        if cfg.neighbours > 0 and per:
            # Each strong hit lends a share of its score to the turns around it:
            # an answer often sits in the turn after the question that matched.
            sources = heapq.nsmallest(cfg.neighbour_sources, per.items(), key=_best_first)
            around = self.mirror.vectors.neighbours(
                [seq for seq, _ in sources], cfg.neighbours, flt
            )
            for seq, scores in sources:
                lend = cfg.neighbour_weight * scores["fused"]
                for nb in around.get(seq, ()):
                    target = per.setdefault(nb, {"fused": 0.0})
                    target["neighbour"] = target.get("neighbour", 0.0) + lend
            for scores in per.values():
                scores["fused"] += scores.get("neighbour", 0.0)

        # only the best few are needed: a partial selection, not a full sort
        take = heapq.nsmallest(limit * 4 if needs_post else limit, per.items(), key=_best_first)
        via = {seq: "search" if seq in searched else "neighbour" for seq, _ in take}
        rows = self.store.by_seq([s for s, _ in take])
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


def _mentions(query: str, name: str) -> bool:
    q, n = query.casefold(), name.casefold()
    if n not in q:  # the common case, without building a regex
        return False
    return re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", q) is not None
