"""Open attributes: values a person states that change over time and link to no entity.

What someone earns ("9,000 lei net a month", "I'm on 52k now"), the rent they pay, the
street address of their home or office, their current goal, the project they work on,
their pay band. Each is one slot per person (single-valued in
:mod:`phasemem.facts.resolve`), so the value said later replaces the one said before and
"How much does Elena earn now?" / "... in October 2021?" read the version in force.

Why surface patterns over the sentence text and not the verb tables of
:mod:`.matcher`: the value is an amount, an address or a free phrase, which the parser
splits unpredictably ("9,000 lei net a month" has no verb, "NZ$" is two tokens); the
parse is still used to find who the subject is. Precision first: an amount only becomes
a salary or a rent in a frame that says so (a salary noun, "earn", "pay me", a rent
noun, an answer to "What are you earning?", an amount marked net/gross); a price ("the
bike was €400"), a range ("NZ$600 to 900") or someone else's pay in passing ("friends
get 11 or 12") yields nothing.
"""

from __future__ import annotations

import re
from datetime import datetime

from phasemem.extract import lexicon as lx
from phasemem.extract.clauses import (
    Ref,
    SentenceContext,
    Span,
    Token,
    _add,
    _owner,
    _subjects,
    coref,
    resolve,
)
from phasemem.extract.discourse import Slot
from phasemem.extract.types import ExtractedFact

EARN = "earn"
RENT = "pay rent"
OFFICE = "have office at"
HOME = "live at"
GOAL = "have goal"
PROJECT = "work on"
BAND = "be on pay band"
#: Every relation this module emits (all single-valued: a new value replaces the old).
RELATIONS = (EARN, RENT, OFFICE, HOME, GOAL, PROJECT, BAND)

# --------------------------------------------------------------------------- value shapes

_SYM = r"(?:(?:NZ|AU|A|US|C|CA|HK|S)\$|[$€£¥₹])"
_CUR = (
    r"(?:lei|ron|euros?|eur|dollars?|usd|gbp|pounds?|quid|bucks|zł|zloty|złoty|pln|kr|kronor"
    r"|kroner|sek|nok|dkk|francs?|chf|rupees?|inr|yen|jpy|reais|brl|pesos?|mxn|rand|zar|lira"
    r"|forint|huf|czk|crowns?|dirhams?|aed|ringgit|baht|naira|shillings?)"
)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULT = r"(?:\s?(?:k|K|grand)\b|\s(?:thousand|million)\b|m\b)"
_PERIOD = (
    r"(?:\s+(?:a|an|per|each|every)\s+(?:year|month|week|hour|annum|day|fortnight)\b"
    r"|\s*/\s*(?:yr|year|month|mo|mth|week|wk|hr|hour)\b|\s+(?:annually|monthly|weekly|hourly))"
)
_NETGROSS = r"(?:\s+(?:net|gross|before tax|after tax|pre-tax|take-home))"
#: A sum of money as said, with what follows it that belongs to it ("net a month").
_MONEY = (
    rf"(?:{_SYM}\s?(?:{_NUM}){_MULT}?(?:\s+{_CUR}\b)?|(?:{_NUM}){_MULT}?\s?{_CUR}\b"
    rf"|(?:{_NUM}){_MULT}?(?={_NETGROSS}))(?:{_NETGROSS}|{_PERIOD}){{0,3}}"
)
#: A bare "52k": money only in a frame that says so ("I'm on 52k"); alone it is a distance.
_K = rf"(?:\d+(?:\.\d+)?\s?[kK]\b(?:{_NETGROSS}|{_PERIOD}){{0,3}})"
_RANGE_AFTER = re.compile(r"\s*(?:to|-|–|or)\s*\d")
_HEDGE = (
    r"(?:(?:about|around|roughly|nearly|almost|over|just over|just under|under|like|only|just)\s+)?"
)

