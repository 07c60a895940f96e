"""A slot's trust for :func:`phasemem.facts.decide.decide`, from plain values.

Why a module of its own: every backend must weigh a claim the same way, and
only *loading* the slot differs between them (SQL for SQLite and PostgreSQL in
:mod:`phasemem.store.facts_sql`, dictionaries in
:mod:`phasemem.store.memory_state`). What is done with the loaded values
(whether trust is asked at all, which earlier version is a rival or a lesson,
whether a user turn announced the value, the combined support) lives here
once, so the backends cannot drift apart on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from phasemem.facts.decide import Standing, Version
from phasemem.facts.model import Fact
from phasemem.trust.policy import TrustPolicy, support

#: words by which the user announces a change before it happens ("I'm going to
#: become a vet", "switching to espresso next month"), when no plan fact was drawn
CHANGE_CUE = re.compile(
    r"\b(?:going to|gonna|will|'ll|about to|plan(?:ning)? to|soon|next (?:week|month|year)|"
    r"switch(?:ing)?|mov(?:e|ing)|becom(?:e|ing)|start(?:ing)?|new)\b",
    re.I,
)
#: how many of the user's latest turns naming the value are read for a cue
ANNOUNCE_LOOKBACK = 20
#: the label that stands for the user's announcement among a claim's supporters
ANNOUNCED = "user:announced"
#: a ``since`` before any moment (an empty slot: every statement counts)
NEVER = -1e18


def asks_trust(
    policy: TrustPolicy | None, current: Sequence[Version], negated: bool,
    source_trust: Callable[[], float],
) -> bool:  # fmt: skip
    """Whether the decision needs the slot's standing: a claim against current
    versions, or a claim in an empty slot from a source not trusted enough to
    hold it alone. ``source_trust`` is called only when it matters (a read)."""
    if policy is None or not policy.contest:
        return False
    return bool(current) or (not negated and source_trust() < policy.add_bar)


def since(current: Sequence[Version]) -> float:
    """When the slot's holders began: statements after it count as support."""
    return min((v.valid_at for v in current), default=NEVER)


def rival_and_lesson(
    earlier: Iterable[tuple[str, str, str | None]], source: str
) -> tuple[str | None, str | None]:
    """From the slot's earlier non-accepted versions of the same object
    (``(id, status, source)``, oldest first): the first contested one (a
    rival the new claim can join) and the last one this source had rejected
    (a lesson: the claim is recognised, not stored again)."""
    rival = lesson = None
    for fid, status, src in earlier:
        if status == "rejected" and src == source:
            lesson = fid
        elif status == "contested" and rival is None:
            rival = fid
    return rival, lesson


def announces(name: str, texts: Iterable[str]) -> bool:
    """Whether one of the user's turns (newest first, already filtered to those
    containing ``name`` case-insensitively) names the value after a change cue:
    "I'm moving to Vienna next month". A mention alone is not enough ("my friend
    moved to X" has the cue after, not before); names under 3 letters never count."""
    if len(name) < 3:
        return False
    word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I)
    for text in texts:
        m = word.search(text)
        if m and CHANGE_CUE.search(text[: m.start()]):
            return True
    return False


def standing(
    holders: Mapping[str, Iterable[str]], claim: Iterable[str], trust: Callable[[str], float],
    policy: TrustPolicy, *, rival: str | None = None, lesson: str | None = None,
) -> Standing:  # fmt: skip
    """The :class:`Standing`: each holder's combined support (version id ->
    its supporters' labels) and the new claim's (its supporters' labels, the
    announcement included), one vote per independence group."""
    return Standing(
        {vid: support(labels, trust, policy) for vid, labels in holders.items()},
        support(claim, trust, policy),
        rival,
        lesson,
        policy.add_bar,
    )


__all__ = [
    "ANNOUNCED",
    "ANNOUNCE_LOOKBACK",
    "CHANGE_CUE",
    "announces",
    "asks_trust",
    "rival_and_lesson",
    "since",
    "standing",
]


Disputes = dict[str, tuple[str, list[str], list[str]]]


def fold_disputes(facts: Iterable[Fact], now: float) -> Disputes:
    """Slot ("subject relation", casefolded) -> (its current object, the objects
    contested or rejected in it, the current version's episode ids), from the
    versions of the slots where a source was overruled, in the order they were
    stored; slots with no current version are left out. One fold for every
    backend (``trust_read.disputed`` and the in-memory store)."""
    out: Disputes = {}
    for f in facts:
        slot = f"{f.subject} {f.relation}".casefold()
        cur, losers, ids = out.get(slot, ("", [], []))
        if (
            f.status == "accepted"
            and f.expired_at is None
            and (f.invalid_at is None or f.invalid_at > now)
        ):
            cur, ids = f.object, list(f.episode_ids)
        elif f.status != "accepted":
            losers = [*losers, f.object]
        out[slot] = (cur, losers, ids)
    return {k: v for k, v in out.items() if v[0]}
