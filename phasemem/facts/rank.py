"""From a query to ranked facts (the read side).

Every fact version of the user is a candidate; its semantic score is the
cosine of the query with the fact text (plus word overlap), and its temporal
score comes from the phase rotation at the query time
(``phasemem.temporal.phase``), fused as ``S_sem * (1 + beta * alpha_r *
S_time)``. Nothing is filtered out by time: an obsolete fact just falls out of
phase (a read's own filter, ``keep``, is another matter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from phasemem.facts.focus import focus_weights, slot_shadow
from phasemem.facts.kin import kin_targets
from phasemem.facts.model import Fact, FactHit
from phasemem.store.base import FactStore
from phasemem.text import stems as _stems

if TYPE_CHECKING:
    from phasemem.temporal.phase import FactCandidate


class FactRanker:
    """Ranks a user's facts for a query at a time; caches each user's fact
    matrix per store head (any write anywhere moves it)."""

    def __init__(self, *, beta: float | None = None) -> None:
        self.beta = beta
        self.lexical_weight = 0.5
        #: the question's subject and what it already names (facts.focus)
        self.focus = True
        #: newer in-force versions of a slot shadow older ones (facts.focus)
        self.slot_shadow = True
        self._cache: dict[str, tuple[int, list[Fact], np.ndarray, list[set[str]]]] = {}

    def _index(
        self, store: FactStore, user_id: str, version: int | None
    ) -> tuple[list[Fact], np.ndarray, list[set[str]]]:
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

    def rank(self, store: FactStore, user_id: str, query_vec: np.ndarray, t_query: float, limit: int,
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
        if query_text and self.focus:
            seen = (
                facts if keep is None else [f for f, h in zip(facts, hidden, strict=True) if not h]
            )
            sem = sem * focus_weights(query_text, facts, [int(k) for k in pool], relation_family,
                                      kin=kin_targets(query_text, seen))  # fmt: skip
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
        ranked = rank_facts(cands, t_query) if self.beta is None else rank_facts(
            cands, t_query, beta=self.beta)  # fmt: skip
        if self.slot_shadow and use_time:
            ranked = _shadow_slots(ranked, facts, t_query)
        return [
            FactHit(facts[cast(int, c.key)], float(score), {"sem": c.s_sem, **parts})
            for c, score, parts in ranked[:limit]
        ]


def relation_family(fact: Fact) -> str:
    """ "have dog Mabli", "have ginger cat", "have tabby Mia" fill one slot: the pets."""
    from phasemem.extract.lexicon import PET_BREEDS, PETS

    words = fact.relation.split()
    if words[:1] == ["have"]:
        kind = (words[1:] or fact.object.split() or [""])[-1].casefold()
        if kind in PETS or kind in PET_BREEDS:
            return "have pet"
    return fact.relation


def _shadow_slots(
    ranked: list[tuple[FactCandidate, float, dict[str, float]]],
    facts: Sequence[Fact],
    t_query: float,
) -> list[tuple[FactCandidate, float, dict[str, float]]]:
    """Re-weight by :func:`~phasemem.facts.focus.slot_shadow` among the ranked
    candidates and re-sort (stable: ties keep the fused order)."""
    mine = [facts[cast(int, c.key)] for c, _, _ in ranked]
    weights = slot_shadow(mine, t_query, family=relation_family)
    out = [(c, s * float(w), {**p, "slot": float(w)})
           for (c, s, p), w in zip(ranked, weights, strict=True)]  # fmt: skip
    return sorted(out, key=lambda x: -x[1])
