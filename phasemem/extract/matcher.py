"""Apply the relation tables to the clauses of one parsed sentence.

:mod:`.clauses` resolves who a phrase is and how a clause is qualified
(negated, ended, planned, hypothetical); this module finds the relation and
object of each clause and decides the fact's times from the temporal phrases
anchored to it. Sentences that are questions or hypotheticals yield nothing:
an unasked-for fact is worse than a missed one.
"""

from __future__ import annotations

from datetime import datetime

from phasemem.extract import lexicon as lx
from phasemem.extract.clauses import (
    Clause,
    Ref,
    SentenceContext,
    Span,
    Token,
    _add,
    _children,
    _kin_norm,
    _kin_of_name,
    _named,
    _owner,
    _proper,
    _sent_span,
    _subjects,
    analyse,
    gerund_text,
    is_progressive,
    object_text,
    resolve,
)
from phasemem.extract.types import ANY_OBJECT, ExtractedFact

Candidate = tuple[str, str, str]  # relation, kind, object text
_GOVERNORS = lx.START_VERBS | lx.STOP_VERBS | {
    "use", "plan", "intend", "go", "want", "hope", "try", "need", "wish", "decide", "get",
}  # fmt: skip
_PLANNABLE = {"live in", "work at", "study at", "study", "visit", "work as"}
_TIME_MARKS = {"when", "once", "whenever", "until", "before", "after", "while", "as"}
_SPECIFIC_DEPS = {"prep", "relcl", "acl"}
_CLAUSE_DEPS = {"ROOT", "conj", "xcomp", "ccomp", "advcl", "relcl", "pcomp", "parataxis"}


def sentence_facts(sent: Span, ctx: SentenceContext) -> None:
    """Add the facts stated by ``sent`` to ``ctx.facts``."""
    text = sent.text.strip()
    if not text or text.endswith("?") or _hypothetical(sent):
        return
    for tok in sent:
        if tok.pos_ in ("VERB", "AUX") and tok.dep_ in _CLAUSE_DEPS:
            _clause_facts(tok, ctx)
    for tok in sent:  # "I met my friend Lily": the name is a fact even without a verb rule
        if tok.pos_ == "NOUN" and _kin_norm(tok) and tok.i not in ctx.used_names and _named(tok):
            resolve(tok, ctx)


def _hypothetical(sent: Span) -> bool:
    return any(t.lower_ in lx.HYPOTHETICAL_WORDS for t in sent)


def _clause_facts(verb: Token, ctx: SentenceContext) -> None:
    cl = analyse(verb)
    if cl.skip:
        return
    lemma = verb.lemma_.lower()
    if (
        verb.tag_ in ("VBP", "VBZ", "VB")
        and any(
            c.dep_ in ("mark", "advmod") and c.lower_ in _TIME_MARKS and c.i < verb.i
            for c in verb.children
        )
        and verb.dep_ != "ROOT"
    ):
        return  # "for when I have kids": a generic or future condition, not a fact
    if lemma in _GOVERNORS and any(
        c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX") for c in verb.children
    ):
        return  # the xcomp clause carries the fact ("started working at", "used to live")
    if lemma == "die" or (lemma == "pass" and _particle(verb) == "away"):
        _death(verb, cl, ctx)
        return
    if lemma == "be" and _favorite(verb, cl, ctx):
        return
    subjects = [r for s in _subjects(verb) if (r := _subject_ref(s, verb, ctx))]
    if not subjects:
        return
    cands: list[Candidate] = []
    if lemma in ("be", "get", "become"):
        cands.extend(_copula(verb, cl))
        for c in verb.children:  # "I got divorced", "I got fired" parsed as acomp
            if c.dep_ == "acomp" and c.pos_ == "VERB":
                inner = _verb_rules(c, cl, ctx)
                cands.extend(inner + _bare_endings(c, inner))
    cands.extend(_verb_rules(verb, cl, ctx))
    cands.extend(_bare_endings(verb, cands))
    for relation, kind, obj in cands:
        _emit(ctx, subjects, relation, kind, obj, cl, verb)


def _subject_ref(tok: Token, verb: Token, ctx: SentenceContext) -> Ref | None:
    if verb.dep_ == "relcl" and tok.lower_ in ("who", "that", "which"):
        tok = verb.head
    return resolve(tok, ctx)


