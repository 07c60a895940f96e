"""Mine state transitions: consecutive observations of one (subject, relation) slot.

A *slot* is a subject and a relation ("alice", "live in"). Observations of a
slot are grouped into time bins (one day by default); each pair of
consecutive bins is one :class:`Transition` with the gap between them in days
and whether the slot's object *changed*. The Speed Gate is trained on these
(from ICEWS14 train) and the store refines its per-relation speeds from its
own (see :mod:`phasemem.temporal.online`), so both go through this one rule.

"Changed" means: no object seen in the earlier bin is seen again in the later
one. For a single-valued slot that is "the object differs"; for a slot with
several objects on one day (ICEWS: "China consults A and B") it asks whether
the slot moved on, not whether the two sets are identical.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from phasemem.errors import InvalidInputError, InvalidTimeError

__all__ = ["Transition", "mine_transitions", "normalize_relation"]

_SPACE = re.compile(r"\s+")


def normalize_relation(text: str) -> str:
    """Lower-case, trimmed, single-spaced relation text.

    ICEWS relations ("Express intent to meet or negotiate") and the
    extractor's lemmas ("live in") go through the same form, so the gate sees
    one style of text in training and at run time.
    """
    if not isinstance(text, str):
        raise InvalidInputError(
            f"relation must be a string, got {type(text).__name__}", field="relation"
        )
    norm = _SPACE.sub(" ", text).strip().lower()
    if not norm:
        raise InvalidInputError("relation text is empty", field="relation")
    return norm


@dataclass(frozen=True, slots=True)
class Transition:
    """Two consecutive observations of one slot: gap in days, and whether it moved on."""

    relation: str
    delta_days: float
    changed: bool


def mine_transitions(
    observations: Iterable[tuple[Hashable, str, Hashable, float]],
    *,
    resolution_days: float = 1.0,
) -> list[Transition]:
    """Transitions from ``(subject, relation, object, t_days)`` observations.

    ``t_days`` is any time in days (absolute or from an epoch); observations
    whose times fall in the same ``resolution_days`` bin count as one
    observation of the slot (a set of objects). Relations are normalised with
    :func:`normalize_relation`. Order of the input does not matter.
    """
    if not (resolution_days > 0 and math.isfinite(resolution_days)):
        raise InvalidInputError(
            "resolution_days must be a positive number", field="resolution_days"
        )
    slots: dict[tuple[Hashable, str], dict[int, set[Hashable]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for subject, relation, obj, t_days in observations:
        t = float(t_days)
        if not math.isfinite(t):
            raise InvalidTimeError(f"observation time is not finite: {t_days!r}", field="t_days")
        slots[(subject, normalize_relation(relation))][math.floor(t / resolution_days)].add(obj)
    out: list[Transition] = []
    for (_, relation), bins in slots.items():
        keys = sorted(bins)
        for a, b in zip(keys, keys[1:], strict=False):
            out.append(Transition(relation, (b - a) * resolution_days, bins[a].isdisjoint(bins[b])))
    return out