_STREET_WORDS = (
    r"Via|Viale|Corso|Piazza|Piazzale|Largo|Vicolo|Rue|Avenue|Boulevard|Calle|Avenida|Rua"
    r"|Carrer|Plaza|Paseo|Ulica|Strada|Calea"
)
_STREET_SUFFIX = r"Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Boulevard|Blvd|Drive|Terrace|Crescent"
_CAP = r"[A-Z][\w'’.-]*"
#: A street address: "Via Savona 97", "12 Baker Street", "Hauptstraße 5".
_ADDRESS = (
    rf"(?:(?:\d+[a-zA-Z]?,?\s+)?(?:{_STREET_WORDS})\s+(?:(?:de|del|della|di|da|dos|das|la|le|des|du)\s+)?{_CAP}"
    rf"(?:\s+{_CAP}){{0,2}}(?:,?\s+\d+[a-zA-Z]?\b)?"
    rf"|(?:\d+[a-zA-Z]?\s+)?{_CAP}(?:\s+{_CAP}){{0,2}}\s+(?:{_STREET_SUFFIX})(?!\w)(?:\s+\d+\b)?"
    rf"|[A-Z][\wäöüß]+(?:straße|strasse|gasse|weg|allee|platz|laan|gracht|straat|gatan)\s+\d+[a-z]?)"
)

