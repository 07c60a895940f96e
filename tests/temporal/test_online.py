"""Online refinement of a relation's speed from the store's own transitions."""

from __future__ import annotations

import pytest

from phasemem.errors import InvalidInputError
from phasemem.temporal.online import refine_alpha
from phasemem.temporal.transitions import mine_transitions

KAPPA = 1 / 730  # the everyday clock


def test_no_evidence_returns_the_prior() -> None:
    assert refine_alpha(0.3, KAPPA, []) == pytest.approx(0.3, rel=1e-9)


def test_changes_raise_and_stays_lower_alpha() -> None:
    changes = [(30.0, True)] * 6
    stays = [(300.0, False)] * 6
    assert refine_alpha(0.3, KAPPA, changes) > 0.3 > refine_alpha(0.3, KAPPA, stays)


def test_stable_relation_needs_much_evidence() -> None:
    # a never-changing relation (alpha 0.001) barely moves after one correction
    once = refine_alpha(0.001, KAPPA, [(30.0, True)])
    assert once < 0.01
    many = refine_alpha(0.001, KAPPA, [(30.0, True)] * 40)
    assert many > once


def test_result_stays_inside_the_unit_interval() -> None:
    fast = refine_alpha(0.9, KAPPA, [(0.01, True)] * 100)
    assert 0.0 < fast < 1.0
    slow = refine_alpha(0.01, KAPPA, [(1e4, False)] * 100)
    assert 0.0 < slow < 0.01


def test_from_store_rows_end_to_end() -> None:
    # alice moves every ~60 days, bob never: the rows go through the training rule
    rows = [
        ("alice", "live in", city, day)
        for city, day in [("A", 0), ("B", 60), ("C", 120), ("D", 180)]
    ]
    rows += [("bob", "live in", "Rome", day) for day in (0, 90, 180, 270)]
    obs = [(t.delta_days, t.changed) for t in mine_transitions(rows)]
    assert sorted(obs) == [(60.0, True)] * 3 + [(90.0, False)] * 3
    assert refine_alpha(0.3, KAPPA, obs) > 0.3


@pytest.mark.parametrize(
    ("alpha", "kappa", "strength"),
    [
        (0.0, KAPPA, 2.0),
        (1.0, KAPPA, 2.0),
        (0.3, 0.0, 2.0),
        (0.3, float("nan"), 2.0),
        (0.3, KAPPA, 0.0),
    ],
)
def test_bad_arguments(alpha: float, kappa: float, strength: float) -> None:
    with pytest.raises(InvalidInputError):
        refine_alpha(alpha, kappa, [], prior_strength=strength)


def test_bad_observation() -> None:
    with pytest.raises(InvalidInputError):
        refine_alpha(0.3, KAPPA, [(0.0, True)])
