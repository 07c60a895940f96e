"""Phase rotation, the temporal score ``S_time`` and temporal ranking of facts.

Rotation (DESIGN.md §4): a real vector of even length ``dim`` is ``D = dim/2``
complex numbers (``[re | im]`` halves, as in ``phasemem.research.tkg``), turned by

    theta_j = alpha_r * s * omega_j * tau,    omega_j = base ** (-j / D).

``S_time`` follows from that rotation (docs/temporal.md has the derivation):

* while a fact is valid it turns with the world, so at a query time inside its
  validity interval it is exactly in phase: ``S_time = 1``;
* outside, it stays at the phase of the nearest end of its interval; at a
  distance of ``g`` days, frequency ``j`` is off by ``alpha s omega_j g``;
* recorded times are approximate, so ``g`` is known only in size: with the
  maximum-entropy law for a positive gap of mean ``g`` (exponential), the
  expected agreement ``E[cos(x T)]`` of one frequency is ``1 / (1 + x^2)``.

    S_time = mean_j 1 / (1 + (alpha * s * omega_j * g)^2)

It is 1 inside the interval, falls monotonically with the gap and with alpha,
never goes negative, and is 1 everywhere when ``alpha = 0``. Over the log-spaced
spectrum it drops by about ``1 / log10(base)`` per decade of ``alpha s g``
between 1 and ``base`` radians, so one score spans hours to decades.

Fusion: ``score = S_sem' * (1 + beta * alpha_r * S_time) / (1 + beta * alpha_r)``
with ``S_sem'`` the candidate-set min-max of ``S_sem`` whose lower end is
pinned at zero for non-negative scores. The divisor is the time factor's
in-phase value; see :func:`fuse` for why, and ``relative=False`` for the raw
DESIGN.md formula.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from phasemem.errors import InvalidInputError, InvalidTimeError

__all__ = [
    "DEFAULT_BETA",
    "DEFAULT_S",
    "FactCandidate",
    "fuse",
    "omega",
    "phase_agreement",
    "phase_score",
    "rank_facts",
    "rotate",
]

SECONDS_PER_DAY = 86_400.0
#: Chosen on the synthetic dev set of ``benchmarks/train_gate.py --tune-phase``
#: (docs/benchmarks.md, "Semantic Speed Gate"); never on a test split.
DEFAULT_BETA = 8.0
DEFAULT_S = 30.0


def omega(dim: int, base: float = 1e4) -> np.ndarray:
    """The spectrum ``omega_j = base^(-j/D)``, ``j = 0..D-1``, ``D = dim // 2`` (from 1 down)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim < 2 or dim % 2:
        raise InvalidInputError(f"dim must be an even integer >= 2, got {dim!r}", field="dim")
    if not (base > 1 and math.isfinite(base)):
        raise InvalidInputError(f"base must be a finite number > 1, got {base!r}", field="base")
    d = dim // 2
    return base ** (-np.arange(d, dtype=np.float64) / d)