#: Cheap pre-filter for the parse (see ``rules.needs_parse``): a sentence that may state one.
TRIGGER_RE = re.compile(
    rf"{_SYM}\s?\d|\d\s?(?:{_CUR})\b|\d{_NETGROSS}|\b(?:earn|earns|earning|salary|rent|goal"
    rf"|target|project|working on|signed up for|training for|Band \d|Grade \d|pay me|paid)\b"
    rf"|\b(?:on|make|makes|making|earn|earns)\s+(?:about\s+|around\s+)?\d+(?:\.\d+)?\s?k\b"
    rf"|(?:{_STREET_WORDS}) [A-Z]|\b(?:{_STREET_SUFFIX})\b",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- statements

_SUBJ = (
    r"(?P<subj>(?:[Mm]y|[Oo]ur|[Hh]is|[Hh]er) [a-z]+|I|[Ww]e|[Hh]e|[Ss]he|(?!(?:Got|Was|Just|Then"
    r"|So|And|But|Now|Also|Finally|Signed|Being|Started|Landed|Today|Yesterday|Still|Only)\b)"
    r"[A-Z][a-z]+)"
)
_BE_NOW = r"(?:'m|’m| am|'s|’s| is|'re|’re| are)\s+(?:now\s+|currently\s+|still\s+)?"
#: What after a figure says it is no pay: a count of something ("20k steps a day"), a
#: comparison ("40k less than my wife"), or a cost ("€40 a night at the hostel", "£30 a
#: day for food").
_NOT_PAY_AFTER = re.compile(
    r"\s*(?:(?:a|per)\s+(?:day|night)\s+(?:at|for|in|on)\b|(?:(?:a|per)\s+(?:day|week|month"
    r"|year)\s+)?(?:steps|calories|kcal|followers|views|subscribers|miles|km|kilometres"
    r"|kilometers|words|pages|people|users|downloads|likes|less\b|more\b|fewer\b|for\s+(?:food"
    r"|rent|petrol|gas|groceries|lunch|dinner|travel|hotels?)\b))",
    re.IGNORECASE,
)
#: "the rent for my parents' house", "the rent on Ana's flat": another person's home.
_SOMEONE_ELSES = re.compile(r"\b(?:[a-z]+s['’]|[A-Z][a-z]+['’]s|his|her|their)\s", re.UNICODE)
_EARN_RES = tuple(
    re.compile(p)
    for p in (  # "I earn 40k", "she makes €3,000 a month", "I'm on 52k now"
        rf"\b{_SUBJ}(?:\s+(?:now|currently|still|only))?\s*(?:earn|earns|(?:'m|’m| am|'s|’s|"
        rf" is) (?:now |currently |still )?earning|take home|takes home|gross|clear|clears)\s+"
        rf"{_HEDGE}(?P<v>{_MONEY}|{_K})",
        rf"\b{_SUBJ}(?:\s+(?:now|currently))?\s*(?:make|makes|(?:'m|’m| am|'s|’s| is) making)\s+"
        rf"{_HEDGE}(?P<v>(?:{_NUM}){_MULT}?\s?(?:{_CUR}\b)?(?:{_NETGROSS})?{_PERIOD}"
        rf"|{_SYM}\s?(?:{_NUM}){_MULT}?(?:{_NETGROSS})?{_PERIOD})",
        rf"\b{_SUBJ}{_BE_NOW}on\s+{_HEDGE}(?P<v>{_MONEY}|{_K})",
        rf"\b(?:pay|pays|paying)\s+(?P<subj>me|him|her|[A-Z][a-z]+)\s+{_HEDGE}(?P<v>{_MONEY}|{_K})",
        rf"\b{_SUBJ}{_BE_NOW}(?:paid|getting paid)\s+{_HEDGE}(?P<v>(?:{_MONEY}|{_K}))",
        rf"\b(?P<own>[Mm]y|[Hh]is|[Hh]er|[A-Z][a-z]+['’]s)\s+(?:new\s+|current\s+|monthly\s+|annual"
        rf"\s+|yearly\s+|base\s+|starting\s+)?(?:salary|pay|wage|wages|income|take-home(?: pay)?"
        rf"|paycheck)\s+(?:is|'s|’s|went up to|goes up to|is going up to|will be)\s+(?:now\s+)?"
        rf"{_HEDGE}(?P<v>{_MONEY}|{_K})",
    )
)
#: "12,000 net from this month.", "15,500 net.": a figure marked net/gross opening a
#: sentence is the speaker's pay.
_NET_FRAGMENT_RE = re.compile(
    rf"^\W*(?:(?:so|now|and|it's|it is|that's)\s+)?{_HEDGE}(?P<v>(?:{_SYM}\s?)?(?:{_NUM}){_MULT}?"
    rf"(?:\s?{_CUR}\b)?{_NETGROSS}(?:{_PERIOD})?)",
    re.IGNORECASE,
)
_DWELLING = (
    r"flat|apartment|studio|house|room|place|unit|bedsit|cottage|condo|one-bed(?:room)?"
    r"|two-bed(?:room)?|three-bed(?:room)?|four-bed(?:room)?|\d-bed(?:room)?"
)
_RENT_RES = tuple(
    re.compile(p)
    for p in (  # "The rent on my studio is $520 a week", "our rent's going up to £1,400"
        rf"\b(?P<own>[Mm]y|[Oo]ur|[Hh]is|[Hh]er|[A-Z][a-z]+['’]s|[Tt]he)\s+(?:monthly\s+|weekly\s+"
        rf"|new\s+)?rent\b(?P<mid>[^.;!?]{{0,40}}?)\s*(?:is|'s|’s|went up to|goes up to|is going"
        rf" up to|will be|comes to)\s+(?:now\s+|only\s+|just\s+)?{_HEDGE}(?P<v>{_MONEY})",
        rf"\b{_SUBJ}(?:\s+(?:now|currently|still))?\s*(?:pay|pays|(?:'m|’m| am|'re|’re| are|'s|’s"
        rf"| is) paying)\s+{_HEDGE}(?P<v>{_MONEY})\s+(?:(?:in|for)?\s*rent\b|for (?:my|our|the)\s+"
        rf"(?:[\w-]+\s+)?(?:{_DWELLING})\b)",
        # a sentence opening on "Rent": the speaker's ("Rent's $900 a month")
        rf"^\W*(?P<own>Rent|The rent)(?P<mid>)\s*(?:is|'s|’s|went up to|is going up to|will be)\s+"
        rf"(?:now\s+|only\s+|just\s+)?{_HEDGE}(?P<v>{_MONEY})",
    )
)
#: "It's $750 a week for a three-bedroom, but we split it": the cost of a dwelling the
#: speaker's sentence is about (it must speak in the first person).
_DWELLING_COST_RE = re.compile(
    rf"\b(?:it's|it is|it’s|that's)\s+(?:only\s+)?(?P<v>(?:{_SYM}\s?(?:{_NUM}){_MULT}?|(?:{_NUM})"
    rf"{_MULT}?\s?{_CUR}\b){_PERIOD})\s+for\s+(?:a|an|the|our|my)\s+(?:[\w-]+\s+)?(?:{_DWELLING})\b",
    re.IGNORECASE,
)
_FIRST_PERSON_RE = re.compile(r"\b(?:I|we|my|our|us|me)\b", re.IGNORECASE)
_OFFICE = r"(?:office|offices|HQ|headquarters)"
_OFFICE_RES = tuple(
    re.compile(p)
    for p in (  # "our office is at Via Savona 97", "the company is moving office to ..."
        rf"\b(?P<own>[Oo]ur|[Mm]y|[Hh]is|[Hh]er|[A-Z][a-z]+['’]s|[Tt]he)\s+(?:new\s+|main\s+)?"
        rf"{_OFFICE}\s+(?:is|'s|’s|are|will be|has moved|moved|is moving|are moving)\s+(?:now\s+)?"
        rf"(?:at|on|to)\s+(?P<v>{_ADDRESS})",
        rf"\b(?P<verb>moving|moved|move|moves|relocating|relocated)\s+(?:the\s+|our\s+)?{_OFFICE}"
        rf"\b[^.;!?]{{0,40}}?\bto\s+(?P<v>{_ADDRESS})",
        rf"\b(?P<verb>moved|moving)\s+(?:in)?to\s+(?:the|our|a)\s+new\s+{_OFFICE}\s+(?:at|on)\s+"
        rf"(?P<v>{_ADDRESS})",
    )
)
_HOME_RES = tuple(
    re.compile(p)
    for p in (  # "I live at 12 Baker Street", "my new address is ...", "we moved to Rua X 4"
        rf"\b{_SUBJ}(?:\s+(?:now|still))?\s*(?P<verb>live|lives|(?:'m|’m| am|'re|’re| are|'s|’s"
        rf"| is) (?:now )?living|moved|(?:'m|’m| am|'re|’re| are|'s|’s| is) moving)\s+(?:in\s+)?"
        rf"(?:at|on|to|into)\s+(?:(?:a|the|our|my)\s+(?:new\s+)?(?:flat|apartment|house)"
        rf"\s+(?:at|on)\s+)?(?P<v>{_ADDRESS})",
        rf"\b(?P<own>[Mm]y|[Oo]ur|[Hh]is|[Hh]er|[A-Z][a-z]+['’]s)\s+(?:new\s+)?(?:address"
        rf"|(?:place|flat|apartment|house|home) is (?:at|on))\s+(?:is\s+)?(?:now\s+)?(?P<v>{_ADDRESS})",
    )
)
_GOAL_NOUN = r"(?:goal|target|aim)"
_GOAL_RES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (  # "My goal is just to finish it in one piece", "New goal: the Kepler Challenge"
        rf"\b(?P<own>my|his|her|our|[A-Z][a-z]+['’]s)\s+(?:new\s+|main\s+|big\s+|next\s+|current"
        rf"\s+|real\s+|only\s+|\w+ing\s+)?{_GOAL_NOUN}\s+(?:this year\s+|for (?:this|next) year\s+)?"
        rf"(?:is|'s|’s)\s+(?:now\s+)?(?P<v>[^.;!?]+)",
        rf"^\W*(?:(?:my|the)\s+)?(?:(?:new|next|main|big)\s+)?{_GOAL_NOUN}\s*[:–—-]\s*(?P<v>[^.;!?]+)",
    )
)
_RACE = (
    r"marathon|half|half-marathon|race|triathlon|ironman|ultra|10k|5k|parkrun|challenge"
    r"|sportive|fondo|relay|trail run|fun run|swim|century"
)
#: "Signed up for the Auckland Half in October", "I'm training for the Berlin Marathon":
#: a race the person entered is their goal.
_RACE_RE = re.compile(
    rf"(?:^\W*|\b{_SUBJ}\s*(?:(?:'m|’m|am|'ve|’ve|have|has|'s|’s|is|are|just)\s+)?(?:been\s+)?"
    rf"(?:just\s+)?)(?:training for|signed up for|registered for|entered|signing up for)\s+"
    rf"(?P<v>(?:the|a|an|my|our)\s+(?:[\w'’-]+\s+){{0,4}}?(?:{_RACE})(?:\s+(?:{_RACE}))?\b)",
    re.IGNORECASE,
)
#: Where a value runs into another clause: ", and my sister is ...", "and he's ...".
_OTHER_CLAUSE = re.compile(
    r",?\s+(?:and|but|while|whereas)\s+(?:my|his|her|our|their|[A-Z][a-z]+|I|he|she|we|they)\b"
    r"(?:\s+[a-z]+)?\s+(?:is|are|am|was|'s|’s|'m|’m|'re|’re|has|have|had|will|works?|does)\b"
)
_PROJECT_RES = tuple(
    re.compile(p)
    for p in (  # "My new project is the payments rewrite", "I'm working on the billing API"
        r"\b(?P<own>[Mm]y|[Oo]ur|[Hh]is|[Hh]er|[A-Z][a-z]+['’]s)\s+(?:new\s+|current\s+|main\s+"
        r"|next\s+|big\s+|latest\s+)?project\s+(?:is|'s|’s|will be)\s+(?:now\s+)?(?P<v>(?:the|a|an"
        r"|our|my)\s+[^.;!?,]+)",
        rf"\b{_SUBJ}(?:'m|’m| am|'re|’re| are|'s|’s| is|'ve been|’ve been| have been| has been)\s+"
        rf"(?:now\s+|currently\s+|mostly\s+|still\s+)?working on\s+(?P<v>(?:the|a|an|our|my|"
        rf"his|her)\s+[^.;!?,]+)",
    )
)
#: Objects of "working on" that are no project: "working on my fitness", "on it".
_NOT_PROJECTS = {
    "fitness", "tan", "confidence", "patience", "myself", "yourself", "health", "french",
    "english", "spanish", "german", "project", "thing", "things", "stuff", "it", "issue",
    "issues", "relationship", "marriage", "posture", "technique", "accent", "one", "weight",
    "sleep", "skills", "mindset", "habits", "getting",
}  # fmt: skip
_BAND = r"(?P<v>(?:[Bb]and|[Gg]rade|[Ll]evel) \d+[a-z]?)"
_BAND_RES = tuple(
    (re.compile(p), kind)
    for p, kind in (  # "Being a Band 5 midwife", "I got the Band 6 job", "I'm on Band 6"
        (
            rf"\b(?:(?P<subj>I|he|she|[A-Z][a-z]+)(?:'m|’m| am|'s|’s| is)\s+(?:now\s+|still\s+)?"
            rf"|[Bb]eing\s+)an?\s+{_BAND}\s+[a-z]+",
            "state",
        ),
        (rf"\b{_SUBJ}{_BE_NOW}(?:on\s+)?{_BAND}\b", "state"),
        (
            rf"\b(?:{_SUBJ}\s+)?(?:got|landed|started|accepted|took|was given)\s+(?:the|a|my)\s+{_BAND}"
            rf"\s+(?:job|post|role|position)\b",
            "start",
        ),
        (
            rf"\b(?:{_SUBJ}\s+)?(?:[Ww]as |[Gg]ot |'ve been |’ve been |have been |has been )?(?:promoted|moved"
            rf" up|bumped up|regraded) to\s+{_BAND}\b",
            "start",
        ),
    )
)

