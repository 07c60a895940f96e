"""What a message says beyond its clauses: short answers to the previous turn's
question ("A Pixel 7."), verbless lines ("Single and thriving."), places for a later
"here"/"there", things that "went to my niece", and the speaker left out of a chat
sentence ("Just moved to Gdańsk!"). See :mod:`.discourse` for the per-message memory.
"""

from __future__ import annotations

import re

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
    _named,
    _proper,
    object_text,
)
from phasemem.extract.discourse import YES_RE, Slot
from phasemem.extract.emitting import Candidate, _emit, _pobjs, _temporal_at
from phasemem.extract.types import ANY_OBJECT


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
    if not ctx.speaker or (slot.who is not None and not slot.subject):
        return False  # a question about someone the conversation cannot name
    who = slot.subject or ctx.speaker
    if slot.object is not None:  # "Did you grow up in Sapporo?" / "Born and raised."
        text = sent.text.strip()
        if not YES_RE.match(text):
            return False
        me, cl = [Ref(who, "PERSON")], Clause(sent.root, {sent.root.i})
        _emit(ctx, me, slot.relation, slot.kind, slot.object, cl, sent.root)
        if slot.relation != "be born in" and re.match(r"\W*born\b", text, re.IGNORECASE):
            _emit(ctx, me, "be born in", "state", slot.object, cl, sent.root)
        ctx.discourse.add_place(ctx.at(sent[0]), slot.object)
        return False  # the rest of the sentence may state more ("Born and raised in X")
    root = sent.root
    first = next((t for t in sent if not t.is_punct), None)
    if first is None or first.lower_ in _NEGATIVE_ANSWERS:
        return False
    me = [Ref(who, "PERSON")]
    cl = Clause(root, {root.i})
    relation = slot.relation
    if (relation == "?pet" or relation.startswith("have ")) and _pet_answer(
        sent, relation, me, cl, ctx
    ):  # "A rescue whippet called Pip."
        return True
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
    if relation in _PREP_ANSWERS and (
        head.pos_ == "ADP" or not (head.pos_ == "PROPN" or head.text[:1].isupper())
    ):  # "At Westfield Clinic, as a ward manager.", "Last month, to Leeds."
        head = _prep_object(head, _PREP_ANSWERS[relation], ctx)
        if head is None:
            return False
        if relation == "work at":  # "..., as a ward manager": the role too
            for o in _pobjs(root, "as"):
                role = object_text(o, ctx) if ev.is_role(o, with_org=False) else None
                if role:
                    _emit(ctx, me, "work as", slot.kind, role, cl, root)
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
    if relation == "?role" and not (
        head.pos_ in ("NOUN", "PROPN") and ev.is_role(head, with_org=False)
    ):
        return False  # "Are you a fan?" / "Kind of."
    if relation in ("work as", "?role"):
        text = object_text(head, ctx) if head.pos_ in ("NOUN", "PROPN") else None
        if not text:
            return False
        if (head.pos_ == "NOUN" or relation == "?role") and text[:1].isupper() \
                and not text[1:2].isupper():  # fmt: skip
            text = text[0].lower() + text[1:]  # "Speech therapist."
        _emit(ctx, me, "work as", slot.kind, text, cl, root)
        return True
    if relation.startswith("have "):  # "What's your dog called?" / "Mango."
        if head.pos_ != "PROPN" and not head.text[:1].isupper():
            return False
        if who != ctx.speaker:
            ctx.discourse.add_person(ctx.at(head), _proper(head), relation[5:])
        kind = relation[5:]
        rel = relation if kind != "pet" else "have"
        _emit(ctx, me, rel, slot.kind, _proper(head), cl, root)
        return True
    return False


_NEGATIVE_ANSWERS = {"no", "nope", "nah", "not", "none", "nothing", "dunno", "idk", "never"}
#: Place relations an answer may give with its preposition ("To Leeds.", "At Arup."), and
#: the prepositions that introduce their object.
_PREP_ANSWERS = {
    "live in": ("in", "to"), "plan to live in": ("in", "to"), "work at": ("at", "for", "with"),
    "study at": ("at",), "be from": ("from",),
}  # fmt: skip


def _prep_object(head: Token, preps: tuple[str, ...], ctx: SentenceContext) -> Token | None:
    """The named object of a fragment's preposition: "At Arup" (the preposition is the
    root), "Last month, to Leeds" (a prepositional modifier of the fragment's head);
    never a time ("In May, to Leeds")."""
    objs = list(_children(head, "pobj")) if head.lower_ in preps else []
    objs += _pobjs(head, *preps)
    for o in list(_children(head, "pobj")):
        objs += _pobjs(o, *preps)
    return next((o for o in objs if (o.pos_ == "PROPN" or o.text[:1].isupper())
                 and _temporal_at(o, ctx) is None and o.ent_type_ not in ("DATE", "TIME")),
                None)  # fmt: skip


