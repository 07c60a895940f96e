"""The survival model behind the Speed Gate, in numpy.

A slot's object changes as a Poisson process with rate ``lambda`` per day, so
the chance it changed between two observations ``delta`` days apart is

    p_change = 1 - exp(-lambda * delta),      lambda = alpha_r * kappa.

Observations are *interval-censored*: we see "changed within delta" or "not
changed within delta", never the exact change time. :func:`rate_map` finds
the rate that best explains such observations (maximum likelihood, or MAP
under a Gamma prior); it is the per-relation baseline of the gate's benchmark
and the core of online refinement. :func:`auc` is the rank metric the
benchmark reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from phasemem.errors import InvalidInputError

__all__ = ["auc", "p_change", "rate_map"]

#: Bounds of the rate search, per day (1e-15 a day is "never" for any practical purpose).
RATE_MIN = 1e-15
RATE_MAX = 1e4


def p_change(rate: float | np.ndarray, delta_days: float | np.ndarray) -> np.ndarray:
    """``1 - exp(-rate * delta)``, computed without cancellation for small products."""
    return -np.expm1(-np.asarray(rate, dtype=np.float64) * np.asarray(delta_days, dtype=np.float64))


def _check_observations(
    observations: Sequence[tuple[float, bool]],
) -> tuple[np.ndarray, np.ndarray]:
    if len(observations) == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    try:
        arr = np.asarray([(float(d), bool(c)) for d, c in observations], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"observations must be (delta_days, changed) pairs: {exc}", field="observations"
        ) from None
    delta, changed = arr[:, 0], arr[:, 1].astype(bool)
    if not np.all(np.isfinite(delta)) or np.any(delta <= 0):
        raise InvalidInputError(
            "every observation needs a finite delta_days > 0", field="observations"
        )
    return delta, changed


def rate_map(
    observations: Sequence[tuple[float, bool]],
    prior_rate: float | None = None,
    prior_strength: float = 0.0,
) -> float:
    """Most probable change rate (per day) given ``(delta_days, changed)`` observations.

    Prior: Gamma with shape ``1 + prior_strength`` and rate
    ``prior_strength / prior_rate``, whose *mode* is ``prior_rate``; so with no
    observations the answer is the prior, and the prior weighs as much as
    ``prior_strength`` observed changes over ``prior_strength / prior_rate``
    days of exposure. ``prior_strength = 0`` gives the maximum-likelihood rate.

    An unchanged observation is conjugate (it adds ``delta`` days of exposure);
    a changed one is interval-censored (``log(1 - exp(-lambda delta))``) and is
    not, so the mode is found numerically. The log posterior is concave in
    ``lambda``, so its derivative falls monotonically and bisection (in log
    space, within [RATE_MIN, RATE_MAX]) finds the single maximum.
    """
    if prior_strength < 0 or not math.isfinite(prior_strength):
        raise InvalidInputError("prior_strength must be >= 0", field="prior_strength")
    if prior_strength > 0 and (
        prior_rate is None or not (prior_rate > 0) or not math.isfinite(prior_rate)
    ):
        raise InvalidInputError("prior_rate must be a positive number", field="prior_rate")
    delta, changed = _check_observations(observations)
    d_changed, exposure = delta[changed], float(delta[~changed].sum())
    prior_exposure = (
        prior_strength / prior_rate if prior_strength > 0 and prior_rate is not None else 0.0
    )

    def slope(rate: float) -> float:
        # d/d(rate) of the log posterior; exp(x) - 1 via expm1 for small x.
        with np.errstate(over="ignore"):  # expm1 -> inf gives the right limit, 0
            events = (
                float(np.sum(d_changed / np.expm1(rate * d_changed))) if d_changed.size else 0.0
            )
        return prior_strength / rate - prior_exposure + events - exposure

    lo, hi = math.log(RATE_MIN), math.log(RATE_MAX)
    if slope(RATE_MIN) <= 0:
        return RATE_MIN
    if slope(RATE_MAX) >= 0:
        return RATE_MAX
    for _ in range(80):  # 80 halvings of a ~30-wide log interval: far below float precision
        mid = 0.5 * (lo + hi)
        if slope(math.exp(mid)) > 0:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties).

    Ties count half, so a constant score gets exactly 0.5.
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(labels, dtype=bool).reshape(-1)
    if s.shape != y.shape:
        raise InvalidInputError("scores and labels differ in length", field="labels")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise InvalidInputError("AUC needs both positive and negative labels", field="labels")
    # mid-ranks: every run of equal scores gets the mean of its 1-based ranks
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    mid = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = mid[inverse]
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