# --------------------------------------------------------------------------- answer slots

#: Words an answer opens with that are not its value ("Just to run a parkrun").
_LEADING = re.compile(r"^\W*(?:(?:just|only|simply|mainly|mostly|basically|honestly|well|oh)"
                      r"\W+)*(?:to\s+)?", re.IGNORECASE)  # fmt: skip
_CLAUSE_TAIL = re.compile(
    r"\s*(?:,|;|\s[-–—]\s|\s(?:so|which|that|who|together|because|but|and then|so that|where"
    r"|and (?:it|I|we|he|she|they)(?:'\w+)?)\s).*$",
    re.DOTALL,
)


def sentence_attributes(
    sent: Span, ctx: SentenceContext, slot: Slot | None
) -> tuple[Slot | None, bool]:
    """Read ``sent`` as the answer to this module's slot (pay, project, goal). Returns the
    slot the other rules should still read (None when it was one of this module's) and
    whether ``sent`` was the answer (then nothing else in it is read). The statements
    are read by :func:`statements`, after the other rules registered the sentence's people."""
    if not ctx.speaker:
        return slot, False
    mine = slot if slot is not None and slot.relation in RELATIONS else None
    pending = mine or ctx.discourse.open_slot
    if pending is not None:
        ctx.discourse.open_slot = None
        who = _slot_subject(pending, ctx)
        if who is not None and _answer(sent, pending, who, ctx):
            return None, True
        if pending.relation == EARN and who is not None:  # "QA engineer, three years. 9,000
            ctx.discourse.open_slot = pending  # lei net a month.": the figure comes later
    return (None if mine is not None else slot), False


