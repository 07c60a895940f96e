"""Time geometry for episodes: newer evidence on a topic shadows older evidence.

Facts carry validity intervals; episodes do not, but a retrieved set of
episodes about one question implies them. Among the candidates that are
*topically relevant* to the query, each episode held from the moment it was
said until a newer relevant episode said something on the same topic; that
interval is scored against the query's moment with the phase model of
:mod:`phasemem.temporal.phase` (DESIGN.md section 4), exactly as a fact's:

    S_time(i) = min( A(alpha, t_i - t_q)              if said after the moment,
                     1 - max_j  w_j * (1 - A(alpha, gap(t_q, [t_i, t_j]))) )
    score(i)  = r_i * (1 + beta * alpha * S_time(i)) / (1 + beta * alpha)

* ``A(alpha, g)`` is :func:`phasemem.temporal.phase.phase_agreement`: 1 at a
  gap of 0, falling with ``alpha * s * g`` over the log-spaced spectrum.
* ``r_i`` is the candidate's fused relevance over the best one's; ``w_j`` how
  topical candidate ``j`` is: 0 below ``tau`` of the best relevance, 1 from
  ``tau + width`` (a newer episode that merely mentions the person must not
  close an older statement's interval).
* ``j`` closes ``i``'s interval only when it was said at least
  ``min_gap_days`` later: turns of one conversation (minutes apart) continue a
  topic rather than update it.
* ``alpha`` is the topic's volatility from the Speed Gate; ``alpha = 0``
  (timeless) leaves the order to relevance. With the divisor (the "relative"
  fusion of :func:`~phasemem.temporal.phase.fuse`) an in-phase episode keeps
  its relevance and time can only push episodes down, by at most
  ``1 / (1 + beta * alpha)``.

For a *current* question ``t_q`` is now: an episode with no newer topical
evidence is in phase, an older one is out of phase by the time since it was
superseded. For a *past* moment, an episode whose interval contains ``t_q`` is
in phase, episodes said after it fall out by how much later they were said,
and earlier ones superseded before it fall out too: the latest evidence before
the moment wins. Shadowing re-ranks; it never removes a candidate.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from phasemem.temporal.phase import DEFAULT_S, _normalise_sem, fuse, phase_agreement

SECONDS_PER_DAY = 86_400.0


#: what identifies a candidate to the caller (a store seq, an id), handed back
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class EpisodeCandidate(Generic[K]):
    """One retrieved episode as the time model sees it."""

    key: K
    relevance: float  # fused relevance (>= 0 in practice), before time
    occurred_at: float  # epoch seconds
    #: says that something changed (evidence.announces_change): such an episode
    #: closes older ones fully, others only by ``ShadowParams.quiet_close``
    announces: bool = True


@dataclass(frozen=True, slots=True)
class ShadowParams:
    """Constants, chosen on the temporal_chat dev split only (docs/temporal.md)."""

    beta: float = 8.0
    tau: float = 0.3
    width: float = 0.3
    s: float = DEFAULT_S
    min_gap_days: float = 1.0
    #: closing strength of a topical episode that announces no change
    quiet_close: float = 0.3
    #: x(1 + b) relevance for episodes announcing a change, when time matters
    change_boost: float = 0.3
    #: "after": a shadowed episode moves to just after the episode that shadows
    #: it (or keeps its place if time does not put it behind); "scale": its
    #: score is the fused one, which can drop it below unrelated episodes
    placement: str = "after"


@dataclass(frozen=True, slots=True)
class Shadowed(Generic[K]):
    key: K
    score: float
    parts: dict[str, float]
    shadowed_by: K | None = None


def _place_after(
    r: np.ndarray, fused: np.ndarray, own: np.ndarray, culprit: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """The smallest change that honours every shadow: an episode put behind the
    one that shadows it goes just after it, not below unrelated episodes (a
    question about a topic still wants the older evidence near the top: LoCoMo
    evidence recall@10 fell 0.76 -> 0.70 when shadowed turns sank by their
    fused score). Episodes said after the moment asked about keep the fused
    score (they drop out). Newest first, so a shadower's place is known."""
    out = np.where(own < 1.0, fused, r)
    for i in sorted(range(len(r)), key=lambda k: -t[k]):
        j = int(culprit[i])
        if j < 0 or own[i] < 1.0:
            continue
        if fused[i] < r[j]:  # time puts i behind j (wherever j itself ends up)
            out[i] = min(out[i], out[j] * (1.0 - 1e-9))
    return out


