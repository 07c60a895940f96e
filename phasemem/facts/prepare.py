"""From new episodes to facts ready for the store's decision (the write side).

The extractor reads each new episode (batched, before the write transaction);
each fact gets its relation's volatility prior ``alpha_r`` from the Semantic
Speed Gate and a vector for its text. The store then decides
ADD/UPDATE/DELETE/NOOP (:mod:`phasemem.facts.decide`) in the same transaction
as the episode. No storage is touched here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from phasemem.embed.base import Embedder
from phasemem.extract.types import BatchExtractor
from phasemem.facts.model import NewFact
from phasemem.facts.resolve import is_single_valued, norm_relation
from phasemem.timeutil import from_ts

AlphaFn = Callable[[Sequence[str]], np.ndarray]


def _gate_alpha(relations: Sequence[str]) -> np.ndarray:
    from phasemem.temporal.gate import load_gate

    return load_gate().alpha(list(relations))


class FactPreparer:
    """Extraction, speed priors and fact vectors for a batch of new episodes."""

    def __init__(self, embedder: Embedder, extractor: BatchExtractor, *,
                 alpha_fn: AlphaFn | None = None) -> None:  # fmt: skip
        self.embedder = embedder
        self.extractor = extractor
        self.alpha_fn = alpha_fn or _gate_alpha

    def prepare(
        self,
        texts: Sequence[str],
        speakers: Sequence[str | None],
        occurred: Sequence[float],
        listeners: Sequence[str | None],
        previous: Sequence[str | None] | None = None,
        thread: str | None = None,
    ) -> tuple[list[list[NewFact]], list[int]]:
        """Extract facts for a batch of episodes (no storage touched); also
        returns how many time expressions each episode contains. ``previous``:
        the turn before each episode by another speaker (a short answer needs
        the question it answers). ``thread``: the texts are the turns of one
        conversation, in order (a "he" may name a person of an earlier turn)."""
        from phasemem.extract.types import ExtractionInput

        prev = previous if previous is not None else [None] * len(texts)
        items = [
            ExtractionInput(
                text=t, speaker=s, occurred_at=_dt(o), listener=lis, previous=p, thread=thread
            )  # fmt: skip
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


def _dt(ts: float) -> datetime:
    dt = from_ts(ts)
    assert dt is not None
    return dt