def _particle(verb: Token) -> str:
    return next((c.lower_ for c in verb.children if c.dep_ == "prt"), "")


def _pobjs(tok: Token, *preps: str) -> list[Token]:
    return [o for p in _children(tok, "prep") if p.lower_ in preps for o in _children(p, "pobj")]


# --------------------------------------------------------------------------- patterns


def _copula(verb: Token, cl: Clause) -> list[Candidate]:
    out: list[Candidate] = []
    ctx_free: list[tuple[str, str, Token]] = []  # resolved later with object_text
    get = verb.lemma_.lower() in ("get", "become")
    for c in verb.children:
        low, lem = c.lower_, c.lemma_.lower()
        if c.dep_ in ("acomp", "attr", "oprd"):
            if low == "allergic":
                ctx_free += [("be allergic to", "state", o) for o in _pobjs(c, "to")]
            elif low in ("married", "engaged"):
                rel = "be married to" if low == "married" else "be engaged to"
                ctx_free += [(rel, "start" if get else "state", o) for o in _pobjs(c, "to")]
            elif lem == "fan":
                rel = "dislike" if cl.negated and not cl.ending else "like"
                objs = _pobjs(c, "of")
                if objs:
                    ctx_free += [(rel, "state", o) for o in objs]
                else:
                    names = [t for t in c.lefts if t.dep_ == "compound" and t.pos_ == "PROPN"]
                    ctx_free += [(rel, "state", names[-1])] if names else []
            elif (low in lx.IDENTITY or lem in lx.IDENTITY) and not get:
                out.append(("be", "state", low))
            elif lem in lx.OCCUPATIONS and c.pos_ == "NOUN" and not get:
                ctx_free.append(("work as", "state", c))
                ctx_free += [("work at", "state", o) for o in _pobjs(c, "at", "for", "with")]
        elif c.dep_ == "prep" and low == "from" and not get:
            ctx_free += [("be from", "state", o) for o in _children(c, "pobj") if o.pos_ == "PROPN"]
        elif c.dep_ == "prep" and low == "into" and not get:
            ctx_free += [("like", "state", o) for o in _children(c, "pobj")]
    return out + [(r, k, o) for r, k, o in ctx_free]  # type: ignore[misc]


def _favorite(verb: Token, cl: Clause, ctx: SentenceContext) -> bool:
    """ "My favorite band is Radiohead" -> (owner, have favorite band, Radiohead)."""
    for s in _children(verb, "nsubj"):
        if not any(c.lower_ in ("favorite", "favourite") for c in s.children):
            continue
        owner = _owner(s, ctx)
        if owner is None or cl.negated or s.lower_ in lx.JUNK_OBJECTS or s.pos_ != "NOUN":
            return True
        for a in _children(verb, "attr", "acomp"):
            obj = object_text(a, ctx)
            if obj:
                rel = f"have favorite {s.lemma_.lower()}"
                _emit(ctx, [Ref(owner, "PERSON")], rel, "state", obj, cl, verb)
        return True
    return False


