"""Kin names: "Tom's sister" is whoever the store knows as Tom's sister.

People name a relative once ("My sister Hana is a nurse") and later say only
"my sister": the extractor then writes the subject as "Tom's sister". Such a
name is an alias of a person the store may already know through a kin fact
("Tom have sister Hana"). This module reads a name or a question for that
shape and says which relation links the owner to the person; the stores
(:func:`phasemem.store.facts_sql.resolve_entity` and the in-memory store) and
the fact ranker (:mod:`phasemem.facts.rank`) decide who it is from their facts.

The kin words and the relation each maps to are the extractor's
(:data:`phasemem.extract.lexicon.KIN`, :data:`~phasemem.extract.lexicon.KIN_RELATION`),
so a kin fact written by the extractor and a kin name resolve through the same
relation. Plural kin ("Tom's sisters") names a group and is never resolved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from phasemem.facts.focus import base_name
from phasemem.facts.model import Fact

_NAME = re.compile(r"^(?P<owner>\S(?:.*\S)?)['’]s\s+(?P<kin>[^\W\d_][\w-]*)$")
#: "<Owner>'s <kin>" in running text: a capitalised owner, then a kin word, and
#: what follows it (a name right after, "Tom's sister Hana", names the person)
_IN_TEXT = re.compile(
    r"(?<![\w'’])(?P<owner>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)['’]s\s+(?P<kin>[a-zé-]+)\b"
    r"(?P<after>\s+[A-Z][\w-]*)?"
)
_PLURAL = frozenset({"parents", "children", "sisters", "brothers", "grandparents"})


@dataclass(frozen=True, slots=True)
class Kin:
    """What a kin name says: the owner (as written), the kin word (the
    extractor's normal form), and the relation from the owner to the person."""

    owner: str
    kin: str
    relation: str

    @property
    def symmetric(self) -> bool:
        """A couple's relation may be stored either way round ("Carla be
        married to Tom"), so the person is found on both sides."""
        return is_couple(self.relation)

    @property
    def alias(self) -> str:
        """The name the extractor writes for this person ("Tom's sister")."""
        return f"{self.owner}'s {self.kin}"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    from phasemem.extract.lexicon import KIN, KIN_RELATION

    return dict(KIN), dict(KIN_RELATION), frozenset(KIN_RELATION.values())


#: Kin of whom people usually have one or two, named once and then called by the kin
#: word ("my sister", "my wife"). Friends, colleagues, cousins, neighbours or bosses are
#: many: one known friend Anna does not make every "my friend" Anna.
_CLOSE_KIN = frozenset({
    "mother", "father", "sister", "brother", "wife", "husband", "partner", "girlfriend",
    "boyfriend", "fiance", "fiancee", "spouse", "son", "daughter", "grandmother", "grandfather",
    "stepmother", "stepfather", "twin",
})  # fmt: skip


def kin_relation(kin: str) -> str | None:
    """The relation from an owner to their ``kin`` ("sister" -> "have sister",
    "wife" -> "be married to"); None for a word that is no singular close kin."""
    words, relations, _ = _tables()
    k = words.get(kin.casefold().removeprefix("great-"))
    if k is None or k in _PLURAL or k not in _CLOSE_KIN:
        return None
    return relations.get(k, f"have {k}")


def is_couple(relation: str) -> bool:
    """Whether ``relation`` links a couple ("be married to", "date"): either
    partner may be its subject."""
    return relation in _tables()[2]


def parse_kin(name: str) -> Kin | None:
    """A ``"<owner>'s <kin>"`` name read as a :class:`Kin`, else None."""
    m = _NAME.match(name.strip())
    if m is None:
        return None
    owner = m.group("owner").strip()
    if not owner or "'s " in owner or "’s " in owner:  # "Ana's friend's sister": too far
        return None
    words, _, _ = _tables()
    kin = words.get(m.group("kin").casefold())
    rel = kin_relation(kin) if kin else None
    if kin is None or rel is None:
        return None
    return Kin(owner, kin, rel)


#: what may follow a kin that ends the question ("Who is Tom's girlfriend these days?")
_ENDS = re.compile(
    r"^(?:\s*(?:now|then|these days|nowadays|currently|at the moment|at that time|back then|"
    r"in \w+(?: \d{4})?|as of \w+(?: \d{4})?|last \w+|\d{4}))*\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def kin_in_text(text: str) -> list[tuple[int, Kin]]:
    """The unnamed kin a question asks about ("Where does Tom's sister work
    now?"): (position, kin) of each "<Owner>'s <kin>" not followed by a name
    (in "Tom's sister Hana" the name says who is meant) and not ending the
    question ("Who is Tom's girlfriend now?" asks who the kin is: a fact of
    the owner's)."""
    out = []
    for m in _IN_TEXT.finditer(text):
        if m.group("after") or _ENDS.match(text[m.end() :]):
            continue
        k = parse_kin(f"{m.group('owner')}'s {m.group('kin')}")
        if k is not None:
            out.append((m.start(), k))
    return out


def kin_targets(query: str, facts: Sequence[Fact]) -> frozenset[str]:
    """The subjects (as :func:`~phasemem.facts.focus.base_name` gives them) the
    question's last unnamed kin means: the one person current facts give the
    owner as that kin ("Tom have sister Hana" -> "hana"), and the kin's own
    name where facts were stored under it ("tom sister", from "Tom's sister").
    Empty when the question names no such kin."""
    found = kin_in_text(query)
    if not found:
        return frozenset()
    kin = max(found, key=lambda x: x[0])[1]
    owner, alias = kin.owner.casefold(), base_name(kin.alias)
    holders: set[str] = set()
    out: set[str] = set()
    for f in facts:
        subject = base_name(f.subject)
        if subject == alias:
            out.add(alias)
        if f.relation != kin.relation or f.expired_at is not None or f.invalid_at is not None:
            continue
        if f.status != "accepted":
            continue
        if subject == owner:
            holders.add(base_name(f.object))
        elif kin.symmetric and base_name(f.object) == owner:
            holders.add(subject)
    holders.discard(owner)
    if len(holders) == 1:
        out |= holders
    return frozenset(out)


__all__ = [
    "Kin",
    "is_couple",
    "kin_in_text",
    "kin_targets",
    "kin_relation",
    "parse_kin",
]
