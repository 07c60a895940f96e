"""Everyday facts as people state them: homes, workplaces, roles, diets, hobbies, cars,
phones, studies and pets, said implicitly or in passing (issue 14).

The verb tables in :mod:`.lexicon` catch "I live in Porto" and "I work at Spotify", but
chat mostly says such things sideways: "our place in Porto has a balcony", "my team at
Spotify is lovely", "I'm on a Galaxy now", "Knitting is my thing", "I went vegan". Each
function here reads one such construction from the parse and returns candidate facts;
:mod:`.matcher` emits them through the same qualifiers (negation, plans, times) as every
other fact. The word lists say which *kinds* of things count (a home noun, a car make);
no rule names a particular sentence.

A candidate is ``(subject, relation, kind, object)``; ``subject`` None means "the clause's
subjects". ``kind`` is state / start / end as in :mod:`.lexicon`.
"""

from __future__ import annotations

from typing import NamedTuple

from phasemem.extract import lexicon as lx
from phasemem.extract.clauses import (
    Clause,
    Ref,
    SentenceContext,
    Token,
    _children,
    _kin_norm,
    _owner,
    _proper,
    gerund_text,
    initial_name,
    is_progressive,
    object_text,
    resolve,
)
from phasemem.extract.types import ANY_OBJECT


class Cand(NamedTuple):
    subject: Ref | None
    relation: str
    kind: str
    object: str


_HABIT_WORDS = {"every", "each", "weekly", "weekends", "daily", "nightly", "lately", "nowadays",
                "mornings", "evenings", "twice", "religiously"}  # fmt: skip
_VISIT_CUES = {"visiting", "visit", "trip", "holiday", "vacation", "conference", "week",
               "weekend", "tour", "touring", "passing", "stopover", "layover", "honeymoon"}  # fmt: skip
_NOT_HOME_MODS = {"holiday", "summer", "vacation", "rental", "airbnb", "weekend", "second",
                  "parents", "parents'", "friend", "friends"}  # fmt: skip
_TRIMS = {"pro", "max", "plus", "ultra", "mini", "lite", "fe", "hybrid", "estate", "xl", "neo",
          "edge", "fold", "flip", "note", "se", "gt", "gti", "sport", "touring"}  # fmt: skip
_NAME_GLUE = {"'s", "’s", "&", "+", "of", "de", "del", "la", "le", "van", "von", "da", "di"}


def _pobjs(tok: Token, *preps: str) -> list[Token]:
    return [o for p in _children(tok, "prep") if p.lower_ in preps for o in _children(p, "pobj")]


def _particle(verb: Token) -> str:
    return next((c.lower_ for c in verb.children if c.dep_ == "prt"), "")


def _speaker_owned(tok: Token) -> bool:
    return any(c.dep_ == "poss" and c.lower_ in lx.SPEAKER_POSSESSIVES for c in tok.children)


def _mods(tok: Token) -> set[str]:
    return {c.lower_ for c in tok.children if c.dep_ in ("amod", "compound", "nmod", "poss")}


def name_span(tok: Token) -> str:
    """A proper name with its glue: "King's College London", "Foster + Partners",
    "Bank of America"; the parser splits such names over poss/conj/prep arcs."""
    doc = tok.doc
    i = j = tok.i

    def ok(k: int) -> bool:
        t = doc[k]
        if t.pos_ == "NUM":  # "Studio 54", but not "Boeing two years ago"
            nxt = doc[k + 1] if k + 1 < len(doc) else None
            return t.text[:1].isdigit() and not (nxt is not None and nxt.pos_ == "NOUN")
        if (
            0 < k < len(doc) - 1
            and doc[k - 1].text == doc[k + 1].text == "-"
            and not (doc[k - 1].whitespace_ or t.whitespace_)
        ):
            return True  # "on" in "Stoke-on-Trent"
        return t.pos_ == "PROPN" or (t.text[:1].isupper() and t.pos_ in ("NOUN", "ADJ"))

    def glue(k: int) -> bool:  # "of", "&", or a hyphen inside a word ("Chester-le-Street")
        t = doc[k]
        return t.lower_ in _NAME_GLUE or (
            t.text == "-" and k > 0 and not doc[k - 1].whitespace_ and not t.whitespace_
        )

    while i > 0 and (ok(i - 1) or (glue(i - 1) and i > 1 and ok(i - 2))):
        i -= 1
    while j + 1 < len(doc) and (ok(j + 1) or (glue(j + 1) and j + 2 < len(doc) and ok(j + 2))):
        j += 1
    while i < tok.i and glue(i):
        i += 1
    if i > 0 and doc[i - 1].text == "The":
        i -= 1
    text = doc[i : j + 1].text
    return text.replace(" 's", "'s").replace(" ’s", "’s")


def is_time(tok: Token, ctx: SentenceContext) -> bool:
    """Whether a token lies inside a resolved time phrase ("in October")."""
    return any(t.span[0] <= tok.idx < t.span[1] for t, _ in ctx.temporals)


_CLOCK_WORDS = {"am", "pm", "a.m.", "p.m.", "noon", "midnight", "today", "tonight", "dawn"}


def clock_time(tok: Token, ctx: SentenceContext) -> bool:
    """ "started my job at 9am", "at noon": a time the resolver may not read, not an
    employer."""
    number = tok.like_num and tok.pos_ == "NUM" and tok.ent_type_ not in ("ORG", "FAC")
    return tok.lower_ in _CLOCK_WORDS or number or is_time(tok, ctx)


# --------------------------------------------------------------------------- cars, phones


def _device_word(t: Token) -> str | None:
    low = t.lower_
    if not (t.text[:1].isupper() or any(ch.isdigit() for ch in low) or low.startswith("iphone")):
        return None  # "golf", "a leaf", "smart": common words unless capitalised
    if low in lx.CAR_MAKES or low in lx.CAR_MODELS:
        return "drive"
    if low in lx.PHONE_MAKES or low.startswith("iphone"):
        return "use phone"
    return None


def device(tok: Token) -> tuple[str, str] | None:
    """``("drive" | "use phone", model)`` when ``tok`` heads a car or phone model phrase:
    "a rusty Saab 9-3 from 2004" -> ("drive", "Saab 9-3"), "my old Pixel 4a" -> Pixel 4a."""
    got = device_span(tok)
    return (got[0], got[1]) if got else None


