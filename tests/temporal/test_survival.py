"""The survival model: p_change, the MAP/MLE rate and the AUC metric."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem.errors import InvalidInputError
from phasemem.temporal.survival import auc, p_change, rate_map


def test_p_change_formula_and_small_products() -> None:
    assert p_change(0.5, 2.0) == pytest.approx(1 - math.exp(-1.0))
    assert p_change(0.0, 100.0) == 0.0
    assert p_change(1e-12, 1.0) == pytest.approx(1e-12, rel=1e-6)  # no cancellation


def test_mle_of_unchanged_only_is_zero_and_changed_only_is_max() -> None:
    assert rate_map([(10.0, False), (5.0, False)]) == pytest.approx(1e-15)
    assert rate_map([(10.0, True)]) == pytest.approx(1e4)


def test_mle_single_gap_has_closed_form() -> None:
    # k changed out of n at one gap d: 1 - exp(-r d) = k/n  =>  r = -log(1 - k/n) / d
    obs = [(3.0, True)] * 3 + [(3.0, False)] * 7
    assert rate_map(obs) == pytest.approx(-math.log(0.7) / 3.0, rel=1e-9)


def test_mle_recovers_a_simulated_rate() -> None:
    rng = np.random.default_rng(0)
    true_rate = 0.02
    gaps = rng.uniform(1, 200, size=4000)
    changed = rng.random(4000) < -np.expm1(-true_rate * gaps)
    assert rate_map(list(zip(gaps, changed, strict=True))) == pytest.approx(true_rate, rel=0.1)


def test_map_without_data_is_the_prior_and_data_moves_it() -> None:
    assert rate_map([], prior_rate=0.01, prior_strength=2.0) == pytest.approx(0.01, rel=1e-9)
    up = rate_map([(10.0, True)] * 5, prior_rate=0.01, prior_strength=2.0)
    down = rate_map([(100.0, False)] * 5, prior_rate=0.01, prior_strength=2.0)
    assert down < 0.01 < up
    # a stronger prior moves less
    assert rate_map([(10.0, True)] * 5, prior_rate=0.01, prior_strength=50.0) < up


@pytest.mark.parametrize(
    "obs", [[(0.0, True)], [(-1.0, False)], [(float("inf"), True)], [("x", True)], [(1.0,)]]
)
def test_bad_observations(obs: list) -> None:
    with pytest.raises(InvalidInputError):
        rate_map(obs)


def test_bad_prior() -> None:
    with pytest.raises(InvalidInputError):
        rate_map([(1.0, True)], prior_rate=None, prior_strength=1.0)
    with pytest.raises(InvalidInputError):
        rate_map([(1.0, True)], prior_rate=0.1, prior_strength=-1.0)


def _pairwise_auc(s: list[float], y: list[bool]) -> float:
    pos = [a for a, t in zip(s, y, strict=True) if t]
    neg = [a for a, t in zip(s, y, strict=True) if not t]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=30))
def test_auc_matches_pairwise_definition(rows: list[tuple[int, bool]]) -> None:
    s = [float(a) for a, _ in rows]
    y = [b for _, b in rows]
    if all(y) or not any(y):
        with pytest.raises(InvalidInputError):
            auc(np.array(s), np.array(y))
        return
    assert auc(np.array(s), np.array(y)) == pytest.approx(_pairwise_auc(s, y))


def test_auc_constant_is_half_and_perfect_is_one() -> None:
    y = np.array([True, False, True, False])
    assert auc(np.zeros(4), y) == 0.5
    assert auc(np.array([1.0, 0.0, 2.0, -1.0]), y) == 1.0
