"""Filtered ranks and ranking metrics (numpy only).

Rank of the true answer ``a`` among all entities after removing the *other*
known answers of the same query::

    rank = 1 + #{e : e != a, e not filtered, score[e] >= score[a]}

Ties count against the model (``>=``, pessimistic), so a model that scores every
entity the same gets the worst rank, not the best. A NaN score for the answer
also gets the worst rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["filtered_ranks", "ranking_metrics"]


def filtered_ranks(
    scores: np.ndarray, answers: np.ndarray, filters: Sequence[np.ndarray]
) -> np.ndarray:
    """Pessimistic filtered ranks (1-based) of ``answers`` in rows of ``scores``.

    ``scores`` is ``(B, N)``; ``answers`` is ``(B,)``; ``filters[i]`` lists the entity
    ids to remove from row ``i`` (the answer itself may be among them; it is kept).
    ``scores`` is not modified.
    """
    s = np.array(scores, dtype=np.float64, copy=True)
    b, n = s.shape
    rows = np.arange(b)
    answers = np.asarray(answers, dtype=np.int64)
    target = s[rows, answers].copy()
    if filters:
        lens = np.fromiter((len(f) for f in filters), dtype=np.int64, count=b)
        if lens.sum():
            fr = np.repeat(rows, lens)
            fc = np.concatenate([np.asarray(f, dtype=np.int64) for f in filters])
            s[fr, fc] = -np.inf
    s[rows, answers] = -np.inf
    s[np.isnan(s)] = -np.inf  # NaN candidates never beat the answer ...
    ranks = 1 + (s >= target[:, None]).sum(axis=1)
    ranks[np.isnan(target)] = n  # ... but a NaN answer gets the worst rank
    return ranks.astype(np.int64)


def ranking_metrics(ranks: np.ndarray) -> dict[str, float]:
    """MRR and Hits@1/3/10 of 1-based ranks."""
    r = np.asarray(ranks, dtype=np.float64)
    if r.size == 0:
        return {
            "mrr": float("nan"),
            "hits@1": float("nan"),
            "hits@3": float("nan"),
            "hits@10": float("nan"),
        }
    return {
        "mrr": float(np.mean(1.0 / r)),
        "hits@1": float(np.mean(r <= 1)),
        "hits@3": float(np.mean(r <= 3)),
        "hits@10": float(np.mean(r <= 10)),
    }