def _verb_rules(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Candidate]:
    lemma, prt = verb.lemma_.lower(), _particle(verb)
    out: list[Candidate] = []
    for d in _children(verb, "dobj"):
        dl = d.lemma_.lower()
        if d.pos_ in ("VERB", "AUX", "ADJ", "ADV", "INTJ", "ADP"):
            continue  # "doing good", conjoined verbs parsed as objects
        if dl in lx.JOB_NOUNS:
            out.extend(_job(lemma, d, verb, ctx))
            continue
        if lemma == "have" and dl in ("allergy", "allergies"):
            out.extend(_allergy(d, ctx))
            continue
        rule = lx.VERB_RULES.get((lemma, prt, "dobj")) or lx.VERB_RULES.get((lemma, "", "dobj"))
        if rule is None or (lemma == "stand" and not _cant(verb)):
            continue
        if rule.relation in ("like", "dislike", "prefer") and _specific(d):
            continue  # "I love the structure of the language": a reaction, not a taste
        got = _typed_object(d, rule.obj, rule.relation, ctx)
        if got:
            out.append((got[0], rule.kind, got[1]))
    if lemma in lx.TRIP_VERBS:  # "took a trip to Japan", "went on a vacation to Peru"
        nouns = _children(verb, "dobj") + _pobjs(verb, "on", "from")
        for n in nouns:
            if n.lemma_.lower() in lx.TRIP_NOUNS:
                places = [
                    t for o in _pobjs(n, "to") if o.pos_ == "PROPN" and (t := object_text(o, ctx))
                ]
                out += [("visit", "event", t) for t in places]
                cl.plan |= bool(places) and lemma in ("plan", "book")
    if lemma in lx.LIKE_VERBS | {"hate", "prefer"} and not out:
        for x in _children(verb, "xcomp"):
            if x.pos_ == "VERB" and (text := gerund_text(x, ctx)):
                out.append((lx.VERB_RULES[(lemma, "", "dobj")].relation, "state", text))
    if lemma == "bear":
        return out + _born(verb, ctx)
    for p in _children(verb, "prep"):
        prep = p.lower_
        rule = lx.VERB_RULES.get((lemma, prt, prep)) or lx.VERB_RULES.get((lemma, "", prep))
        if rule is None:
            continue
        for o in _children(p, "pobj"):
            if _temporal_at(o, ctx) is not None:
                continue  # "for three years" is a time, not an employer
            relation = rule.relation
            if rule.obj == "place" and o.pos_ != "PROPN":
                continue
            if (
                (lemma, prep) == ("go", "to")
                and verb.tag_ in ("VBZ", "VBP")
                and o.ent_type_ == "ORG"
            ):
                relation = "study at"  # "my daughter goes to Harvard"
            text = object_text(o, ctx)
            if text:
                out.append((relation, rule.kind, text))
            if (lemma, prep) == ("work", "as"):
                out += [
                    ("work at", rule.kind, t)
                    for q in _pobjs(o, "at", "for")
                    if (t := object_text(q, ctx))
                ]
    return out


def _bare_endings(verb: Token, cands: list[Candidate]) -> list[Candidate]:
    """ "We broke up", "I retired", "I got laid off": endings with an unnamed object."""
    if cands:
        return []
    rule = lx.VERB_RULES.get((verb.lemma_.lower(), _particle(verb), "none"))
    if rule is None or any(c.dep_ in ("dobj", "xcomp") for c in verb.children):
        return []
    return [(rule.relation, "end", ANY_OBJECT)]


def _specific(d: Token) -> bool:
    """A definite noun phrase with its own modifiers names one thing, not a kind.

    Coordinations count as one phrase: "the energy, diversity and food of this city".
    """
    root = d
    while root.dep_ == "conj" and root.head is not root:
        root = root.head
    members = [root, *(t for t in root.subtree if t.dep_ == "conj" and t.head.i in {root.i} | {
        c.i for c in root.subtree})]  # fmt: skip
    definite = any(c.dep_ == "det" and c.lower_ == "the" for m in members for c in m.children)
    return definite and any(c.dep_ in _SPECIFIC_DEPS for m in members for c in m.children)


def _cant(verb: Token) -> bool:
    return any(c.lemma_ == "can" for c in verb.children) and any(
        c.dep_ == "neg" for c in verb.children
    )


def _job(lemma: str, noun: Token, verb: Token, ctx: SentenceContext) -> list[Candidate]:
    if lemma in lx.JOB_START_VERBS:
        kind = "start"
    elif lemma in lx.JOB_END_VERBS:
        kind = "end"
    elif lemma == "have":
        kind = "state"
    else:
        return []
    pobjs = _pobjs(noun, "at", "for", "in") or _pobjs(verb, "at", "for")
    orgs = [
        t for o in pobjs if not _kin_norm(o) and o.pos_ != "PRON" and (t := object_text(o, ctx))
    ]
    if orgs:
        return [("work at", kind, t) for t in orgs]
    return [("work at", "end", ANY_OBJECT)] if kind == "end" else []


def _allergy(noun: Token, ctx: SentenceContext) -> list[Candidate]:
    objs = [t for o in _pobjs(noun, "to") if (t := object_text(o, ctx))]
    if not objs:
        mods = [
            c.text for c in noun.lefts if c.dep_ in ("compound", "amod", "nmod") and c.pos_ != "DET"
        ]
        objs = [" ".join(mods)] if mods else []
    return [("be allergic to", "state", o) for o in objs]