def _pet_answer(sent: Span, relation: str, me: list[Ref], cl: Clause,
                ctx: SentenceContext) -> bool:  # fmt: skip
    """ "A rescue whippet called Pip." / "A beagle." answering "What dog?" (or "What's
    his dog called?"): the asked person has that pet (named, or its kind)."""
    for tok in sent:
        kin = _kin_norm(tok) if tok.pos_ in ("NOUN", "PROPN") else None
        if not kin or not (kin in lx.PETS or kin in lx.PET_BREEDS):
            continue
        if not any(c.dep_ == "det" and c.lower_ in lx.INDEFINITE_DETS for c in tok.children):
            return False  # "The dog is fine": not what it is
        name = _named(tok)
        if (
            name is None
            and tok.dep_ in ("nsubj", "nsubjpass")
            and tok.head.lemma_.lower() in ("call", "name")
        ):  # "A whippet called Pip", parsed as a clause
            name = next((c for c in tok.head.children if c.dep_ in ("oprd", "attr", "xcomp")
                         and c.text[:1].isupper()), None)  # fmt: skip
        if name is not None:
            _emit(ctx, me, f"have {kin}", "state", _proper(name), cl, tok)
            if me[0].name != ctx.speaker:
                ctx.discourse.add_person(ctx.at(name), _proper(name), kin)
        elif relation == "?pet" and tok.i == sent.root.i:  # "A whippet." (a bare kind)
            _emit(ctx, me, "have", "state", kin, cl, tok)
        else:
            return False
        return True
    return False


_ROMAN = {"i", "ii", "iii", "iv", "v"}


def _role_now(sent: Span, ctx: SentenceContext) -> bool:
    """ "Software Engineer II now!", "Head chef now, finally.": a line that opens with a
    job title and "now" (the parser reads such lines every which way, so the words
    decide): the speaker's title from now on."""
    words = [t for t in sent if not t.is_punct or t.text == "-"]
    k = next((i for i, t in enumerate(words) if t.lower_ == "now"), None)
    if k is None or not 1 <= k <= 5:
        return False
    if words[k].i + 1 < sent.end and not words[k].nbor().is_punct:
        return False  # "Tom now lives in Leeds": a clause goes on
    title = words[:k]
    if any(t.pos_ in ("PRON", "DET", "AUX", "ADP", "CCONJ", "SCONJ") for t in title):
        return False  # "I'm a nurse now" is a clause, "the boss now" someone else
    head = next((t for t in reversed(title) if t.lower_ not in _ROMAN and not t.like_num), None)
    if head is None or not ev.is_role(head, with_org=False) or head.lower_ in lx.KIN:
        return False
    text = sent.doc[title[0].i : title[-1].i + 1].text
    if len(title) == 1 or not all(t.text[:1].isupper() for t in title[1:]):
        text = text[0].lower() + text[1:]  # "Head chef" -> "head chef"; titles keep capitals
    _emit(ctx, [Ref(ctx.speaker or "", "PERSON")], "work as", "start", text,
          Clause(words[k], {words[k].i}), words[k])  # fmt: skip
    return True


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
    if ctx.speaker and _role_now(sent, ctx):  # "Software Engineer II now, no more junior"
        return
    if (  # "Bramble, a grey lurcher." (the name first, the kind in apposition)
        ctx.speaker
        and first is not None
        and first.i == root.i
        and root.pos_ in ("PROPN", "ADJ", "NOUN")
        and root.text[:1].isupper()
        and root.lower_ not in lx.KIN
    ):
        for c in root.children:
            kin = _kin_norm(c) if c.dep_ == "appos" and c.pos_ == "NOUN" else None
            if (
                kin and (kin in lx.PETS or kin in lx.PET_BREEDS)
                and any(d.dep_ == "det" and d.lower_ in lx.INDEFINITE_DETS for d in c.children)
                and not any(d.dep_ == "poss" for d in c.children)
            ):  # fmt: skip
                _emit(ctx, [Ref(ctx.speaker, "PERSON")], f"have {kin}", "state", root.text,
                      Clause(root, {root.i}), root)  # fmt: skip
                ctx.discourse.add_person(ctx.at(root), root.text, kin)
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
        _emit(ctx, me, "have relationship status", "state", "single", cl, root)
    elif root.lower_ in lx.DIETS:
        _emit(ctx, me, "follow diet", "state", lx.DIETS[root.lower_], cl, root)


#: Gerund subjects that state the speaker's own life: "Living in X / Being a nurse at Y /
#: Working at Z means ..." (while "Having friends is great" is generic).
_ELLIPTIC_GERUNDS = {"live", "be", "work", "teach", "run", "raise", "leave"}


def _gone_to(verb: Token, subjects: list[Token], cl: Clause, ctx: SentenceContext) -> None:
    """ "The hamster went to my niece", "my old Golf went to my sister": the speaker's
    pet, possession or car changed hands."""
    people = [o for o in _pobjs(verb, "to") if _kin_norm(o) or o.ent_type_ == "PERSON"]
    if not people or not ctx.speaker:
        return
    me = [Ref(ctx.speaker, "PERSON")]
    for s in subjects:
        if s.pos_ not in ("NOUN", "PROPN") or not any(
            c.dep_ in ("det", "poss") and c.lower_ in ("the", "my", "our") for c in s.children
        ):
            continue
        got = ev.device(s)
        if s.pos_ == "PROPN" and got is None:
            continue  # "the Octavia went to my brother" is a model; "the Smiths went to" not
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
    if not prt and any(c.lower_ == "up" for c in (*verb.children, *adv.children)):
        prt = "up"  # "we grew up there": the parser hangs "up" on "there" or as an advmod
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