def device_span(tok: Token) -> tuple[str, str, int, int] | None:
    """:func:`device` with the model's token range (the parser splits "Volkswagen ID.4")."""
    doc = tok.doc
    lo, hi = tok.left_edge.i, tok.right_edge.i
    stop = {"DET", "ADP", "PRON", "VERB", "AUX", "CCONJ", "SCONJ"}
    for k in range(lo, hi + 1):
        rel = _device_word(doc[k])
        if rel is None:
            continue
        i = j = k
        while i > lo and doc[i - 1].pos_ == "PROPN" and doc[i - 1].text[:1].isupper():
            i -= 1
        while j + 1 < len(doc):
            nxt = doc[j + 1]
            if nxt.text in (",", ";", ":", "!", "?", "(", ")") or (
                nxt.pos_ in stop and doc[j].whitespace_
            ):
                break
            glued = not doc[j].whitespace_ and nxt.text not in (".",)
            if (
                glued
                or nxt.pos_ in ("PROPN", "NUM", "X")
                or nxt.lower_ in _TRIMS
                or (nxt.text[:1].isupper() or any(ch.isdigit() for ch in nxt.text))
            ):
                j += 1
                continue
            break
        text = doc[i : j + 1].text.strip(" .,-")
        return (rel, text, i, j) if text else None
    return None


def _device_objs(verb: Token) -> list[Token]:
    """Objects that may be a car or phone: direct objects, and the model in apposition
    to "a car" / "a phone" ("bought a car, a used Toyota Yaris")."""
    out = []
    for d in _children(verb, "dobj"):
        out.append(d)
        out.extend(c for c in d.children if c.dep_ == "appos")
        if d.lower_ in ("it", "one"):  # "bought it, a Fairphone 4": the parser hangs the
            out.extend(  # model on the verb, after the comma
                c for c in verb.children
                if c.dep_ in ("npadvmod", "appos") and c.i > d.i
                and any(t.text == "," for t in c.doc[d.i + 1 : c.left_edge.i])
            )  # fmt: skip
    return out


def devices(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Cand]:
    lemma, prt = verb.lemma_.lower(), _particle(verb)
    out: list[Cand] = []
    if lemma in lx.DEVICE_START or lemma in lx.DEVICE_STATE or lemma in lx.DEVICE_END:
        kind = (
            "start" if lemma in lx.DEVICE_START else "state" if lemma in lx.DEVICE_STATE else "end"
        )
        if lemma == "have" and verb.tag_ == "VBD" and not cl.ending and not cl.negated:
            kind = "start"  # "we had a Golf" is told as a past state: let times decide
        if lemma in ("give", "pass") and not (prt in ("away", "on", "up") or _pobjs(verb, "to")):
            kind = "skip"
        dative = [c for c in verb.children if c.dep_ == "dative" and c.pos_ == "PRON"]
        recipient = resolve(dative[0], ctx) if dative else None
        if lemma in ("get", "buy", "give") and recipient is not None:
            kind = "start"  # "my parents gave me their old Hyundai", "got me a Pixel"
        if kind != "skip":
            covered: set[int] = set()
            for d in _device_objs(verb):
                if d.i in covered:
                    continue  # "a Volkswagen ID.4" split over two objects
                got = device_span(d)
                if got is not None:
                    covered.update(range(got[2], got[3] + 1))
                    out.append(Cand(recipient, got[0], kind, got[1]))
        if lemma in ("switch", "upgrade", "move", "trade", "swap", "change"):
            for o in _pobjs(verb, "to", "for"):  # "switched to an iPhone 15", "traded X in for Y"
                model = device(o)
                if model is not None:
                    out.append(Cand(None, model[0], "start", model[1]))
        if lemma == "trade":
            out = [c if c.kind == "start" or c.object not in _dobj_devices(verb) else
                   c._replace(kind="end") for c in out]  # fmt: skip
    chose = _CHOICE_PREPS.get(lemma)
    if chose and not cl.negated and verb.tag_ in ("VBD", "VBN"):
        for o in _pobjs(verb, *chose):  # "went with the Jazz in the end", "opted for a Pixel"
            got = device_span(o)  # the model itself, not "a drive in the Golf"
            if got is not None and got[2] <= o.i <= got[3]:
                out.append(Cand(None, got[0], "start", got[1]))
    if lemma == "choose" and verb.tag_ in ("VBD", "VBN"):
        for d in _children(verb, "dobj"):  # "she chose the Fairphone in the end"
            got = device_span(d)
            if got is not None and got[2] <= d.i <= got[3]:
                out.append(Cand(None, got[0], "start", got[1]))
    if lemma == "be":
        for o in _pobjs(verb, "on"):  # "I'm on a Galaxy Z Flip4 now"
            phone = device(o)
            if phone is not None and phone[0] == "use phone":
                out.append(Cand(None, "use phone", "state", phone[1]))
    return out


#: A choice made, told by its verb and preposition: after "which car should he get?",
#: "he went with the Jazz in the end" is the purchase. Past forms only ("we're going for
#: the Pixel" is a plan, left to the plan rules).
_CHOICE_PREPS = {"go": ("with", "for"), "opt": ("for",), "settle": ("on", "for"),
                 "decide": ("on",)}  # fmt: skip


def _dobj_devices(verb: Token) -> set[str]:
    return {got[1] for d in _children(verb, "dobj") if (got := device(d))}


def copula_device(verb: Token, ctx: SentenceContext) -> list[Cand]:
    """ "My phone is a Pixel 6", "my car's a Golf", "It's an iPhone 11" (the speaker's)."""
    out: list[Cand] = []
    for s in _children(verb, "nsubj"):
        owner = None
        if s.lower_ in ("car", "phone", "ride", "motor", "handset"):
            owner = _owner(s, ctx)
        elif s.lower_ == "it" and ctx.speaker:
            owner = ctx.speaker
        if owner is None:
            continue
        for a in _children(verb, "attr"):
            got = device(a)
            if got is not None and (
                s.lower_ == "it" or (got[0] == "drive") == (s.lower_ != "phone")
            ):
                out.append(Cand(Ref(owner, "PERSON"), got[0], "state", got[1]))
    return out


def owned_mentions(sent: Token, ctx: SentenceContext) -> list[tuple[Cand, Token]]:
    """Things the speaker calls theirs: "my little Smart", "our Volvo" -> drive; "our cat is
    sulking" -> have cat; "my new lease car, a Peugeot e-208" -> drive Peugeot e-208."""
    out: list[tuple[Cand, Token]] = []
    for tok in sent:
        if tok.pos_ not in ("NOUN", "PROPN") or not _speaker_owned(tok):
            continue
        me = Ref(ctx.speaker or "", "PERSON")
        if _mods(tok) & lx.FORMER or tok.head.lemma_.lower() in lx.DEVICE_END:
            continue  # "my old iPhone went to my brother", "sold my Golf"
        got = device(tok)
        if got is None and tok.lower_ in ("car", "phone"):
            got = next((g for c in tok.children if c.dep_ == "appos" and (g := device(c))), None)
        if got is not None and ctx.speaker:
            out.append((Cand(me, got[0], "state", got[1]), tok))
            continue
        pet = tok.lemma_.lower()
        if ctx.speaker and (pet in lx.PETS or pet in lx.PET_BREEDS) and tok.pos_ == "NOUN":
            named = (
                any(c.dep_ in ("appos", "acl") for c in tok.children)
                or (tok.dep_ in ("compound", "appos") and tok.head.pos_ == "PROPN")
                or (  # "Mabli is my dog": copula_kin names it
                    tok.dep_ == "attr"
                    and any(s.pos_ == "PROPN" for s in _children(tok.head, "nsubj"))
                )
            )
            if not named and tok.head.lemma_.lower() not in ("die", "pass"):
                out.append((Cand(me, "have", "state", _kin_norm(tok) or tok.lower_), tok))
    return out


