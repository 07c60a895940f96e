"""Roles and employers: fields of work ("quit nursing" -> ``work as | nurse``), role
verbs ("I stopped teaching"), "I'm done with X", "my last/first day at X" and job nouns
("got the shift supervisor job", "quit my job as a nurse"). Issue 12 item 17: an ended
role or employer must name what the store holds, or it cannot close it.
"""

from __future__ import annotations

from phasemem.extract import everyday as ev
from phasemem.extract import lexicon as lx
from phasemem.extract.clauses import (
    Clause,
    Ref,
    SentenceContext,
    Token,
    _children,
    _kin_norm,
    _owner,
    is_progressive,
    object_text,
)
from phasemem.extract.emitting import Candidate, _emit, _particle, _pobjs
from phasemem.extract.types import ANY_OBJECT


def role_of(tok: Token) -> str | None:
    """The role a field of work names: "nursing" -> nurse, "social work" -> social worker,
    "teaching" (a gerund) -> teacher; None for anything else ("photography", "Acme").

    Endings must name the role the way a statement of it does ("I'm a nurse"), or the
    store, which matches objects by name, cannot close the fact they end.
    """
    low = tok.lower_
    comp = " ".join(c.lower_ for c in tok.lefts if c.dep_ == "compound")
    if comp and f"{comp} {low}" in lx.ROLE_FIELDS:
        return lx.ROLE_FIELDS[f"{comp} {low}"]
    mods = " ".join(c.lower_ for c in tok.lefts if c.dep_ == "amod")
    if mods and f"{mods} {low}" in lx.ROLE_FIELDS:
        return lx.ROLE_FIELDS[f"{mods} {low}"]
    if low in lx.ROLE_FIELDS and not any(c.dep_ in ("compound", "amod") for c in tok.lefts):
        return lx.ROLE_FIELDS[low]
    if tok.tag_ == "VBG" and tok.lemma_.lower() in lx.ROLE_VERBS:
        return lx.ROLE_VERBS[tok.lemma_.lower()]
    return None


def _role_verb(verb: Token, cl: Clause) -> list[Candidate]:
    """ "I stopped teaching", "I started tutoring", "I teach history at a school": the doer
    of a role verb has the role. A plain present needs something taught (not "I teach my
    son chess"), and a past one-off ("I taught a class yesterday") says nothing."""
    role = lx.ROLE_VERBS.get(verb.lemma_.lower())
    if role is None or verb.pos_ != "VERB":
        return []
    if cl.ending or cl.starting:
        return [("work as", "state", role)]
    if verb.tag_ not in ("VBP", "VBZ") or cl.negated:
        return []
    if any(c.dep_ == "dative" for c in verb.children):
        return []
    objs = _children(verb, "dobj")
    if any(t.pos_ == "PRON" or _kin_norm(t) for o in objs for t in o.subtree):
        return []  # "I teach my nephew chess": tutoring family, not a job
    return [("work as", "state", role)] if objs or _pobjs(verb, "at", "in") else []


#: Verbs of becoming able to do a job: "retraining as an electrician", "studying to be a vet".
_TRAIN_VERBS = {"train", "retrain", "study", "qualify", "requalify"}
#: Nouns that say the same as a training verb: "She's training to be a paramedic" (the small
#: model reads "training" as a noun, the copula's attribute).
_TRAIN_NOUNS = {"training", "retraining"}


def _trained_roles(tok: Token, ctx: SentenceContext) -> tuple[list[str], list[str]]:
    """The roles (and employers) a training word aims at: "as an electrician", "to be(come)
    a paramedic with the London Ambulance Service". A role is a known occupation or role
    head ("training as a pilot"); "training for a marathon", "to be a better listener" or
    "as a runner" is none. Only "with" names the employer one trains with; "studying to
    be a doctor at King's" names a school, not a job (``study`` reads it)."""
    roles: list[Token] = [o for o in _pobjs(tok, "as") if o.pos_ in ("NOUN", "PROPN")]
    for x in _children(tok, "xcomp", "acl"):
        if x.lemma_.lower() in ("be", "become") and any(c.dep_ == "aux" and c.lower_ == "to"
                                                          for c in x.children):  # fmt: skip
            roles += [a for a in _children(x, "attr", "oprd") if a.pos_ in ("NOUN", "PROPN")]
    roles = [
        r for r in roles
        if ev.is_role(r, with_org=False)
        and not any(c.tag_ in ("JJR", "JJS") or c.lower_ in ("good", "great") for c in r.lefts)
    ]  # "to be a better cook" is a skill, not a job  # fmt: skip
    names = [t for r in roles if (t := ev.role_text(r, ctx))]
    if not names or tok.lemma_.lower() in ("study", "qualify", "requalify"):
        return names, []
    orgs = [
        ev.name_span(o)
        for t in (tok, *roles, *_children(tok, "xcomp", "acl"))
        for o in _pobjs(t, "with")
        if o.pos_ == "PROPN" and not ev.is_time(o, ctx)
    ]  # fmt: skip
    return names, list(dict.fromkeys(orgs))


