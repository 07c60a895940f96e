"""Spell out "Name's" when it means "Name is" / "Name has", before parsing.

Why: the small model reads "'s" after a proper name or a kin noun as a possessive
("Hana's a nurse at X" -> Hana poss-> nurse, no verb), so a statement about a third
person yields no clause; after a pronoun ("She's a nurse") it does read the verb.
What follows the "'s" decides: a determiner, a possessive, a preposition, an adverb or
a participle cannot follow a possessive ("Hana's a", "Rui's at", "Rui's still",
"Rui's moved", "Rui's seeing"), while a noun or an adjective can ("Hana's new job",
"Guy's Hospital") and is left alone. The rewrite inserts one character per
contraction; callers map offsets back with :func:`to_original`.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from phasemem.extract import lexicon as lx


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words after "'s" that make it "is".
_IS_NEXT = _words(
    """a an the my his her our their your at in from with on into off out over away
    back still now also just currently always never not no finally officially really
    so very such already both only actually basically pretty going"""
)
#: Words after "'s" that make it "has".
_HAS_NEXT = _words(
    """been got gotten had left quit become gone taken bought found made done begun
    grown known run sold"""
)
#: Participles that are states after "is" ("Rui's married", "Ana's engaged to Tom").
_STATE_PARTICIPLES = _words(
    """married engaged divorced retired separated widowed based employed unemployed
    pregnant single vegan vegetarian"""
)
#: After such a state word, what shows it is a predicate, not "Rui's single mother".
_STATE_AFTER = _words("to now again too and since for with at in")
#: -ing nouns ("Hana's wedding in June"): the possessive, not a progressive.
_ING_NOUNS = _words(
    """wedding meeting morning evening building feeling painting drawing ceiling
    clothing funding housing earring sibling darling offspring pudding bedding lodging
    booking recording setting ending beginning opening landing parking hearing thing
    king ring spring string wing swing sling cooking baking reading writing"""
)
#: Words before "'s" that are never a third person's name.
_NOT_NAMES = _words(
    """it that this there here what who where when how why let he she everyone everybody
    someone somebody nobody anyone anybody one today tomorrow yesterday tonight
    life work home"""
)
_CONTRACTION_RE = re.compile(
    r"(?<![\w'’])(?P<who>[A-Z][a-z]+|(?:(?<=\bmy )|(?<=\bhis )|(?<=\bher )|(?<=\bour )"
    r"|(?<=\bMy )|(?<=\bHis )|(?<=\bHer )|(?<=\bOur ))[a-z]+)(?P<s>['’]s) (?P<next>[A-Za-z]+)"
    r"(?P<after>[^\s\w-]|\s+[\w]+|$)?"
)


def _verb_of(who: str, nxt: str, after: str) -> str | None:
    low = nxt.lower()
    if who.lower() in _NOT_NAMES or not (who[:1].isupper() or who.lower() in lx.KIN):
        return None
    if low in _HAS_NEXT:
        return "has"
    if low in _IS_NEXT:
        return "is"
    word_after = after.strip().lower()
    if low in _STATE_PARTICIPLES:
        return "is" if not word_after[:1].isalpha() or word_after in _STATE_AFTER else None
    if low.endswith("ing") and len(low) > 5 and low not in _ING_NOUNS and nxt.islower():
        # "Rui's moving to Lyon", "Ana's seeing Marco": a progressive when a preposition,
        # a determiner, a name or the sentence end follows ("Rui's cooking is great": no)
        if not word_after[:1].isalpha():
            return "is"
        if word_after in _IS_NEXT or word_after in ("someone", "somebody", "for", "to"):
            return "is"
        return "is" if after.strip()[:1].isupper() else None
    if low.endswith("ed") and nxt.islower() and len(low) > 4:
        return "has"  # "Rui's moved to Lyon", "Ana's started a new job"
    return None


def expand(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` with "Name's" spelled out where it is a verb, and the original offsets
    before which one character was inserted (sorted)."""
    if "'s " not in text and "’s " not in text:
        return text, ()
    out: list[str] = []
    inserted: list[int] = []
    pos = 0
    for m in _CONTRACTION_RE.finditer(text):
        verb = _verb_of(m.group("who"), m.group("next"), m.group("after") or "")
        if verb is None:
            continue
        s, e = m.span("s")
        out.append(text[pos:s])
        # "'s" becomes " is" / " has": the quote turns into a space and "i" / "ha" go in
        # before the "s" (original offset e - 1), one inserted offset per character
        out.append(" " + verb)
        inserted.extend([e - 1] * (len(verb) - 1))
        pos = e
    if not inserted:
        return text, ()
    out.append(text[pos:])
    return "".join(out), tuple(inserted)


def to_new(pos: int, inserted: tuple[int, ...]) -> int:
    """An offset of the original text in the expanded one."""
    return pos + bisect_right(inserted, pos) if inserted else pos


def to_original(pos: int, inserted: tuple[int, ...]) -> int:
    """An offset of the expanded text in the original one (an inserted character maps
    to the character after it)."""
    if not inserted:
        return pos
    k = 0
    for i, p in enumerate(inserted):
        if p + i < pos:
            k += 1
        else:
            break
    return pos - k