# --------------------------------------------------------------------------- diet


def diets(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Cand]:
    """ "I'm vegan", "I went vegan", "the only veggie", "I'm keto now"; eating meat again
    ends a meat-free diet ("I'm eating meat again", "started eating chicken again")."""
    lemma = verb.lemma_.lower()
    out: list[Cand] = []
    if lemma in ("be", "become", "go", "turn", "stay", "remain", "switch", "get") or (
        verb.lower_ in lx.DIETS
    ):
        words = [verb] if verb.lower_ in lx.DIETS else []
        words += [c for c in verb.children if c.dep_ in ("acomp", "attr", "oprd", "dobj", "advmod")]
        for w in words:
            diet = lx.DIETS.get(w.lower_) or lx.DIETS.get(_hyphenated(w))
            if diet is None:
                continue
            kind = "start" if lemma in ("become", "go", "turn", "switch") else "state"
            out.append(Cand(None, "follow diet", kind, diet))
    if lemma == "eat" and not cl.negated:
        again = any(c.lower_ == "again" for c in verb.children)
        now = again or any(c.lower_ == "now" for c in verb.children)
        objs = _children(verb, "dobj")
        meats = [d for d in objs if d.lemma_.lower() in lx.MEATS]
        everything = again and any(d.lower_ == "everything" for d in objs)
        if (meats and (now or cl.starting)) or everything:
            # a meat-free diet ends, and the diet is now an omnivore's: asked "what's her
            # diet now?", the store has an answer (single-valued: it supersedes "vegan")
            out.append(Cand(None, "follow diet", "start", "omnivore"))
    return out


def _hyphenated(tok: Token) -> str:
    doc = tok.doc
    if tok.i + 2 < len(doc) and doc[tok.i + 1].text == "-":
        return f"{tok.lower_}-{doc[tok.i + 2].lower_}"
    return tok.lower_


# --------------------------------------------------------------------------- hobbies


def gerund(lemma: str) -> str:
    """ "climb" -> "climbing", "run" -> "running", "hike" -> "hiking", "ski" -> "skiing"."""
    if lemma.endswith("ie"):
        return lemma[:-2] + "ying"
    if lemma.endswith("e") and not lemma.endswith(("ee", "ye", "oe")):
        return lemma[:-1] + "ing"
    if (
        len(lemma) >= 3
        and lemma[-1] not in "aeiouwxy"
        and lemma[-2] in "aeiou"
        and lemma[-3] not in "aeiou"
        and len(lemma) <= 4
    ):
        return lemma + lemma[-1] + "ing"
    return lemma + "ing"


def _activity(tok: Token, ctx: SentenceContext) -> str | None:
    """A hobby named by a gerund or noun: "running", "the cello", "film photography"."""
    low, lemma = tok.lower_, tok.lemma_.lower()
    if tok.pos_ == "VERB" and lemma in lx.HOBBY_VERBS:
        return gerund_text(tok, ctx) or gerund(lemma)
    if (
        low in lx.HOBBY_NOUNS
        or lemma in lx.HOBBY_NOUNS
        or (low.endswith("ing") and low[:-3] in lx.HOBBY_VERBS)
        or lemma in lx.HOBBY_VERBS
        and low.endswith("ing")
    ):
        text = object_text(tok, ctx)
        return text.lower() if text and tok.pos_ != "PROPN" else text  # "Pottery has ..."
    return None


def _habitual(verb: Token) -> bool:
    """A habit cue near the verb: "every Saturday", "twice a week", "these days"."""
    for t in verb.subtree:
        prev = t.doc[t.i - 1].lower_ if t.i > 0 else ""
        if (
            t.lower_ in _HABIT_WORDS
            or (t.lower_ == "days" and prev == "these")
            or (t.lower_ in ("week", "month", "weekend") and prev in ("a", "per", "every", "each"))
        ):  # "twice a week", "these days"; not "all week"
            return True
    return False


_NOT_PASTIME = {"late", "behind", "low", "out", "short", "around", "errands"}


