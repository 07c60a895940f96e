"""Phase rotation, S_time, fusion and the ranking guarantees of rank_facts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from phasemem.errors import InvalidInputError, InvalidTimeError
from phasemem.temporal.phase import (
    DEFAULT_BETA,
    DEFAULT_S,
    FactCandidate,
    fuse,
    omega,
    phase_agreement,
    phase_score,
    rank_facts,
    rotate,
)

DAY = 86_400.0
NOW = 1_750_000_000.0  # 2025-06-15, seconds UTC


# ---------------------------------------------------------------- rotation
def test_omega_spectrum() -> None:
    w = omega(8, base=1e4)
    assert w.shape == (4,)
    assert w[0] == 1.0
    assert np.allclose(w, 1e4 ** (-np.arange(4) / 4))
    for bad in (0, 3, -2, 2.0, True):
        with pytest.raises(InvalidInputError):
            omega(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        omega(8, base=1.0)


def test_rotate_is_complex_multiplication() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 8))
    theta = rng.normal(size=(3, 4))
    z = (x[:, :4] + 1j * x[:, 4:]) * np.exp(1j * theta)
    assert np.allclose(rotate(x, theta), np.concatenate([z.real, z.imag], axis=1))
    # norm-preserving, composes by adding angles, and inner products see only angle differences
    assert np.allclose(np.linalg.norm(rotate(x, theta), axis=1), np.linalg.norm(x, axis=1))
    assert np.allclose(rotate(rotate(x, theta), 2 * theta), rotate(x, 3 * theta))
    y = rng.normal(size=(3, 8))
    c = rng.normal(size=(3, 4))
    lhs = np.sum(rotate(x, theta + c) * rotate(y, c), axis=1)
    assert np.allclose(lhs, np.sum(rotate(x, theta) * y, axis=1))
    with pytest.raises(InvalidInputError):
        rotate(np.zeros((2, 7)), np.zeros((2, 3)))
    with pytest.raises(InvalidInputError):
        rotate(np.zeros((2, 8)), np.zeros((2, 3)))


def test_s_time_is_the_expected_phase_agreement_under_gap_jitter() -> None:
    """S_time = mean_j E[cos(alpha s omega_j T)], T ~ Exponential(mean = gap), via rotate()."""
    alpha, s, gap, dim = 0.7, 3.0, 5.0, 16
    rng = np.random.default_rng(1)
    t = rng.exponential(gap, size=200_000)
    w = omega(dim)
    unit = np.concatenate([np.ones(dim // 2), np.zeros(dim // 2)])  # 1 + 0i per frequency
    q = rotate(unit, np.zeros(dim // 2))
    # the fact, frozen at its boundary, vs the query T days later: per-frequency cosines
    f = rotate(unit[None, :], -alpha * s * np.outer(t, w))
    cos = (f[:, : dim // 2] * q[: dim // 2] + f[:, dim // 2 :] * q[dim // 2 :]).mean(axis=0)
    assert float(cos.mean()) == pytest.approx(
        float(phase_agreement(alpha, gap, s=s, dim=dim)), abs=5e-3
    )


def test_phase_score_inside_outside_and_limits() -> None:
    start, end = NOW - 400 * DAY, NOW - 100 * DAY
    assert phase_score(0.8, start, end, NOW - 200 * DAY) == 1.0
    assert phase_score(0.8, start, None, NOW) == 1.0  # open interval: still valid
    assert phase_score(0.0, start, end, NOW + 1e4 * DAY) == 1.0  # alpha 0: no time effect
    after = [phase_score(0.8, start, end, NOW + g * DAY) for g in (0, 1, 10, 100, 1000)]
    before = [phase_score(0.8, start, end, start - g * DAY) for g in (1, 10, 100, 1000)]
    assert all(a > b for a, b in zip(after, after[1:], strict=False))
    assert all(a > b for a, b in zip(before, before[1:], strict=False))
    assert 0.0 < after[-1] < 0.5
    # faster relations fall out of phase sooner
    assert phase_score(0.9, start, end, NOW) < phase_score(0.1, start, end, NOW)


def test_s_time_decays_about_a_quarter_per_decade_for_base_1e4() -> None:
    # continuum limit: 1 - log10(x) / log10(base) for 1 << x << base
    x = np.array([10.0, 100.0, 1000.0])
    got = phase_agreement(1.0, x, s=1.0, dim=512)
    assert np.allclose(got, 1 - np.log10(x) / 4, atol=0.03)


@pytest.mark.parametrize(
    ("args", "err"),
    [
        ((1.5, 0.0, None, 1.0), InvalidInputError),
        ((-0.1, 0.0, None, 1.0), InvalidInputError),
        ((0.5, 10.0, 5.0, 1.0), InvalidTimeError),
        ((0.5, float("nan"), None, 1.0), InvalidTimeError),
        ((0.5, 0.0, None, "soon"), InvalidTimeError),
        ((0.5, 0.0, None, True), InvalidTimeError),
    ],
)
def test_phase_score_bad_input(args: tuple, err: type[Exception]) -> None:
    with pytest.raises(err):
        phase_score(*args)


# ---------------------------------------------------------------- fusion
def test_fuse_alpha_zero_is_semantic_only() -> None:
    sem = np.array([0.9, 0.3, 0.6])
    out = fuse(sem, np.zeros(3), np.array([0.0, 1.0, 0.5]), beta=5.0)
    assert np.allclose(out, sem / 0.9)


def test_fuse_relative_vs_raw() -> None:
    sem = np.array([1.0, 1.0])
    alpha = np.array([0.0, 1.0])  # a stable fact and an in-phase volatile one
    st_ = np.array([1.0, 1.0])
    assert np.allclose(fuse(sem, alpha, st_, 2.0), [1.0, 1.0])  # relative: no bonus
    assert np.allclose(fuse(sem, alpha, st_, 2.0, relative=False), [1.0, 3.0])  # raw: 1 + beta
    # for facts of one relation the two orders agree
    a = np.full(3, 0.4)
    s_t = np.array([1.0, 0.2, 0.7])
    sem3 = np.array([0.5, 0.6, 0.55])
    assert (
        np.argsort(fuse(sem3, a, s_t, 3.0)).tolist()
        == np.argsort(fuse(sem3, a, s_t, 3.0, relative=False)).tolist()
    )


def test_fuse_normalisation_keeps_ratios_and_handles_edges() -> None:
    assert np.allclose(fuse(np.array([2.0, 1.0]), np.zeros(2), np.ones(2), 1.0), [1.0, 0.5])
    # negative scores (cosines): min-max with the lower end at the minimum
    assert np.allclose(fuse(np.array([-1.0, 1.0]), np.zeros(2), np.ones(2), 1.0), [0.0, 1.0])
    assert np.allclose(fuse(np.zeros(3), np.zeros(3), np.ones(3), 1.0), 1.0)
    assert fuse(np.array([]), np.array([]), np.array([]), 1.0).size == 0


@pytest.mark.parametrize(
    ("sem", "alpha", "s_time", "beta"),
    [
        ([1.0], [0.5, 0.5], [1.0], 1.0),
        ([float("nan")], [0.5], [1.0], 1.0),
        ([1.0], [1.5], [1.0], 1.0),
        ([1.0], [0.5], [1.2], 1.0),
        ([1.0], [0.5], [1.0], -1.0),
    ],
)
def test_fuse_bad_input(sem: list, alpha: list, s_time: list, beta: float) -> None:
    with pytest.raises(InvalidInputError):
        fuse(np.array(sem), np.array(alpha), np.array(s_time), beta)


# ---------------------------------------------------------------- rank_facts
def test_rank_facts_keeps_everything_and_reports_parts() -> None:
    c = [
        FactCandidate("paris", 0.82, 0.5, NOW - 900 * DAY, invalid_at=NOW - 30 * DAY),
        FactCandidate("berlin", 0.80, 0.5, NOW - 30 * DAY),
        FactCandidate("birth", 0.20, 0.0, NOW - 9000 * DAY),
    ]
    ranked = rank_facts(c, NOW)
    assert [r[0].key for r in ranked] == ["berlin", "paris", "birth"]
    parts = ranked[1][2]
    assert set(parts) == {"s_sem", "s_sem_norm", "alpha", "gap_days", "s_time", "score"}
    assert parts["gap_days"] == pytest.approx(30.0)
    assert 0.0 < parts["s_time"] < 1.0
    # "as of" a day inside Paris's validity: Paris wins
    assert rank_facts(c, NOW - 200 * DAY)[0][0].key == "paris"
    assert rank_facts([], NOW) == []


def test_expired_at_closes_validity_when_invalid_at_is_missing() -> None:
    c = FactCandidate("a", 1.0, 0.5, NOW - 100 * DAY, expired_at=NOW - 50 * DAY)
    assert c.validity() == (NOW - 100 * DAY, NOW - 50 * DAY)
    both = FactCandidate("b", 1.0, 0.5, NOW - 100 * DAY, invalid_at=NOW - 70 * DAY, expired_at=NOW)
    assert both.validity()[1] == NOW - 70 * DAY  # valid time wins over transaction time
    cancelled = FactCandidate("c", 1.0, 0.5, NOW, expired_at=NOW - DAY)
    assert cancelled.validity() == (NOW, NOW)
    with pytest.raises(InvalidTimeError):
        FactCandidate("d", 1.0, 0.5, NOW, invalid_at=NOW - DAY).validity()


def test_rank_facts_bad_input() -> None:
    with pytest.raises(InvalidTimeError):
        rank_facts([FactCandidate("a", 1.0, 0.5, NOW)], float("inf"))
    with pytest.raises(InvalidInputError):
        rank_facts([FactCandidate("a", 1.0, 2.0, NOW)], NOW)
    with pytest.raises(InvalidInputError):
        rank_facts([FactCandidate("a", 1.0, 0.5, NOW)], NOW, s=-1.0)


def test_the_shadowing_needs_time_right_after_a_change() -> None:
    """Honest limit: seconds after the change the old version is still almost in phase."""
    old = FactCandidate("old", 0.85, 0.5, NOW - 900 * DAY, invalid_at=NOW - 60)
    new = FactCandidate("new", 0.80, 0.5, NOW - 60)
    assert rank_facts([old, new], NOW)[0][0].key == "old"
    assert rank_facts([old, new], NOW + 2 * DAY)[0][0].key == "new"


# Guarantees, for the shipped defaults. MIN_ALPHA / MIN_GAP / MAX_EDGE state the
# regime: a relation that changes at all (alpha >= 0.2), at least a day after
# the change, and an obsolete fact at most 5 % more similar than the new one.
MIN_ALPHA, MIN_GAP_DAYS, MAX_EDGE = 0.2, 1.0, 0.05

times = st.floats(-2000.0, 0.0)
others = st.lists(
    st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0), times, st.one_of(st.none(), times)),
    max_size=6,
)


def _others(rows: list[tuple]) -> list[FactCandidate]:
    out = []
    for i, (sem, a, start, end) in enumerate(rows):
        s0, e0 = (start, end) if end is None or end >= start else (end, start)
        out.append(
            FactCandidate(f"x{i}", sem, a, NOW + s0 * DAY, None if e0 is None else NOW + e0 * DAY)
        )
    return out


@settings(max_examples=150, deadline=None)
@given(
    alpha=st.floats(MIN_ALPHA, 1.0),
    sem_new=st.floats(0.05, 1.0),
    edge=st.floats(0.0, MAX_EDGE),
    age_old=st.floats(1.0, 5000.0),
    since_change=st.floats(MIN_GAP_DAYS, 5000.0),
    rest=others,
)
def test_newer_contradicting_fact_wins_now(
    alpha: float, sem_new: float, edge: float, age_old: float, since_change: float, rest: list
) -> None:
    change = NOW - since_change * DAY
    old = FactCandidate(
        "old", sem_new * (1 + edge), alpha, change - age_old * DAY, invalid_at=change
    )
    new = FactCandidate("new", sem_new, alpha, change)
    # either stamp marks the old one as superseded
    old_expired = FactCandidate("old", old.s_sem, alpha, old.valid_at, expired_at=change)
    for o in (old, old_expired):
        order = [r[0].key for r in rank_facts([o, new, *_others(rest)], NOW)]
        assert order.index("new") < order.index("old")


@settings(max_examples=150, deadline=None)
@given(
    alpha=st.floats(MIN_ALPHA, 1.0),
    sem_old=st.floats(0.05, 1.0),
    edge=st.floats(0.0, MAX_EDGE),
    valid_days=st.floats(2 * MIN_GAP_DAYS, 5000.0),
    position=st.floats(0.0, 1.0),
    rest=others,
)
def test_obsolete_fact_wins_as_of_its_validity(
    alpha: float, sem_old: float, edge: float, valid_days: float, position: float, rest: list
) -> None:
    change = NOW - 10 * DAY
    start = change - valid_days * DAY
    old = FactCandidate("old", sem_old, alpha, start, invalid_at=change)
    new = FactCandidate("new", sem_old * (1 + edge), alpha, change)
    # a query time inside the old validity, at least MIN_GAP before the change
    t_q = start + position * (valid_days - MIN_GAP_DAYS) * DAY
    order = [r[0].key for r in rank_facts([old, new, *_others(rest)], t_q)]
    assert order.index("old") < order.index("new")


@settings(max_examples=150, deadline=None)
@given(
    sems=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8),
    starts=st.lists(times, min_size=8, max_size=8),
    t_q=st.floats(-5000.0, 5000.0),
    t_q2=st.floats(-5000.0, 5000.0),
)
def test_stable_facts_rank_by_semantics_whatever_the_time(
    sems: list[float], starts: list[float], t_q: float, t_q2: float
) -> None:
    cands = [
        FactCandidate(i, s, 0.0, NOW + starts[i] * DAY, NOW + starts[i] * DAY + DAY)
        for i, s in enumerate(sems)
    ]
    a = rank_facts(cands, NOW + t_q * DAY)
    b = rank_facts(cands, NOW + t_q2 * DAY)
    assert [r[1] for r in a] == [r[1] for r in b]  # scores do not depend on the query time
    assert [r[0].key for r in a] == sorted(range(len(sems)), key=lambda i: -sems[i])


@settings(max_examples=150, deadline=None)
@given(
    rest=others.filter(lambda r: len(r) >= 1),
    sem=st.floats(0.0, 1.0),
    t_q=st.floats(-3000.0, 3000.0),
)
def test_time_never_pushes_a_stable_fact_below_a_less_similar_one(
    rest: list, sem: float, t_q: float
) -> None:
    stable = FactCandidate("stable", sem, 0.0, NOW - 9000 * DAY)
    ranked = rank_facts([stable, *_others(rest)], NOW + t_q * DAY)
    score = {r[0].key: r[1] for r in ranked}
    for cand, sc, _ in ranked:
        if cand.key != "stable" and cand.s_sem <= sem:
            assert sc <= score["stable"] + 1e-12


@settings(max_examples=100, deadline=None)
@given(
    alpha=st.floats(1e-9, 1e-6),
    sems=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6),
    t_q=st.floats(-5000.0, 5000.0),
)
def test_near_zero_alpha_changes_scores_by_at_most_beta_alpha(
    alpha: float, sems: list[float], t_q: float
) -> None:
    assume(max(sems) > 0)
    cands = [
        FactCandidate(i, s, alpha, NOW - 100 * DAY, NOW - 50 * DAY) for i, s in enumerate(sems)
    ]
    for _cand, score, parts in rank_facts(cands, NOW + t_q * DAY):
        assert math.isclose(score, parts["s_sem_norm"], rel_tol=DEFAULT_BETA * alpha + 1e-12)


def test_defaults_are_finite_and_positive() -> None:
    assert DEFAULT_BETA > 0 and DEFAULT_S > 0
