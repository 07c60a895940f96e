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

    def __post_init__(self) -> None:
        if self.fusion not in ("sum", "rrf"):
            raise InvalidInputError(
                f"fusion must be 'sum' or 'rrf', got {self.fusion!r}", field="fusion"
            )
        if not (self.lexical or self.dense):
            raise InvalidInputError("at least one of lexical and dense must be on", field="config")
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
        fusion="rrf", w_dense=1.0, speaker_boost=0.0, time_boost=0.0, neighbours=0
    ),
}


def preset(name: str) -> RetrievalConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown preset {name!r}; one of {sorted(PRESETS)}", preset=name
        ) from None