def topical(relevance: np.ndarray, tau: float, width: float) -> np.ndarray:
    """How topical each candidate is, from its relevance over the best: a ramp
    from 0 at ``tau`` to 1 at ``tau + width``."""
    r = _normalise_sem(np.asarray(relevance, dtype=np.float64))
    if width <= 0:
        return (r >= tau).astype(np.float64)
    return np.clip((r - tau) / width, 0.0, 1.0)


def shadow_rank(
    candidates: Sequence[EpisodeCandidate[K]],
    mode: str,
    t_query: float | tuple[float, float],
    alpha: float,
    params: ShadowParams = ShadowParams(),  # noqa: B008 - frozen
) -> list[Shadowed[K]]:
    """Candidates re-ranked by relevance and time, best first (ties keep the
    input order), each with its parts and the candidate that shadowed it most.

    ``t_query``: a moment, or a period ``(start, end)`` ("in 2023"): an
    interval that overlaps the period is in phase, so every episode said in
    it stays, not only the latest."""
    n = len(candidates)
    if n == 0:
        return []
    rel = np.array([float(c.relevance) for c in candidates], dtype=np.float64)
    rel = np.where(np.isfinite(rel), rel, 0.0)
    t = np.array([float(c.occurred_at) for c in candidates], dtype=np.float64)
    a = float(np.clip(alpha, 0.0, 1.0)) if mode != "timeless" else 0.0
    change = np.array([bool(c.announces) for c in candidates], dtype=np.float64)
    if a > 0.0 and params.change_boost:
        # when time matters, a statement of change is likelier the evidence
        rel = rel * (1.0 + params.change_boost * change)
    w = topical(rel, params.tau, params.width)
    w = w * (params.quiet_close + (1.0 - params.quiet_close) * change)
    s_time = np.ones(n)
    own = np.ones(n)
    culprit = np.full(n, -1)
    if a > 0.0:
        q0, q1 = (float(t_query[0]), float(t_query[1])) if isinstance(t_query, tuple) else (
            float(t_query), float(t_query))  # fmt: skip
        # own term: said after the moment asked about
        after = np.maximum(t - q1, 0.0) / SECONDS_PER_DAY
        own = np.where(after > 0, phase_agreement(a, after, s=params.s), 1.0)
        s_time = own.copy()
        js = np.flatnonzero(w > 0)
        if js.size:
            # j closes i's interval [t_i, t_j]; its gap to the asked-about time
            # depends on j alone, except for an i said after that time, whose
            # own term is already the smaller (the same gap, at full weight)
            tj = t[js]
            gap_j = np.maximum(q0 - tj, 0.0) / SECONDS_PER_DAY
            fade = w[js] * (1.0 - phase_agreement(a, gap_j, s=params.s))
            closes = tj[None, :] - t[:, None] >= params.min_gap_days * SECONDS_PER_DAY
            shade = np.where(closes, fade[None, :], 0.0)
            best = shade.argmax(axis=1)
            worst = shade[np.arange(n), best]
            by_pair = 1.0 - worst
            use = by_pair < s_time
            s_time = np.where(use, by_pair, s_time)
            culprit = np.where(use & (worst > 1e-3), js[best], -1)
    score = fuse(rel, np.full(n, a), np.clip(s_time, 0.0, 1.0), params.beta, relative=True)
    r = _normalise_sem(rel)
    if params.placement == "after" and a > 0.0:
        score = _place_after(r, score, own, culprit, t)
    order = sorted(range(n), key=lambda i: -score[i])
    out: list[Shadowed[K]] = []
    for i in order:
        parts = {"relevance": float(r[i]), "topical": float(w[i]), "s_time": float(s_time[i]),
                 "score": float(score[i])}  # fmt: skip
        by = candidates[int(culprit[i])].key if culprit[i] >= 0 else None
        out.append(Shadowed(candidates[i].key, float(score[i]), parts, by))
    return out


def trace_of(ranked: Sequence[Shadowed[Any]], names: dict[Any, str] | None = None,
             limit: int = 20) -> list[dict[str, Any]]:  # fmt: skip
    """The shadowed candidates among the first ``limit``, for a search trace."""
    label = (lambda k: names.get(k, str(k))) if names else str
    return [
        {"episode": label(s.key), "shadowed_by": label(s.shadowed_by),
         "s_time": round(s.parts["s_time"], 4), "relevance": round(s.parts["relevance"], 4)}
        for s in ranked[:limit]
        if s.shadowed_by is not None
    ]  # fmt: skip


__all__ = ["EpisodeCandidate", "ShadowParams", "Shadowed", "shadow_rank", "topical", "trace_of"]
