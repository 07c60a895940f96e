"""Transition mining: the one rule shared by gate training and online refinement."""

from __future__ import annotations

import random

import pytest

from phasemem.errors import InvalidInputError, InvalidTimeError
from phasemem.temporal.transitions import Transition, mine_transitions, normalize_relation


def test_normalize_relation_lowercases_and_collapses_space() -> None:
    assert normalize_relation("  Express intent to\tMEET ") == "express intent to meet"
    assert normalize_relation("live in") == "live in"


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_normalize_relation_rejects_bad_text(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        normalize_relation(bad)  # type: ignore[arg-type]


def test_consecutive_days_of_one_slot() -> None:
    obs = [
        ("alice", "live in", "Paris", 10),
        ("alice", "live in", "Paris", 40),
        ("alice", "live in", "Berlin", 100),
        ("bob", "live in", "Rome", 5),  # a single observation: no transition
    ]
    assert mine_transitions(obs) == [
        Transition("live in", 30.0, False),
        Transition("live in", 60.0, True),
    ]


def test_changed_means_the_slot_moved_on() -> None:
    # day 1 {A, B}; day 3 {B, C} keeps B: unchanged; day 4 {D}: changed
    obs = [("s", "Consult", o, d) for o, d in [("A", 1), ("B", 1), ("B", 3), ("C", 3), ("D", 4)]]
    assert [(t.delta_days, t.changed) for t in mine_transitions(obs)] == [(2.0, False), (1.0, True)]


def test_relation_text_is_normalised_into_one_slot() -> None:
    obs = [("s", "Live In", "X", 0), ("s", "live  in", "Y", 2)]
    assert mine_transitions(obs) == [Transition("live in", 2.0, True)]


def test_input_order_does_not_matter() -> None:
    rng = random.Random(0)
    obs = [
        (f"s{rng.randrange(5)}", f"r{rng.randrange(3)}", rng.randrange(4), rng.randrange(50))
        for _ in range(300)
    ]
    a = sorted(mine_transitions(obs), key=repr)
    rng.shuffle(obs)
    assert sorted(mine_transitions(obs), key=repr) == a


def test_resolution_bins_times() -> None:
    day = 1.0
    obs = [
        ("s", "feel", "happy", 0.1 * day),
        ("s", "feel", "sad", 0.2 * day),
        ("s", "feel", "sad", 2.5 * day),
    ]
    # both of day 0 form one bin {happy, sad}; day 2 {sad} keeps "sad"
    assert mine_transitions(obs) == [Transition("feel", 2.0, False)]
    hourly = mine_transitions(obs, resolution_days=1 / 24)
    assert [t.changed for t in hourly] == [True, False]


def test_bad_times_and_resolution() -> None:
    with pytest.raises(InvalidTimeError):
        mine_transitions([("s", "r", "o", float("nan"))])
    with pytest.raises(InvalidInputError):
        mine_transitions([], resolution_days=0)


def test_package_exports_and_import_is_light() -> None:
    import subprocess
    import sys

    import phasemem.temporal as t

    for name in t.__all__:
        assert hasattr(t, name), name
    code = (
        "import sys, phasemem.temporal; print('torch' in sys.modules, 'onnxruntime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
