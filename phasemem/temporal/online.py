"""Refine a relation's speed from the store's own transitions (online, per relation).

The shipped gate gives each relation a prior ``alpha``; the store then sees
how that relation's slots actually behave. For every slot of the relation,
consecutive facts (ordered by ``valid_at``) give ``(delta_days, changed)``
pairs - :func:`phasemem.temporal.transitions.mine_transitions` makes them from
``(subject, relation, object, t_days)`` rows, the same rule the gate was
trained with. :func:`refine_alpha` folds them into the prior:

* the rate ``lambda = alpha * kappa`` gets a Gamma prior whose mode is the
  gate's rate and whose weight is ``prior_strength`` pseudo-changes
  (equivalently ``prior_strength / lambda_0`` days of pseudo-exposure);
* an unchanged pair adds ``delta`` days of exposure (the conjugate part); a
  changed pair adds the interval-censored term ``log(1 - exp(-lambda delta))``;
* the posterior mode (MAP) is the new rate, ``alpha = lambda / kappa``, clipped
  to (0, 1): on the everyday clock anything faster than ``kappa`` is simply
  "fast".

Using the mode, not the mean, returns the prior unchanged when there is no
evidence, and keeps a stable relation (tiny prior rate, so a huge
pseudo-exposure) stable until many changes are seen. Store the refined value
with the relation (``Relation.alpha_r``) and recompute from all of its
transitions when new ones arrive; the update is cheap (one bisection).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from phasemem.errors import InvalidInputError
from phasemem.temporal.survival import rate_map

__all__ = ["refine_alpha"]

#: alpha stays strictly inside (0, 1).
ALPHA_EPS = 1e-6


def refine_alpha(
    prior_alpha: float,
    kappa: float,
    observations: Sequence[tuple[float, bool]],
    prior_strength: float = 2.0,
) -> float:
    """MAP volatility of one relation given ``(delta_days, changed)`` observations.

    ``prior_alpha`` and ``kappa`` come from the gate (``gate.alpha([r])[0]``,
    ``gate.kappa``). ``prior_strength`` is the prior's weight in pseudo-changes
    (default 2: a handful of real changes starts to move it, one does not).
    """
    a = float(prior_alpha)
    if not (0.0 < a < 1.0):
        raise InvalidInputError(
            f"prior_alpha must lie in (0, 1), got {prior_alpha!r}", field="prior_alpha"
        )
    k = float(kappa)
    if not (k > 0 and math.isfinite(k)):
        raise InvalidInputError(f"kappa must be a positive number, got {kappa!r}", field="kappa")
    if not (prior_strength > 0 and math.isfinite(prior_strength)):
        raise InvalidInputError("prior_strength must be a positive number", field="prior_strength")
    rate = rate_map(observations, prior_rate=a * k, prior_strength=prior_strength)
    return min(max(rate / k, ALPHA_EPS), 1.0 - ALPHA_EPS)