def hobbies(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Cand]:
    lemma, prt = verb.lemma_.lower(), _particle(verb)
    out: list[Cand] = []
    objs = _children(verb, "dobj") + [
        c for c in verb.children if c.dep_ == "xcomp" and c.tag_ == "VBG"
    ]
    if (lemma, prt) in (("take", "up"), ("pick", "up")):  # "I took up running"
        out += [Cand(None, "have hobby", "start", a) for o in objs if (a := _activity(o, ctx))]
    elif (lemma, prt) == ("give", "up") or lemma in ("quit", "stop", "drop"):
        out += [Cand(None, "have hobby", "end", a) for o in objs if (a := _activity(o, ctx))]
    elif lemma == "get" and not objs:  # "I got into bouldering"
        out += [Cand(None, "have hobby", "start", a) for o in _pobjs(verb, "into")
                if (a := _activity(o, ctx))]  # fmt: skip
    elif lemma == "join":  # "I've joined a choir"
        for o in _children(verb, "dobj"):
            if o.pos_ == "NOUN" and o.lemma_.lower() in lx.CLUB_NOUNS - {"team"}:
                text = object_text(o, ctx)
                out += [Cand(None, "have hobby", "start", text)] if text else []
    elif lemma == "do" and verb.tag_ in ("VBP", "VBZ"):  # "I do yoga every morning"
        out += [Cand(None, "have hobby", "state", a) for o in objs
                if o.lemma_.lower() in lx.HOBBY_NOUNS and (a := _activity(o, ctx))]  # fmt: skip
    elif verb.dep_ == "conj" and verb.head.lemma_.lower() not in lx.HOBBY_VERBS:
        pass  # "eating eggs and fish again": not fishing
    elif (lemma in lx.HOBBY_VERBS or verb.lower_ in lx.HOBBY_NOUNS) and verb.pos_ == "VERB" and lemma not in ("read", "write", "study",
                                                                            "learn", "teach", "volunteer",
                                                                            "shop", "walk", "travel"):  # fmt: skip
        if any(o.lemma_.lower() not in lx.HOBBY_NOUNS for o in _children(verb, "dobj")):
            return out  # "I run a bakery", "I ride the bus"
        nxt = verb.doc[verb.i + 1] if verb.i + 1 < len(verb.doc) else None
        if (nxt is not None and nxt.lower_ in _NOT_PASTIME) or any(
            c.lower_ in _NOT_PASTIME for c in verb.children if c.dep_ in ("advmod", "prt")
        ):
            return out  # "running late since the train broke down", "running out of milk"
        habitual = _habitual(verb) and (is_progressive(verb) or verb.tag_ in ("VBP", "VBZ", "VBG"))
        since = (
            any(t.role in ("since", "duration") for t, a in ctx.temporals
                if a is not None and a.i == verb.i)
            or any(c.dep_ == "advcl" and any(m.dep_ == "mark" and m.lower_ == "since"
                                             for m in c.children) for c in verb.children)
        ) and (  # "I've been climbing since it reopened"; chat drops "I've been"
            is_progressive(verb)
            or (verb.tag_ == "VBG" and verb.dep_ == "ROOT"
                and not any(c.dep_ in ("nsubj", "nsubjpass", "aux") for c in verb.children))
        )  # fmt: skip
        if cl.ending or cl.starting or habitual or since:
            text = gerund_text(verb, ctx) if verb.tag_ == "VBG" else None
            text = text or (verb.lower_ if verb.lower_ in lx.HOBBY_NOUNS else gerund(lemma))
            text = _with_left_mods(verb, text)
            out.append(Cand(None, "have hobby", "state", text))
    if (lemma, prt) == ("take", "over") and any(  # "Paddleboarding has taken over my life"
        (d.lower_ in ("life", "weekends", "evenings", "summer", "winter", "time")
         and _speaker_owned(d))
        or d.lower_ == "everything"  # "trail running has taken over everything"
        for d in _children(verb, "dobj")
    ):  # fmt: skip
        for s in _children(verb, "nsubj"):
            a = _activity(s, ctx)
            if a and ctx.speaker:
                out.append(Cand(Ref(ctx.speaker, "PERSON"), "have hobby", "state", a))
    return out


def _with_left_mods(verb: Token, text: str) -> str:
    """ "open-water swimming", "cross-country skiing": modifiers written before a gerund."""
    doc = verb.doc
    i = verb.i
    while i > 0 and (doc[i - 1].dep_ in ("npadvmod", "amod", "compound", "advmod") and
                     doc[i - 1].head.i == verb.i and doc[i - 1].pos_ in ("NOUN", "ADJ", "PROPN")
                     or doc[i - 1].text == "-" and not doc[i - 1].whitespace_):  # fmt: skip
        i -= 1
    return (doc[i : verb.i].text + " " + text).strip().replace(" - ", "-") if i < verb.i else text


def copula_hobby(verb: Token, ctx: SentenceContext) -> list[Cand]:
    """ "My (main) hobby is pottery", "Knitting is my thing", "that's my winter routine"."""
    out: list[Cand] = []
    if not ctx.speaker:
        return out
    me = Ref(ctx.speaker, "PERSON")
    subs, attrs = _children(verb, "nsubj"), _children(verb, "attr", "acomp")
    for s in subs:
        if s.lemma_.lower() in lx.HOBBY_WORDS - {"thing", "routine"} and _speaker_owned(s):
            out += [
                Cand(me, "have hobby", "state", a)
                for t in attrs
                if (a := _activity_or_text(t, ctx))
            ]
    for t in attrs:
        if t.lemma_.lower() in lx.HOBBY_WORDS and _speaker_owned(t):
            hobby = [a for s in subs if (a := _activity(s, ctx))]
            if not hobby and any(s.lower_ in ("that", "this", "it") for s in subs):
                hobby = _earlier_activity(verb)  # "Ice skating on Sundays, that's my thing"
            out += [Cand(me, "have hobby", "state", a) for a in hobby]
        elif (  # "I've been open-water swimming every Saturday" (the gerund read as a noun)
            t.tag_ == "NN" and t.lower_.endswith("ing") and _habitual(verb)
            and any(s.lower_ in lx.SPEAKER_PRONOUNS for s in subs)
            and (t.lower_ in lx.HOBBY_NOUNS or t.lower_[:-3] in lx.HOBBY_VERBS)
        ):  # fmt: skip
            out.append(Cand(me, "have hobby", "state", _left_mods_noun(t)))
    return out


def _earlier_activity(verb: Token) -> list[str]:
    for t in verb.sent:
        if t.i >= verb.i:
            break
        if t.lower_ in lx.HOBBY_NOUNS or (
            t.lower_.endswith("ing") and t.lower_[:-3] in lx.HOBBY_VERBS
        ):
            return [_left_mods_noun(t)]
    return []


def _left_mods_noun(t: Token) -> str:
    """ "open-water swimming", "ice skating": a hobby noun with the words written before it."""
    mods = [c for c in t.lefts if c.dep_ in ("compound", "amod", "npadvmod")]
    start = min([t.i, *(m.left_edge.i for m in mods)])
    return t.doc[start : t.i + 1].text.replace(" - ", "-").lower()


def _activity_or_text(tok: Token, ctx: SentenceContext) -> str | None:
    if tok.pos_ == "VERB":
        return gerund_text(tok, ctx)
    return _activity(tok, ctx) or (object_text(tok, ctx) if tok.pos_ == "NOUN" else None)


# --------------------------------------------------------------------------- homes


def home_mentions(sent: Token, ctx: SentenceContext) -> list[tuple[Cand, Token]]:
    """ "our place in Porto", "the neighbours in our building in Bologna", "my old flat in
    Leeds" (former: ended), "here in Tampere" -> the speaker lives there."""
    out: list[tuple[Cand, Token]] = []
    if not ctx.speaker:
        return out
    me = Ref(ctx.speaker, "PERSON")
    words = {t.lower_ for t in sent}
    for tok in sent:
        if (
            tok.pos_ == "NOUN"
            and tok.lemma_.lower() in lx.HOME_NOUNS | {tok.lower_} & lx.HOME_NOUNS
        ):
            if not _speaker_owned(tok) or _mods(tok) & _NOT_HOME_MODS:
                continue
            kind = "end" if _mods(tok) & lx.FORMER else "state"
            for o in _pobjs(tok, "in"):  # (NER often calls a town ORG: "in" on a home decides)
                if o.pos_ == "PROPN" and not is_time(o, ctx):  # (a flat is never "in" a person)
                    out.append((Cand(me, "live in", kind, name_span(o)), tok.head))
        elif tok.lower_ == "here" and not words & _VISIT_CUES:
            nxt = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
            if nxt is not None and nxt.lower_ == "in":
                places = [
                    o for o in _children(nxt, "pobj") if o.pos_ == "PROPN" and not is_time(o, ctx)
                ]
                out += [(Cand(me, "live in", "state", name_span(o)), tok.head) for o in places]
    return out


