"""Retrieval settings as one object, with named presets.

The defaults are the ``balanced`` preset, tuned on the LoCoMo dev file only
(see docs/benchmarks.md for the sweep and the command that reruns it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from phasemem.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    lexical: bool = True
    dense: bool = True
    candidates: int = 100  # per stage
    rrf_k: float = 60.0
    w_lexical: float = 1.0
    w_dense: float = 1.0
    neighbours: int = 0  # turns each side of a hit to add
    neighbour_weight: float = 0.5  # share of the hit's fused score a neighbour gets

    def with_(self, **changes: object) -> RetrievalConfig:
        try:
            return replace(self, **changes)  # type: ignore[arg-type]
        except TypeError as exc:
            raise InvalidInputError(f"bad retrieval setting: {exc}") from exc


PRESETS: dict[str, RetrievalConfig] = {
    "balanced": RetrievalConfig(),
    "lexical": RetrievalConfig(dense=False),
    "dense": RetrievalConfig(lexical=False),
    "rrf": RetrievalConfig(),
}


def preset(name: str) -> RetrievalConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown preset {name!r}; one of {sorted(PRESETS)}", preset=name
        ) from None
