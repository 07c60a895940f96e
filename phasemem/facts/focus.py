"""Which facts a question is about: its subject, what it already says, and the slot's latest value.

Three weights the fact ranker multiplies into its scores, each a pure function
of the query text, the user's facts and the query's moment:

* **subject focus** (:func:`target_subject`): in "Where does Kwame's brother
  Kofi work now?" the facts asked about are Kofi's, not Kwame's. The target is
  the last person the question names who is the subject of some fact and is
  not followed by "'s" (a possessor introduces; the named head is asked
  about); failing that, the last possessor ("What's Grace's job title?").
  Facts about someone else are weighed down, not removed.
* **already said** (:func:`focus_weights`): a fact whose object the question
  itself names ("Kwame have brother Kofi" for a question that says "Kofi")
  cannot be the answer the question is looking for; it is weighed down.
* **what kind of fact is asked** (:func:`asked_kinds`): "Who is Samir's
  employer?" asks for a workplace, "What was Isla into?" for a hobby,
  "Which team does Freya play for?" for a team: classic answer typing, with
  relation families instead of entity types. When the question names a kind
  and some candidate is of it, facts of other kinds are weighed down (dev:
  the wrong top facts were often about the same person, but of another kind:
  "Isla speak Gaelic" for her hobby, "Freya have hobby goal defence" for
  her team).
* **slot shadowing** (:func:`slot_shadow`): of the versions of one (subject,
  relation family) slot in force at the query's moment, the one that began
  last shadows the older ones in proportion to the relation's speed
  ``alpha``. A single-valued slot is already closed by the store's decision
  (:mod:`phasemem.facts.decide`); this covers the multi-valued volatile ones
  ("have hobby", pets) where an older value is never explicitly ended: a new
  "main hobby" usually replaces the old, a new sister does not.

Why weights and not filters: each is a guess from surface text, so a fact the
guess gets wrong must still be reachable further down the list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

import numpy as np

from phasemem.facts.model import Fact

#: weight of a fact about someone other than the question's subject
OTHER_SUBJECT = 0.7
#: weight of a fact whose object the question already names
ALREADY_SAID = 0.6
#: how much a newer in-force version of a slot shadows an older one, times alpha
SLOT_SHADOW = 0.5
#: weight of a fact of another kind than the one the question asks for
OTHER_KIND = 0.6

#: (what a question says when it asks for a kind of fact, the relations of that kind);
#: general English question words per relation family of the extractor, not dev questions
ASKED_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(q, re.IGNORECASE), re.compile(r, re.IGNORECASE))
    for q, r in (
        (r"\b(?:liv(?:e|es|ed|ing)|home|city|town|neighbou?rhood|address|based)\b",
         r"\b(?:live|move|stay)\b"),
        (r"\b(?:born|gr[eo]w(?:n|ing)? up|hometown)\b", r"\b(?:born|grow up)\b"),
        (r"\b(?:work(?:s|ed|ing)?(?! on\b)|employer|company|firm)\b", r"\bwork\b"),
        (r"\b(?:job|title|position|role|do for (?:work|a living))\b",
         r"\b(?:job title|work as)\b"),
        (r"\b(?:car|drive|drives|driving|drove)\b", r"\bdrive\b"),
        (r"\bphone\b", r"\bphone\b"),
        (r"\b(?:diet|vegan|vegetarian|eats?|eating)\b", r"\b(?:diet|eat)\b"),
        (r"\b(?:hobby|hobbies|into|pastime|free time|for fun)\b", r"\bhobby\b"),
        (r"\bplay(?:s|ed|ing)? for\b", r"\bplay for\b"),
        (r"\b(?:pets?|dog|cat|rabbit)\b", r"\bhave pet\b"),
        (r"\b(?:dating|date|partner|relationship|married|engaged|girlfriend|boyfriend|"
         r"wife|husband|single)\b", r"\b(?:date|married|engaged|single|partner)\b"),
        (r"\b(?:show|series|watching|watch)\b", r"\bwatch\b"),
        (r"\ballerg", r"\ballergic\b"),
        # "What did she study?" asks for the field, "Where did she study?" for the place
        (r"\bwhat\b[^?]*\b(?:study|studying|studied|major|majored)\b|\b(?:degree|course|subject)\b",
         r"^study$"),
        (r"\bwhere\b[^?]*\b(?:study|studying|studied)\b|\b(?:which|what) (?:university|uni|"
         r"college|school)\b", r"\bstudy at\b"),
        # open attributes (extract/attributes.py): pay, rent, an office's street, a goal,
        # a project, a pay band
        (r"^(?!.*\brent\b).*(?:\b(?:earn(?:s|ed|ing)?|salary|wages?|income|take-home)\b"
         r"|\bhow much\b[^?]*\b(?:make|makes|making|made|paid)\b|\bpay\b(?! band| grade))",
         r"^earn$"),
        (r"\brent\b", r"^pay rent$"),
        (r"\b(?:office|offices|headquarters|hq)\b|\b(?:address|street)\b",
         r"^(?:have office at|live at)$"),
        (r"\b(?:goal|target|aim(?:ing)?|training for|race)\b", r"^have goal$"),
        (r"\b(?:project|working on|work on)\b", r"^work on$"),
        (r"\b(?:pay band|band|grade|pay scale)\b", r"^be on pay band$"),
    )
)  # fmt: skip


def asked_kinds(query: str) -> list[re.Pattern[str]]:
    """The relation families a question asks for (patterns over a fact's
    relation family, see :data:`ASKED_KINDS`); empty when it names none."""
    return [rel for q, rel in ASKED_KINDS if q.search(query)]


_POSSESSIVE = re.compile(r"\s*['’]s?\b")


def base_name(subject: str) -> str:
    """A subject as a name: "Carla's" -> "Carla" (extraction leaves a possessive on
    some subjects); casefolded for comparison."""
    return _POSSESSIVE.sub("", subject.strip()).casefold() if subject else ""


def _mentions(query: str, name: str) -> list[tuple[int, bool]]:
    """Where ``name`` occurs in ``query`` as whole words: (position, possessive)."""
    out = []
    for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", query, flags=re.IGNORECASE):
        tail = query[m.end() : m.end() + 2]
        quote = tail[:1] in ("'", "’")
        out.append((m.start(), quote and (tail[1:2].casefold() == "s" or not tail[1:2].isalnum())))
    return out


def target_subject(query: str, subjects: Sequence[str]) -> str | None:
    """The (casefolded) subject a question asks about, or None when it names none."""
    found = _targets(query, subjects)
    return next(iter(found)) if found else None


def _targets(query: str, subjects: Sequence[str], kin: Collection[str] = ()) -> frozenset[str]:
    """The subjects a question asks about: the last named one that is no
    possessor; else ``kin``, the people an unnamed kin of the question means
    ("Tom's sister": :func:`phasemem.facts.kin.kin_targets`); else the last
    possessor."""
    names = {base_name(s) for s in subjects if s and s.strip()[:1].isupper()}
    plain: list[tuple[int, str]] = []
    owners: list[tuple[int, str]] = []
    for name in names:
        if not name:
            continue
        for pos, possessive in _mentions(query, name):
            (owners if possessive else plain).append((pos, name))
    if plain:
        return frozenset({max(plain)[1]})
    if kin:
        return frozenset(kin)
    if owners:
        return frozenset({max(owners)[1]})
    return frozenset()


def focus_weights(
    query: str,
    facts: Sequence[Fact],
    keys: Sequence[int],
    family: Callable[[Fact], str] = lambda f: f.relation,
    kin: Collection[str] = (),
) -> np.ndarray:
    """A weight in (0, 1] for each of ``facts[k]``, ``k`` in ``keys``: lower for a
    fact about another subject than the question's, for one whose object the
    question already names, and for one of another kind than the question asks
    for (``family(fact)``: its relation family), when some candidate is of it.
    ``kin``: who an unnamed kin of the question means (see :func:`_targets`)."""
    targets = _targets(query, [facts[k].subject for k in keys], kin)
    low = query.casefold()
    out = np.ones(len(keys))
    kinds = asked_kinds(query)
    if kinds:
        fits = np.array([any(r.search(family(facts[k])) for r in kinds) for k in keys], bool)
        if fits.any():
            out[~fits] *= OTHER_KIND
    for i, k in enumerate(keys):
        f = facts[k]
        if targets and base_name(f.subject) not in targets:
            out[i] *= OTHER_SUBJECT
        obj = f.object.strip().casefold()
        if len(obj) > 2 and _mentions(low, obj):
            out[i] *= ALREADY_SAID
    return out


def slot_shadow(
    facts: Sequence[Fact],
    t_query: float,
    family: Callable[[Fact], str] = lambda f: f.relation,
    strength: float = SLOT_SHADOW,
) -> np.ndarray:
    """A weight in (0, 1] for each fact: ``1 - strength * alpha`` for a version in
    force at ``t_query`` when another version of its slot (same subject, same
    ``family(fact)``, by default its relation) began after it and by ``t_query``; else 1."""
    latest: dict[tuple[str, str], float] = {}
    live = [f.holds_at(t_query) for f in facts]
    for f, ok in zip(facts, live, strict=True):
        if ok:
            key = (base_name(f.subject), family(f))
            latest[key] = max(latest.get(key, f.valid_at), f.valid_at)
    out = np.ones(len(facts))
    for i, (f, ok) in enumerate(zip(facts, live, strict=True)):
        if ok and latest[(base_name(f.subject), family(f))] > f.valid_at:
            out[i] = 1.0 - strength * f.alpha
    return out


__all__ = [
    "ALREADY_SAID",
    "ASKED_KINDS",
    "OTHER_KIND",
    "OTHER_SUBJECT",
    "asked_kinds",
    "SLOT_SHADOW",
    "base_name",
    "focus_weights",
    "slot_shadow",
    "target_subject",
]
