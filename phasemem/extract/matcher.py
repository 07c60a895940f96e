"""Apply the relation tables to the clauses of one parsed sentence.

:mod:`.clauses` resolves who a phrase is and how a clause is qualified
(negated, ended, planned, hypothetical); this module finds the relation and
object of each clause and decides the fact's times from the temporal phrases
anchored to it. Sentences that are questions or hypotheticals yield nothing:
an unasked-for fact is worse than a missed one.
"""

from __future__ import annotations

import re
from datetime import datetime

from phasemem.extract import everyday as ev
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
    coref,
    gerund_text,
    is_progressive,
    object_text,
    resolve,
)
from phasemem.extract.discourse import YES_RE, Slot
from phasemem.extract.types import ANY_OBJECT, ExtractedFact

Candidate = tuple[str, str, str]  # relation, kind, object text
_GOVERNORS = lx.START_VERBS | lx.STOP_VERBS | {
    "use", "plan", "intend", "go", "want", "hope", "try", "need", "wish", "decide", "get",
}  # fmt: skip
_PLANNABLE = {"live in", "work at", "study at", "study", "visit", "work as", "be married to"}
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
    if slot is not None and _answer(sent, slot, ctx):
        return
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
    )
    for cand, anchor in mentions:  # "our place in Porto", "my team at Spotify", "our cat"
        verb = anchor if anchor.pos_ in ("VERB", "AUX") else sent.root
        cl = Clause(verb, {verb.i})
        _emit(ctx, [cand.subject] if cand.subject else [], cand.relation, cand.kind, cand.object,
              cl, verb)  # fmt: skip
    for tok in sent:  # "Darnell's my flatmate" (parsed as a possessive noun phrase)
        if tok.pos_ == "NOUN" and (kin := ev.possessive_kin(tok, ctx)):
            _emit(ctx, [kin.subject] if kin.subject else [], kin.relation, kin.kind, kin.object,
                  Clause(tok, {tok.i}), tok)  # fmt: skip
    _fragment_identity(sent, ctx)


def _note_places(sent: Span, ctx: SentenceContext) -> None:
    """Remember places for a later "here"/"there": names after in/to/from, NER places,
    "That's Ostrava"."""
    for ent in sent.ents:
        if ent.label_ in ("GPE", "LOC"):
            ctx.discourse.add_place(ctx.offset + ent.start_char, ent.text)
    for tok in sent:  # "Kraków is lovely in spring, I've lived here since 2016"
        if (
            tok.pos_ == "PROPN" and tok.dep_ == "nsubj" and tok.head.lemma_ == "be"
            and tok.ent_type_ != "PERSON" and any(c.dep_ == "acomp" for c in tok.head.children)
            and not ctx.discourse.person_named(tok.text)
        ):  # fmt: skip
            ctx.discourse.add_place(ctx.at(tok), ev.name_span(tok))
    if sent.root.lemma_ == "be" and any(c.dep_ == "nsubj" and c.lower_ in ("that", "it")
                                        for c in sent.root.children):  # fmt: skip
        for a in _children(sent.root, "attr"):
            if a.pos_ == "PROPN" and _temporal_at(a, ctx) is None:
                ctx.discourse.add_place(ctx.at(a), ev.name_span(a))
    for tok in sent:  # (the small model often calls a town ORG or PERSON: after "in", a name
        in_ = tok.dep_ == "pobj" and tok.head.lower_ == "in"  # is a place anyway)
        if (
            tok.pos_ != "PROPN"
            or tok.ent_type_ in ("DATE", "TIME", "NORP")
            or (tok.ent_type_ == "PERSON" and not in_)
        ):
            continue
        if _temporal_at(tok, ctx) is not None:
            continue  # "in October"
        if tok.dep_ != "compound" and (
            tok.ent_type_ in ("GPE", "LOC")
            or (tok.dep_ == "pobj" and tok.head.lower_ in ("in", "to", "from", "near", "around"))
        ):
            ctx.discourse.add_place(ctx.at(tok), ev.name_span(tok))