def homes(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Cand]:
    lemma = verb.lemma_.lower()
    out: list[Cand] = []
    if lemma in (
        "buy",
        "get",
        "rent",
        "find",
        "sign",
        "move",
        "purchase",
        "lease",
        "have",
        "share",
    ):
        nouns = _children(verb, "dobj") + _pobjs(verb, "into", "in")
        for n in nouns:  # "we bought a house in Frome", "moved into a flat in Leith"
            if n.lemma_.lower() in lx.HOME_TO_LIVE and not _mods(n) & _NOT_HOME_MODS:
                for o in _pobjs(n, "in") or (_pobjs(verb, "in") if n.dep_ == "dobj" else []):
                    if o.pos_ == "PROPN" and o is not n:
                        kind = "state" if lemma in ("have", "share") else "start"
                        out.append(Cand(None, "live in", kind, name_span(o)))
    if (  # "they're visiting us in Cairo": the speaker lives there
        lemma == "visit"
        and ctx.speaker
        and any(d.lower_ in ("us", "me") for d in _children(verb, "dobj"))
    ):
        me = Ref(ctx.speaker, "PERSON")
        out += [Cand(me, "live in", "state", name_span(o)) for o in _pobjs(verb, "in")
                if o.pos_ == "PROPN"]  # fmt: skip
    if lemma in ("move", "relocate", "come"):  # "moved back to Ghent after five years in Brussels"
        for p in _children(verb, "prep"):
            if p.lower_ != "after":
                continue
            for y in _children(p, "pobj"):
                if y.lemma_.lower() in ("year", "month", "decade"):
                    out += [Cand(None, "live in", "end", name_span(o)) for o in _pobjs(y, "in")
                            if o.pos_ == "PROPN"]  # fmt: skip
    if lemma == "be":
        out += _be_in(verb, cl, ctx)
    if lemma == "stay" and _lasting_stay(verb, ctx):
        out += [Cand(None, "live in", "state", name_span(o)) for o in _pobjs(verb, "in")
                if o.pos_ == "PROPN" and o.ent_type_ not in ("ORG", "PERSON", "DATE", "FAC")]  # fmt: skip
    return out


#: Adverbs that make a stay a home: "staying in Lyon for good / permanently / now".
_LASTING_ADVS = {"permanently", "indefinitely", "now", "long-term"}
_STAY_MIN_DAYS = 60  # "till the summer", "for six months": a stay that long is a home


def _lasting_stay(verb: Token, ctx: SentenceContext) -> bool:
    """ "I'm staying in Chicago at least till the summer", "she's been staying in Lyon since
    March": a stay is a home when it lasts (a period ending two months or more ahead, a
    "since", "for N months", "for good"); "staying in Rome for the weekend" or "staying in
    a hotel" is a visit."""
    times = [t for t, a in ctx.temporals if a is not None and a.i == verb.i]
    for t in times:
        if t.role == "since":
            return True
        end = t.end or t.start
        if t.role in ("until", "duration", "range") and (end - ctx.base).days >= _STAY_MIN_DAYS:
            return True
        if t.role == "duration" and (ctx.base - t.start).days >= _STAY_MIN_DAYS:
            return True
    words = {c.lower_ for c in verb.subtree}
    return bool(words & _LASTING_ADVS) or ("for" in words and "good" in words)


def _be_in(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Cand]:
    """ "X has been home for six years", "I've been in Vancouver since 2015", "my girlfriend
    lives in X and I'm in Athens": being somewhere lastingly is living there."""
    out: list[Cand] = []
    subs = _children(verb, "nsubj")
    for a in _children(verb, "attr") + [c for c in verb.children if c.dep_ == "advmod"]:
        if a.lower_ == "home" and not any(c.dep_ == "poss" and c.lower_ not in lx.SPEAKER_POSSESSIVES
                                          for c in a.children):  # fmt: skip
            for s in subs:
                if s.pos_ == "PROPN" and ctx.speaker:
                    out.append(Cand(Ref(ctx.speaker, "PERSON"), "live in", "state", name_span(s)))
    if verb.tag_ not in ("VBP", "VBZ", "VBN") or any(w.lower_ in _VISIT_CUES for w in verb.sent):
        return out
    lasting = any(
        t.role in ("since", "duration") for t, a in ctx.temporals if a is not None and a.i == verb.i
    )
    lasting |= any(c.lower_ in ("now", "still", "currently") for c in verb.children)
    lasting |= (
        verb.dep_ == "conj"
        and verb.head.lemma_.lower() in ("live", "be")
        and any(p.lower_ == "in" for p in verb.head.children)
    )
    if lasting:
        for o in _pobjs(verb, "in"):
            if o.pos_ == "PROPN" and o.ent_type_ not in ("ORG", "PERSON", "DATE", "EVENT"):
                out.append(Cand(None, "live in", "state", name_span(o)))
    since = any(t.role == "since" and a is not None and a.i == verb.i for t, a in ctx.temporals)
    for adv in verb.children:  # "Brno is great. We've been here since April."
        if since and adv.dep_ == "advmod" and adv.lower_ in ("here", "there") and not out:
            place = ctx.discourse.place_before(ctx.at(adv))
            if place:
                out.append(Cand(None, "live in", "state", place))
    return out


# --------------------------------------------------------------------------- work, study


def is_role(tok: Token, *, with_org: bool) -> bool:
    """Whether a noun names a job role: a known occupation or role head ("tax associate",
    "Principal Analyst"); with an employer named beside it, also a noun shaped like a role
    ("an audit senior at KPMG")."""
    low, lemma = tok.lower_, tok.lemma_.lower()
    if low in lx.NOT_ROLES or lemma in lx.NOT_ROLES:
        return False
    if lemma in lx.KIN and not any(c.dep_ == "compound" for c in tok.children):
        return False  # "my sister", but "a ward sister"
    if lemma in lx.OCCUPATIONS or low in lx.ROLE_HEADS or lemma in lx.ROLE_HEADS:
        return True
    return with_org and low.endswith(("er", "or", "ist", "ian", "ant", "ent")) and len(low) > 4


def role_text(tok: Token, ctx: SentenceContext) -> str | None:
    if tok.pos_ == "PROPN":  # "Principal Analyst", "Senior Engineer"
        parts = [c for c in tok.lefts if c.dep_ == "compound" and c.pos_ in ("PROPN", "NOUN")]
        start = min([tok.i, *(c.i for c in parts)])
        return tok.doc[start : tok.i + 1].text
    return object_text(tok, ctx)


