"""Filtered ranks against a brute-force implementation; the pessimistic tie rule."""

from __future__ import annotations

import numpy as np

from phasemem.research.tkg.metrics import filtered_ranks, ranking_metrics


def brute_rank(scores: np.ndarray, answer: int, filt: set[int]) -> int:
    rank = 1
    for e, s in enumerate(scores):
        if e == answer or e in filt:
            continue
        if s >= scores[answer]:
            rank += 1
    return rank


def test_matches_brute_force_with_ties() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        b, n = 13, 17
        scores = rng.integers(0, 5, size=(b, n)).astype(np.float32)  # many ties
        answers = rng.integers(0, n, size=b)
        filters = [rng.choice(n, size=rng.integers(0, 6), replace=False) for _ in range(b)]
        got = filtered_ranks(scores, answers, filters)
        want = [brute_rank(scores[i], int(answers[i]), set(filters[i].tolist())) for i in range(b)]
        assert got.tolist() == want


def test_ties_count_against_the_model() -> None:
    scores = np.zeros((1, 10))
    assert filtered_ranks(scores, np.array([3]), [np.empty(0, dtype=np.int64)]).tolist() == [10]
    scores = np.array([[1.0, 2.0, 2.0, 0.0]])
    assert filtered_ranks(scores, np.array([1]), [np.empty(0, dtype=np.int64)]).tolist() == [2]
    # filtering the tied competitor lifts the answer to rank 1
    assert filtered_ranks(scores, np.array([1]), [np.array([2])]).tolist() == [1]


def test_answer_in_its_own_filter_is_kept_and_inputs_untouched() -> None:
    scores = np.array([[0.5, 0.9, 0.1]])
    before = scores.copy()
    assert filtered_ranks(scores, np.array([0]), [np.array([0, 1])]).tolist() == [1]
    assert np.array_equal(scores, before)


def test_nan_answer_is_worst() -> None:
    scores = np.array([[np.nan, 0.1, 0.2]])
    assert filtered_ranks(scores, np.array([0]), [np.empty(0, dtype=np.int64)]).tolist() == [3]


def test_metrics() -> None:
    m = ranking_metrics(np.array([1, 2, 4, 20]))
    assert abs(m["mrr"] - (1 + 0.5 + 0.25 + 0.05) / 4) < 1e-12
    assert m["hits@1"] == 0.25 and m["hits@3"] == 0.5 and m["hits@10"] == 0.75