def _slot_subject(slot: Slot, ctx: SentenceContext) -> str | None:
    if slot.who is not None and not slot.subject:
        return None  # asked about someone the conversation cannot name
    return slot.subject or ctx.speaker


def _answer(sent: Span, slot: Slot, who: str, ctx: SentenceContext) -> bool:
    text = sent.text.strip()
    if re.match(r"^\W*(?:no|nope|nah|not|nothing|none|dunno|i don't know)\b", text, re.I):
        return False
    if slot.relation == EARN:
        m = re.search(rf"(?<![\w$€£])(?:{_MONEY}|{_K})", text)
        if m is None or _RANGE_AFTER.match(text, m.end()) or _someone_else(sent, m.start()):
            return False
        _fact(ctx, sent, who, EARN, m.group(0))
        return True
    head = _CLAUSE_TAIL.sub("", text)  # "Open banking integration, so users can ...": the
    end = sent.start_char + len(head)  # value is what comes before the clause after it
    if any(t.tag_ in _FINITE and t.lower_ not in ("'s", "’s", "is") for t in sent
           if t.idx < end):  # fmt: skip
        return False  # a full clause: the statement rules read it
    value = _LEADING.sub("", re.sub(r"^\W*(?:it's|it is|that's)\s+", "", head, flags=re.I))
    value = value.strip().rstrip(".!")
    if slot.relation == PROJECT and value[:1].isupper() and not value[1:2].isupper():
        value = value[0].lower() + value[1:]
    if not value or len(value.split()) > 12 or value.lower() in ("yes", "yeah", "sure"):
        return False
    _fact(ctx, sent, who, slot.relation, value)
    if slot.relation == GOAL:
        ctx.discourse.last_goal = value
    return True


