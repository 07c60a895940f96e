"""Read-time consensus: when the memories retrieved for a query disagree, say so
and put the value that trust supports first (A-MemGuard's check, with
per-source trust instead of an LLM).

Why at read time as well as at write time: the write-time decision
(:func:`phasemem.facts.decide.decide`) covers the slots the extractor keeps
as facts. Values it keeps no fact for (phone numbers, email addresses) and
episodes that merely mention a contested value ("has been ordering rooibos
lately") reach the reader through search; this module orders them by the
same rule, over the hits of one query.

Pure functions over plain data: the read pipeline gathers each hit's source,
trust, facts and values, :func:`arrange` returns the order, the disputes it
found, and why each hit moved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from phasemem.trust.policy import TrustPolicy, beats, support

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d \-().]{5,}\d(?!\w)")
#: relative weight of a hit that backs only versions no longer current (and of
#: a hit that mentions a value its slot's current fact contradicts)
STALE = 0.5


def values_in(text: str) -> list[tuple[str, str, str]]:
    """Contact values a text states: ``(type, key, shown)``; phone keys are
    the digits, email keys the casefolded address."""
    out: list[tuple[str, str, str]] = []
    for m in _EMAIL.finditer(text):
        out.append(("email", m.group().casefold().rstrip("."), m.group().rstrip(".")))
    for m in _PHONE.finditer(_EMAIL.sub(" ", text)):
        digits = re.sub(r"\D", "", m.group())
        if 7 <= len(digits) <= 15:
            out.append(("phone", digits, m.group().strip()))
    return out


@dataclass
class HitView:
    """What consensus needs of one hit."""

    id: str
    score: float
    source: str
    trust: float
    at: float
    text: str
    #: (slot, object, state, valid_at) of each fact the episode supports; state
    #: is "current", "stale" (superseded or ended), "contested" or "rejected"
    facts: list[tuple[str, str, str, float]] = field(default_factory=list)


@dataclass
class Dispute:
    """Memories that disagree on one slot, the value that stands, and who says what."""

    slot: str
    value: str
    sides: list[dict[str, Any]]
    how: str  # "facts" (decided at write time) or "read" (settled over these hits)

    def to_dict(self) -> dict[str, Any]:
        return {"slot": self.slot, "value": self.value, "how": self.how, "sides": self.sides}


def settle(
    claims: Sequence[tuple[float, str, str]],
    trust: Callable[[str], float],
    policy: TrustPolicy,
) -> str:
    """The value that stands among ``(time, value, source)`` claims: replayed in
    time order, a new value replaces the holder only when its supporters so
    far (one vote per independent group) weigh at least the holder's."""
    by_value: dict[str, set[str]] = {}
    holder: str | None = None
    for _, value, source in sorted(claims):
        by_value.setdefault(value, set()).add(source)
        if (
            holder is None
            or value != holder
            and beats(
                support(by_value[value], trust, policy), support(by_value[holder], trust, policy)
            )
        ):
            holder = value
    return holder or ""


def mentions(text: str, value: str) -> bool:
    """Whether ``text`` names ``value`` as whole words (case aside)."""
    return re.search(rf"(?<!\w){re.escape(value.casefold())}(?!\w)", text.casefold()) is not None


def arrange(
    hits: Sequence[HitView],
    policy: TrustPolicy,
    trust: Callable[[str], float],
    contested: dict[str, tuple[str, list[str], list[str]]] | None = None,
    focus: Sequence[str] = (),
) -> tuple[list[int], list[Dispute], dict[str, dict[str, Any]]]:
    """The hits' new order (indices), the disputes among them, and per hit id
    what trust did to it.

    ``contested``: slot -> (its current object, objects contested or
    rejected in it, ...), from the store; hits that mention a losing object
    rank below the slot's current version, like hits backing superseded ones.
    ``focus``: the slots the query may ask about (its best facts', best
    first); the first of them with versions that lost, or with several
    current values, has its current (newest) version put first."""
    why: dict[str, dict[str, Any]] = {}
    adj = []
    for h in hits:
        w = policy.rank_floor + (1.0 - policy.rank_floor) * h.trust if policy.rank else 1.0
        states = {st for _, _, st, _ in h.facts}
        stale = bool(states) and "current" not in states
        if policy.rank and stale:
            w *= STALE
        adj.append(h.score * w)
        why[h.id] = {"source": h.source, "trust": round(h.trust, 4), "weight": round(w, 4)}
    order = sorted(range(len(hits)), key=lambda i: -adj[i])
    disputes: list[Dispute] = []
    topic = _topic(hits, focus)
    if policy.rank and topic:  # several current values: the newest first
        cur = [
            (t, o, i)
            for i in order
            for s, o, st, t in hits[i].facts
            if s == topic and st == "current"
        ]
        if len({o.casefold() for _, o, _ in cur}) > 1:
            best = max(cur, key=lambda c: (c[0], -order.index(c[2])))[2]
            order = _lift(order, best, order[0])
            why[hits[best].id]["lifted"] = topic
    if policy.rank:  # a slot's current version above its superseded and contested ones
        slots = _fact_slots(hits, contested or {})
        slots.sort(key=lambda x: x[0] == topic)  # the topic's lift last: it stays on top
        for slot, cur_obj, losers, disputed in slots:
            newest: dict[int, float] = {}
            for i in order:
                ts = [t for s, _, st, t in hits[i].facts if s == slot and st == "current"]
                if ts:
                    newest[i] = max(ts)
            win = sorted(newest, key=lambda i: (-newest[i], order.index(i)))
            lose = [i for i in order if i not in newest and (
                any(s == slot and st != "current" for s, _, st, _ in hits[i].facts)
                or any(mentions(hits[i].text, o) for o in losers))]  # fmt: skip
            if win and lose:
                order = _lift(order, win[0], order[0] if slot == topic else lose[0])
                why[hits[win[0]].id]["lifted"] = slot
            if win and disputed:  # a claim that lost to the current value: say so
                sides = [{"value": cur_obj, "sources": sorted({hits[i].source for i in win})}]
                for o in disputed:
                    srcs = sorted({hits[i].source for i in lose if mentions(hits[i].text, o)
                                   or any(s == slot and ob == o for s, ob, _, _ in hits[i].facts)})  # fmt: skip
                    if srcs:
                        sides.append({"value": o, "sources": srcs})
                if len(sides) > 1:
                    disputes.append(Dispute(slot, cur_obj, sides, "facts"))
    if policy.consensus:
        order, found = _settle_values(hits, order, policy, trust, why)
        disputes += found
    return order, disputes, why