def _answer(sent: Span, slot: Slot, ctx: SentenceContext) -> bool:
    """The first sentence of a reply to "Which phone is it?" / "Where do you live?": a bare
    noun phrase ("A Pixel 7.", "Lyon!") or "It's a ..." names the asked relation's object.
    Returns True when the sentence was read as such an answer."""
    if not ctx.speaker:
        return False
    if slot.object is not None:  # "Did you grow up in Sapporo?" / "Born and raised."
        text = sent.text.strip()
        if not YES_RE.match(text):
            return False
        me, cl = [Ref(ctx.speaker, "PERSON")], Clause(sent.root, {sent.root.i})
        _emit(ctx, me, slot.relation, slot.kind, slot.object, cl, sent.root)
        if slot.relation != "be born in" and re.match(r"\W*born\b", text, re.IGNORECASE):
            _emit(ctx, me, "be born in", "state", slot.object, cl, sent.root)
        ctx.discourse.add_place(ctx.at(sent[0]), slot.object)
        return False  # the rest of the sentence may state more ("Born and raised in X")
    root = sent.root
    first = next((t for t in sent if not t.is_punct), None)
    if first is None or first.lower_ in _NEGATIVE_ANSWERS:
        return False
    head = root
    if root.lemma_.lower() == "be" and any(c.dep_ == "nsubj" and c.lower_ in ("it", "that")
                                           for c in root.children):  # fmt: skip
        head = next((c for c in root.children if c.dep_ == "attr"), None)  # "It's a Moto G"
    elif any(c.dep_ in ("nsubj", "nsubjpass", "aux") for c in root.children):
        return False  # a full clause: the ordinary rules read it
    elif root.pos_ == "VERB" and root.tag_ != "VBG" and not root.text[:1].isupper():
        return False
    if head is None:
        return False
    me = [Ref(ctx.speaker, "PERSON")]
    cl = Clause(root, {root.i})
    relation = slot.relation
    if relation in ("use phone", "drive", "?device"):
        got = ev.device(head)
        if got is None or (relation != "?device" and got[0] != relation):
            return False
        _emit(ctx, me, got[0], slot.kind, got[1], cl, root)
        return True
    if relation in ("live in", "plan to live in", "work at", "study at", "be from"):
        if not (head.pos_ == "PROPN" or head.text[:1].isupper()):
            return False
        name = ev.name_span(head) if head.pos_ == "PROPN" else head.text
        if relation == "live in" or relation == "plan to live in":
            ctx.discourse.add_place(ctx.at(head), name)
        rel = relation.removeprefix("plan to ")
        if relation.startswith("plan to "):
            cl.plan = True
        _emit(ctx, me, rel, slot.kind, name, cl, root)
        if relation == "study at":  # "Edinburgh, for the data science MSc."
            for o in _pobjs(head, "for", "in") + _pobjs(root, "for", "in"):
                field = ev._degree_field(o, root, ctx) if ev._degree(o) else None
                if field:
                    _emit(ctx, me, "study", slot.kind, field, cl, root)
        return True
    if relation == "study":  # "Architecture, at TU Delft."
        text = object_text(head, ctx) if head.pos_ in ("NOUN", "PROPN") else None
        if not text:
            return False
        _emit(ctx, me, "study", slot.kind, text, cl, root)
        for o in _pobjs(head, "at") + _pobjs(root, "at"):
            if o.pos_ == "PROPN":
                _emit(ctx, me, "study at", slot.kind, ev.name_span(o), cl, root)
        return True
    if relation == "work as":
        text = object_text(head, ctx) if head.pos_ in ("NOUN", "PROPN") else None
        if not text:
            return False
        if head.pos_ == "NOUN" and text[:1].isupper() and not text[1:2].isupper():
            text = text[0].lower() + text[1:]  # "Speech therapist."
        _emit(ctx, me, "work as", slot.kind, text, cl, root)
        return True
    if relation.startswith("have "):  # "What's your dog called?" / "Mango."
        if head.pos_ != "PROPN" and not head.text[:1].isupper():
            return False
        kind = relation[5:]
        rel = relation if kind != "pet" else "have"
        _emit(ctx, me, rel, slot.kind, _proper(head), cl, root)
        return True
    return False