#: Finite verb tags: an answer holding one before its first comma is a full clause.
_FINITE = {"VBD", "VBZ", "VBP", "MD"}


def statements(sent: Span, ctx: SentenceContext) -> None:
    """Emit the open attributes ``sent`` states."""
    if not ctx.speaker:
        return
    text = sent.text
    for pattern in _EARN_RES:
        for m in pattern.finditer(text):
            we = (m.groupdict().get("subj") or "").lower() == "we"  # a couple's or a trip's
            if not (_RANGE_AFTER.match(text, m.end("v")) or _NOT_PAY_AFTER.match(text, m.end("v"))
                    or we):  # fmt: skip
                _emit_for(ctx, sent, m, EARN)
    net = _NET_FRAGMENT_RE.match(text)
    if net is not None and not _RANGE_AFTER.match(text, net.end("v")):
        _fact(ctx, sent, ctx.speaker, EARN, net.group("v"))
    for pattern in _RENT_RES:
        for m in pattern.finditer(text):
            own = m.groupdict().get("own")
            mid = m.groupdict().get("mid") or ""
            opening = not text[: m.start()].strip() and not mid.strip()  # "The rent's X"
            if (
                own in ("The", "the")
                and not opening
                and not re.search(r"\b(?:my|our)\b", mid, re.I)
            ):
                continue  # "the rent in London is ...": nobody's in particular
            if own in ("The", "the") and _SOMEONE_ELSES.search(mid):
                continue  # "The rent for my parents' house": theirs
            if not _RANGE_AFTER.match(text, m.end("v")):
                _emit_for(ctx, sent, m, RENT)
    cost = _DWELLING_COST_RE.search(text)
    if cost is not None and _FIRST_PERSON_RE.search(text):
        _fact(ctx, sent, ctx.speaker, RENT, cost.group("v"))
    for pattern in _OFFICE_RES:
        for m in pattern.finditer(text):
            _emit_for(ctx, sent, m, OFFICE)
    if not re.search(_OFFICE, text):
        for pattern in _HOME_RES:
            for m in pattern.finditer(text):
                _emit_for(ctx, sent, m, HOME)
    for m in _RACE_RE.finditer(text):
        if _emit_for(ctx, sent, m, GOAL, _trim(m.group("v"), m.start("v"), sent, ctx)):
            ctx.discourse.last_goal = m.group("v")
    for pattern in _GOAL_RES:
        for m in pattern.finditer(text):
            value = _goal_value(m, sent, ctx)
            if value and _emit_for(ctx, sent, m, GOAL, value):
                ctx.discourse.last_goal = value
    for pattern in _PROJECT_RES:
        for m in pattern.finditer(text):
            value = _trim(m.group("v"), m.start("v"), sent, ctx)
            value = _OTHER_CLAUSE.split(value, maxsplit=1)[0]  # "... and my sister's working on"
            words = {w.lower() for w in re.findall(r"[\w'’-]+", value)}
            tok = _token_at(sent, m.start("v") + len(value.split(" ", 1)[0]) + 1)
            if words & _NOT_PROJECTS or (tok is not None and tok.pos_ in ("VERB", "AUX")):
                continue
            _emit_for(ctx, sent, m, PROJECT, value)
    for pattern, _kind in _BAND_RES:
        for m in pattern.finditer(text):
            if re.search(r"\b(?:interview|apply|applying|applied|hoping|want)\w*\b[^.]*$",
                         text[: m.start("v")], re.I):  # fmt: skip
                continue  # "an interview for a Band 6 post": not yet
            _emit_for(ctx, sent, m, BAND, m.group("v")[0].upper() + m.group("v")[1:])