def _topic(hits: Sequence[HitView], focus: Sequence[str]) -> str | None:
    """The slot the query asks about: the first of ``focus`` that the hits
    show changing (a version that is not current) or holding several values."""
    for slot in focus:
        states = [(o.casefold(), st) for h in hits for s, o, st, _ in h.facts if s == slot]
        if (
            any(st != "current" for _, st in states)
            or len({o for o, st in states if st == "current"}) > 1
        ):
            return slot
    return None


def _fact_slots(
    hits: Sequence[HitView], contested: dict[str, tuple[str, list[str], list[str]]]
) -> list[tuple[str, str, list[str], list[str]]]:
    """Slots with a current version among the hits and versions that lost to
    it: ``(slot, current object, every losing object, the contested or
    rejected ones among them)``. A superseded version lost to time; a
    contested or rejected one lost a dispute."""
    out = []
    seen: set[str] = set()
    for h in hits:
        for slot, obj, st, _ in h.facts:
            if st != "current" or slot in seen:
                continue
            seen.add(slot)
            same = obj.casefold()
            disputed = [o for o in contested.get(slot, (obj, [], []))[1] if o.casefold() != same]
            losers = list(disputed)
            for g in hits:
                for s2, o2, st2, _ in g.facts:
                    if s2 != slot or st2 == "current" or o2.casefold() == same:
                        continue
                    if o2 not in losers:
                        losers.append(o2)
                    if st2 in ("contested", "rejected") and o2 not in disputed:
                        disputed.append(o2)
            if losers:
                out.append((slot, obj, losers, disputed))
    return out


def _settle_values(
    hits: Sequence[HitView], order: list[int], policy: TrustPolicy,
    trust: Callable[[str], float], why: dict[str, dict[str, Any]],
) -> tuple[list[int], list[Dispute]]:  # fmt: skip
    """Contact values the hits disagree on: the one trust supports goes first."""
    by_type: dict[str, list[tuple[float, str, str, int]]] = {}
    shown: dict[str, str] = {}
    for i in order:
        for typ, key, text in values_in(hits[i].text):
            by_type.setdefault(typ, []).append((hits[i].at, key, hits[i].source, i))
            shown.setdefault(key, text)
    disputes = []
    for typ, claims in by_type.items():
        if len({k for _, k, _, _ in claims}) < 2:
            continue
        winner = settle([(t, k, s) for t, k, s, _ in claims], trust, policy)
        win = [i for i in order if any(k == winner and j == i for _, k, _, j in claims)]
        lose = [i for i in order if i not in win and any(j == i for _, _, _, j in claims)]
        if win and lose:
            order = _lift(order, win[0], lose[0])
            why[hits[win[0]].id]["lifted"] = typ
        sides: dict[str, set[str]] = {}
        for _, k, s, _ in claims:
            sides.setdefault(k, set()).add(s)
        disputes.append(Dispute(typ, shown[winner], [
            {"value": shown[k], "sources": sorted(v)} for k, v in sides.items()], "read"))  # fmt: skip
    return order, disputes


def _lift(order: list[int], item: int, above: int) -> list[int]:
    """``order`` with ``item`` moved just above ``above`` (when it is below it)."""
    if order.index(item) <= order.index(above):
        return order
    rest = [i for i in order if i != item]
    k = rest.index(above)
    return rest[:k] + [item] + rest[k:]


__all__ = ["STALE", "Dispute", "HitView", "arrange", "mentions", "settle", "values_in"]