_NEGATIVE_ANSWERS = {"no", "nope", "nah", "not", "none", "nothing", "dunno", "idk", "never"}


def _fragment_identity(sent: Span, ctx: SentenceContext) -> None:
    """ "Single and thriving.", "Vegan now.": a verbless line about the speaker."""
    root = sent.root
    first = next((t for t in sent if not t.is_punct), None)
    if (  # "A poodle called Noisette, eight weeks old." (a verbless line: the speaker's)
        root.pos_ == "NOUN"
        and ctx.speaker
        and (kin := _kin_norm(root))
        and (name := _named(root))
        and (kin in lx.PETS or kin in lx.PET_BREEDS)
        and any(c.dep_ == "det" and c.lower_ in lx.INDEFINITE_DETS for c in root.children)
    ):
        _emit(ctx, [Ref(ctx.speaker, "PERSON")], f"have {kin}", "state", _proper(name),
              Clause(root, {root.i}), root)  # fmt: skip
        return
    if first is None or root.pos_ not in ("ADJ", "NOUN") or not ctx.speaker:
        return
    if first.i != root.i and not (first.dep_ == "amod" and first.head.i == root.i):
        return
    if any(c.dep_ in ("nsubj", "poss") for c in root.children) or (
        any(c.dep_ == "det" for c in root.children) and root.lemma_.lower() != "day"
    ):
        return
    me = [Ref(ctx.speaker, "PERSON")]
    cl = Clause(root, {root.i})
    edge = {c.lower_ for c in root.children if c.dep_ == "amod"} & {"first", "last", "final"}
    if root.lemma_.lower() == "day" and edge:  # "First day at Lufthansa Technik tomorrow!"
        kind = "start" if "first" in edge else "end"
        for o in _pobjs(root, "at"):
            if o.pos_ == "PROPN":
                _emit(ctx, me, "work at", kind, ev.name_span(o), cl, root)
        return
    if root.lower_ == "single":
        _emit(ctx, me, "be", "state", "single", cl, root)
        _emit(ctx, me, "date", "end", ANY_OBJECT, cl, root)
    elif root.lower_ in lx.DIETS:
        _emit(ctx, me, "follow diet", "state", lx.DIETS[root.lower_], cl, root)


def _hypothetical(sent: Span) -> bool:
    return any(t.lower_ in lx.HYPOTHETICAL_WORDS and not _clause_hedge(t) for t in sent)


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
    if cl.skip or _hedged(verb):
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
    subjects = [r for s in subject_toks if (r := _subject_ref(s, verb, ctx))]
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
    if lemma == "propose" and any(  # "I proposed to Leyla and she said yes!"
        t.lower_ == "yes" and t.head.lemma_.lower() == "say" for t in verb.sent
    ):
        partners = [r for o in _pobjs(verb, "to") if (r := resolve(o, ctx))]
        subs = [r for s in subject_toks if (r := _subject_ref(s, verb, ctx))]
        for p in partners:
            _emit(ctx, subs, "be engaged to", "start", p.name, cl, verb)
    if (
        lemma in ("see", "date")
        and cl.negated
        and any(d.lower_ in ("anyone", "anybody") for d in _children(verb, "dobj"))
    ):  # "I'm not seeing anyone": not dating
        subjects_now = [r for s in subject_toks if (r := _subject_ref(s, verb, ctx))]
        _emit(ctx, subjects_now, "date", "end", ANY_OBJECT, Clause(verb, set(cl.anchors)), verb)
        return
    if not subjects:
        return
    cands: list[Candidate] = [(c.relation, c.kind, c.object) for c in everyday if c.subject is None]
    if lemma in ("be", "get", "become"):
        cands.extend(_copula(verb, cl))
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
    for relation, kind, obj in cands:
        _emit(ctx, subjects, relation, kind, obj, cl, verb)


