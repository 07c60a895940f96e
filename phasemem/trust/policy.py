"""Trust per source: a Beta posterior, its priors, and how evidence combines.

Why a Beta posterior: a source's reliability is a rate (how often what it says
turns out true), and Beta(a, b) is that rate's conjugate belief: a prior per
source kind, plus one count per confirmation (a) or contradiction (b). Its
mean ``a / (a + b)`` is the trust used everywhere.

Why independence groups: eight writes from one web page, or three sender
names at one mail service, are one piece of evidence, not eight. Supporters of
a claim count once per group (default: per source kind, so a flood of
``agent:*`` names is one agent), each group by its most trusted member.

The policy is data; the decisions that use it are pure functions
(:func:`support`, :func:`phasemem.facts.decide.decide`), and the store only
persists what they chose. Each defence can be switched off (``contest``,
``rank``, ``quarantine``, ``consensus``) so tests can show what it stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from phasemem.errors import InvalidInputError
from phasemem.provenance import SOURCE_KINDS, label_kind

#: Beta(a, b) priors per kind: the user's own words first, then the assistant
#: and tools, then the open world (web pages, emails, other agents). Two
#: open-world sources together (0.5 + 0.5) can outweigh the user's 0.95, one cannot.
DEFAULT_PRIORS: dict[str, tuple[float, float]] = {
    "user": (19.0, 1.0),
    "assistant": (3.0, 2.0),
    "tool": (3.0, 2.0),
    "import": (3.0, 2.0),
    "web": (2.0, 2.0),
    "email": (2.0, 2.0),
    "agent": (2.0, 2.0),
}
#: a tool, agent or feed the user set up themselves
CONFIGURED_PRIOR = (8.0, 2.0)
#: how much one event moves a posterior: (alpha added, beta added)
EVENT_WEIGHTS: dict[str, tuple[float, float]] = {
    "corroborated": (1.0, 0.0),  # an independent source agreed (consensus reached)
    "contradicted": (0.0, 1.0),  # the user said otherwise
    "confirmed": (2.0, 0.0),  # the user confirmed one of its claims
    "rejected": (0.0, 2.0),  # the user rejected one of its claims
}
EPS = 1e-9


@dataclass(frozen=True)
class TrustPolicy:
    """Priors, independence and the defences' switches.

    ``configured``: source labels (``"tool:contacts-sync"``) the user set up;
    they start from :data:`CONFIGURED_PRIOR`. ``independence``: ``"kind"``
    (sources of one kind count once together) or ``"source"`` (each label
    counts once). ``quarantine_at``: injection score from which a write is
    quarantined, per kind (the user's own channel only at a higher score)."""

    priors: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRIORS))
    configured: frozenset[str] = frozenset()
    configured_prior: tuple[float, float] = CONFIGURED_PRIOR
    independence: str = "kind"
    quarantine_at: Mapping[str, float] = field(default_factory=lambda: {"user": 0.8})
    quarantine_default: float = 0.5
    #: trust an addition to a multi-valued slot ("allergic to", "have dog")
    #: needs when the slot already has values: a tool the user set up, not a web page
    add_bar: float = 0.75
    #: ranking: a hit's score is multiplied by ``rank_floor + (1 - rank_floor) * trust``
    rank_floor: float = 0.4
    contest: bool = True  # a weaker source cannot supersede a stronger holder alone
    rank: bool = True  # trust-weighted episode ranking, current facts' episodes first
    quarantine: bool = True  # injected instructions kept out of facts and of context
    consensus: bool = True  # read-time check of disagreeing values among the hits

    def __post_init__(self) -> None:
        if self.independence not in ("kind", "source"):
            raise InvalidInputError("independence must be 'kind' or 'source'", field="independence")
        for kind, ab in self.priors.items():
            if kind not in SOURCE_KINDS or len(ab) != 2 or min(ab) <= 0:
                raise InvalidInputError(f"bad prior for {kind!r}: {ab!r}", field="priors")
        if not 0.0 <= self.rank_floor <= 1.0:
            raise InvalidInputError("rank_floor must be in [0, 1]", field="rank_floor")

    def prior(self, label: str) -> tuple[float, float]:
        if label in self.configured:
            return self.configured_prior
        return tuple(self.priors.get(label_kind(label), (1.0, 1.0)))  # type: ignore[return-value]

    def group(self, label: str) -> str:
        """The independence group of a source (its kind, or itself)."""
        if self.independence == "kind" and label not in self.configured:
            return label_kind(label)
        return label

    def quarantine_threshold(self, kind: str) -> float:
        return float(self.quarantine_at.get(kind, self.quarantine_default))

    def with_configured(self, *labels: str) -> TrustPolicy:
        return replace(self, configured=self.configured | frozenset(labels))

    def without(self, *defences: str) -> TrustPolicy:
        """This policy with some defences switched off (tests, ablations)."""
        for d in defences:
            if d not in ("contest", "rank", "quarantine", "consensus"):
                raise InvalidInputError(f"unknown defence {d!r}", field="defence")
        off = set(defences)
        return replace(self, contest=self.contest and "contest" not in off,
                       rank=self.rank and "rank" not in off,
                       quarantine=self.quarantine and "quarantine" not in off,
                       consensus=self.consensus and "consensus" not in off)  # fmt: skip


def mean(ab: tuple[float, float]) -> float:
    a, b = ab
    return a / (a + b)


def updated(ab: tuple[float, float], event: str) -> tuple[float, float]:
    """The posterior after one event (:data:`EVENT_WEIGHTS`)."""
    da, db = EVENT_WEIGHTS[event]
    return (ab[0] + da, ab[1] + db)


def support(labels: Iterable[str], trust: Callable[[str], float], policy: TrustPolicy) -> float:
    """Combined trust of a claim's supporters: one vote per independence group
    (its most trusted member), summed. Repetition from one source adds nothing."""
    best: dict[str, float] = {}
    for label in labels:
        g = policy.group(label)
        best[g] = max(best.get(g, 0.0), trust(label))
    return sum(best.values())


def beats(challenger: float, holder: float) -> bool:
    """Whether a claim's combined trust is enough to replace the holder's."""
    return challenger >= holder - EPS


__all__ = [
    "CONFIGURED_PRIOR",
    "DEFAULT_PRIORS",
    "EVENT_WEIGHTS",
    "TrustPolicy",
    "beats",
    "mean",
    "support",
    "updated",
]
