"""Retrieval settings as one object, with named presets.

The defaults are the ``balanced`` preset, tuned on the LoCoMo dev file only
(see docs/benchmarks.md for the sweep and the command that reruns it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from phasemem.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    lexical: bool = True
    dense: bool = True
    candidates: int = 100  # per stage
    lexical_budget: int = 2000  # rows BM25 may score; rarest terms kept first (0: no limit)
    fusion: str = "sum"  # "sum": min-max normalised weighted sum; "rrf": reciprocal rank
    rrf_k: float = 60.0
    w_lexical: float = 1.0
    w_dense: float = 0.8
    speaker_boost: float = 0.2  # x(1+b) for turns by a speaker the query names
    time_boost: float = 2.0  # x(1+b) for turns that mention a time, on "when" questions
    neighbours: int = 1  # turns each side of a strong hit that share its score
    neighbour_weight: float = 0.3  # share of the hit's score each neighbour gets
    neighbour_sources: int = 20  # how many top hits pass score to neighbours
    # which chat turn is the evidence (phasemem.retrieval.evidence; temporal_chat issue)
    fusion_norm: str = "share"  # "share": scores over the best, no-match BM25 at 0; "minmax"
    dense_debias: bool = True  # compare what is said: speaker names out of turn and query vectors
    answer_share: float = (
        0.8  # share a question turn lends the reply after it (else neighbour_weight)
    )
    specific_boost: float = 0.5  # x(1+b) for turns that name something specific (a number, a name)
    specific_typed: bool = True  # only specifics of the kind asked for (number, date, name)
    specific_top: int = 40  # how many of the best candidates the specific boost looks at
    # time on episodes (docs/temporal.md, "Episodes"): the query's intent and the
    # topic's volatility (Speed Gate); newer topical evidence shadows older
    episode_time: bool = True
    shadow_beta: float = 8.0  # how far time can push an episode down: 1 / (1 + beta * alpha)
    shadow_tau: float = 0.3  # topical from this share of the best relevance ...
    shadow_width: float = 0.3  # ... fully topical from tau + width
    shadow_quiet: float = (
        0.3  # how far a newer topical turn that announces no change closes older ones
    )
    change_boost: float = 0.3  # x(1+b) for turns that announce a change, when time matters
    implicit_current: float = 0.0  # alpha scale when only the tense says "now" (no cue word)
    shadow_placement: str = (
        "after"  # "after": a shadowed turn goes just after its shadower; "scale"
    )
    match_without_time: bool = True  # match the query without its time phrase and cue words
    # facts and episodes agree (retrieval/agree.py): a fact gains weight / (1 + rank) of its
    # score from where its evidence episode ranks (0: off) ...
    fact_evidence_weight: float = 0.5
    # ... and episodes of a version the top fact's slot no longer holds go below its evidence
    demote_stale: bool = True
    stale_placement: str = "lift"  # "lift": the evidence goes above them (dev current@1 +1); "sink"
    # ... and when the top fact is trusted over the episode ranker (agree.trust_fact), the
    # turn that states it goes first
    evidence_lift: bool = True

    def __post_init__(self) -> None:
        if self.fusion_norm not in ("share", "minmax"):
            raise InvalidInputError(
                f"fusion_norm must be 'share' or 'minmax', got {self.fusion_norm!r}",
                field="fusion_norm",
            )
        if self.fusion not in ("sum", "rrf"):
            raise InvalidInputError(
                f"fusion must be 'sum' or 'rrf', got {self.fusion!r}", field="fusion"
            )
        if not (self.lexical or self.dense):
            raise InvalidInputError("at least one of lexical and dense must be on", field="config")
        if self.shadow_beta < 0 or not 0 <= self.shadow_tau <= 1 or self.shadow_width < 0:
            raise InvalidInputError("shadow_beta, shadow_tau, shadow_width out of range",
                                    field="config")  # fmt: skip
        if self.candidates < 1 or self.neighbours < 0:
            raise InvalidInputError("candidates must be >= 1 and neighbours >= 0", field="config")

    def with_(self, **changes: Any) -> RetrievalConfig:
        try:
            return replace(self, **changes)
        except TypeError as exc:
            raise InvalidInputError(f"bad retrieval setting: {exc}") from exc


PRESETS: dict[str, RetrievalConfig] = {
    "balanced": RetrievalConfig(),
    "lexical": RetrievalConfig(dense=False),
    "dense": RetrievalConfig(lexical=False),
    "rrf": RetrievalConfig(
        fact_evidence_weight=0.0,
        demote_stale=False,
        evidence_lift=False,
        fusion="rrf",
        w_dense=1.0,
        speaker_boost=0.0,
        time_boost=0.0,
        neighbours=0,
        episode_time=False,
        match_without_time=False,
        dense_debias=False,
        answer_share=0.0,
        specific_boost=0.0,
    ),
    # the engine before the temporal_chat work, for before/after runs in one process
    "legacy": RetrievalConfig(
        fact_evidence_weight=0.0,
        demote_stale=False,
        evidence_lift=False,
        episode_time=False,
        match_without_time=False,
        fusion_norm="minmax",
        dense_debias=False,
        answer_share=0.0,
        specific_boost=0.0,
    ),
}


def preset(name: str) -> RetrievalConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown preset {name!r}; one of {sorted(PRESETS)}", preset=name
        ) from None