def _everyday(verb: Token, cl: Clause, ctx: SentenceContext, lemma: str) -> list[ev.Cand]:
    """Candidates from :mod:`.everyday` (homes, work, diets, hobbies, devices, study, kin)."""
    out = ev.devices(verb, cl, ctx) + ev.diets(verb, cl, ctx) + ev.hobbies(verb, cl, ctx)
    out += ev.homes(verb, cl, ctx) + ev.work(verb, cl, ctx) + ev.study(verb, cl, ctx)
    if lemma == "be":
        out += ev.copula_device(verb, ctx) + ev.copula_hobby(verb, ctx) + ev.copula_role(verb, ctx)
        out += ev.copula_kin(verb, ctx)
    return out


#: Gerund subjects that state the speaker's own life: "Living in X / Being a nurse at Y /
#: Working at Z means ..." (while "Having friends is great" is generic).
_ELLIPTIC_GERUNDS = {"live", "be", "work", "teach", "run", "raise"}


def _gone_to(verb: Token, subjects: list[Token], cl: Clause, ctx: SentenceContext) -> None:
    """ "The hamster went to my niece", "my old Golf went to my sister": the speaker's
    pet, possession or car changed hands."""
    people = [o for o in _pobjs(verb, "to") if _kin_norm(o) or o.ent_type_ == "PERSON"]
    if not people or not ctx.speaker:
        return
    me = [Ref(ctx.speaker, "PERSON")]
    for s in subjects:
        if s.pos_ != "NOUN" or not any(
            c.dep_ in ("det", "poss") and c.lower_ in ("the", "my", "our") for c in s.children
        ):
            continue
        got = ev.device(s)
        if got is not None:
            _emit(ctx, me, got[0], "end", got[1], cl, verb)
        elif s.lemma_.lower() in lx.PETS | lx.PET_BREEDS | lx.POSSESSIONS:
            _emit(ctx, me, "have", "end", _kin_norm(s) or s.lower_, cl, verb)


def _elliptic(verb: Token) -> bool:
    """A clause with the speaker left out, as chat does: "Just moved to Gdańsk!", "Got
    bumped up to Staff Designer", "Moving to Oslo in June!"; a gerund subject ("Living in
    Brighton means ..."). Only the speaker is ever left out this way."""
    lemma = verb.lemma_.lower()
    if verb.dep_ == "csubj" and verb.tag_ == "VBG":
        return lemma in _ELLIPTIC_GERUNDS  # "Living in Brighton means", not "Having friends is"
    if verb.dep_ not in ("ROOT", "advcl") or verb.tag_ not in ("VBD", "VBN", "VBG"):
        return False
    if (
        verb.tag_ == "VBG"
        and lemma not in lx.PROGRESSIVE_PLANS
        and not (lemma in lx.HOBBY_VERBS or verb.lower_ in lx.HOBBY_NOUNS)
    ):
        return False  # "Watching the waves ...", "Still enjoying my soda": scene-setting
    if any(c.dep_ in ("mark", "nsubj", "nsubjpass", "expl") for c in verb.children):
        return False
    for t in verb.sent:
        if t.i >= verb.i:
            return True
        if (
            t.is_punct
            or t.pos_ in ("ADV", "INTJ", "CCONJ")
            or (t.head.i == verb.i and t.dep_ in ("aux", "auxpass"))
        ):
            continue
        return False
    return True


def _subject_ref(tok: Token, verb: Token, ctx: SentenceContext) -> Ref | None:
    if verb.dep_ == "relcl" and tok.lower_ in ("who", "that", "which"):
        tok = verb.head
    return resolve(tok, ctx)


def _particle(verb: Token) -> str:
    return next((c.lower_ for c in verb.children if c.dep_ == "prt"), "")


def _pobjs(tok: Token, *preps: str) -> list[Token]:
    return [o for p in _children(tok, "prep") if p.lower_ in preps for o in _children(p, "pobj")]


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