def _born(verb: Token, ctx: SentenceContext) -> list[Candidate]:
    """ "born in Ohio" / "born in 1990": the place when named, else the date."""
    places, dates = [], []
    for p in _children(verb, "prep"):
        prep = p.lower_
        if prep not in ("in", "on", "at"):
            continue
        for o in _children(p, "pobj"):
            _born_obj(prep, o, ctx, places, dates)
    return places or dates


def _born_obj(prep: str, o: Token, ctx: SentenceContext, places: list, dates: list) -> None:
    t = _temporal_at(o, ctx)
    if t is not None:
        d = t.start
        iso = {"year": f"{d.year:04d}", "month": f"{d.year:04d}-{d.month:02d}"}.get(
            t.granularity, f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
        )
        dates.append((f"be born {prep}", "event", iso))
    elif text := object_text(o, ctx):
        places.append(("be born in", "event", text))


def _temporal_at(tok: Token, ctx: SentenceContext):
    for t, _ in ctx.temporals:
        if t.span[0] <= tok.idx < t.span[1]:
            return t
    return None


def _typed_object(
    d: Token, kind: str, relation: str, ctx: SentenceContext
) -> tuple[str, str] | None:
    """Check an object against the rule's type; named pets/kin become "have <kin>" facts."""
    if _temporal_at(d, ctx) is not None:
        return None
    if kind == "poss":
        kin_tok = d if (d.pos_ == "NOUN" and _named(d)) else _kin_of_name(d)
        if kin_tok is not None and (name := _named(kin_tok) or (d if d is not kin_tok else None)):
            kin = _kin_norm(kin_tok)
            if kin is None:
                return None
            ctx.used_names.add(kin_tok.i)
            rel = lx.KIN_RELATION.get(kin, f"have {kin}") if relation == "have" else relation
            return rel, _proper(name)
        word = d.lower_
        if not (
            {word, d.lemma_.lower()} & (lx.PETS | lx.POSSESSIONS | lx.CONDITIONS | set(lx.KIN))
        ):
            return None
        if _kin_norm(d) and any(c.dep_ == "poss" for c in d.children):
            return None  # "I have my sister" is not possession
    elif kind in ("place", "org", "person", "job") and d.pos_ != "PROPN":
        return None
    text = object_text(d, ctx)
    return (relation, text) if text else None


def _death(verb: Token, cl: Clause, ctx: SentenceContext) -> None:
    """ "Our cat died", "my dog Max passed away": the owner no longer has them."""
    for s in _subjects(verb):
        kin_tok = s if (s.pos_ == "NOUN" and _kin_norm(s)) else _kin_of_name(s)
        if kin_tok is None or cl.negated:
            continue
        owner, kin = _owner(kin_tok, ctx), _kin_norm(kin_tok)
        if owner is None or kin is None:
            continue
        ctx.used_names.add(kin_tok.i)
        name = _named(kin_tok) or (s if s is not kin_tok else None)
        rel, obj = (f"have {kin}", _proper(name)) if name is not None else ("have", kin_tok.lower_)
        _emit(ctx, [Ref(owner, "PERSON")], rel, "end", obj, cl, verb)


# --------------------------------------------------------------------------- emitting


def _emit(ctx: SentenceContext, subjects: list[Ref], relation: str, kind: str, obj: object,
          cl: Clause, verb: Token) -> None:  # fmt: skip
    if not isinstance(obj, str):  # a token from _copula
        text = object_text(obj, ctx)  # type: ignore[arg-type]
        if text is None:
            return
        obj = text
    assert isinstance(obj, str)
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
    if relation == "have" and kind == "state" and verb.tag_ == "VBD" and not cl.negated:
        return  # "I had a few friends over"
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
        if mode not in ("event", "start") and relation not in _PLANNABLE:
            return  # "I will always love reading" is not a plan
        relation, confidence = f"plan to {relation}", 0.7
    span = _sent_span(verb)
    for s in subjects:
        if s.name.lower() == obj.lower():
            continue
        _add(ctx, ExtractedFact(s.name, relation, obj, valid, invalid, negated, confidence, span))


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
