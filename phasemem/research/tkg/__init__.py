"""Temporal knowledge graph completion: the phase-rotation model, baselines, ICEWS harness.

Importing this package needs only numpy. The data loaders
(:mod:`phasemem.research.tkg.data`) and the rank/metric helpers (:mod:`phasemem.research.tkg.metrics`)
work without torch; :mod:`phasemem.research.tkg.models`, :mod:`phasemem.research.tkg.train` and
:mod:`phasemem.research.tkg.compare` need the ``[tkg]`` extra (PyTorch) and raise
:class:`~phasemem.errors.MissingExtraError` (``pip install 'phasemem[tkg]'``)
without it. The click group for ``phasemem tkg`` is :data:`phasemem.research.tkg.cli.tkg`.
"""

from __future__ import annotations

from phasemem.research.tkg.data import (
    FilterIndex,
    TKGDataset,
    Vocab,
    add_reciprocals,
    build_filters,
    load_dataset,
    read_quadruples,
)
from phasemem.research.tkg.errors import TKGDataError, TKGError
from phasemem.research.tkg.metrics import filtered_ranks, ranking_metrics

__all__ = [
    "FilterIndex",
    "TKGDataError",
    "TKGDataset",
    "TKGError",
    "Vocab",
    "add_reciprocals",
    "build_filters",
    "filtered_ranks",
    "load_dataset",
    "ranking_metrics",
    "read_quadruples",
]
