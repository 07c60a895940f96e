"""Emitting a fact: the qualifiers a clause carries (negation, endings, plans,
reactions) decide whether a candidate becomes an :class:`ExtractedFact`, and the time
phrases anchored to the clause give its ``valid_at`` / ``invalid_at``.

Shared by :mod:`.matcher` (verb tables), :mod:`.jobs` and :mod:`.turns`, so every way
a fact is found passes through the same checks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from phasemem.extract import lexicon as lx
from phasemem.extract.clauses import (
    Clause,
    Ref,
    SentenceContext,
    Token,
    _add,
    _children,
    _sent_span,
    is_progressive,
    object_text,
)
from phasemem.extract.types import ANY_OBJECT, ExtractedFact

Candidate = tuple[str, str, str]  # relation, kind, object text


_PLANNABLE = {"live in", "work at", "study at", "study", "visit", "work as", "be married to"}


def _particle(verb: Token) -> str:
    return next((c.lower_ for c in verb.children if c.dep_ == "prt"), "")


def _pobjs(tok: Token, *preps: str) -> list[Token]:
    return [o for p in _children(tok, "prep") if p.lower_ in preps for o in _children(p, "pobj")]


def _temporal_at(tok: Token, ctx: SentenceContext):
    for t, _ in ctx.temporals:
        if t.span[0] <= tok.idx < t.span[1]:
            return t
    return None


_UNITS = {"year": 365.25, "month": 30.44, "decade": 3652.5}
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
           "fifteen": 15, "twenty": 20}  # fmt: skip


def _held_for(verb: Token) -> timedelta | None:
    """ "left Airbus after six years", "quit after 18 months": how long what ended held."""
    for p in _children(verb, "prep"):
        if p.lower_ != "after":
            continue
        for o in _children(p, "pobj"):
            unit = _UNITS.get(o.lemma_.lower())
            nums = [c for c in o.children if c.dep_ in ("nummod", "det", "quantmod")]
            if unit is None or len(nums) != 1:
                continue
            word = nums[0].lower_
            n = int(word) if word.isdigit() else _COUNTS.get(word)
            if n:
                return timedelta(days=n * unit)
    return None


_SPENT_DOING = {("advcl", "be"), ("advcl", "spend")}


def _spent_doing(verb: Token) -> bool:
    """ "I've been in the garage doing woodworking", "I spend my weekends doing yoga": a
    participle that says how the subject spends the time is as ongoing as "I'm doing"."""
    return (
        verb.tag_ == "VBG"
        and verb.i > verb.head.i
        and (verb.dep_, verb.head.lemma_.lower()) in _SPENT_DOING
        and not any(c.dep_ in ("mark", "aux") for c in verb.children)
        and any(o.lower_ in lx.HOBBY_NOUNS for o in verb.children if o.dep_ == "dobj")
    )  # a pastime by name: "at the office doing overtime" is work


def _emit(ctx: SentenceContext, subjects: list[Ref], relation: str, kind: str, obj: object,
          cl: Clause, verb: Token) -> None:  # fmt: skip
    if not isinstance(obj, str):  # a token from _copula
        text = object_text(obj, ctx)
        if text is None:
            return
        obj = text
    assert isinstance(obj, str)
    if kind == "plan":  # a start still to come ("retraining as an electrician")
        kind, cl = "start", replace(cl, plan=True)
    lemma = verb.lemma_.lower()
    negated = cl.negated or cl.ending or kind == "end"
    if relation == "dislike" and cl.negated and lemma not in lx.LIKE_VERBS | {"stand", "be"}:
        return  # "I don't hate it": says little
    if (
        relation in ("dislike",)
        and (lemma in lx.LIKE_VERBS or lemma in ("stand", "be"))
        and not cl.ending
    ):
        negated = False  # "I don't like X" / "can't stand X" / "not a fan of X"
    if kind == "end" and cl.negated:
        return  # "I didn't quit": no change
    if kind == "event" and cl.negated and not cl.ending:
        return  # "I haven't visited many countries" ends nothing
    if (
        lemma in lx.LIKE_VERBS
        and not cl.negated
        and not cl.ending
        and (verb.tag_ == "VBD" or is_progressive(verb))
    ):
        return  # "I loved the concert", "I'm loving it": reactions, not tastes
    if relation == "do" and verb.tag_ != "VBG":
        return  # "do" names a hobby only in "I've been doing yoga"
    if kind == "start" and cl.negated and not cl.ending:
        return  # "I still haven't gotten a dog", "I didn't buy the flat"
    if (
        relation == "study"
        and " " not in obj
        and obj.lower() not in lx.ACADEMIC_FIELDS  # "economics", "physics": fields
        and any(t.tag_ == "NNS" and t.lower_ == obj.lower() for t in verb.subtree)
    ):
        return  # "studying characters, themes": a subject of study is a field, not things
    if relation == "do" and (
        not (is_progressive(verb) or cl.starting or _spent_doing(verb))
        or any(c.lower_ in ("a", "an") for o in _children(verb, "dobj") for c in o.subtree)
    ):
        return  # "doing a half marathon" is an event, a hobby is a mass noun ("doing yoga")
    if (
        relation in ("like", "dislike")
        and "'s " in obj
        and any(s.name == obj.partition("'s ")[0] for s in subjects)
    ):
        return  # "I love my kids": not a taste
    if relation == "have" and kind == "state" and verb.tag_ == "VBD" and not cl.negated:
        return  # "I had a few friends over"
    if cl.plan and negated and kind == "end" and relation == "live in" and not cl.negated:
        # "I'll be moving over from Glasgow in the summer": they live there until then
        _, until, future = _times(ctx, cl, "end")
        span = _sent_span(verb)
        for s in subjects:
            if s.name.lower() != obj.lower():
                _add(ctx, ExtractedFact(s.name, relation, obj, None, until if future else None,
                                        False, 0.8, span))  # fmt: skip
        return
    if cl.plan and negated:
        return
    if obj == ANY_OBJECT and not negated:
        return
    if relation in ("eat", "drink", "do", "play") and verb.tag_ == "VBD" and not negated:
        return  # a past one-off ("I played tennis yesterday") is not a habit
    if relation == "like" and cl.negated and not cl.ending:
        relation, negated = "dislike", False
    mode = "end" if (kind == "end" or cl.ending) else ("start" if cl.starting else kind)
    valid, invalid, future = _times(ctx, cl, mode)
    confidence = 0.9
    if cl.plan or (future and mode in ("event", "start")):
        if relation not in _PLANNABLE:
            return  # "I will always love reading", "we're buying a flat" (the move is the plan)
        relation, confidence = f"plan to {relation}", 0.7
    span = _sent_span(verb)
    held = _held_for(verb) if negated and relation == "work at" else None
    for s in subjects:
        if s.name.lower() == obj.lower():
            continue
        _add(ctx, ExtractedFact(s.name, relation, obj, valid, invalid, negated, confidence, span))
        if held is not None and obj != ANY_OBJECT and not cl.negated and not cl.plan:
            # "I left Airbus after six years": it held for the six years before it ended
            end = invalid or ctx.base
            _add(ctx, ExtractedFact(s.name, relation, obj, end - held, end, False, 0.8, span))


def _times(
    ctx: SentenceContext, cl: Clause, mode: str
) -> tuple[datetime | None, datetime | None, bool]:
    temps = [t for t, a in ctx.temporals if a is not None and a.i in cl.anchors]
    if not temps:
        sent = cl.verb.sent
        temps = [t for t, a in ctx.temporals
                 if a is None and sent.start_char <= t.span[0] < sent.end_char]  # fmt: skip
    valid = invalid = None
    future = False
    for t in temps:
        future = future or t.start.date() > ctx.base.date()
        if t.role in ("at", "since", "duration"):
            if mode == "end":
                invalid = invalid or t.start
            else:
                valid = valid or t.start
        elif t.role == "until":
            invalid = invalid or t.end or t.start
        elif t.role == "range":
            valid, invalid = valid or t.start, invalid or t.end
    return valid, invalid, future