def _goal_value(m: re.Match[str], sent: Span, ctx: SentenceContext) -> str | None:
    raw = m.group("v")
    lead = len(raw) - len(_LEADING.sub("", raw))
    value = _trim(raw[lead:], m.start("v") + lead, sent, ctx)
    if re.match(r"(?:not|never|no longer)\b", value, re.IGNORECASE):
        return None  # "My goal is not to earn 50k but to be happy": what it is not
    if re.search(r"\bit\b", value):  # "to finish it in one piece": the race just named
        if ctx.discourse.last_goal is None:
            return None
        value = re.sub(r"\bit\b", ctx.discourse.last_goal, value, count=1)
    return value or None


_TIME_TAIL = re.compile(
    r"\s+(?:at the moment|these days|right now|now|currently|at work|for now|this (?:week|month"
    r"|year)|since \w+|in (?:january|february|march|april|may|june|july|august|september|october"
    r"|november|december))\s*[.!]?$",
    re.IGNORECASE,
)


def _trim(value: str, start: int, sent: Span, ctx: SentenceContext) -> str:
    """A value without what follows it that is no part of it: a clause after a comma or
    "so", and a time phrase ("the Kepler Challenge next December")."""
    value = _TIME_TAIL.sub("", _CLAUSE_TAIL.sub("", value))
    at = sent.start_char + start
    for t, _ in ctx.temporals:
        s = t.span[0]
        if at < s < at + len(value):
            value = value[: s - at]
    return value.strip().rstrip(".!,")


def _emit_for(ctx: SentenceContext, sent: Span, m: re.Match[str], relation: str,
              value: str | None = None) -> bool:  # fmt: skip
    """Emit ``relation`` for the person the match names (its subject group or its
    possessive); nothing when that person cannot be resolved."""
    groups = m.groupdict()
    who: str | None
    if groups.get("own"):
        who = _owner_name(sent, m.start("own"), ctx)
    elif groups.get("subj"):
        who = _subject_name(sent, m.start("subj"), m.end("subj"), ctx)
    else:  # "Signed up for ...", "being a Band 5 midwife", "moving office": the speaker,
        who = _clause_subject(sent, m.start(), ctx)  # unless the clause names another
    if who is None:
        return False
    _fact(ctx, sent, who, relation, value if value is not None else m.group("v"))
    return True


