"""Apply the relation tables to the clauses of one parsed sentence.

:mod:`.clauses` resolves who a phrase is and how a clause is qualified
(negated, ended, planned, hypothetical); this module finds the relation and
object of each clause and decides the fact's times from the temporal phrases
anchored to it. Sentences that are questions or hypotheticals yield nothing:
an unasked-for fact is worse than a missed one.
"""

from __future__ import annotations

from phasemem.extract import attributes as at
from phasemem.extract import everyday as ev
from phasemem.extract import lexicon as lx
from phasemem.extract.clauses import (
    Clause,
    Ref,
    SentenceContext,
    Span,
    Token,
    _children,
    _kin_norm,
    _kin_of_name,
    _named,
    _owner,
    _proper,
    _remember,
    _subjects,
    analyse,
    coref,
    gerund_text,
    is_progressive,
    object_text,
    resolve,
)
from phasemem.extract.emitting import Candidate, _emit, _particle, _pobjs, _temporal_at
from phasemem.extract.jobs import _day_at, _done_with, _job, _role_verb, role_of, training
from phasemem.extract.turns import (
    _answer,
    _elliptic,
    _fragment_identity,
    _gone_to,
    _here_there,
    _note_places,
    _where_clause,
)
from phasemem.extract.types import ANY_OBJECT

