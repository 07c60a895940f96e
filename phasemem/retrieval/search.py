"""Hybrid episode retrieval: lexical + dense candidates, fused, expanded.

Stages (each recorded in the hit's ``scores`` and, on request, in a trace):
1. ``bm25``: FTS5 over episode text and speaker, safe OR-query of terms;
2. ``dense``: cosine over the in-memory int8 vectors, same filters;
3. ``fused``: weighted reciprocal-rank fusion of the two lists;
4. ``neighbour`` (optional): the turns around strong hits, which often hold
   the answer to what the hit asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from phasemem.embed.base import Embedder
from phasemem.index.vector import VectorIndex, VectorQuery
from phasemem.models import SearchHit
from phasemem.retrieval.config import RetrievalConfig
from phasemem.retrieval.query import fts_match
from phasemem.store.base import Store
from phasemem.store.filters import EpisodeFilter


class Retriever:
    def __init__(
        self, store: Store, index: VectorIndex, embedder: Embedder, sync: Callable[[], None]
    ) -> None:
        self.store = store
        self.index = index
        self.embedder = embedder
        self._sync = sync

    def search(
        self,
        query: str,
        flt: EpisodeFilter,
        limit: int,
        cfg: RetrievalConfig,
        *,
        query_vector: np.ndarray | None = None,
        trace: bool = False,
    ) -> tuple[list[SearchHit], dict[str, Any] | None]:
        t0 = time.perf_counter()
        tr: dict[str, Any] | None = {"stages": {}} if trace else None
        per: dict[int, dict[str, float]] = {}
        pool = max(cfg.candidates, limit)
        # Metadata/role/speaker/source filters are applied in SQL for the lexical
        # stage; the dense stage over-fetches and the final rows are checked.
        needs_post = bool(flt.metadata or flt.role or flt.speaker or flt.source)

        if cfg.lexical:
            match = fts_match(query)
            lex = self.store.fulltext(match, flt, pool) if match else []
            for rank, (seq, s) in enumerate(lex, 1):
                per.setdefault(seq, {})["bm25"] = s
                per[seq]["bm25_rank"] = rank
            if tr is not None:
                tr["stages"]["bm25"] = {
                    "match": match,
                    "hits": [[s, round(v, 4)] for s, v in lex[: limit * 2]],
                }
        t1 = time.perf_counter()

        if cfg.dense:
            self._sync()
            qv = query_vector if query_vector is not None else self.embedder.embed_query(query)
            t_embed = time.perf_counter()
            vq = VectorQuery(
                flt.user_id, flt.agent_id, flt.session_id, flt.occurred_after, flt.occurred_before
            )
            dense = self.index.search(qv, vq, pool * (4 if needs_post else 1))
            for rank, (seq, s) in enumerate(dense, 1):
                per.setdefault(seq, {})["dense"] = s
                per[seq]["dense_rank"] = rank
            if tr is not None:
                tr["stages"]["dense"] = {
                    "embed_ms": round((t_embed - t1) * 1000, 3),
                    "hits": [[s, round(v, 4)] for s, v in dense[: limit * 2]],
                }
        t2 = time.perf_counter()

        for scores in per.values():
            fused = 0.0
            if "bm25_rank" in scores:
                fused += cfg.w_lexical / (cfg.rrf_k + scores["bm25_rank"])
            if "dense_rank" in scores:
                fused += cfg.w_dense / (cfg.rrf_k + scores["dense_rank"])
            scores["fused"] = fused
        ranked = sorted(per.items(), key=lambda kv: (-kv[1]["fused"], kv[0]))
        via: dict[int, str] = {seq: "search" for seq, _ in ranked}

        if cfg.neighbours > 0 and ranked:
            extra: dict[int, dict[str, float]] = {}
            for seq, scores in ranked[:limit]:
                for nb in self.store.neighbours(seq, cfg.neighbours):
                    bonus = cfg.neighbour_weight * scores["fused"]
                    target = per.get(nb) or extra.setdefault(nb, {"fused": 0.0})
                    if bonus > target.get("neighbour", 0.0):
                        target["fused"] += bonus - target.get("neighbour", 0.0)
                        target["neighbour"] = bonus
                        via.setdefault(nb, "neighbour")
            per.update(extra)
            ranked = sorted(per.items(), key=lambda kv: (-kv[1]["fused"], kv[0]))

        take = ranked[: limit * 4 if needs_post else limit]
        rows = self.store.by_seq([s for s, _ in take])
        hits: list[SearchHit] = []
        for seq, scores in take:
            ep = rows.get(seq)
            if ep is None or (needs_post and not _matches(ep, flt)):
                continue
            hits.append(SearchHit(ep, scores["fused"], scores, via.get(seq, "search")))
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


def _matches(ep: Any, flt: EpisodeFilter) -> bool:
    for col in ("role", "speaker", "source"):
        want = getattr(flt, col)
        if want is not None and getattr(ep, col) != want:
            return False
    return all(ep.metadata.get(k) == v for k, v in flt.metadata.items())