def study_mentions(sent: Token, ctx: SentenceContext) -> list[tuple[Cand, Token]]:
    """ "Four years of mechanical engineering at Loughborough and I ...", "After three
    years of law at Leeds, I ...": a course of an academic field at a named place, said
    of the speaker (a verbless opener, or the time of a clause about "I")."""
    out: list[tuple[Cand, Token]] = []
    if not ctx.speaker:
        return out
    me = Ref(ctx.speaker, "PERSON")
    for tok in sent:
        if tok.lemma_.lower() not in ("year", "semester", "term") or tok.pos_ != "NOUN":
            continue
        if not any(c.dep_ == "nummod" for c in tok.children):
            continue
        own = tok.dep_ == "ROOT" or (
            tok.dep_ == "pobj" and tok.head.lower_ in ("after", "during")
            and any(s.dep_ in ("nsubj", "nsubjpass") and s.lower_ in lx.SPEAKER_PRONOUNS
                    for s in tok.head.head.children)
        )  # fmt: skip
        if not own:
            continue
        for field in _pobjs(tok, "of"):
            if field.lower_ not in lx.ACADEMIC_FIELDS or field.pos_ != "NOUN":
                continue
            places = [o for o in _pobjs(tok, "at") + _pobjs(field, "at")
                      if o.text[:1].isupper() and not is_time(o, ctx)]  # fmt: skip
            text = object_text(field, ctx)
            if not places or not text:
                continue
            out.append((Cand(me, "study", "state", text), tok))
            out += [(Cand(me, "study at", "state", name_span(o)), tok) for o in places]
    return out


def employer_text(o: Token, ctx: SentenceContext) -> str | None:
    """An employer as a question about it would name it: a proper name whole ("King's
    College London"); a workplace noun with the town it is in ("a practice in
    Chester-le-Street", "his school in Braga" -> "school in Braga"), since a bare "practice"
    tells one practice from no other. Someone's own workplace ("his school") is theirs to
    work at, so the possessive that hides other people's things is let through here."""
    if o.pos_ == "PROPN":
        return name_span(o)
    text = object_text(o, ctx)
    if (
        text is None
        and o.lemma_.lower() in lx.WORKPLACE_NOUNS
        and any(c.dep_ == "poss" and c.lower_ in ("his", "her", "their") for c in o.children)
    ):
        mods = [
            c for c in o.lefts if c.dep_ in ("compound", "amod") and c.lower_ not in lx.EVALUATIVE
        ]
        text = " ".join([*(m.text for m in mods), o.text])
    if text is None or o.lemma_.lower() not in lx.WORKPLACE_NOUNS:
        return text
    towns = [p for p in _pobjs(o, "in") if p.pos_ == "PROPN" and not is_time(p, ctx)]
    return f"{text} in {name_span(towns[0])}" if towns else text


def work_mentions(sent: Token, ctx: SentenceContext) -> list[tuple[Cand, Token]]:
    """ "my team at Spotify", "my boss at Infosys", "my old job at the council" (ended);
    someone else's too: "my brother's team at Google", "her colleagues at Arup"."""
    out: list[tuple[Cand, Token]] = []
    if not ctx.speaker:
        return out
    for tok in sent:
        if tok.pos_ != "NOUN" or tok.lower_ not in lx.WORK_NOUNS:
            continue
        owner = _work_owner(tok, ctx)
        if owner is None:
            continue
        kind = "end" if _mods(tok) & lx.FORMER else "state"
        verb = tok.head
        on_verb = tok.dep_ == "dobj" and (  # the lemmatizer reads "hates" as "hat"
            verb.lemma_.lower() in _JOB_FEELINGS or verb.lower_ in _JOB_FEELINGS
        )
        places = _pobjs(tok, "at", "for") or (  # "hates her job at the bank": the parser
            _pobjs(tok.head, "at") if on_verb else []  # hangs it on the verb
        )
        for o in places:
            if o.pos_ == "PROPN" or o.lemma_.lower() in lx.WORKPLACE_NOUNS:
                text = employer_text(o, ctx)
                if text:
                    out.append((Cand(owner, "work at", kind, text), tok.head))
    return out


#: Verbs that say how someone finds a job they have (not ones that end or start it).
_JOB_FEELINGS = {"love", "hate", "like", "enjoy", "dislike", "loathe", "adore", "loves", "hates",
                 "likes", "enjoys", "dislikes", "loathes", "adores"}  # fmt: skip


def _work_owner(tok: Token, ctx: SentenceContext) -> Ref | None:
    """Whose team/boss/job it is: the speaker ("my"), a kin or a name ("my brother's",
    "Lena's"), or the person a "his"/"her" refers to; None when unsaid."""
    poss = [c for c in tok.children if c.dep_ == "poss"]
    if len(poss) != 1:
        return None
    p = poss[0]
    if p.lower_ in lx.SPEAKER_POSSESSIVES:
        return Ref(ctx.speaker or "", "PERSON")
    if p.lower_ in ("his", "her") or (p.pos_ in ("NOUN", "PROPN") and p.text[:1] != "'"):
        ref = resolve(p, ctx, emit_kin=False)
        if ref is not None and ref.type == "PERSON":
            return ref
    return None


def _in_house(verb: Token) -> list[Token]:
    """ "in-house" on the verb (the parser splits it: in -> - house): its two tokens, where
    the "at" of the employer may hang; empty when there is none."""
    for p in _children(verb, "prep"):
        for o in _children(p, "pobj"):
            if p.lower_ == "in" and o.lower_ == "house" and o.i == p.i + 2 \
                    and o.doc[p.i + 1].text == "-":  # fmt: skip
                return [p, o]
    return []