def _copula(verb: Token, cl: Clause) -> list[Candidate]:
    out: list[Candidate] = []
    ctx_free: list[tuple[str, str, Token]] = []  # resolved later with object_text
    get = verb.lemma_.lower() in ("get", "become")
    for c in verb.children:
        low, lem = c.lower_, c.lemma_.lower()
        if c.dep_ in ("acomp", "attr", "oprd"):
            if low == "allergic":
                objs = _pobjs(c, "to")
                ctx_free += [("be allergic to", "state", o) for o in objs]
                out += [] if objs else [("be allergic to", "state", t) for t in _misparsed_to(c)]
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
            elif lem in lx.OCCUPATIONS and c.pos_ == "NOUN" and not get:
                ctx_free.append(("work as", "state", c))
                orgs = _pobjs(c, "at", "for", "with") or _pobjs(verb, "at", "for")
                ctx_free += [("work at", "state", o) for o in orgs]
        elif c.dep_ == "prep" and low == "from" and not get:
            ctx_free += [("be from", "state", o) for o in _children(c, "pobj") if o.pos_ == "PROPN"]
        elif c.dep_ == "prep" and low == "into" and not get:
            ctx_free += [("like", "state", o) for o in _children(c, "pobj")]
            out += [("like", "state", t) for g in _children(c, "pcomp")  # "into birdwatching"
                    if g.tag_ == "VBG" and (t := g.text.lower())]  # fmt: skip
    return out + [(r, k, o) for r, k, o in ctx_free]  # type: ignore[misc]


def _hyphen_text(tok: Token) -> str:
    doc = tok.doc
    if tok.i + 2 < len(doc) and doc[tok.i + 1].text == "-" and not doc[tok.i].whitespace_:
        return f"{tok.lower_}-{doc[tok.i + 2].lower_}"
    return tok.lower_


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
            if _temporal_at(o, ctx) is not None:
                continue  # "for three years" is a time, not an employer
            relation = rule.relation
            if rule.obj == "place" and o.pos_ != "PROPN":
                homes = _pobjs(o, "in") if o.lemma_.lower() in lx.HOME_NOUNS else []
                out += [(relation, rule.kind, ev.name_span(h)) for h in homes if h.pos_ == "PROPN"]
                continue  # "I live on my own in a tiny flat in Splott"
            if rule.obj == "place" and (
                ev._device_word(o) or (rule.relation == "live in" and ev.moved_to_employer(o))
            ):
                continue  # "moved over from a Motorola", "moved to Deloitte" (work)
            if (
                (lemma, prep) == ("go", "to")
                and verb.tag_ in ("VBZ", "VBP")
                and o.ent_type_ == "ORG"
            ):
                relation = "study at"  # "my daughter goes to Harvard"
            text = ev.name_span(o) if o.pos_ == "PROPN" and not ctx.quotes else object_text(o, ctx)
            if text and not (relation in lx.GENERIC_EVENT_RELATIONS and _generic(o, text)):
                out.append((relation, rule.kind, text))
            if relation == "work as":  # "work as a nurse at X", "hired as an analyst at X"
                out += [
                    ("work at", rule.kind, t)
                    for q in _pobjs(o, "at", "for")
                    if (t := object_text(q, ctx))
                ]
    out.extend(_here_there(verb, lemma, prt, out, ctx))
    out.extend(_where_clause(verb, lemma, prt, out))
    return out


def _where_clause(verb: Token, lemma: str, prt: str, found: list[Candidate]) -> list[Candidate]:
    """ "back in Nantes where I was born", "Umeå, where we grew up": a relative clause on a
    place names the place."""
    if verb.dep_ != "relcl" or verb.head.pos_ != "PROPN" or found:
        return []
    if not any(c.dep_ == "advmod" and c.lower_ == "where" for c in verb.children):
        return []
    rule = lx.VERB_RULES.get((lemma, prt, "in")) or lx.VERB_RULES.get((lemma, "", "in"))
    if rule is None or rule.relation not in ("live in", "be born in", "grow up in"):
        return []
    return [(rule.relation, rule.kind, ev.name_span(verb.head))]


