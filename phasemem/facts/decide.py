"""What a newly extracted fact does to the facts already known: the decision as data.

Why a pure function: this is domain policy (when does a statement end,
confirm or replace what was known), and it must be testable without spaCy or
a database, and the same for every store. A store loads the slot's current
versions inside its write transaction, calls :func:`decide`, and persists the
:class:`Decision` it gets back; it decides nothing itself.

The rules (measured against the temporal benchmarks in docs/temporal.md):

* **negation** ("I no longer live in Lisbon", "I quit Tidewater") closes the
  matching current versions at the time the statement says it ended ("last
  month"), else at the statement's time (``object == "*"``: every version of
  the slot, e.g. "I quit my job"); a shortened name ("sold the Volvo") closes
  the one current version whose name holds it ("Volvo V70"); nothing to close
  is a NOOP;
* **repetition** of a current version confirms it (NOOP, the episode is linked
  as further evidence, confidence rises);
* **a new object** for a single-valued relation ("live in", "work at")
  supersedes the versions that began at or before it (UPDATE); a fact told
  late, older than a version already known, ends when that version began;
* **a new object** for a multi-valued relation ("like", "have sister") is added;
* **trust** (issue 15, when the store passes a :class:`Standing`): a new
  object, or a negation, replaces the current versions only when the combined
  trust of its supporters (one vote per independent source, see
  :mod:`phasemem.trust.policy`) reaches the holders'. Otherwise it is stored
  as **contested** (CONTEST), or linked to the contested version of the same
  object already there: a later independent supporter can then carry it
  (consensus: the contested version is absorbed into the new current one).
  A claim the user already rejected, from the same source, is recognised
  (a lesson: NOOP, linked to the rejected version). A claim in an empty slot
  needs ``add_bar`` of support on its own (a source the user set up, or two
  independent ones), else it is contested too.

Each closed or confirmed version is also an observation of how fast the
relation changes (``(days since it began, changed?)``), which refines the
relation's speed ``alpha`` (``phasemem.temporal.online``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from phasemem.facts.model import NewFact

DAY = 86400.0

Op = Literal["ADD", "UPDATE", "DELETE", "NOOP", "CONTEST"]


@dataclass(frozen=True, slots=True)
class Version:
    """One current version of a (subject, relation) slot, as the store holds it."""

    id: str
    object_id: int
    object: str
    valid_at: float
    invalid_at: float | None


@dataclass(frozen=True, slots=True)
class Standing:
    """The slot's trust, as the store computed it with the trust policy.

    ``holders``: current version id -> combined trust of its supporters;
    ``support``: combined trust of the new claim's supporters (this source,
    the contested version's, the user's announced plan), one vote per group;
    ``rival``: a contested version of the same object; ``lesson``: a version
    of the same object from the same source that was rejected; ``add_bar``:
    the trust an addition to a multi-valued slot needs (it ends nothing, so
    it need not outweigh the holders, only be trusted enough on its own)."""

    holders: dict[str, float]
    support: float
    rival: str | None = None
    lesson: str | None = None
    add_bar: float = 0.75

    def holds(self, versions: Sequence[Version], *, adding: bool = False) -> bool:
        """True when the holders of ``versions`` outweigh the new claim."""
        held = max((self.holders.get(v.id, 0.0) for v in versions), default=0.0)
        if adding:
            held = min(held, self.add_bar)
        return self.support < held - 1e-9


@dataclass(frozen=True, slots=True)
class Close:
    """End a version: it held until ``invalid_at``; ``superseded``: by the new fact."""

    version: Version
    invalid_at: float
    superseded: bool


@dataclass(frozen=True, slots=True)
class Decision:
    op: Op
    #: a current version the statement repeats (NOOP): link the episode, raise confidence
    confirm: str | None = None
    #: versions to end
    close: tuple[Close, ...] = ()
    #: insert the new fact (ADD / UPDATE), valid until ``invalid_at`` (None: open)
    insert: bool = False
    invalid_at: float | None = None
    #: ``(days, changed)`` transitions observed for the relation's speed
    observations: tuple[tuple[float, bool], ...] = ()
    #: the inserted fact is contested (CONTEST): kept, shown as such, not current
    contested: bool = False
    #: contested versions of the same object that the new current fact absorbs
    absorb: tuple[str, ...] = ()
    #: why a trust rule chose this (for the log and the trace)
    reason: str | None = None


def names_part_of(short: str, full: str) -> bool:
    """True when ``short`` is a whole-word run of the longer name ``full``, as people
    shorten a model or a place once it is known: "the iPhone" for "iPhone 13 Pro",
    "Octavia" for "Octavia estate" (case and a leading "the" ignored)."""
    a = short.lower().removeprefix("the ").split()
    b = full.lower().split()
    if not a or len(a) >= len(b):
        return False
    return any(b[i : i + len(a)] == a for i in range(len(b) - len(a) + 1))


def ended_at(new: NewFact) -> float:
    """When a negation says the fact stopped: its own end time when the
    statement names one ("I quit nursing in March"), else when it was said."""
    return new.invalid_at if new.negated and new.invalid_at is not None else new.valid_at


def decide(
    new: NewFact,
    object_id: int | None,
    current: Sequence[Version],
    later_start: float | None = None,
    standing: Standing | None = None,
) -> Decision:
    """The decision for ``new`` given the slot's ``current`` versions (those not
    superseded in the store and not ended by ``new.valid_at``).

    ``object_id``: the store's id for ``new.object`` (None when unknown: for a
    negation, nothing of that name is known). ``later_start``: the earliest
    start of a version that began after ``new.valid_at`` (a fact told late).
    ``standing``: the slot's trust (None: trust plays no part)."""
    if new.negated:
        targets = [v for v in current if new.object == "*" or v.object_id == object_id]
        if not targets:  # "sold the Volvo" ends the one "Volvo V70" the slot holds
            named = [v for v in current if names_part_of(new.object, v.object)]
            targets = named if len(named) == 1 else []
        if not targets:
            return Decision("NOOP")
        if standing is not None and standing.holds(targets):
            return Decision("CONTEST", contested=True, reason="weaker source cannot end it")
        end = ended_at(new)  # "I left Acme last month": it ended last month, not today
        closes = tuple(Close(v, max(end, v.valid_at), superseded=False) for v in targets)
        return Decision(
            "DELETE",
            close=closes,
            observations=tuple(((c.invalid_at - c.version.valid_at) / DAY, True) for c in closes),
        )
    same = [v for v in current if v.object_id == object_id]
    if same:
        first = same[0]
        return Decision(
            "NOOP",
            confirm=first.id,
            observations=((max(0.0, (new.valid_at - first.valid_at) / DAY), False),),
        )
    if standing is not None and standing.lesson is not None:
        return Decision("NOOP", confirm=standing.lesson, reason="rejected before, same source")
    invalid_at = new.invalid_at
    if (standing is not None and new.single_valued and later_start is not None
            and invalid_at is None and current):  # fmt: skip
        # an open-ended claim that began before the holder ("has been living in
        # Brno since last spring"): it disputes the holder now, not only the past
        if standing.holds(current):
            return Decision("CONTEST", insert=True, contested=True,
                            reason="weaker source than the holder (told late)")  # fmt: skip
        if standing.rival is not None:  # carried by independent sources: it holds now
            closes = tuple(
                Close(v, max(v.valid_at, new.valid_at), superseded=True) for v in current
            )
            return Decision("UPDATE", close=closes, insert=True, absorb=(standing.rival,),
                            reason="consensus",
                            observations=tuple((0.0, True) for _ in closes))  # fmt: skip
    closes_list: list[Close] = []
    if new.single_valued:
        if later_start is not None and (invalid_at is None or invalid_at > later_start):
            invalid_at = later_start  # an older fact told late: it ended when the next began
        closes_list = [Close(v, new.valid_at, superseded=True) for v in current
                       if v.valid_at <= new.valid_at]  # fmt: skip
    closes = tuple(closes_list)
    # a single-valued claim against the versions it would end; a multi-valued
    # one ("allergic to", "have dog") against the slot's current holders
    rivals = [c.version for c in closes] if new.single_valued else list(current)
    if standing is not None and not rivals and standing.support < standing.add_bar - 1e-9:
        # nobody holds the slot, and the claim is not trusted enough to hold it
        # alone (a web page, an email): contested until someone corroborates it
        if standing.rival is not None:
            return Decision("CONTEST", confirm=standing.rival, contested=True,
                            reason="not enough independent support")  # fmt: skip
        return Decision("CONTEST", insert=True, invalid_at=invalid_at, contested=True,
                        reason="not trusted enough on its own")  # fmt: skip
    if standing is not None and rivals and standing.holds(rivals, adding=not new.single_valued):
        if standing.rival is not None:  # one more voice for the contested claim, not enough
            return Decision("CONTEST", confirm=standing.rival, contested=True,
                            reason="not enough independent support")  # fmt: skip
        return Decision("CONTEST", insert=True, invalid_at=invalid_at, contested=True,
                        reason="weaker source than the holder")  # fmt: skip
    absorb = (standing.rival,) if standing is not None and standing.rival else ()
    return Decision(
        "UPDATE" if closes else "ADD",
        close=closes,
        insert=True,
        invalid_at=invalid_at,
        observations=tuple(((new.valid_at - c.version.valid_at) / DAY, True) for c in closes),
        absorb=absorb,
        reason="consensus" if absorb and closes else None,
    )


__all__ = ["Close", "Decision", "Standing", "Version", "decide", "ended_at"]