def _owner_name(sent: Span, at: int, ctx: SentenceContext) -> str | None:
    tok = _token_at(sent, at)
    if tok is None:
        return None
    low = tok.lower_.removesuffix("'s").removesuffix("’s")
    if low in lx.SPEAKER_POSSESSIVES:
        return ctx.speaker
    if low in ("the", "rent"):  # "the rent on my studio", "Rent's X": the speaker's
        return ctx.speaker
    if tok.pos_ == "PRON" or low in ("his", "her"):
        ref = coref(tok, ctx)
        return ref.name if ref else None
    head = tok.head if tok.dep_ == "poss" else tok
    name = _owner(head, ctx) if tok.dep_ == "poss" else None
    if name:
        return name
    ref = resolve(tok, ctx)
    return ref.name if isinstance(ref, Ref) and ref.type == "PERSON" else None


def _subject_name(sent: Span, start: int, end: int, ctx: SentenceContext) -> str | None:
    tok = _token_at(sent, end - 1) or _token_at(sent, start)
    if tok is None:
        return None
    if tok.lower_ in ("they", "it", "you"):
        return None
    ref = resolve(tok, ctx)
    return ref.name if isinstance(ref, Ref) and ref.type == "PERSON" else None


#: Subjects that stand for the speaker's side: "the whole company is moving office".
_OUR_SIDE = {"company", "firm", "team", "office", "employer", "business", "startup", "agency"}


def _clause_subject(sent: Span, at: int, ctx: SentenceContext) -> str | None:
    tok = _token_at(sent, at)
    verb = tok
    for _ in range(6):
        if verb is None or verb.pos_ in ("VERB", "AUX") or verb.head is verb:
            break
        verb = verb.head
    subs = _subjects(verb) if verb is not None and verb.pos_ in ("VERB", "AUX") else []
    if not subs:
        return ctx.speaker
    s = subs[0]
    if s.lemma_.lower() in _OUR_SIDE:
        return _owner(s, ctx) or (ctx.speaker if not any(c.dep_ == "poss" for c in s.children)
                                  else None)  # fmt: skip
    ref = resolve(s, ctx)
    return ref.name if isinstance(ref, Ref) and ref.type == "PERSON" else None


def _someone_else(sent: Span, at: int) -> bool:
    """Whether the clause holding the figure has a subject other than the speaker
    ("Friends with the same experience get 11 or 12")."""
    tok = _token_at(sent, at)
    for _ in range(6):
        if tok is None or tok.head is tok:
            break
        tok = tok.head
        subs = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
        if subs:
            return subs[0].lower_ not in lx.SPEAKER_PRONOUNS | {"it", "that", "this"}
    return False


def _token_at(sent: Span, at: int) -> Token | None:
    """The token of ``sent`` covering character ``at`` of ``sent.text``."""
    pos = sent.start_char + at
    for t in sent:
        if t.idx <= pos < t.idx + len(t.text) + 1:
            return t
    return None


def _fact(ctx: SentenceContext, sent: Span, who: str | None, relation: str, value: str) -> None:
    value = re.sub(r"\s+", " ", value).strip().rstrip(".,!")
    if not who or not value:
        return
    span = (sent.start_char, sent.end_char)  # in the chunk; the caller shifts it
    _add(ctx, ExtractedFact(who, relation, value, _since(sent, ctx), None, False, 0.85, span))


def _since(sent: Span, ctx: SentenceContext) -> datetime | None:
    """When the value began, if the sentence says so ("from this month", "since March"),
    never a future time ("moving after Easter", "the Kepler Challenge next December")."""
    for t, _ in ctx.temporals:
        in_sentence = sent.start_char <= t.span[0] < sent.end_char
        if in_sentence and t.role == "since" and t.start.date() <= ctx.base.date():
            return t.start
    return None


__all__ = [
    "BAND", "EARN", "GOAL", "HOME", "OFFICE", "PROJECT", "RELATIONS", "RENT",
    "TRIGGER_RE", "sentence_attributes", "statements",
]  # fmt: skip