def work(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Cand]:
    lemma, prt = verb.lemma_.lower(), _particle(verb)
    out: list[Cand] = []
    if lemma in ("move", "switch", "jump", "defect") and not cl.plan:
        for o in _pobjs(verb, "to"):  # "I moved to Deloitte, senior auditor", "jumped ship to PwC"
            if moved_to_employer(o) or (lemma == "jump" and o.text[:1].isupper()):
                out.append(Cand(None, "work at", "start", name_span(o)))
    house = _in_house(verb) if lemma in ("be", "go", "move", "work") else []
    if house:  # "she's in-house at Tesco", "I went in-house at Aviva"
        kind = "state" if lemma in ("be", "work") else "start"
        orgs = [o for t in (verb, *house) for o in _pobjs(t, "at") if o.pos_ == "PROPN"]
        out += [Cand(None, "work at", kind, name_span(o)) for o in orgs]
    if lemma in ("accept", "take", "sign"):  # "accepted an offer from the Museum"
        for d in _children(verb, "dobj"):
            if d.lemma_.lower() in ("offer", "contract", "position"):
                out += [Cand(None, "work at", "start", name_span(o) if o.pos_ == "PROPN" else t)
                        for o in _pobjs(d, "from", "at", "with") if (t := object_text(o, ctx))]  # fmt: skip
    if (lemma in ("hand", "put") and prt == "in") or lemma in ("give", "submit", "tender"):
        for d in _children(verb, "dobj"):  # "I handed in my notice (at X)"
            if d.lemma_.lower() in ("notice", "resignation"):
                orgs = [o for o in _pobjs(d, "at") + _pobjs(verb, "at") if o.pos_ == "PROPN"]
                out += [Cand(None, "work at", "end", name_span(o)) for o in orgs] or [
                    Cand(None, "work at", "end", ANY_OBJECT)
                ]
    if lemma == "make" and any(c.lower_ == "redundant" for c in verb.children):
        orgs = [
            o for t in [verb, *verb.children] for o in _pobjs(t, "from", "at") if o.pos_ == "PROPN"
        ]
        out += [Cand(None, "work at", "end", name_span(o)) for o in orgs] or [
            Cand(None, "work at", "end", ANY_OBJECT)
        ]
    if lemma in _FOUND_VERBS or (lemma == "set" and prt == "up"):
        out += _own_business(verb, lemma, ctx)
    if lemma == "be" and verb.tag_ in ("VBP", "VBZ") and not cl.negated:
        for o in _pobjs(verb, "at"):  # "I'm at Cabify now", "I'm at King's College London"
            name = name_span(o) if o.pos_ == "PROPN" else ""
            if not name:
                continue
            if set(name.lower().replace("'s", "").split()) & lx.SCHOOL_WORDS:
                out.append(Cand(None, "study at", "state", name))
            elif o.ent_type_ == "ORG" and any(c.lower_ in ("now", "still") for c in verb.children):
                out.append(Cand(None, "work at", "state", name))
    return out


#: Verbs that make a business one's own: "launched his own studio, Estudio Nopal".
_FOUND_VERBS = {"launch", "found", "cofound", "co-found", "start", "open", "establish", "run"}


def _own_business(verb: Token, lemma: str, ctx: SentenceContext) -> list[Cand]:
    """ "Rui launched his own studio, Estudio Nopal", "she set up her own practice, Blue
    Door Physio", "I started my own company called Loop Labs": working at the business one
    founded. Only "own" + a business named beside it: "opened a bakery" names no employer
    (it may be someone else's), "launched a podcast" is no workplace."""
    out: list[Cand] = []
    for d in _children(verb, "dobj"):
        if d.pos_ != "NOUN" or not any(c.lower_ == "own" for c in d.children):
            continue
        if not any(c.dep_ == "poss" for c in d.children):
            continue
        names = [c for c in d.children if c.dep_ == "appos" and c.pos_ == "PROPN"]
        for c in d.children:
            if c.dep_ == "acl" and c.lemma_.lower() in ("call", "name"):
                names += [g for g in c.children if g.dep_ in ("oprd", "dobj", "attr")
                          and g.pos_ == "PROPN"]  # fmt: skip
        kind = "state" if lemma == "run" else "start"
        out += [Cand(None, "work at", kind, name_span(n)) for n in names[:1]]
    return out


_WORK_CUES = lx.WORK_NOUNS | lx.ROLE_HEADS | lx.OCCUPATIONS | {
    "job", "work", "company", "firm", "employer", "offer", "salary", "hired", "contract",
    "promotion", "promoted", "career", "notice", "interview", "onboarding", "badge",
}  # fmt: skip


def moved_to_employer(o: Token) -> bool:
    """ "moved to Deloitte three weeks ago, assistant manager in audit": a move to an
    organisation is a job change when the sentence talks about work; the small model calls
    many towns ORG ("I just moved to Bergen!"), so the NER label alone is not enough."""
    if o.ent_type_ != "ORG":
        return False
    return any(t.lower_ in _WORK_CUES or t.lemma_.lower() in _WORK_CUES for t in o.sent)


def copula_role(verb: Token, ctx: SentenceContext) -> list[Cand]:
    """ "I'm a tax associate at EY", "on paper I'm Principal Analyst now", "Being a ward
    sister on nights means ..." (roles outside the occupation list, and their employer)."""
    out: list[Cand] = []
    for a in _children(verb, "attr"):
        if a.pos_ not in ("NOUN", "PROPN") or any(c.dep_ == "poss" for c in a.children):
            continue
        preps = [p for p in a.subtree if p.dep_ == "prep" and p.lower_ in ("at", "for")]
        orgs = [o for p in preps for o in _children(p, "pobj")] + _pobjs(verb, "at", "for")
        orgs = [o for o in orgs if o.pos_ == "PROPN" or o.lemma_.lower() in lx.WORKPLACE_NOUNS]
        low = a.lower_
        if (
            (a.lemma_.lower() in lx.OCCUPATIONS and a.pos_ == "NOUN")
            or low in lx.DIETS
            or (low in lx.IDENTITY)
        ):
            continue  # the occupation and identity tables already read it
        if not is_role(a, with_org=bool(orgs)):
            continue
        text = role_text(a, ctx)
        if not text:
            continue
        of = [o for o in _pobjs(a, "of") if o.pos_ == "NOUN" and not _speaker_owned(o)]
        if of and a.lower_ in ("head", "director", "chief", "manager", "leader"):
            text = f"{text} of {of[0].lower_}"  # "head of department"
        out.append(Cand(None, "work as", "state", text))
        for o in orgs:
            name = employer_text(o, ctx)
            out += [Cand(None, "work at", "state", name)] if name else []
    return out


