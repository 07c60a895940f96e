"""Time model (DESIGN.md §4): the Semantic Speed Gate, phase rotation, temporal ranking.

* :mod:`~phasemem.temporal.gate` - relation text -> volatility ``alpha_r`` (numpy; shipped weights)
* :mod:`~phasemem.temporal.phase` - rotation, ``S_time``, fusion, :func:`rank_facts`
* :mod:`~phasemem.temporal.online` - refine ``alpha_r`` from the store's own transitions
* :mod:`~phasemem.temporal.transitions` / :mod:`~phasemem.temporal.survival` - the shared
  transition rule and survival model
* :mod:`~phasemem.temporal.anchors` - the hand-labelled everyday relations (training aid)

Importing this package loads no model; the gate embeds lazily on first use.
See docs/temporal.md.
"""

from phasemem.temporal.gate import SpeedGate, load_gate
from phasemem.temporal.online import refine_alpha
from phasemem.temporal.phase import (
    FactCandidate,
    fuse,
    omega,
    phase_agreement,
    phase_score,
    rank_facts,
    rotate,
)
from phasemem.temporal.transitions import Transition, mine_transitions, normalize_relation

__all__ = [
    "FactCandidate",
    "SpeedGate",
    "Transition",
    "fuse",
    "load_gate",
    "mine_transitions",
    "normalize_relation",
    "omega",
    "phase_agreement",
    "phase_score",
    "rank_facts",
    "refine_alpha",
    "rotate",
]