def training(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Candidate]:
    """ "he's retraining as an electrician", "she's training to be a paramedic with the
    London Ambulance Service", "I'm studying to become a teacher": a role (and employer) in
    the making is a plan (``plan to work as``), which the read path files under the role's
    slot; "I qualified as a solicitor in May" starts the role. A past "I trained as a nurse"
    says nothing about now (many leave the trade they trained for): no fact."""
    lemma = verb.lemma_.lower()
    if cl.negated or cl.ending:
        return []
    if lemma == "be":
        words = [a for a in _children(verb, "attr") if a.lower_ in _TRAIN_NOUNS]
        if not words or verb.tag_ not in ("VBP", "VBZ"):
            return []
        kind = "plan"
    elif lemma in _TRAIN_VERBS and verb.pos_ == "VERB":
        words = [verb]
        if is_progressive(verb):
            kind = "plan"
        elif lemma in ("qualify", "requalify") and verb.tag_ in ("VBD", "VBN"):
            kind = "start"
        else:
            return []
    else:
        return []
    out: list[Candidate] = []
    for w in words:
        roles, orgs = _trained_roles(w, ctx)
        out += [("work as", kind, r) for r in roles] + [("work at", kind, o) for o in orgs]
    return out


def _done_with(verb: Token, ctx: SentenceContext) -> list[Candidate]:
    """ "I'm done with teaching / this job / Initech": an ended role or employer.

    Only roles, job nouns and organisations the NER marks as such; "done with the
    dishes" and "done with Netflix" without NER say nothing.
    """
    if not any(c.dep_ in ("aux", "auxpass") and c.lemma_ == "be" for c in verb.children):
        return []
    out: list[Candidate] = []
    for p in _children(verb, "prep"):
        if p.lower_ != "with":
            continue
        for o in _children(p, "pobj", "pcomp"):
            if role := role_of(o):
                out.append(("work as", "end", role))
            elif o.lemma_.lower() in lx.OCCUPATIONS and o.pos_ == "NOUN":
                text = object_text(o, ctx)
                out += [("work as", "end", text)] if text else []
            elif o.lemma_.lower() in lx.JOB_NOUNS:
                out.append(("work at", "end", ANY_OBJECT))
            elif o.pos_ == "PROPN" and o.ent_type_ == "ORG":
                text = object_text(o, ctx)
                out += [("work at", "end", text)] if text else []
    return out


def _day_at(verb: Token, cl: Clause, ctx: SentenceContext) -> bool:
    """ "Friday was my last day at Hooli", "my first day at Globex is Monday": a job (or
    a school, when the place is one) ends or starts, for the owner of the day."""
    found = False
    for n in _children(verb, "nsubj", "attr"):
        if n.lemma_.lower() != "day":
            continue
        edge = {c.lower_ for c in n.children if c.dep_ == "amod"} & {"last", "first", "final"}
        owner = _owner(n, ctx)
        if not edge or owner is None or cl.negated:
            continue
        places = _pobjs(n, "at") or _pobjs(verb, "at")
        kind = "start" if "first" in edge else "end"
        for o in places:
            if o.pos_ != "PROPN" and o.lemma_.lower() not in lx.WORKPLACE_NOUNS:
                continue
            text = object_text(o, ctx)
            if not text:
                continue
            school = bool(set(text.lower().split()) & lx.SCHOOL_WORDS)
            rel = "study at" if school and kind == "start" else "work at"
            _emit(ctx, [Ref(owner, "PERSON")], rel, kind, text, cl, verb)
            found = True
    return found


def _job(lemma: str, noun: Token, verb: Token, ctx: SentenceContext) -> list[Candidate]:
    if lemma in lx.JOB_START_VERBS:
        kind = "start"
    elif lemma in lx.JOB_END_VERBS and (lemma != "give" or _particle(verb) == "up"):
        kind = "end"
    elif lemma == "have":
        kind = "state"
    else:
        return []
    pobjs = _pobjs(noun, "at", "for", "in") or _pobjs(verb, "at", "for")
    orgs = [
        t for o in pobjs
        if not _kin_norm(o) and o.pos_ not in ("PRON", "NUM") and not ev.clock_time(o, ctx)
        and (t := object_text(o, ctx) if o.pos_ == "PROPN" else ev.employer_text(o, ctx))
    ]  # fmt: skip
    there = next((c for t in (verb, noun) for c in t.children
                  if c.dep_ == "advmod" and c.lower_ == "there"), None)  # fmt: skip
    if not orgs and there is not None and kind != "end":  # "He got a teaching job there":
        place = ctx.discourse.place_before(ctx.at(there))  # the place just named
        orgs = [place] if place else []
    comp = [c for c in noun.lefts if c.dep_ == "compound" and c.pos_ in ("NOUN", "PROPN")]
    extra: list[Candidate] = []
    if comp and ev.is_role(comp[-1], with_org=False):  # "the shift supervisor job"
        start = min(c.left_edge.i for c in comp)
        extra.append(("work as", kind, noun.doc[start : noun.i].text))
    role_toks = [o for o in _pobjs(noun, "as") or _pobjs(verb, "as") if o.pos_ == "NOUN"]
    roles = [t for o in role_toks if (t := object_text(o, ctx))]  # "my job as a nurse"
    if not orgs:  # "a job as a product designer at Getir": the employer hangs on the role
        orgs = [t for r in role_toks for o in _pobjs(r, "at", "for")
                if (o.pos_ == "PROPN" or o.lemma_.lower() in lx.WORKPLACE_NOUNS)
                and (t := object_text(o, ctx))]  # fmt: skip
    out: list[Candidate] = extra + [("work as", kind, r) for r in roles]
    if orgs:
        return out + [("work at", kind, t) for t in orgs]
    return out + ([("work at", "end", ANY_OBJECT)] if kind == "end" else [])