def study(verb: Token, cl: Clause, ctx: SentenceContext) -> list[Cand]:
    """Degrees and schools: "starting a nursing degree at Cardiff", "doing a master's in
    global health", "transferred to Imperial for the PhD", "dropped out of art school"."""
    lemma, prt = verb.lemma_.lower(), _particle(verb)
    out: list[Cand] = []
    degrees = [d for d in _children(verb, "dobj") if _degree(d)]
    if lemma in ("do", "start", "begin", "pursue", "take", "finish", "complete") and degrees:
        kind = "start" if lemma in ("start", "begin") else "state"
        for d in degrees:
            field = _degree_field(d, verb, ctx)
            if d.lemma_.lower() == "bootcamp" and (field is None or field.lower() in _DRILLS):
                continue  # "a fitness bootcamp on Saturdays" is exercise, not a course
            out += [Cand(None, "study", kind, field)] if field else []
            fields = [o for o in _pobjs(d, "in") + _pobjs(verb, "in")]
            places = (
                _pobjs(d, "at") + _pobjs(verb, "at") + [o for f in fields for o in _pobjs(f, "at")]
            )
            out += [Cand(None, "study at", kind, t) for o in places
                    if (t := _school_text(o, ctx))]  # fmt: skip
    if lemma == "transfer":
        words = {t.lower_.strip(".") for t in verb.sent}
        for o in _pobjs(verb, "to"):
            name = name_span(o) if o.pos_ == "PROPN" else ""
            schoolish = set(name.lower().split()) & lx.SCHOOL_WORDS or words & lx.DEGREE_NOUNS
            out += [Cand(None, "study at", "start", name)] if name and schoolish else []
    if lemma == "be":
        out += _year_of(verb, ctx)
    outs = [p for p in _children(verb, "prep") if p.lower_ == "out"]
    if lemma == "drop" and (prt == "out" or outs):
        for o in _pobjs(verb, "of") + [g for p in outs for g in _pobjs(p, "of")]:
            if _degree(o):
                field = _degree_field(o, verb, ctx)
                out += [Cand(None, "study", "end", field)] if field else []
            elif o.lemma_.lower() in lx.SCHOOL_WORDS or o.pos_ == "PROPN":
                text = name_span(o) if o.pos_ == "PROPN" else object_text(o, ctx)
                out += [Cand(None, "study at", "end", text)] if text else []
    return out


#: Modifiers of a course that say when or how it is taught, not what: "an evening course".
_WHEN_TAUGHT = {"evening", "night", "weekend", "summer", "online", "intensive", "crash"}

#: Bootcamps that are drills, not courses: "a fitness bootcamp", "army boot camp".
_DRILLS = {"fitness", "army", "military", "workout", "summer", "hiit", "running", "baby"}


def _school_text(o: Token, ctx: SentenceContext) -> str | None:
    """Where a course is taken: a name ("King's College London"), or a school noun that says
    which one ("the city college", "the local uni"); a bare "college" tells nothing."""
    if o.pos_ == "PROPN":
        return name_span(o)
    if o.lemma_.lower() not in lx.SCHOOL_WORDS or is_time(o, ctx):
        return None
    if not any(c.dep_ in ("compound", "amod") and c.lower_ not in lx.EVALUATIVE
               for c in o.lefts):  # fmt: skip
        return None
    return object_text(o, ctx)


#: "in my final year", "in her second year": a year of a course, not of a life.
_YEAR_ORDINALS = {"first", "second", "third", "fourth", "fifth", "final", "last", "1st", "2nd",
                  "3rd", "4th", "5th", "sophomore", "freshman", "junior", "senior"}  # fmt: skip


def _year_of(verb: Token, ctx: SentenceContext) -> list[Cand]:
    """ "Rui is in his final year of economics at the University of Ghana", "I'm in my
    second year at Leeds Uni": a year of a course is studying; the place must be a school
    or come with an academic field ("in her final year at Deloitte" is a job)."""
    out: list[Cand] = []
    for year in _pobjs(verb, "in"):
        if year.lemma_.lower() not in ("year", "semester", "term") or not any(
            c.dep_ in ("amod", "nummod") and c.lower_ in _YEAR_ORDINALS for c in year.children
        ):
            continue
        fields = [f for f in _pobjs(year, "of") if f.lower_ in lx.ACADEMIC_FIELDS or _degree(f)]
        places = _pobjs(year, "at") + [o for f in fields for o in _pobjs(f, "at")]
        places += _pobjs(verb, "at")
        for o in places:
            if o.pos_ != "PROPN" or is_time(o, ctx):
                continue
            name = name_span(o)
            if fields or set(name.lower().split()) & lx.SCHOOL_WORDS:
                out.append(Cand(None, "study at", "state", name))
        for f in fields:
            if f.lower_ in lx.ACADEMIC_FIELDS and (text := object_text(f, ctx)):
                out.append(Cand(None, "study", "state", text))
    return out


def _degree(tok: Token) -> bool:
    return tok.lower_ in lx.DEGREE_NOUNS or tok.lemma_.lower() in lx.DEGREE_NOUNS


def _degree_field(d: Token, verb: Token, ctx: SentenceContext) -> str | None:
    """ "a nursing degree" -> nursing, "a master's in global health" -> global health."""
    for o in _pobjs(d, "in") + _pobjs(verb, "in"):
        if (o.pos_ in ("NOUN", "PROPN") or o.tag_ == "VBG") and (text := object_text(o, ctx)):
            return text  # "a course in bookkeeping" (a gerund the parser calls a verb)
    mods = [c for c in d.lefts if c.dep_ in ("compound", "amod", "nmod") and c.pos_ in ("NOUN", "PROPN")
            and c.lower_ not in lx.DEGREE_NOUNS and c.lower_ not in _WHEN_TAUGHT]  # fmt: skip
    if mods:
        start = min(m.left_edge.i for m in mods)
        return d.doc[start : d.i].text
    return None


# --------------------------------------------------------------------------- kin


def copula_kin(verb: Token, ctx: SentenceContext) -> list[Cand]:
    """ "Darnell's my flatmate", "Kofi is my cousin", "He's my cousin" (after "Kofi?")."""
    out: list[Cand] = []
    names: list[Token] = []
    for s in _children(verb, "nsubj"):
        if (
            s.pos_ == "PROPN"
            or (s.pos_ == "PRON" and s.lower_ in ("he", "she"))
            or initial_name(s, ctx)  # "Tamsin is my housemate": a name tagged as a noun
        ):
            names.append(s)
    for a in _children(verb, "attr"):
        kin = _kin_norm(a)
        owner = _owner(a, ctx)
        if not kin or owner is None or owner != ctx.speaker:
            continue
        for s in names:
            ref = resolve(s, ctx, emit_kin=False)
            if ref is None or ref.name == owner or "'s " in ref.name:
                continue
            rel = lx.KIN_RELATION.get(kin, f"have {kin}")
            out.append(Cand(Ref(owner, "PERSON"), rel, "state", ref.name))
    return out


def possessive_kin(tok: Token, ctx: SentenceContext) -> Cand | None:
    """ "Darnell's my flatmate" parsed as a noun phrase ("Darnell" possessor of "flatmate")."""
    kin = _kin_norm(tok)
    if not kin or tok.dep_ not in ("ROOT", "dep", "attr") or not ctx.speaker:
        return None
    owners = [c for c in tok.children if c.dep_ == "poss"]
    mine = [c for c in owners if c.lower_ in lx.SPEAKER_POSSESSIVES]
    names = [
        c for c in owners if c.pos_ == "PROPN" and any(g.lower_ in ("'s", "’s") for g in c.children)
    ]
    if not mine or not names:
        return None
    rel = lx.KIN_RELATION.get(kin, f"have {kin}")
    return Cand(Ref(ctx.speaker, "PERSON"), rel, "state", _proper(names[0]))