_GOVERNORS = lx.START_VERBS | lx.STOP_VERBS | {
    "use", "plan", "intend", "go", "want", "hope", "try", "need", "wish", "decide", "get",
}  # fmt: skip
_TIME_MARKS = {"when", "once", "whenever", "until", "before", "after", "while", "as"}
_SPECIFIC_DEPS = {"prep", "relcl", "acl"}
_GET_FORMS = {"get", "gets", "got", "gotten", "getting"}  # an AUX "getting" keeps its form as lemma
_CLAUSE_CHILDREN = {"prt", "advmod", "prep", "xcomp", "ccomp", "nsubj", "neg", "dative", "advcl"}
_NOT_PEOPLE = {"GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "EVENT", "PRODUCT", "LANGUAGE"}
_CLAUSE_DEPS = {"ROOT", "conj", "xcomp", "ccomp", "advcl", "relcl", "pcomp", "parataxis", "csubj"}
#: Adverbs a direction hangs on: "moved back to Ghent", "flew over to Dublin".
_DIRECTION_ADVS = {"back", "over", "down", "up", "out", "away", "home", "across"}
#: Words that keep a whole clause from being a fact, but only their own clause (unlike
#: "if" or "maybe"): "I've been vegetarian since 2019 and I'm thinking of going vegan".
_CLAUSE_HEDGES = {"thinking", "considering", "debating", "wondering"}


def sentence_facts(sent: Span, ctx: SentenceContext) -> None:
    """Add the facts stated by ``sent`` to ``ctx.facts``."""
    text = sent.text.strip()
    _note_places(sent, ctx)
    slot, ctx.slot = ctx.slot, None  # only the message's first sentence answers a question
    if not text or text.endswith("?") or _hypothetical(sent):
        return
    slot, answered = at.sentence_attributes(sent, ctx, slot)  # pay, rent, goal, ...
    if answered:
        return
    if slot is not None and _answer(sent, slot, ctx):
        return
    about_other = slot is not None and slot.who is not None and slot.subject != ctx.speaker
    for tok in sent:
        if tok.pos_ in ("VERB", "AUX") and tok.dep_ in _CLAUSE_DEPS:
            _clause_facts(tok, ctx)
    for tok in sent:  # "I met my friend Lily": the name is a fact even without a verb rule
        if tok.pos_ == "NOUN" and _kin_norm(tok) and tok.i not in ctx.used_names and _named(tok):
            resolve(tok, ctx)
        elif (  # "Oscar, my guinea pig", "Jamal, my roommate": the name comes first
            tok.pos_ == "NOUN" and tok.dep_ == "appos" and tok.head.pos_ == "PROPN"
            and (kin := _kin_norm(tok)) and (owner := _owner(tok, ctx))
            and tok.i not in ctx.used_names
        ):  # fmt: skip
            name = _proper(tok.head)
            if name.lower() != owner.lower():
                rel = lx.KIN_RELATION.get(kin, f"have {kin}")
                _emit(ctx, [Ref(owner, "PERSON")], rel, "state", name, Clause(tok, {tok.i}), tok)
                ctx.discourse.add_person(ctx.at(tok.head), name, kin, owner)
                ctx.used_names.add(tok.i)
    mentions = (
        ev.owned_mentions(sent, ctx) + ev.home_mentions(sent, ctx) + ev.work_mentions(sent, ctx)
        + _allergy_mentions(sent, ctx) + ev.study_mentions(sent, ctx)
    )  # fmt: skip
    for cand, anchor in mentions:  # "our place in Porto", "my team at Spotify", "our cat"
        verb = anchor if anchor.pos_ in ("VERB", "AUX") else sent.root
        cl = Clause(verb, {verb.i})
        _emit(ctx, [cand.subject] if cand.subject else [], cand.relation, cand.kind, cand.object,
              cl, verb)  # fmt: skip
    for tok in sent:  # "Darnell's my flatmate" (parsed as a possessive noun phrase)
        if tok.pos_ == "NOUN" and (named := ev.possessive_kin(tok, ctx)):
            _emit(ctx, [named.subject] if named.subject else [], named.relation, named.kind,
                  named.object, Clause(tok, {tok.i}), tok)  # fmt: skip
    if not about_other:  # a verbless answer to "What dog?" about his dog is not the speaker's
        _fragment_identity(sent, ctx)
    at.statements(sent, ctx)  # after the rules above named the sentence's people


def _hypothetical(sent: Span) -> bool:
    return any(
        t.lower_ in lx.HYPOTHETICAL_WORDS and not _clause_hedge(t) and not _embedded_question(t)
        for t in sent
    )


def _embedded_question(tok: Token) -> bool:
    """ "she still asks if I want goose": an "if"/"whether" that opens the object of a verb
    is a reported question, which hedges its own clause, not the sentence ("If I get the
    job, I'll move" is a condition: there the clause modifies the main verb)."""
    return (
        tok.lower_ in ("if", "whether")
        and tok.dep_ == "mark"
        and tok.head.dep_ in ("ccomp", "dobj")
        and tok.head.head.lemma_.lower() in _ASK_VERBS
    )


#: Verbs whose object an "if"/"whether" clause can be: the clause is a question they report.
_ASK_VERBS = {"ask", "wonder", "know", "check", "see", "say", "tell", "decide", "remember"}


def _in_embedded_question(verb: Token) -> bool:
    t = verb
    for _ in range(12):
        if any(_embedded_question(c) for c in t.children):
            return True
        if t.head is t or t.head.i == t.i:
            return False
        t = t.head
    return False


def _clause_hedge(tok: Token) -> bool:
    """ "thinking"/"considering" as a verb hedges its own clause only."""
    return tok.lower_ in _CLAUSE_HEDGES and tok.pos_ == "VERB"


def _hedged(verb: Token) -> bool:
    """Whether a clause lies under a hedging verb ("I'm thinking of going vegan")."""
    t = verb
    for _ in range(12):
        if _clause_hedge(t):
            return True
        if t.head is t:
            return False
        t = t.head
    return False


def _clause_facts(verb: Token, ctx: SentenceContext) -> None:
    cl = analyse(verb)
    if cl.skip or _hedged(verb) or _in_embedded_question(verb):
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
    if lemma in lx.LEAVE_VERBS and any(
        c.dep_ == "xcomp" and c.tag_ == "VBG" for c in verb.children
    ):
        return  # "I've left teaching", "gave up climbing": the gerund clause carries it
    if lemma == "die" or (lemma == "pass" and _particle(verb) == "away"):
        _death(verb, cl, ctx)
        return
    if lemma == "be" and (_favorite(verb, cl, ctx) or _day_at(verb, cl, ctx)):
        return
    subject_toks = _subjects(verb)
    subjects = [r for s in subject_toks for r in _subject_refs(s, verb, ctx)]
    _note_group(subject_toks, subjects, ctx)
    if not subject_toks and _elliptic(verb) and ctx.speaker:
        subjects = [
            Ref(ctx.speaker, "PERSON")
        ]  # "Just moved to Gdańsk", "Living in Brighton means"
    everyday = _everyday(verb, cl, ctx, lemma)
    for cand in everyday:
        if cand.subject is not None:
            own = Clause(verb, set(cl.anchors)) if lemma == "visit" else cl  # "visiting us in X"
            _emit(ctx, [cand.subject], cand.relation, cand.kind, cand.object, own, verb)
    if lemma == "go" and not cl.negated:  # "The hamster went to my niece": given away
        _gone_to(verb, subject_toks, cl, ctx)
    if (  # "Sam proposed!", not "Jake proposed a toast"
        lemma == "propose" and not _pobjs(verb, "to") and ctx.speaker
        and not any(d.lemma_.lower() != "marriage" for d in _children(verb, "dobj", "xcomp"))
    ):  # fmt: skip
        for s in subject_toks:
            if s.pos_ == "PRON" or (r := _subject_ref(s, verb, ctx)) is None:
                continue  # "I proposed" names no partner; "he proposed" is left alone
            me: Ref | None = Ref(ctx.speaker, "PERSON")
            others = _others_before(verb, {r.name, ctx.speaker, ctx.listener or ""}, ctx)
            if others:  # "Guess who's engaged? Zoe! Callum proposed": Zoe is, not me
                me = Ref(others[0], "PERSON") if len(others) == 1 else None
            if me is not None and r.name.lower() != me.name.lower():
                _emit(ctx, [me], "be engaged to", "start", r.name, cl, verb)
                _emit(ctx, [me], STATUS_RELATION, "start", "engaged", cl, verb)
    if lemma == "propose" and any(  # "I proposed to Leyla and she said yes!"
        t.lower_ == "yes" and t.head.lemma_.lower() == "say" for t in verb.sent
    ):
        partners = [r for o in _pobjs(verb, "to") if (r := resolve(o, ctx))]
        subs = [r for s in subject_toks if (r := _subject_ref(s, verb, ctx))]
        for p in partners:
            _emit(ctx, subs, "be engaged to", "start", p.name, cl, verb)
        if partners:
            _emit(ctx, subs, STATUS_RELATION, "start", "engaged", cl, verb)
    if (
        lemma in ("see", "date")
        and cl.negated
        and any(d.lower_ in ("anyone", "anybody") for d in _children(verb, "dobj"))
    ):  # "I'm not seeing anyone": not dating
        subjects_now = [r for s in subject_toks if (r := _subject_ref(s, verb, ctx))]
        _emit(ctx, subjects_now, "date", "end", ANY_OBJECT, Clause(verb, set(cl.anchors)), verb)
        return
    they_only: set[str] | None = None  # "they" as the couple just named: only these
    they = len(subject_toks) == 1 and subject_toks[0].lower_ == "they"
    sym_they = _symmetric(verb, cl) if they else None
    if they and (sym_they or not subjects):  # a group named as subjects (_note_group) keeps
        if sym := sym_they:  # every relation; "they split up": the two people just named
            pairs = _they_couple(subject_toks[0], sym, ctx)
            for a, b in pairs:
                _emit(ctx, [a], sym[0], sym[1], b.name, cl, verb)
            if (status := _STATUS.get(sym)) and not (sym[1] == "end" and is_progressive(verb)):
                _emit(ctx, [r for p in pairs[:1] for r in p], STATUS_RELATION, "start", status,
                      cl, verb)  # fmt: skip
            return
        # "Omar and Ines got married! They live in Stuttgart now": a couple shares a home
        subjects = [r for pair in _they_couple(subject_toks[0], ("", "state"), ctx)[:1]
                    for r in pair]  # fmt: skip
        they_only = _THEY_RELATIONS
    if not subjects:
        return
    cands: list[Candidate] = [(c.relation, c.kind, c.object) for c in everyday if c.subject is None]
    if lemma in ("be", "get", "become"):
        cands.extend(_copula(verb, cl, ctx))
        for c in verb.children:  # "I got divorced", "I got fired" parsed as acomp
            if c.dep_ == "acomp" and c.pos_ == "VERB":
                inner = _verb_rules(c, cl, ctx)
                cands.extend(inner + _bare_endings(c, inner))
    cands.extend(_verb_rules(verb, cl, ctx))
    cands.extend(_bare_endings(verb, cands))
    sym = _symmetric(verb, cl)
    couples = _couples(subject_toks, verb, ctx) if sym else []
    if sym and couples:  # "Zoe and I got married": the partner is the object
        relation, kind = sym
        cands = [c for c in cands if c[0] != relation]
        for me, partner in couples:
            obj, rel = partner.name, relation
            if kind == "end" and obj.startswith(f"{me.name}'s "):
                kin = obj.partition("'s ")[2]  # "my wife and I split up": the marriage ends
                rel = lx.KIN_RELATION.get(kin, relation)
                obj = ANY_OBJECT  # whoever the partner is stored as
                cl.plan = False
            _emit(ctx, [me], rel, kind, obj, cl, verb)
    if (  # "we got married": the status, partner or not ("getting divorced": not yet)
        sym and (status := _STATUS.get(sym)) and not (sym[1] == "end" and is_progressive(verb))
    ):
        people = [me for me, _ in couples] or subjects
        _emit(ctx, people, STATUS_RELATION, "start", status, cl, verb)
    for relation, kind, obj in cands:
        if they_only is None or relation in they_only:
            _emit(ctx, subjects, relation, kind, obj, cl, verb)
    named = {_STATUS.get((r, k)) for r, k, _ in cands if k in ("start", "state")}
    if named - {None} and not (sym or cl.negated or cl.ending or cl.plan):
        # "Rui married Marta", "Ana is engaged to Tom": the status beside the partner
        for status in sorted(s for s in named if s):
            _emit(ctx, subjects, STATUS_RELATION, "start", status, cl, verb)


#: What a couple's "they" states of both: where they live (a shared flat, a shared car or
#: "they have a dog" may be one partner's; a job or a diet is one person's).
_THEY_RELATIONS = {"live in"}

#: A partner relation's change as a relationship status: "What's her relationship status?"
#: is asked about people whose partner the chat never names ("we got married in May").
STATUS_RELATION = "have relationship status"
_STATUS = {
    ("be married to", "start"): "married",
    ("be married to", "state"): "married",
    ("be engaged to", "start"): "engaged",
    ("be engaged to", "state"): "engaged",
    ("be married to", "end"): "divorced",
}


def _everyday(verb: Token, cl: Clause, ctx: SentenceContext, lemma: str) -> list[ev.Cand]:
    """Candidates from :mod:`.everyday` (homes, work, diets, hobbies, devices, study, kin)."""
    out = ev.devices(verb, cl, ctx) + ev.diets(verb, cl, ctx) + ev.hobbies(verb, cl, ctx)
    out += ev.homes(verb, cl, ctx) + ev.work(verb, cl, ctx) + ev.study(verb, cl, ctx)
    if lemma == "be":
        out += ev.copula_device(verb, ctx) + ev.copula_hobby(verb, ctx) + ev.copula_role(verb, ctx)
        out += ev.copula_kin(verb, ctx)
    return out


def _subject_ref(tok: Token, verb: Token, ctx: SentenceContext) -> Ref | None:
    if verb.dep_ == "relcl" and tok.lower_ in ("who", "that", "which"):
        tok = verb.head
    return resolve(tok, ctx)


def _others_before(verb: Token, known: set[str], ctx: SentenceContext) -> list[str]:
    """The people other than ``known`` that the message named before ``verb``."""
    at, low = ctx.at(verb), {k.lower() for k in known}
    d = ctx.discourse
    names = [p.name for p in (*d.antecedents, *d.mentioned) if 0 <= p.offset < at]
    return list(dict.fromkeys(n for n in names if n.lower() not in low))


def _subject_refs(tok: Token, verb: Token, ctx: SentenceContext) -> list[Ref]:
    """A subject's people: one, or for "they" the group it means (:func:`_note_group`)."""
    if tok.lower_ == "they" and tok.dep_ in ("nsubj", "nsubjpass"):
        names = ctx.discourse.group_before(ctx.at(tok))
        return [ctx.refs.setdefault(n, Ref(n, "PERSON")) for n in names]
    ref = _subject_ref(tok, verb, ctx)
    return [ref] if ref is not None else []


def _note_group(toks: list[Token], refs: list[Ref], ctx: SentenceContext) -> None:
    """Remember a plural subject for a later "they": two or more people ("Ruth and
    Gareth sold the farm. They've moved to Durham."), a plural kin word ("my parents"), or,
    as a blocker, plural things ("The hotels were full; they ..."). A group with the
    speaker or listener is "we"/"you", never "they"."""
    if not toks or any(t.lower_ == "they" for t in toks):
        return
    at = ctx.at(toks[0])
    me = {n.lower() for n in (ctx.speaker, ctx.listener) if n}
    if any(t.pos_ == "PRON" and t.lower_ not in ("he", "she") for t in toks) or any(
        r.name.lower() in me for r in refs
    ):
        return
    places = ("GPE", "LOC", "FAC", "ORG")  # "Lena, Marco and Sofia": Sofia may be the city
    people = tuple(dict.fromkeys(r.name for r in refs if r.type not in places))
    if not any(r.type == "PERSON" for r in refs):
        people = ()
    if len(toks) >= 2 and len(people) == len(toks):
        ctx.discourse.add_group(at, people)
    elif len(toks) == 1 and toks[0].tag_ in ("NNS", "NNPS"):
        kin = len(people) == 1 and people[0].endswith(("s", "ren")) and "'s " in people[0]
        ctx.discourse.add_group(at, people if kin else ())


# --------------------------------------------------------------------------- couples


def _symmetric(verb: Token, cl: Clause) -> tuple[str, str] | None:
    """ "got married", "are engaged", "have been dating", "broke up" with no object.

    Returns (relation, kind) when the clause states a relation two people share and
    names no partner itself ("married to Alex" is handled by the ordinary rules).
    """
    words = [verb]
    if verb.lemma_.lower() in ("be", "get", "become"):
        words += [c for c in verb.children if c.dep_ in ("acomp", "oprd", "attr")
                  and c.pos_ in ("VERB", "ADJ")]  # fmt: skip
    for w in words:
        prt = _particle(w)
        rule = lx.SYMMETRIC.get((w.lemma_.lower(), prt)) or lx.SYMMETRIC.get((w.lower_, prt))
        if rule is None:
            continue
        objs = _children(w, "dobj") + _pobjs(w, "to", "with")
        if any(o.lower_ not in ("other", "another") for o in objs):
            return None  # "married to Alex", "broke up with Jordan": the rules name the partner
        if w.lemma_.lower() == "see" and not (objs and w.tag_ == "VBG"):
            continue  # only "seeing each other"
        relation, kind = rule
        getter = verb.lemma_.lower() in ("get", "become") or any(
            c.dep_ == "auxpass" and c.lower_ in _GET_FORMS for c in w.children
        )
        if kind == "state" and getter:
            kind = "start"
            if is_progressive(verb) or any(
                c.dep_ == "auxpass" and c.tag_ == "VBG" for c in w.children
            ):
                cl.plan = True  # "we're getting married": not yet
        return relation, kind
    return None


def _couples(subjects: list[Token], verb: Token, ctx: SentenceContext) -> list[tuple[Ref, Ref]]:
    """ "Zoe and I", "me and Ana", "my girlfriend and I": the two people of a shared relation.

    The parser often splits such a subject ("Zoe" as the root, "I" as the verb's subject),
    so the partner is also found by position: the noun right before "and I" or after "I and".
    The speaker (else the listener) comes first.
    """
    out: list[tuple[Ref, Ref]] = []
    seen: set[frozenset[str]] = set()
    for s in subjects:
        partner = _partner(s, verb)
        if partner is None:
            continue
        a, b = _person(s, ctx), _person(partner, ctx)
        if a is None or b is None or a.name.lower() == b.name.lower():
            continue
        if b.name in (ctx.speaker, ctx.listener) and a.name != ctx.speaker:
            a, b = b, a
        key = frozenset((a.name.lower(), b.name.lower()))
        if key not in seen:
            seen.add(key)
            out.append((a, b))
    return out


def _they_couple(tok: Token, sym: tuple[str, str], ctx: SentenceContext) -> list[tuple[Ref, Ref]]:
    """ "They broke up" after "Is Petra going with him?" (him = Omar): "they" is a couple
    when the conversation names exactly two people just before it (see
    :meth:`Discourse.couple`). An ending is said of both orders, since the store keeps the
    partner fact under whichever of the two was the subject."""
    exclude = {n.lower() for n in (ctx.speaker, ctx.listener) if n}
    pair = ctx.discourse.couple(ctx.at(tok), exclude)
    if pair is None:
        return []
    a, b = (_remember(ctx, Ref(n, "PERSON")) for n in pair)
    return [(a, b), (b, a)] if sym[1] == "end" else [(a, b)]


def _person(tok: Token, ctx: SentenceContext) -> Ref | None:
    """Resolve one of a couple; a capitalised word opening "Theo and I" is a name even when
    the parser tags it as a common noun (kin words like "Mom" still need an owner)."""
    ref = resolve(tok, ctx)
    if ref is None and tok.pos_ == "NOUN" and tok.i == tok.sent.start and tok.is_alpha:
        word = tok.lower_
        if tok.text[:1].isupper() and len(word) > 1 and not _kin_norm(tok) and word not in lx.KIN:
            ref = Ref(tok.text, "PERSON")
            ctx.refs.setdefault(ref.name, ref)
    return ref


def _partner(s: Token, verb: Token) -> Token | None:
    doc = s.doc
    conj = [c for c in s.children if c.dep_ == "conj"]
    if conj:
        return conj[0] if len(conj) == 1 and not _children(conj[0], "conj") else None
    if s.dep_ == "conj" and s.head is not s:
        head = s.head
        return head if len([c for c in head.children if c.dep_ == "conj"]) == 1 else None
    cand = None
    if s.i >= 2 and doc[s.i - 1].lower_ in ("and", "&"):
        cand = doc[s.i - 2]  # "Zoe and I": the head of the phrase before "and"
        if s.i >= 3 and doc[s.i - 3].text == ",":
            return None  # "Tom, Zoe and I": a group, not a couple
    elif s.i + 2 < verb.i and doc[s.i + 1].lower_ in ("and", "&"):
        cand = doc[s.i + 2]  # "me and my girlfriend"
        while cand.dep_ in ("poss", "compound", "det", "amod") and s.i < cand.head.i < verb.i:
            cand = cand.head
    if cand is None or cand.i >= verb.i or cand.pos_ not in ("PROPN", "NOUN", "PRON"):
        return None
    if cand.dep_ in ("dobj", "pobj", "attr", "dative", "oprd"):
        return None  # "I called Tom and I got engaged": Tom is an object
    return cand


# --------------------------------------------------------------------------- patterns


def _copula(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Candidate]:
    out: list[Candidate] = []
    ctx_free: list[tuple[str, str, Token | str]] = []  # tokens: resolved later (object_text)
    get = verb.lemma_.lower() in ("get", "become")
    for c in verb.children:
        low, lem = c.lower_, c.lemma_.lower()
        if c.dep_ in ("acomp", "attr", "oprd"):
            if low == "allergic":
                objs = _pobjs(c, "to")
                ctx_free += [("be allergic to", "state", o) for o in objs]
                misparsed = [] if objs else _misparsed_to(c)
                out += [("be allergic to", "state", t) for t in misparsed]
                if not objs and not misparsed and not any(x.dep_ == "prep" for x in c.children):
                    ctx_free += [("be allergic to", "state", o) for o in _fronted(verb)]
            elif low in ("married", "engaged"):
                rel = "be married to" if low == "married" else "be engaged to"
                objs = _pobjs(c, "to")
                ctx_free += [(rel, "start" if get else "state", o) for o in objs]
                if objs and get and is_progressive(verb):
                    cl.plan = True  # "I'm getting married to Alex": not yet
            elif lem == "fan":
                rel = "dislike" if cl.negated and not cl.ending else "like"
                objs = _pobjs(c, "of")
                if objs:
                    ctx_free += [(rel, "state", o) for o in objs]
                else:
                    names = [t for t in c.lefts if t.dep_ == "compound" and t.pos_ == "PROPN"]
                    ctx_free += [(rel, "state", names[-1])] if names else []
            elif low in lx.DIETS or _hyphen_text(c) in lx.DIETS:
                continue  # diets: everyday.diets ("follow diet")
            elif (low in lx.IDENTITY or lem in lx.IDENTITY) and not get:
                out.append(("be", "state", low))
                if low == "single":  # single: not dating anyone (closes a "date" fact)
                    out.append(("date", "end", ANY_OBJECT))
                    out.append((STATUS_RELATION, "state", "single"))
            elif lem in lx.OCCUPATIONS and c.pos_ == "NOUN" and not get:
                ctx_free.append(("work as", "state", c))
                orgs = _pobjs(c, "at", "for", "with") or _pobjs(verb, "at", "for")
                ctx_free += [("work at", "state", o if o.pos_ == "PROPN" else t) for o in orgs
                             if (t := ev.employer_text(o, ctx))]  # fmt: skip
        elif c.dep_ == "prep" and low == "from" and not get:
            ctx_free += [("be from", "state", o) for o in _children(c, "pobj") if o.pos_ == "PROPN"]
        elif c.dep_ == "prep" and low == "into" and not get:
            ctx_free += [("like", "state", o) for o in _children(c, "pobj")]
            out += [("like", "state", t) for g in _children(c, "pcomp")  # "into birdwatching"
                    if g.tag_ == "VBG" and (t := g.text.lower())]  # fmt: skip
    return out + [(r, k, o) for r, k, o in ctx_free]


def _hyphen_text(tok: Token) -> str:
    doc = tok.doc
    if tok.i + 2 < len(doc) and doc[tok.i + 1].text == "-" and not doc[tok.i].whitespace_:
        return f"{tok.lower_}-{doc[tok.i + 2].lower_}"
    return tok.lower_


def _fronted(verb: Token) -> list[Token]:
    """ "Birch pollen, I've been allergic since I was six": a noun put first, before the
    subject and a comma, is what the bare adjective is about."""
    subj = [c for c in verb.children if c.dep_ == "nsubj"]
    if not subj:
        return []
    return [
        c for c in verb.children
        if c.dep_ in ("npadvmod", "dep") and c.pos_ == "NOUN" and c.i < subj[0].i
        and c.left_edge.i == c.sent.start  # the sentence opens with it, then a comma
        and c.right_edge.i + 1 < len(c.doc) and c.doc[c.right_edge.i + 1].text == ","
    ]  # fmt: skip


def _misparsed_to(adj: Token) -> list[str]:
    """ "allergic to shellfish" parsed as "to" + verb ("to shellfish" like "to go").

    The small model tags some nouns after "to" (shellfish, gluten, shrimp, ibuprofen ...)
    as an infinitive verb; take the words themselves, with a direct object the parser
    hung on them ("to tree nuts" as "tree" + object "nuts") and their conjuncts.
    """
    doc = adj.doc
    to = doc[adj.i + 1] if adj.i + 1 < len(doc) else None
    if to is None or to.lower_ != "to" or to.dep_ != "aux" or to.head.i != to.i + 1:
        return []  # the parser hangs the word on "allergic" (xcomp) or on the verb (advcl)
    x = to.head
    if x.tag_ in ("VBG", "VBD", "VBN") or any(c.dep_ in _CLAUSE_CHILDREN for c in x.children):
        return []  # a real verb phrase: "allergic to waking up early"
    out = []
    conj = [c for c in _children(x, "conj") if c.pos_ in ("NOUN", "PROPN", "VERB")]
    conj += [c for c in _children(adj, "conj") if c.pos_ in ("NOUN", "PROPN") and c.i > x.i]
    for t in (x, *conj):  # "to gluten and soy": "soy" may hang on "allergic"
        if t.pos_ in ("PRON", "AUX") or t.lower_ in lx.JUNK_OBJECTS or not t.is_alpha:
            continue
        words = [t]
        words += [d for d in t.children if d.dep_ == "dobj" and d.i == t.i + 1 and d.pos_ == "NOUN"]
        out.append(" ".join(w.text for w in words))
    return out


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
    if lemma == "see":
        return _seeing(verb, cl, ctx)
    aux = [c for c in verb.children if c.dep_ == "auxpass"]
    if lemma in ("engage", "marry") and verb.tag_ == "VBN" and aux:
        # "Rui is engaged to Marta", "she got married to Tom" (parsed as passives)
        rel = "be engaged to" if lemma == "engage" else "be married to"
        get = aux[0].lower_ in _GET_FORMS
        if get and (aux[0].tag_ == "VBG" or is_progressive(verb)):
            cl.plan = True  # "getting married to Tom": not yet
        objs = [t for o in _pobjs(verb, "to") if (t := object_text(o, ctx))]
        return [(rel, "start" if get else "state", t) for t in objs]
    for d in _children(verb, "dobj"):
        dl = d.lemma_.lower()
        if d.pos_ in ("VERB", "AUX", "ADJ", "ADV", "INTJ", "ADP"):
            continue  # "doing good", conjoined verbs parsed as objects
        if dl in lx.JOB_NOUNS:
            out.extend(_job(lemma, d, verb, ctx))
            continue
        if lemma in ("have", "develop") and dl in ("allergy", "allergies"):
            out.extend(_allergy(d, ctx))  # "I've developed a shellfish allergy"
            continue
        rule = lx.VERB_RULES.get((lemma, prt, "dobj")) or lx.VERB_RULES.get((lemma, "", "dobj"))
        if rule is None or (lemma == "stand" and not _cant(verb)):
            continue
        if rule.relation == "work at" and (role := role_of(d)):
            out.append(("work as", rule.kind, role))  # "I quit nursing": the role ends
            continue
        if rule.relation in ("like", "dislike", "prefer") and _specific(d):
            continue  # "I love the structure of the language": a reaction, not a taste
        got = _typed_object(d, rule.obj, rule.relation, ctx)
        if got and not (got[0] in lx.GENERIC_EVENT_RELATIONS and _generic(d, got[1])):
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
        born = _born(verb, ctx)
        born += _here_there(verb, lemma, prt, born, ctx)
        return out + born + _where_clause(verb, lemma, prt, born)
    out.extend(_role_verb(verb, cl))
    out.extend(training(verb, cl, ctx))
    if lemma == "do" and verb.tag_ == "VBN":
        out.extend(_done_with(verb, ctx))
    preps = _children(verb, "prep") + [
        p for a in verb.children if a.dep_ == "advmod" and a.lower_ in _DIRECTION_ADVS
        for p in _children(a, "prep")
    ]  # fmt: skip
    if lemma in ("teach", "work"):  # "teaches maths at the grammar school" (at on the subject)
        preps += [
            p for d in _children(verb, "dobj") for p in _children(d, "prep") if p.lower_ == "at"
        ]
    degree = any(ev._degree(d) for d in _children(verb, "dobj"))
    towns: list[tuple[int, Token, Token]] = []  # (index in out, prep, place) of "live in"
    for p in preps:
        prep = p.lower_
        rule = lx.VERB_RULES.get((lemma, prt, prep)) or lx.VERB_RULES.get((lemma, "", prep))
        if rule is None or (degree and rule.relation == "work at"):
            continue  # "starting a nursing degree at Cardiff": study (everyday.study)
        if rule.relation == "work at" and rule.kind == "end":  # "retired from teaching"
            ended = [r for c in _children(p, "pobj", "pcomp") if (r := role_of(c))]
            if ended:
                out += [("work as", "end", r) for r in ended]
                continue
        for o in _children(p, "pobj"):
            if _temporal_at(o, ctx) is not None or (
                rule.relation == "work at" and ev.clock_time(o, ctx)
            ):
                continue  # "for three years", "at 9am" is a time, not an employer
            relation = rule.relation
            if rule.obj == "place" and o.pos_ != "PROPN":
                homes = _pobjs(o, "in") if o.lemma_.lower() in lx.HOME_NOUNS else []
                out += [(relation, rule.kind, ev.name_span(h)) for h in homes if h.pos_ == "PROPN"]
                continue  # "I live on my own in a tiny flat in Splott"
            if rule.obj == "place" and (
                ev._device_word(o)
                or (
                    rule.relation == "live in"
                    and lemma not in ("live", "reside")  # one lives in a town, not a firm
                    and ev.moved_to_employer(o)
                )
            ):
                continue  # "moved over from a Motorola", "moved to Deloitte" (work)
            if (
                (lemma, prep) == ("go", "to")
                and verb.tag_ in ("VBZ", "VBP")
                and o.ent_type_ == "ORG"
            ):
                relation = "study at"  # "my daughter goes to Harvard"
            text = ev.name_span(o) if o.pos_ == "PROPN" and not ctx.quotes else object_text(o, ctx)
            if relation == "work at" and o.pos_ != "PROPN":
                text = ev.employer_text(o, ctx)  # "teaching at a school in Cascais"
            if relation == "live in" and o.pos_ == "PROPN" and text:
                text = _district(o, text)  # "in Nørrebro, Copenhagen": one home
                towns.append((len(out), p, o))
            if text and not (relation in lx.GENERIC_EVENT_RELATIONS and _generic(o, text)):
                out.append((relation, rule.kind, text))
            if relation == "work as":  # "work as a nurse at X", "hired as an analyst at X"
                out += [
                    ("work at", rule.kind, t)
                    for q in _pobjs(o, "at", "for")
                    if (t := object_text(q, ctx))
                ]
    out = _merge_district(out, towns)
    out.extend(_here_there(verb, lemma, prt, out, ctx))
    out.extend(_where_clause(verb, lemma, prt, out))
    return out


def _district(o: Token, text: str) -> str:
    """ "in Nørrebro, Copenhagen": a place with its town in apposition is one place."""
    towns = [c for c in o.children if c.dep_ == "appos" and c.pos_ == "PROPN" and c.i > o.i]
    return f"{text}, {ev.name_span(towns[0])}" if towns else text


def _merge_district(out: list[Candidate], homes: list[tuple[int, Token, Token]]) -> list[Candidate]:
    """ "We live in Copenhagen, in Nørrebro": the second place, after a comma, narrows the
    first (a district of the town), so both are one home, "Nørrebro, Copenhagen"; as two
    facts of a single-valued relation the district would replace the town. Lists ("in
    Paris, in Rome and in Berlin") and other prepositions ("from Leeds to York") are left."""
    if len(homes) != 2:
        return out
    (k1, p1, o1), (k2, p2, o2) = homes
    doc = o1.doc
    between = doc[o1.i + 1 : p2.i]  # the comma may hang on the first place
    if (
        p1.lower_ != p2.lower_
        or len(between) != 1
        or between[0].text != ","
        or any(t.pos_ == "CCONJ" for t in doc[p2.i : o2.right_edge.i + 2])
        or k1 >= len(out) or k2 >= len(out) or out[k1][0] != out[k2][0]
    ):  # fmt: skip
        return out
    rel, kind, outer = out[k1]
    merged = (rel, kind, f"{out[k2][2]}, {outer}")
    return [merged if i == k1 else c for i, c in enumerate(out) if i != k2]


def _generic(tok: Token, text: str) -> bool:
    """ "a movie", "a show", "a podcast": an indefinite common noun with nothing to tell it apart.

    A name, a quoted title, a kept modifier ("a horror movie") or an owner ("my mom")
    makes the object memorable; a bare indefinite noun does not.
    """
    if tok.pos_ != "NOUN" or tok.ent_type_ or " " in text or text.lower() != tok.lower_:
        return False
    return any(c.dep_ == "det" and c.lower_ in lx.INDEFINITE_DETS for c in tok.children)


def _seeing(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Candidate]:
    """ "I'm seeing Bruno", "I've been seeing someone new, Bruno", "started seeing Lena": dating.

    Only the progressive (or started/stopped seeing) with a person's name; a time point
    ("seeing Bruno tonight"), a purpose or place ("for lunch", "at the cafe") or a title
    ("Dr. Patel") makes it a meeting.
    """
    if verb.tag_ != "VBG" or cl.plan or not (is_progressive(verb) or cl.starting or cl.ending):
        return []
    for p in _children(verb, "prep", "dative"):
        pobjs = _children(p, "pobj")
        if not (pobjs and all(_temporal_at(o, ctx) for o in pobjs)):
            return []  # "seeing Anna for coffee", "seeing him at the gym"; times are fine
    if not (cl.starting or cl.ending) and any(
        t.role == "at" for t, a in ctx.temporals if a is not None and a.i in cl.anchors
    ):
        return []  # "I'm seeing Bruno tonight / on Friday": a meeting
    names: list[Token] = []
    objs = _children(verb, "dobj")
    nxt = verb.doc[verb.i + 1] if verb.i + 1 < len(verb.doc) else None
    if not objs and nxt is not None and nxt.lower_ in lx.SOMEONE_WORDS:
        objs = [nxt]  # "seeing someone new, Bruno" parsed as a clause "someone (is) new"
    called: set[int] = set()  # "someone called Ines": a person whatever NER says
    for d in objs:
        if d.pos_ == "PROPN":
            names.append(d)
        elif d.lower_ in lx.SOMEONE_WORDS:
            name = _named(d) or _apposed_name(d)
            names += [name] if name is not None else []
            called.update([name.i] if name is not None else [])
    out: list[Candidate] = []
    for n in names:
        if n.ent_type_ in lx.ENTITY_LABELS_SKIPPED or any(
            c.dep_ == "compound" and c.lower_ in lx.TITLES for c in n.children
        ):
            continue
        if n.ent_type_ in _NOT_PEOPLE and not (n.i in called or _unlisted_name(n, ctx)):
            continue
        ref = resolve(n, ctx)
        if ref is not None:
            out.append(("date", "state", ref.name))
    return out


#: NER labels the small model often gives an unseen first name ("Marta" GPE, "Ines" PRODUCT).
_NAME_MISLABELS = {"GPE", "LOC", "PRODUCT", "NORP"}


def _unlisted_name(tok: Token, ctx: SentenceContext) -> bool:
    """A one-word name NER calls a place or product that no dictionary lists: "seeing Marta"
    (dictionaries list the places one tours: "seeing Lisbon" stays a visit)."""
    return (
        tok.ent_type_ in _NAME_MISLABELS
        and ctx.common_nouns is not None
        and tok.lower_ not in ctx.common_nouns
        and not any(c.dep_ in ("compound", "flat") for c in tok.children)
    )


def _apposed_name(tok: Token) -> Token | None:
    """The name after "someone (new)," in "seeing someone new, Bruno"."""
    doc, j = tok.doc, tok.i + 1
    while j < len(doc) and doc[j].pos_ in ("ADJ", "ADV") and j - tok.i <= 3:
        j += 1
    if j >= len(doc) or doc[j].text not in (",", "-", "–", "—", ":"):
        return None
    k = j + 1
    if k + 1 < len(doc) and doc[k].lower_ in ("a", "an", "this"):
        noun = doc[k + 1]  # "someone new, a guy called Can": the name the apposed noun is given
        if noun.lower_ in lx.SOMEONE_WORDS and noun.pos_ == "NOUN":
            named = _named(noun)
            return named if named is not None and named.text[:1].isupper() else None
    run = []
    while k < len(doc) and doc[k].pos_ == "PROPN":
        run.append(doc[k])
        k += 1
    if not run or (k < len(doc) and doc[k].pos_ in ("VERB", "AUX")):
        return None  # "someone new, Bruno says": not an apposition
    heads = [t for t in run if not (run[0].i <= t.head.i <= run[-1].i) or t.head is t]
    return heads[0] if heads else run[-1]


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


def _allergy_mentions(sent: Span, ctx: SentenceContext) -> list[tuple[ev.Cand, Token]]:
    """ "my nut allergy is getting worse", "the allergist confirmed it: shellfish allergy":
    an allergy the speaker calls theirs, or names in a verbless aside, is the speaker's
    ("I have a nut allergy" is read by the verb; "her nut allergy" is someone else's)."""
    if not ctx.speaker:
        return []
    out = []
    for tok in sent:
        if tok.lemma_.lower() != "allergy" or tok.pos_ != "NOUN":
            continue
        poss = [c for c in tok.children if c.dep_ == "poss"]
        mine = bool(poss) and all(c.lower_ in lx.SPEAKER_POSSESSIVES for c in poss)
        after_colon = tok.left_edge.i > 0 and tok.doc[tok.left_edge.i - 1].text in (":", "-")
        aside = (
            not poss
            and (tok.dep_ in ("appos", "ROOT", "npadvmod") or after_colon)
            and not any(c.dep_ == "det" and c.lower_ not in ("a", "an") for c in tok.children)
        )
        if not (mine or aside) or (tok.dep_ == "dobj" and tok.head.lemma_.lower() == "have"):
            continue  # "I have a nut allergy": the verb reads it
        out += [
            (ev.Cand(Ref(ctx.speaker, "PERSON"), rel, kind, obj), tok.head)
            for rel, kind, obj in _allergy(tok, ctx)
            if isinstance(obj, str)
        ]
    return out


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
    places: list[Candidate] = []
    dates: list[Candidate] = []
    raised = [c for c in _children(verb, "conj") if c.lemma_.lower() in ("raise", "breed", "bred")]
    for p in _children(verb, "prep") + [q for r in raised for q in _children(r, "prep")]:
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
    elif _kin_norm(o) is None and (text := object_text(o, ctx)):  # not "... and my wife"
        places.append(("be born in", "event", text))


def _typed_object(
    d: Token, kind: str, relation: str, ctx: SentenceContext
) -> tuple[str, str] | None:
    """Check an object against the rule's type; named pets/kin become "have <kin>" facts."""
    if _temporal_at(d, ctx) is not None:
        return None
    if kind == "poss" and d.pos_ == "PRON" and d.lower_ in ("him", "her"):
        ref = coref(d, ctx)  # "Fritz, a grey kitten. We got him in May."
        a = ctx.discourse.person_before(ctx.at(d), d.lower_, set()) if ref else None
        if a is not None and a.kind and (a.kind in lx.PETS or a.kind in lx.PET_BREEDS):
            return f"have {a.kind}", a.name
        return None
    if kind == "poss":
        common = d.pos_ == "NOUN" or (d.pos_ == "PROPN" and d.text.islower())  # "a whippet"
        kin_tok = d if (common and _named(d)) else _kin_of_name(d)
        if kin_tok is not None and (name := _named(kin_tok) or (d if d is not kin_tok else None)):
            kin = _kin_norm(kin_tok)
            if kin is None:
                return None
            ctx.used_names.add(kin_tok.i)
            rel = lx.KIN_RELATION.get(kin, f"have {kin}") if relation == "have" else relation
            return rel, _proper(name)
        word = d.lower_
        if not (
            {word, d.lemma_.lower()}
            & (lx.PETS | lx.PET_BREEDS | lx.POSSESSIONS | lx.CONDITIONS | set(lx.KIN))
        ):
            return None
        if _kin_norm(d) and any(c.dep_ == "poss" for c in d.children):
            return None  # "I have my sister" is not possession
    elif kind == "org" and d.pos_ != "PROPN":
        if d.lemma_.lower() not in lx.WORKPLACE_NOUNS:
            return None  # "joined a gym", but "joined the climate lab"
    elif kind == "job" and d.pos_ != "PROPN":
        if d.lemma_.lower() not in lx.WORKPLACE_NOUNS or not _definite(d):
            return None  # "quit the hotel kitchen", but not "quit smoking"
    elif kind == "person" and d.pos_ != "PROPN" and d.lower_ in lx.SOMEONE_WORDS:
        name = _named(d) or _apposed_name(d)  # "dating a guy called Marco"
        return (relation, _proper(name)) if name is not None else None
    elif kind in ("place", "person") and d.pos_ != "PROPN":
        return None
    team = relation == "work at" and d.pos_ == "PROPN" and lx.SPORT_RE.search(d.doc.text)
    if kind == "org" and d.pos_ == "PROPN" and not team:
        words = {w.lower() for w in _proper(d).split()}
        if words & lx.CLUB_WORDS:
            return None  # "joined Kelvin Netball Club": a club, not an employer
    text = object_text(d, ctx)
    if text and team:  # "joined Salthill Sharks for this season", "left Corrib": a team
        return "play for", text
    return (relation, text) if text else None


def _definite(tok: Token) -> bool:
    return any(
        c.dep_ in ("det", "poss") and c.lower_ not in lx.INDEFINITE_DETS for c in tok.children
    )


def _death(verb: Token, cl: Clause, ctx: SentenceContext) -> None:
    """ "Our cat died", "my dog Max passed away": the owner no longer has them."""
    for s in _subjects(verb):
        kin_tok = s if (s.pos_ == "NOUN" and _kin_norm(s)) else _kin_of_name(s)
        if kin_tok is None and s.pos_ == "PROPN" and not cl.negated:
            known = ctx.refs.get(_proper(s))  # "Otto died": Otto was named as Jule's pug earlier
            if known is not None and known.alias and "'s " in known.alias:
                keeper, _, pet = known.alias.rpartition("'s ")
                if pet in lx.PETS or pet in lx.PET_BREEDS:
                    _emit(ctx, [Ref(keeper, "PERSON")], f"have {pet}", "end", known.name, cl, verb)
            continue
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
