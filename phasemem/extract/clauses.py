"""Turn one parsed sentence into facts, using the tables in :mod:`.lexicon`.

The parser gives clause structure (subject, verb, objects, negation, modals);
this module decides, per clause, whether it states a fact, who it is about
(speaker/listener/kin resolution) and which time phrases bound it. It works
on spaCy ``Token``/``Span`` objects but imports nothing from spaCy, so that
importing :mod:`phasemem.extract` stays cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from phasemem.extract import lexicon as lx
from phasemem.extract.contractions import to_original
from phasemem.extract.discourse import PRONOUN_GENDER, Discourse, Slot
from phasemem.extract.types import ExtractedFact, TemporalExpression

Token = Any  # spacy.tokens.Token (kept untyped to avoid importing spaCy)
_NAME_RE = re.compile(r"^[^\W\d_][\w.'&-]*(?: (?:of |the |de |van |von |la |le )*[\w.'&-]+)*$")
Span = Any


@dataclass(frozen=True, slots=True)
class Ref:
    """A resolved noun phrase: its name and entity type."""

    name: str
    type: str = "THING"
    alias: str | None = None  # e.g. "Maya's sister" for "Anna"


@dataclass(slots=True)
class SentenceContext:
    """What the matcher needs besides the sentence itself."""

    speaker: str | None
    listener: str | None
    base: datetime
    temporals: list[tuple[TemporalExpression, Token | None]]  # with anchor verb
    quotes: list[tuple[int, int]]  # char spans of quoted titles
    facts: list[ExtractedFact] = field(default_factory=list)
    refs: dict[str, Ref] = field(default_factory=dict)  # every resolved name -> Ref
    used_names: set[int] = field(default_factory=set)  # kin tokens consumed by a clause
    discourse: Discourse = field(default_factory=Discourse)  # shared by the message's chunks
    offset: int = 0  # character offset of this chunk in the message
    slot: Slot | None = None  # what the previous turn asked, for the message's first sentence
    #: Lower-cased words a dictionary lists as common nouns (the lemmatizer's noun index);
    #: None: unknown, so every word may be one (see :func:`initial_name`).
    common_nouns: frozenset[str] | None = None
    #: Every dictionary word of the model (nouns, verbs, adjectives, adverbs, stop words);
    #: None: unknown. A capitalised sentence opener outside it is likely a name.
    known_words: frozenset[str] | None = None
    #: Offsets of the chunk before which "Name's" expansion inserted a character.
    inserted: tuple[int, ...] = ()

    def at(self, tok: Token) -> int:
        """Character offset of a token in the whole message."""
        return self.offset + to_original(tok.idx, self.inserted)


# --------------------------------------------------------------------------- noun phrases


def _hyphen_word(tok: Token) -> tuple[int, int]:
    """Token range of a hyphenated word split by the tokenizer ("great-grandmother")."""
    doc, i, j = tok.doc, tok.i, tok.i
    while i > 0 and not doc[i - 1].whitespace_ and (doc[i - 1].text == "-" or doc[i].text == "-"):
        i -= 1
    while (
        j + 1 < len(doc)
        and not doc[j].whitespace_
        and (doc[j + 1].text == "-" or doc[j].text == "-")
    ):
        j += 1
    return i, j


def _kin_norm(tok: Token) -> str | None:
    word = tok.lower_
    norm = lx.KIN.get(word) or (lx.KIN.get(tok.lemma_.lower()) if word not in lx.PETS else None)
    if norm is None:
        lemma = tok.lemma_.lower()
        if (tok.pos_ == "PROPN" and tok.text[:1].isupper()) or not (
            {word, lemma} & (lx.PETS | lx.PET_BREEDS)
        ):
            return None  # "Pepper" the name, not a pepper (but "a whippet" tagged PROPN is)
        comp = [c.lower_ for c in tok.children if c.dep_ == "compound" and c.lower_ in lx.PETS]
        return f"{comp[0]} {lemma}" if comp else lemma  # "guinea pig"
    i, j = _hyphen_word(tok)
    text = tok.doc[i : j + 1].text
    return text.lower().replace(word, norm) if "-" in text else norm


def _named(tok: Token) -> Token | None:
    """The name given to a kin/pet noun: appos ("my sister Anna"), "named X", "dog Max"."""
    for c in tok.children:
        if c.dep_ == "appos" and c.pos_ == "PROPN":
            return c
        if c.dep_ == "appos":  # "my daughter Sara's birthday" parsed as daughter -> birthday
            for g in c.children:
                if g.dep_ == "poss" and g.pos_ == "PROPN" and g.i == tok.i + 1:
                    return g
            if c.pos_ == "NOUN" and c.i > tok.i and _kin_norm(c):
                inner = _named(c)  # "a dog, a beagle named Fritz"
                if inner is not None and inner.i > c.i:
                    return inner
        if c.dep_ == "acl" and c.lemma_ in ("name", "call"):
            for g in c.children:
                if g.dep_ in ("oprd", "attr", "dobj", "xcomp") and g.text[:1].isupper():
                    return g
    if tok.dep_ == "compound" and tok.head.pos_ == "PROPN" and tok.head.i == tok.i + 1:
        return tok.head
    return _next_name(tok)


def _next_name(tok: Token) -> Token | None:
    """ "My friend Tom called": the small model often hangs the name right after a kin noun
    on the verb (npadvmod, a second subject); adjacency still names the kin."""
    if tok.i + 1 >= len(tok.doc):
        return None
    nxt = tok.doc[tok.i + 1]
    if (
        nxt.pos_ != "PROPN"
        or not nxt.text[:1].isupper()
        or nxt.head.i != tok.head.i
        or nxt.dep_ not in ("npadvmod", "nsubj", "appos", "dep", "compound")
        or nxt.ent_type_ in ("DATE", "TIME", "GPE", "LOC", "ORG", "FAC")
        or any(c.dep_ == "case" for c in nxt.children)
    ):
        return None
    return nxt


def _kin_of_name(tok: Token) -> Token | None:
    """For a name token, the kin/pet noun that introduces it ("my dog Max" -> dog)."""
    for c in tok.children:
        if c.dep_ == "compound" and _kin_norm(c) and c.i == tok.i - 1:
            return c
    if tok.dep_ == "appos" and _kin_norm(tok.head):
        return tok.head
    return None


def _proper(tok: Token) -> str:
    """Text of a proper-noun phrase: compounds, flat names, a capitalised "The"."""
    toks = [t for t in tok.subtree if t.i <= tok.i and (t.dep_ in ("compound", "flat") or t is tok)]
    toks = [t for t in toks if t.pos_ in ("PROPN", "NOUN", "NUM", "ADJ") or t is tok]
    start = min(t.i for t in toks)
    while start < tok.i and tok.doc[start].dep_ == "compound" and tok.doc[start].pos_ != "PROPN":
        start += 1
    for c in tok.lefts:  # "Guy's Hospital", "King's College": a possessive inside the name
        if (
            c.dep_ == "poss" and c.pos_ == "PROPN" and c.text[:1].isupper()
            and c.i + 2 == start and tok.doc[c.i + 1].lower_ in ("'s", "’s")
        ):  # fmt: skip
            start = min(t.i for t in c.subtree)
    for c in tok.lefts:
        if c.dep_ == "det" and c.text == "The" and c.i == start - 1 and c.i != c.sent.start:
            start = c.i
    end = tok.i + 1
    for p in tok.rights:  # "Lord of the Rings", "Bank of America"
        if p.dep_ == "prep" and p.lower_ == "of" and p.i == end:
            objs = [o for o in p.children if o.dep_ == "pobj" and o.pos_ == "PROPN"]
            if objs:
                end = objs[0].i + 1
    return tok.doc[start:end].text


def _owner(tok: Token, ctx: SentenceContext) -> str | None:
    for c in tok.children:
        if c.dep_ != "poss":
            continue
        low = c.lower_
        if low in lx.SPEAKER_POSSESSIVES:
            return ctx.speaker
        if low in lx.LISTENER_POSSESSIVES:
            return ctx.listener
        if c.pos_ == "PRON":
            ref = coref(c, ctx)  # his/her: the latest person they can refer to; their: unknown
            return ref.name if ref else None
        ref = resolve(c, ctx)
        return ref.name if ref else None
    return None


def coref(tok: Token, ctx: SentenceContext) -> Ref | None:
    """he/she/him/her/his -> the latest compatible person or named pet of the message.

    Shallow on purpose (recency + the gender kin words give): inside one chat turn the
    last person named is nearly always the one meant ("My sister Nour moved to Montreal.
    She works at a bakery there."). "they" and people of other turns stay unresolved.
    """
    exclude = {n.lower() for n in (ctx.speaker, ctx.listener) if n}
    a = ctx.discourse.person_before(ctx.at(tok), tok.lower_, exclude)
    if a is None:
        return None
    alias = (
        f"{a.owner}'s {a.kind}" if a.owner and a.kind and not a.name.startswith(a.owner) else None
    )
    return _remember(ctx, Ref(a.name, "PERSON", alias))


def resolve(tok: Token, ctx: SentenceContext, emit_kin: bool = True) -> Ref | None:
    """Resolve a subject-like noun phrase to a name, or None when it is unknowable."""
    low = tok.lower_
    if tok.pos_ == "PRON":
        if low in ("me", "us") and tok.dep_.startswith("nsubj") and tok.head.tag_ == "VB" \
                and not any(c.dep_ == "conj" for c in tok.children) and tok.dep_ != "conj":  # fmt: skip
            return None  # "it helps us enjoy life": a small clause, not a statement
        if low in lx.SPEAKER_PRONOUNS and ctx.speaker:
            return _remember(ctx, Ref(ctx.speaker, "PERSON"))
        if low in lx.LISTENER_PRONOUNS and ctx.listener:
            return _remember(ctx, Ref(ctx.listener, "PERSON"))
        if low in PRONOUN_GENDER:
            return coref(tok, ctx)
        return None
    kin = _kin_norm(tok) if tok.pos_ in ("NOUN", "PROPN") else None
    if kin and tok.pos_ == "NOUN":
        owner = _owner(tok, ctx)
        if owner is None and tok.dep_ == "compound" and tok.head.pos_ == "PROPN":
            owner = _owner(tok.head, ctx)  # "my dog Pepper" parsed as dog <- Pepper <- my
        if owner is None:
            return None
        alias = f"{owner}'s {kin}"
        name_tok = _named(tok)
        if name_tok is not None and _proper(name_tok).lower() != owner.lower():
            ref = Ref(_proper(name_tok), "PERSON", alias)
            if emit_kin:
                _emit_kin(ctx, owner, kin, ref.name, tok)
            ctx.discourse.add_person(ctx.at(tok), ref.name, kin, owner)
            return _remember(ctx, ref)
        if not kin.endswith(("s", "ren")):  # "my parents", "my kids": "they"
            ctx.discourse.add_person(ctx.at(tok), alias, kin, owner)
        return _remember(ctx, Ref(alias, "PERSON"))
    if initial_name(tok, ctx):
        ctx.discourse.add_person(ctx.at(tok), tok.text)
        return _remember(ctx, Ref(tok.text, "PERSON"))
    if tok.pos_ == "PROPN" or (
        tok.text[:1].isupper() and tok.i != tok.sent.start and tok.pos_ == "NOUN"
    ):
        kin_tok = _kin_of_name(tok)
        if kin_tok is not None:
            owner = _owner(kin_tok, ctx) or _owner(tok, ctx)  # "My dog Pepper": poss on the name
            kin_name = _kin_norm(kin_tok)
            if owner and kin_name and _proper(tok).lower() != owner.lower():
                ref = Ref(_proper(tok), "PERSON", f"{owner}'s {kin_name}")
                if emit_kin:
                    _emit_kin(ctx, owner, kin_name, ref.name, kin_tok)
                ctx.discourse.add_person(ctx.at(tok), ref.name, kin_name, owner)
                return _remember(ctx, ref)
        if tok.ent_type_ in lx.ENTITY_LABELS_SKIPPED:
            return None
        if tok.i == tok.sent.start and tok.lower_ in lx.BARE_SUBJECTS:
            return None  # "Frisbee is my thing", tagged as a name only for its capital
        name = _proper(tok)
        if not _NAME_RE.match(name):
            return None  # tokenizer debris ("We`ve"), emoji, markup
        if tok.ent_type_ == "PERSON" or (
            (not tok.ent_type_ or _mislabelled_name(tok, ctx))
            and tok.dep_ in ("nsubj", "nsubjpass")
            and name != ctx.speaker
        ):  # a name doing something is a person (a place rarely is the subject of a verb)
            pet = _appos_kind(tok)
            ctx.discourse.add_person(ctx.at(tok), name, pet)
        return _remember(ctx, Ref(name, tok.ent_type_ or "THING"))
    return None


#: NER labels the small model gives many unseen first names ("Deniz" GPE, "Ines" PRODUCT).
_NAME_MISLABELS = {"GPE", "LOC", "PRODUCT", "NORP"}


def _mislabelled_name(tok: Token, ctx: SentenceContext) -> bool:
    """ "Deniz is doing a bootcamp. She ...": a one-word name NER calls a place, that no
    dictionary lists, as the subject of an action verb (not "Kadikoy is lovely") is a
    person, so a later "she" can find it."""
    return (
        tok.ent_type_ in _NAME_MISLABELS
        and ctx.common_nouns is not None
        and tok.lower_ not in ctx.common_nouns
        and tok.head.pos_ == "VERB"
        and not any(c.dep_ in ("compound", "flat") for c in tok.children)
    )


#: Verbs whose subject is a person (with "be", only before a complement).
_PERSON_VERBS = {"live", "reside", "work", "move", "relocate", "prefer", "study", "be"}
#: Children a bare name may have ("Ravi, my brother, ..." keeps its apposition).
_NAME_CHILDREN = {"punct", "advmod", "appos"}


def initial_name(tok: Token, ctx: SentenceContext) -> bool:
    """Whether a capitalised word opening a sentence is a person's name.

    Why: the small model tags a name it has not seen as a common noun, even an
    adjective, when it starts a sentence ("Ravi lives in Melbourne", NER sometimes
    calls it a place or a company), and a sentence start says nothing by its case,
    so names there were dropped. A bare, singular, title-case subject of a verb only
    people do (live, work, move, prefer, be + complement) is taken as a name,
    unless it is a kin or pet word, a word that opens sentences as a thing ("Work
    was fine", "Home is Ghent", "Breakfast is vegan"), or a dictionary word that
    NER calls a place or an organisation, or that moves ("Production moved to
    China").
    """
    if tok.dep_ not in ("nsubj", "nsubjpass") or tok.i != tok.sent.start:
        return False
    text, low = tok.text, tok.lower_
    if not (len(text) >= 2 and text.isalpha() and text[0].isupper() and text[1:].islower()):
        return False
    person = tok.ent_type_ == "PERSON"
    if not (tok.pos_ in ("NOUN", "PROPN", "ADJ") or (person and tok.pos_ == "VERB")):
        return False
    common = ctx.common_nouns is None or low in ctx.common_nouns
    if (
        tok.tag_ in ("NNS", "NNPS")
        and not person
        and (common or ctx.common_nouns is None or tok.lemma_.lower() in ctx.common_nouns)
    ):
        return False  # "Friends live nearby"; a name ending in s ("Jonas") is kept
    if low in lx.KIN or low in lx.PETS or low in lx.BARE_SUBJECTS or _kin_norm(tok):
        return False
    if tok.ent_type_ in lx.ENTITY_LABELS_SKIPPED:
        return False
    verb = tok.head
    if verb is tok:
        return False
    lemma = verb.lemma_.lower()
    person_verb = lemma in _PERSON_VERBS and (
        lemma != "be" or any(c.dep_ in ("attr", "acomp") for c in verb.children)
    )
    if person_verb and all(c.dep_ in _NAME_CHILDREN for c in tok.children):
        # a dictionary word NER calls a place or company, or that "moved", is a thing
        return not (
            common and (tok.ent_type_ not in ("", "PERSON") or lemma in ("move", "relocate"))
        )
    # any other verb ("Rui got a place in X", "Rui and his wife ..."): only a known person
    if any(c.dep_ not in _KNOWN_NAME_CHILDREN for c in tok.children):
        return False  # "Family friends live ...", "The ...": not a bare name
    return known_person(tok, ctx)


#: "Rui and his wife got a place": a name known as a person may head a coordination.
_KNOWN_NAME_CHILDREN = _NAME_CHILDREN | {"cc", "conj"}
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly")


def known_person(tok: Token, ctx: SentenceContext) -> bool:
    """Whether a title-case word opening a sentence is a person for any verb.

    Why: outside the verbs only people do (live, work, move ...), the subject's case
    says nothing at a sentence start ("Rui got a place in Houston", "Rui left Gensler"),
    so the word must be known as a person some other way: the message or the session's
    latest turns named that person before, or NER calls it a PERSON and no dictionary
    lists it as a common noun ("Will", "Rose" and "Mark" stay unread), or no dictionary
    lists it at all and NER does not call it a place, company or date (an unseen name:
    "Oluwaseun"). A dictionary word opening a sentence is a thing unless said otherwise.
    """
    name, low = tok.text, tok.lower_
    d = ctx.discourse
    here = ctx.at(tok)
    seen = (*d.antecedents, *d.mentioned)
    if any(a.name == name for a in d.carried) or any(
        a.name == name and a.offset < here for a in seen
    ):
        return True
    if ctx.common_nouns is None or low in ctx.common_nouns:
        return False
    if tok.ent_type_ == "PERSON":
        return True
    words = ctx.known_words
    if words is None or tok.ent_type_ or low in words:
        return False
    return not any(low.endswith(x) and low[: -len(x)] in words for x in _SUFFIXES)


def _appos_kind(tok: Token) -> str | None:
    """ "Fritz, a grey kitten": the kin or pet word an apposition gives a name."""
    for c in tok.children:
        if c.dep_ == "appos" and c.pos_ == "NOUN":
            return _kin_norm(c)
    return None


def _remember(ctx: SentenceContext, ref: Ref) -> Ref:
    ctx.refs.setdefault(ref.name, ref)
    return ref


def _emit_kin(ctx: SentenceContext, owner: str, kin: str, name: str, tok: Token) -> None:
    if tok.i in ctx.used_names:
        return
    rel = lx.KIN_RELATION.get(kin, f"have {kin.replace('great-', '')}")
    if rel.startswith("have "):
        rel = "have friend" if rel == "have best friend" else rel
    _add(ctx, ExtractedFact(owner, rel, name, None, None, False, 0.9, _sent_span(tok)))


def object_text(tok: Token, ctx: SentenceContext) -> str | None:
    """Text of an object noun phrase, or None for pronouns and empty words."""
    for s, e in ctx.quotes:
        if s <= tok.idx < e:
            return tok.doc.text[s:e].strip()
    low = tok.lower_
    if tok.pos_ == "PRON" or low in lx.JUNK_OBJECTS:
        if low in lx.QUANTITY_HEADS:
            return _of_complement(tok, ctx)
        return None
    if low in lx.QUANTITY_HEADS:
        return _of_complement(tok, ctx)
    if any(c.dep_ == "det" and c.lower_ in ("this", "that", "these", "those", "which", "what")
           for c in tok.children):  # fmt: skip
        return None
    if any(c.pos_ == "PRON" and c.dep_ != "poss" for c in tok.children):
        return None  # "you guys"
    if tok.pos_ == "PROPN" or tok.ent_type_ and tok.ent_type_ not in lx.ENTITY_LABELS_SKIPPED:
        ref = resolve(tok, ctx)
        return ref.name if ref else None
    kin = _kin_norm(tok)
    if kin and any(c.dep_ == "poss" for c in tok.children):
        ref = resolve(tok, ctx)
        return ref.name if ref else None
    if any(c.dep_ == "poss" and c.lower_ not in lx.SPEAKER_POSSESSIVES for c in tok.children):
        return None  # "their work", "your cooking": someone else's thing
    keep = {tok.i}
    for c in tok.lefts:
        if (
            c.dep_ in ("compound", "nummod", "nmod", "amod", "npadvmod")
            and c.lower_ not in lx.EVALUATIVE
            and c.pos_ in ("NOUN", "PROPN", "NUM", "ADJ", "VERB")
        ):
            keep.update(
                t.i for t in c.subtree
                if t.dep_ not in ("det", "poss", "case", "prep", "appos") and t.pos_ != "PRON"
                and (t.dep_ != "punct" or t.text == "-")
                and t.lower_ not in lx.EVALUATIVE
            )  # fmt: skip
    return _span_text(tok.doc, keep)


def _span_text(doc: Any, keep: set[int]) -> str | None:
    """Text of the kept tokens, with hyphenated words made whole again."""
    for k in list(keep):
        i, j = _hyphen_word(doc[k])
        keep.update(range(i, j + 1))
    idx = sorted(keep)
    runs: list[list[int]] = []
    for i in idx:  # contiguous runs keep their own spacing ("sci-fi"), runs join with a space
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    text = " ".join(doc[r[0] : r[-1] + 1].text for r in runs)
    text = text.strip(" '\"")
    return text if text and text.lower() not in lx.JUNK_OBJECTS else None


def _of_complement(tok: Token, ctx: SentenceContext) -> str | None:
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ == "of":
            for o in c.children:
                if o.dep_ == "pobj":
                    return object_text(o, ctx)
    return None


def gerund_text(verb: Token, ctx: SentenceContext) -> str | None:
    """ "reading mystery novels", "hiking": a gerund with its direct object only.

    A gerund without an object is kept only for activities ("hiking"); "going",
    "being stuck" or "seeing my team win" say nothing on their own.
    """
    for s, e in ctx.quotes:
        if s <= verb.idx < e:
            return verb.doc.text[s:e].strip()
    lemma = verb.lemma_.lower()
    if lemma in lx.LIGHT_VERBS:
        return None
    parts = [verb.text] + [c.text for c in verb.children if c.dep_ == "prt"]
    objs = [c for c in verb.children if c.dep_ == "dobj"]
    for c in objs:
        obj = object_text(c, ctx)
        if obj is None:
            return None
        parts.append(obj)
    if not objs and lemma not in lx.ACTIVITIES:
        return None
    if verb.tag_ != "VBG":
        parts[0] = lemma
    return " ".join(parts)


# --------------------------------------------------------------------------- clauses


def _sent_span(tok: Token) -> tuple[int, int]:
    s = tok.sent
    return s.start_char, s.end_char


def _add(ctx: SentenceContext, fact: ExtractedFact) -> None:
    """Add a fact; a duplicate (s, r, o, negated) keeps the one with more times."""
    key = (fact.subject.lower(), fact.relation, fact.object.lower(), fact.negated)
    for i, old in enumerate(ctx.facts):
        if (old.subject.lower(), old.relation, old.object.lower(), old.negated) == key:
            if (old.valid_at, old.invalid_at) == (None, None):
                ctx.facts[i] = fact
            return
    ctx.facts.append(fact)


def _children(tok: Token, *deps: str) -> list[Token]:
    out = []
    for c in tok.children:
        if c.dep_ in deps:
            out.append(c)
            out.extend(_conjuncts(c))
    return out


def _conjuncts(tok: Token) -> list[Token]:
    out = []
    for c in tok.children:
        if c.dep_ == "conj":
            out.append(c)
            out.extend(_conjuncts(c))
    return out


def _subjects(verb: Token) -> list[Token]:
    subs = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subs:  # "Rui is engaged to X": the small model may hang the subject on the aux
        subs = [
            c for a in verb.children if a.dep_ in ("aux", "auxpass") and a.i < verb.i
            for c in a.children if c.dep_ in ("nsubj", "nsubjpass")
        ]  # fmt: skip
    for s in list(subs):
        subs.extend(c for c in _conjuncts(s) if c.pos_ in ("PRON", "NOUN", "PROPN"))
    if subs:
        return subs
    if verb.dep_ in ("conj", "xcomp") and verb.head is not verb:
        return _subjects(verb.head)
    if (  # "I'm at Imperial doing a master's", "volunteering at a shelter"
        verb.dep_ == "advcl"
        and verb.tag_ == "VBG"
        and verb.i > verb.head.i
        and not any(c.dep_ in ("mark", "aux") for c in verb.children)
    ):
        return _subjects(verb.head)
    if (  # "I made a call - recently left my job": a subjectless finite clause after a dash
        verb.dep_ in ("ccomp", "parataxis")
        and verb.tag_ in ("VBD", "VBZ", "VBP")
        and not any(c.dep_ == "mark" for c in verb.children)
    ):
        return _subjects(verb.head)
    return []


def is_progressive(verb: Token) -> bool:
    """ "I'm moving", "we're having dinner and enjoying it" (aux shared with a conjunct)."""
    if verb.tag_ != "VBG":
        return False
    head = verb.head if verb.dep_ == "conj" else verb
    return any(c.dep_ == "aux" and c.lemma_ == "be" for c in (*verb.children, *head.children))


@dataclass(slots=True)
class Clause:
    verb: Token
    anchors: set[int]  # token ids whose temporal phrases belong to this clause
    negated: bool = False
    ending: bool = False  # "no longer", "anymore", "used to", "stopped ..."
    starting: bool = False  # "started working at"
    plan: bool = False
    skip: bool = False


def _cannot(verb: Token) -> bool:
    """ "can't stop", "couldn't stop": a negated ability, not a negated act."""
    kids = list(verb.children)
    return any(c.dep_ == "neg" for c in kids) and any(
        c.tag_ == "MD" and c.lower_ in ("ca", "can", "could") for c in kids
    )


def analyse(verb: Token) -> Clause:
    """Read negation, modality, aspect and governing verbs of one clause."""
    cl = Clause(verb, {verb.i})
    cl.anchors.update(c.i for c in verb.children if c.dep_ in ("acomp", "attr", "oprd"))
    toks = [verb]
    if verb.dep_ == "xcomp":
        gov = verb.head
        toks.append(gov)
        cl.anchors.add(gov.i)
        glem = gov.lemma_.lower()
        if glem in lx.STOP_VERBS and _cannot(gov):
            toks.pop()  # "I can't stop rewatching X": doing it all the time, nothing ends
        elif glem in lx.START_VERBS:
            cl.starting = True
        elif glem in lx.STOP_VERBS or (
            glem == "use" and not any(c.dep_ == "dobj" for c in gov.children)
        ):  # "used to live", but not "use it to teach people"
            cl.ending = True
        elif glem in lx.LEAVE_VERBS and verb.tag_ == "VBG":
            cl.ending = True  # "I've left teaching", "I gave up climbing"
        elif glem == "leave" and verb.tag_ == "VB":
            pass  # "I left Acme to join Globex": the purpose happened too
        elif glem in ("plan", "intend", "decide") or (glem == "go" and gov.tag_ == "VBG"):
            cl.plan = True
        else:
            cl.skip = True  # "want to", "hope to", "love reading" (an object), "help me move"
    for t in toks:
        for c in t.children:
            if c.dep_ == "neg":
                cl.negated = True
            elif (
                c.dep_ in ("advmod", "npadvmod")
                and c.lower_ in lx.ENDING_ADVERBS
                and (
                    c.lower_ != "longer"
                    or any(g.lower_ in ("no", "any") for g in c.children)
                    or (c.i > 0 and c.doc[c.i - 1].lower_ in ("no", "any"))
                )
            ):  # "no longer", but not "running longer"
                cl.ending = True
            elif c.tag_ == "MD" or c.lower_ == "'d":
                low = c.lemma_.lower()
                if low in ("will", "shall") and c.lower_ != "'d":
                    cl.plan = True
                elif low != "can":
                    cl.skip = True
    if (
        verb.dep_ == "conj"
        and verb.head is not verb
        and not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children)
    ):  # "planning to ski and enjoy the views": the conjunct shares its head's frame
        head = analyse(verb.head)
        if verb.tag_ == "VB" and verb.head.tag_ != "VB":  # "planning to ski, try ..., and enjoy"
            sibling = next((c for c in verb.head.children if c.dep_ == "xcomp"), None)
            head = analyse(sibling) if sibling is not None else head
        cl.skip |= head.skip
        cl.plan |= head.plan
        cl.ending |= head.ending
        cl.starting |= head.starting  # but not the head's times: they may not apply
    if cl.ending:
        cl.negated = False
    bare_ing = (
        verb.tag_ == "VBG"
        and verb.dep_ == "ROOT"
        and not any(c.dep_ in ("nsubj", "aux") for c in verb.children)
    )  # "Moving to Oslo in June!"
    if (
        (is_progressive(verb) or bare_ing)
        and verb.lemma_.lower() in lx.PROGRESSIVE_PLANS
        and not any(c.dep_ == "aux" and c.lemma_ == "have" for c in verb.children)
    ):
        cl.plan = True  # "we're moving to Berlin" (but not "I've been moving boxes")
    return cl