def _here_there(verb: Token, lemma: str, prt: str, found: list[Candidate],
                ctx: SentenceContext) -> list[Candidate]:  # fmt: skip
    """ "Moved here in October", "we live there now", "we were both born there": the place
    is the latest one the message named (a proper noun after in/to/from, a place the NER
    marks, the answer to "where do you live?")."""
    adv = next(
        (c for c in verb.children if c.dep_ == "advmod" and c.lower_ in ("here", "there")), None
    )
    if adv is None or any(r for r, _, _ in found if r in ("live in", "be born in", "grow up in")):
        return []
    for prep in ("in", "to"):
        rule = lx.VERB_RULES.get((lemma, prt, prep)) or lx.VERB_RULES.get((lemma, "", prep))
        if (
            rule is not None
            and rule.obj in ("place", "any")
            and rule.relation in ("live in", "be born in", "grow up in")
        ):
            place = ctx.discourse.place_before(ctx.at(adv))
            return [(rule.relation, rule.kind, place)] if place else []
    return []


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
    for d in objs:
        if d.pos_ == "PROPN":
            names.append(d)
        elif d.lower_ in lx.SOMEONE_WORDS:
            name = _named(d) or _apposed_name(d)
            names += [name] if name is not None else []
    out: list[Candidate] = []
    for n in names:
        if n.ent_type_ in _NOT_PEOPLE | lx.ENTITY_LABELS_SKIPPED or any(
            c.dep_ == "compound" and c.lower_ in lx.TITLES for c in n.children
        ):
            continue
        ref = resolve(n, ctx)
        if ref is not None:
            out.append(("date", "state", ref.name))
    return out


def _apposed_name(tok: Token) -> Token | None:
    """The name after "someone (new)," in "seeing someone new, Bruno"."""
    doc, j = tok.doc, tok.i + 1
    while j < len(doc) and doc[j].pos_ in ("ADJ", "ADV") and j - tok.i <= 3:
        j += 1
    if j >= len(doc) or doc[j].text not in (",", "-", "–", "—", ":"):
        return None
    k = j + 1
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
        t for o in pobjs if not _kin_norm(o) and o.pos_ != "PRON" and (t := object_text(o, ctx))
    ]
    comp = [c for c in noun.lefts if c.dep_ == "compound" and c.pos_ in ("NOUN", "PROPN")]
    extra: list[Candidate] = []
    if comp and ev.is_role(comp[-1], with_org=False):  # "the shift supervisor job"
        start = min(c.left_edge.i for c in comp)
        extra.append(("work as", kind, noun.doc[start : noun.i].text))
    roles = [  # "my job as a nurse"
        t
        for o in _pobjs(noun, "as") or _pobjs(verb, "as")
        if o.pos_ == "NOUN" and (t := object_text(o, ctx))
    ]
    out: list[Candidate] = extra + [("work as", kind, r) for r in roles]
    if orgs:
        return out + [("work at", kind, t) for t in orgs]
    return out + ([("work at", "end", ANY_OBJECT)] if kind == "end" else [])


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
    elif kind in ("place", "person") and d.pos_ != "PROPN":
        return None
    if kind == "org" and d.pos_ == "PROPN":
        words = {w.lower() for w in _proper(d).split()}
        if words & lx.CLUB_WORDS:
            return None  # "joined Kelvin Netball Club": a club, not an employer
    text = object_text(d, ctx)
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
                owner, _, kin = known.alias.rpartition("'s ")
                if kin in lx.PETS or kin in lx.PET_BREEDS:
                    _emit(ctx, [Ref(owner, "PERSON")], f"have {kin}", "end", known.name, cl, verb)
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
    if kind == "start" and cl.negated and not cl.ending:
        return  # "I still haven't gotten a dog", "I didn't buy the flat"
    if (
        relation == "study"
        and " " not in obj
        and any(t.tag_ == "NNS" and t.lower_ == obj.lower() for t in verb.subtree)
    ):
        return  # "studying characters, themes": a subject of study is a field, not things
    if relation == "do" and (
        not (is_progressive(verb) or cl.starting)
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
