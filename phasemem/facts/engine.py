"""From episodes to facts, and from a query to ranked facts.

Ingest: the extractor reads each new episode (batched, before the write
transaction); each fact gets its relation's volatility prior ``alpha_r`` from
the Semantic Speed Gate and a vector for its text; the store then decides
ADD/UPDATE/DELETE/NOOP inside the same transaction as the episode.

Query: every fact version of the user is a candidate; its semantic score is
the cosine of the query with the fact text, and its temporal score comes from
the phase rotation at the query time (``phasemem.temporal.phase``), fused as
``S_sem * (1 + beta * alpha_r * S_time)``. Nothing is filtered out by time:
an obsolete fact just falls out of phase.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from phasemem.embed.base import Embedder
from phasemem.facts.model import Fact, FactHit, NewFact
from phasemem.facts.resolve import is_single_valued, norm_relation
from phasemem.timeutil import from_ts

AlphaFn = Callable[[Sequence[str]], np.ndarray]


def _gate_alpha(relations: Sequence[str]) -> np.ndarray:
    from phasemem.temporal.gate import load_gate

    return load_gate().alpha(list(relations))


class FactEngine:
    def __init__(self, embedder: Embedder, extractor: Any, *, alpha_fn: AlphaFn | None = None,
                 beta: float | None = None) -> None:  # fmt: skip
        self.embedder = embedder
        self.extractor = extractor
        self.alpha_fn = alpha_fn or _gate_alpha
        self.beta = beta
        self.lexical_weight = 0.5
        self._cache: dict[str, tuple[int, list[Any], np.ndarray, list[set[str]]]] = {}

    # -- ingest -------------------------------------------------------------------
    def prepare(
        self,
        texts: Sequence[str],
        speakers: Sequence[str | None],
        occurred: Sequence[float],
        listeners: Sequence[str | None],
        previous: Sequence[str | None] | None = None,
    ) -> tuple[list[list[NewFact]], list[int]]:
        """Extract facts for a batch of episodes (no storage touched); also
        returns how many time expressions each episode contains. ``previous``:
        the turn before each episode by another speaker (a short answer needs
        the question it answers)."""
        from phasemem.extract import ExtractionInput

        prev = previous if previous is not None else [None] * len(texts)
        items = [
            ExtractionInput(text=t, speaker=s, occurred_at=_dt(o), listener=lis, previous=p)
            for t, s, o, lis, p in zip(texts, speakers, occurred, listeners, prev, strict=True)
        ]
        extractions = self.extractor.extract_batch(items)
        times = [len(ex.temporals) for ex in extractions]
        raw: list[list[tuple[Any, dict[str, str]]]] = []
        relations: list[str] = []
        for ex in extractions:
            types = {e.name.casefold(): e.type for e in ex.entities}
            raw.append([(f, types) for f in ex.facts])
            relations.extend(norm_relation(f.relation) for f in ex.facts)
        if not relations:
            return [[] for _ in texts], times
        uniq = sorted(set(relations))
        alpha = dict(zip(uniq, (float(a) for a in self.alpha_fn(uniq)), strict=True))
        fact_texts = [
            f"{f.subject} {norm_relation(f.relation)} {f.object}" for row in raw for f, _ in row
        ]
        vecs = self.embedder.embed(fact_texts)
        out: list[list[NewFact]] = []
        k = 0
        for i, row in enumerate(raw):
            facts: list[NewFact] = []
            for f, types in row:
                rel = norm_relation(f.relation)
                facts.append(
                    NewFact(
                        subject=f.subject,
                        subject_type=types.get(
                            f.subject.casefold(), "PERSON" if f.subject == speakers[i] else "THING"
                        ),
                        relation=rel,
                        object=f.object,
                        object_type=types.get(f.object.casefold(), "THING"),
                        valid_at=f.valid_at.timestamp() if f.valid_at else occurred[i],
                        invalid_at=f.invalid_at.timestamp() if f.invalid_at else None,
                        negated=f.negated,
                        confidence=float(f.confidence),
                        alpha_prior=alpha[rel],
                        single_valued=is_single_valued(rel),
                        vector=vecs[k],
                    )
                )
                k += 1
            out.append(facts)
        return out, times

    # -- query ----------------------------------------------------------------------
    def _index(
        self, store: Any, user_id: str, version: int | None
    ) -> tuple[list[Any], np.ndarray, list[set[str]]]:
        """A user's facts, their float vectors and word stems, cached per
        store version (any write anywhere bumps it), so a search does not
        reload and dequantise the whole fact graph."""
        hit = self._cache.get(user_id) if version is not None else None
        if hit is not None and hit[0] == version:
            return hit[1], hit[2], hit[3]
        facts, codes, scales = store.fact_vectors(user_id)
        matrix = (
            codes.astype(np.float32) * scales[:, None]
            if len(facts)
            else np.zeros((0, 0), np.float32)
        )
        stems = [_stems(f.text) for f in facts]
        if version is not None:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[user_id] = (version, facts, matrix, stems)
        return facts, matrix, stems

    def rank(self, store: Any, user_id: str, query_vec: np.ndarray, t_query: float, limit: int,
             *, use_time: bool = True, query_text: str | None = None,
             version: int | None = None,
             keep: Callable[[Fact], bool] | None = None) -> list[FactHit]:  # fmt: skip
        """Rank every fact version of a user for a query at time ``t_query``.
        ``version``: the store's change counter, enabling the per-user cache.
        ``keep``: which facts the read may see at all (its filter); the others
        are not candidates."""
        from phasemem.temporal.phase import FactCandidate, rank_facts

        facts, matrix, stems = self._index(store, user_id, version)
        if not facts:
            return []
        cosine = matrix @ query_vec
        if keep is not None:
            hidden = np.array([not keep(f) for f in facts], dtype=bool)
            if hidden.all():
                return []
            cosine = np.where(hidden, -np.inf, cosine)
        # The time model sees a shortlist: the most similar facts by cosine,
        # re-scored with word overlap (which sharpens what a 384-d cosine
        # blurs: "where did she WORK" vs a "live in" fact about a place).
        pool = np.argsort(-cosine)[: max(200, 8 * limit)]
        pool = pool[np.isfinite(cosine[pool])]
        sem = cosine[pool]
        if query_text and self.lexical_weight:
            q = _stems(query_text)
            if q:
                sem = sem + self.lexical_weight * np.array(
                    [len(q & stems[i]) / len(q) for i in pool]
                )
        order = np.argsort(-sem)[: max(50, 4 * limit)]
        cands = [
            FactCandidate(
                key=int(pool[j]),
                s_sem=float(sem[j]),
                alpha=facts[pool[j]].alpha if use_time else 0.0,
                valid_at=facts[pool[j]].valid_at,
                invalid_at=facts[pool[j]].invalid_at,
                expired_at=facts[pool[j]].expired_at,
                recorded_at=facts[pool[j]].recorded_at,
            )  # fmt: skip
            for j in order
        ]
        kwargs = {"beta": self.beta} if self.beta is not None else {}
        ranked = rank_facts(cands, t_query, **kwargs)
        return [
            FactHit(facts[c.key], float(score), {"sem": c.s_sem, **parts})
            for c, score, parts in ranked[:limit]
        ]


def _stems(text: str) -> set[str]:
    """Content words, crudely stemmed so "works"/"worked"/"work" meet."""
    from phasemem.retrieval.query import terms

    out = set()
    for w in terms(text):
        for suffix in ("ing", "ied", "ies", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) > len(suffix) + 2:
                w = w[: -len(suffix)]
                break
        out.add(w)
    return out


def _dt(ts: float) -> datetime:
    dt = from_ts(ts)
    assert dt is not None
    return dt