def rotate(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``x * exp(i theta)`` for real ``x[..., dim]`` seen as ``[re | im]`` halves.

    ``theta`` has ``dim / 2`` angles in its last axis and broadcasts against
    ``x``'s leading axes. Returns a real array in the same layout. Rotation keeps
    norms, and inner products depend only on the *difference* of two angles,
    which is why absolute times never need to be large floats here.
    """
    x = np.asarray(x, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    if x.shape[-1] % 2:
        raise InvalidInputError("rotate needs an even last dimension", field="x")
    d = x.shape[-1] // 2
    if theta.shape[-1] != d:
        raise InvalidInputError(f"theta needs {d} angles in its last axis, got {theta.shape[-1]}")
    re, im = x[..., :d], x[..., d:]
    c, s = np.cos(theta), np.sin(theta)
    return np.concatenate([re * c - im * s, re * s + im * c], axis=-1)


def phase_agreement(
    alpha: float | np.ndarray,
    gap_days: float | np.ndarray,
    *,
    s: float = 1.0,
    dim: int = 32,
    base: float = 1e4,
) -> np.ndarray:
    """``mean_j 1 / (1 + (alpha s omega_j gap)^2)``: expected phase agreement at a gap.

    Broadcasts over ``alpha`` and ``gap_days``; a gap of 0 gives 1.
    """
    w = omega(dim, base)
    x = np.multiply.outer(
        np.asarray(alpha, dtype=np.float64) * s * np.asarray(gap_days, dtype=np.float64), w
    )
    return np.mean(1.0 / (1.0 + x * x), axis=-1)


def _check_alpha(alpha: float) -> float:
    a = float(alpha)
    if not (0.0 <= a <= 1.0):
        raise InvalidInputError(f"alpha must lie in [0, 1], got {alpha!r}", field="alpha")
    return a


def _check_time(value: float, field: str) -> float:
    if isinstance(value, bool):
        raise InvalidTimeError(f"{field}: expected seconds, got a boolean", field=field)
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise InvalidTimeError(f"{field}: expected seconds, got {value!r}", field=field) from None
    if not math.isfinite(t):
        raise InvalidTimeError(f"{field}: time is not finite: {value!r}", field=field)
    return t


def _gap_days(start: float, end: float | None, t_query: float) -> float:
    """Distance in days from ``t_query`` to the interval ``[start, end]`` (0 inside)."""
    if t_query < start:
        return (start - t_query) / SECONDS_PER_DAY
    if end is not None and t_query > end:
        return (t_query - end) / SECONDS_PER_DAY
    return 0.0


def phase_score(
    alpha: float,
    t_fact_start: float,
    t_fact_end: float | None,
    t_query: float,
    *,
    s: float = 1.0,
    dim: int = 32,
    base: float = 1e4,
) -> float:
    """``S_time`` in [0, 1] of a fact valid over ``[t_fact_start, t_fact_end]`` at ``t_query``.

    Times are seconds (UTC epoch); ``t_fact_end = None`` means still valid. ``s``
    is in radians per day (DESIGN.md's starting value 1 here; :func:`rank_facts`
    uses the tuned :data:`DEFAULT_S`). 1 inside the interval; outside it decays
    with the gap as the rotation implies (module docstring); ``alpha = 0`` gives 1.
    """
    a = _check_alpha(alpha)
    start = _check_time(t_fact_start, "t_fact_start")
    end = None if t_fact_end is None else _check_time(t_fact_end, "t_fact_end")
    tq = _check_time(t_query, "t_query")
    if end is not None and end < start:
        raise InvalidTimeError("the fact's validity ends before it starts", field="t_fact_end")
    if not (s >= 0 and math.isfinite(s)):
        raise InvalidInputError(f"s must be a finite number >= 0, got {s!r}", field="s")
    return float(phase_agreement(a, _gap_days(start, end, tq), s=s, dim=dim, base=base))


def _normalise_sem(x: np.ndarray) -> np.ndarray:
    """Min-max over the candidates, lower end at ``min(0, min x)``.

    For non-negative relevance this is ``x / max(x)``: it keeps the *ratios* the
    multiplicative boost acts on. A plain min-max would send the weakest
    candidate to 0, where no boost can lift it, so with two versions of one
    fact the less relevant could never win on time.
    """
    lo = min(0.0, float(x.min()))
    hi = float(x.max())
    if hi - lo <= 0.0:
        return np.ones_like(x)
    return (x - lo) / (hi - lo)


def fuse(
    s_sem: np.ndarray,
    alpha: np.ndarray,
    s_time: np.ndarray,
    beta: float,
    *,
    relative: bool = True,
) -> np.ndarray:
    """``S_sem' * (1 + beta * alpha * S_time)``, over one candidate set.

    ``S_sem'`` is :func:`_normalise_sem` of ``s_sem``. ``S_time`` is already an
    absolute agreement in [0, 1] and is *not* re-normalised: a min-max would turn
    0.999 vs 1.0 into 0 vs 1 and make a fact's time score depend on which other
    facts happened to be retrieved.

    ``relative=True`` (the default) divides the time factor by its in-phase
    value ``1 + beta * alpha``, so a fact that is in phase keeps exactly its
    semantic score whatever its relation, and time can only push *out-of-phase*
    facts down (by at most ``1 / (1 + beta * alpha)``). For facts of one
    relation the order is the same as without the divisor; across relations the
    raw formula (``relative=False``) gives every in-phase volatile fact a bonus
    of ``1 + beta * alpha`` over stable facts, which pushes stable facts down
    by time alone (measured in docs/benchmarks.md). With ``alpha = 0`` both
    give exactly ``S_sem'``.
    """
    sem = np.asarray(s_sem, dtype=np.float64).reshape(-1)
    a = np.asarray(alpha, dtype=np.float64).reshape(-1)
    st = np.asarray(s_time, dtype=np.float64).reshape(-1)
    if not (sem.shape == a.shape == st.shape):
        raise InvalidInputError("s_sem, alpha and s_time must have the same length", field="s_sem")
    if sem.size == 0:
        return sem
    for name, v in (("s_sem", sem), ("alpha", a), ("s_time", st)):
        if not np.all(np.isfinite(v)):
            raise InvalidInputError(f"{name} has a non-finite value", field=name)
    if np.any((a < 0) | (a > 1)) or np.any((st < 0) | (st > 1)):
        raise InvalidInputError("alpha and s_time must lie in [0, 1]", field="alpha")
    if not (beta >= 0 and math.isfinite(beta)):
        raise InvalidInputError(f"beta must be a finite number >= 0, got {beta!r}", field="beta")
    factor = 1.0 + beta * a * st
    if relative:
        factor = factor / (1.0 + beta * a)
    return _normalise_sem(sem) * factor


@dataclass(frozen=True, slots=True)
class FactCandidate:
    """A retrieved fact as the ranker sees it. Times are seconds (UTC epoch).

    ``invalid_at``: when it stopped being true (valid time), if known.
    ``expired_at``: when the store superseded it (transaction time); used as the
    end of validity when ``invalid_at`` is missing. ``recorded_at`` is carried
    for the caller's trace and not scored.
    """

    key: Hashable
    s_sem: float
    alpha: float
    valid_at: float
    invalid_at: float | None = None
    expired_at: float | None = None
    recorded_at: float | None = None

    def validity(self) -> tuple[float, float | None]:
        """``(start, end)`` of the interval the ranker scores against."""
        start = _check_time(self.valid_at, "valid_at")
        if self.invalid_at is not None:
            end = _check_time(self.invalid_at, "invalid_at")
            if end < start:
                raise InvalidTimeError(
                    "invalid_at is before valid_at", field="invalid_at", key=str(self.key)
                )
            return start, end
        if self.expired_at is not None:
            # superseded before it began (a cancelled plan): a zero-length interval
            return start, max(start, _check_time(self.expired_at, "expired_at"))
        return start, None


def rank_facts(
    candidates: Sequence[FactCandidate],
    t_query: float,
    beta: float = DEFAULT_BETA,
    *,
    s: float = DEFAULT_S,
    dim: int = 32,
    base: float = 1e4,
    relative: bool = True,
) -> list[tuple[FactCandidate, float, dict[str, float]]]:
    """Candidates sorted by fused score (ties keep input order), with each part.

    Nothing is dropped: obsolete facts stay in the list, shadowed (ranked lower)
    rather than deleted.
    """
    tq = _check_time(t_query, "t_query")
    if not candidates:
        return []
    if not (s >= 0 and math.isfinite(s)):
        raise InvalidInputError(f"s must be a finite number >= 0, got {s!r}", field="s")
    alpha = np.array([_check_alpha(c.alpha) for c in candidates])
    gaps = np.array([_gap_days(*c.validity(), tq) for c in candidates])
    sem = np.array([float(c.s_sem) for c in candidates])
    s_time = phase_agreement(alpha, gaps, s=s, dim=dim, base=base)
    score = fuse(sem, alpha, s_time, beta, relative=relative)
    sem_n = _normalise_sem(sem)
    order = sorted(range(len(candidates)), key=lambda i: -score[i])
    return [
        (
            candidates[i],
            float(score[i]),
            {
                "s_sem": float(sem[i]),
                "s_sem_norm": float(sem_n[i]),
                "alpha": float(alpha[i]),
                "gap_days": float(gaps[i]),
                "s_time": float(s_time[i]),
                "score": float(score[i]),
            },
        )
        for i in order
    ]
