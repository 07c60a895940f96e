"""What one message knows beyond a sentence: who "she" is, where "here" is, and what
question a short answer answers.

People state facts across sentences and turns: "Kofi? He's my cousin.", "Went to
Seville in 2018 and loved it. We live there now!", and the assistant's "What phone is
it?" answered with "A Pixel 7.". The parser sees one sentence at a time, so this module
keeps a small, deliberately shallow record per message:

- **antecedents** (people and named pets, with a gender when a kin word gives one) for
  he/she/him/her/his: the most recent compatible one wins. Recency is right far more
  often than not inside one chat turn; "they" is left alone.
- **places** for "here"/"there": the most recent proper noun after in/to/from, a place the
  NER marks, or the answer to a where-question.
- **carried** people and places of the conversation's latest turns (:class:`Session`):
  "My brother Nils lives in Umeå." ... (two turns later) "He's moving to Oslo." A
  pronoun or "there" that the message cannot resolve takes them, but only when exactly
  one compatible person (place) was mentioned in those turns; with two, it stays open.
- **slots**: the relation a question in the previous turn asks about ("Which phone?" ->
  ``use phone``), so the first sentence of the answer can be read as its object.

Everything is regex or token work on what was already parsed; nothing here parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from phasemem.extract import lexicon as lx

Token = Any


class Antecedent(NamedTuple):
    offset: int  # character offset in the message
    name: str
    gender: str | None  # "f" | "m" | None (unknown: compatible with both)
    kind: str | None = None  # kin or pet word when known ("sister", "kitten")
    owner: str | None = None
    #: "rule": a clause rule read it as a person; "mention": only a noun ("my friend") or
    #: the NER saw it. A mention with no gender blocks a carried pronoun but never takes one.
    source: str = "rule"


@dataclass(slots=True)
class Discourse:
    """Per-message memory shared by the sentence contexts of one episode."""

    antecedents: list[Antecedent] = field(default_factory=list)
    places: list[tuple[int, str]] = field(default_factory=list)
    #: People of the conversation's latest turns and the places they named (see Session).
    carried: tuple[Antecedent, ...] = ()
    carried_places: tuple[str, ...] = ()
    #: People this message mentions that no rule registered as an antecedent (NER names,
    #: "a guy", "my dad" as an object): not resolved to, but they make "he" ambiguous.
    mentioned: list[Antecedent] = field(default_factory=list)
    #: Names a pronoun was resolved to (in order), so a chain of "he"s stays recent.
    resolved: list[Antecedent] = field(default_factory=list)
    #: Gender a name showed by the pronoun used for it ("Rhiannon. She's a vet nurse.").
    learned: dict[str, str] = field(default_factory=dict)
    #: Never an antecedent: everyone who speaks in the conversation.
    speakers: frozenset[str] = frozenset()
    #: People who were the subject of a clause together ("Ruth and Gareth sold the farm",
    #: "my parents"), by offset, for a later "they"; an empty group marks a plural subject
    #: that is not people ("the hotels are full"), which a "they" after it may mean instead.
    groups: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    #: The group the conversation's latest turns ended on (see :meth:`Session.close`).
    carried_group: tuple[str, ...] = ()
    #: Things (pets, cars, phones) with their owner, of this message and the latest turns,
    #: latest last: "What dog?" asks about the dog someone's "his new dog" named.
    things: list[tuple[str, str]] = field(default_factory=list)
    #: An open-attribute question ("What are you earning?") the message has not answered
    #: yet: its figure may come a sentence later (see :mod:`.attributes`).
    open_slot: Slot | None = None
    #: The goal or race the message named last, for a later "my goal is to finish it".
    last_goal: str | None = None
    carried_things: tuple[tuple[str, str], ...] = ()
    #: Two people named together ("Omar and Petra"), of this message (with the offset)
    #: and of the latest turns: the "they" of a later "they split up".
    pairs: list[tuple[int, str, str]] = field(default_factory=list)
    carried_pairs: tuple[tuple[str, str], ...] = ()

    def add_person(self, offset: int, name: str, kind: str | None = None,
                   owner: str | None = None) -> None:  # fmt: skip
        gender = GENDER.get(kind or "")
        self.antecedents.append(Antecedent(offset, name, gender, kind, owner))

    def add_place(self, offset: int, name: str) -> None:
        self.places.append((offset, name))

    def person_before(self, offset: int, pronoun: str, exclude: set[str]) -> Antecedent | None:
        """The latest antecedent before ``offset`` that ``pronoun`` can refer to; failing
        that, the one carried person it fits (see :meth:`_carried_person`). Speakers never."""
        want = PRONOUN_GENDER.get(pronoun.lower())
        if want is None:
            return None
        exclude = exclude | self.speakers
        for a in sorted(self.antecedents, key=lambda a: -a.offset):
            if a.offset >= offset or a.name.lower() in exclude:
                continue
            if a.gender in (None, want):
                if a.gender is None and len(self._names_before(offset, exclude)) == 1:
                    self.learned[a.name] = want  # the only person so far: "she" fits her
                self.resolved.append(a)
                return a
        got = self._carried_person(offset, want, exclude)
        if got is not None:
            self.resolved.append(got)
            if got.gender is None:
                self.learned[got.name] = want
        return got

    def peek_person(self, offset: int, pronoun: str, exclude: set[str]) -> Antecedent | None:
        """:meth:`person_before` without recording anything (for an owner's "his")."""
        resolved, learned = len(self.resolved), dict(self.learned)
        got = self.person_before(offset, pronoun, exclude)
        del self.resolved[resolved:]
        self.learned = learned
        return got

    def slot_subject(self, who: str, speaker: str | None, listener: str | None,
                     noun: str | None = None) -> Antecedent | None:  # fmt: skip
        """The person a question about someone else asks about ("Where is he moving
        to?", "Did Zoe move out?", "How's your sister?"), resolved against the
        conversation; None when it is not one known person. The answer's later he/she
        take that person first (they are what the exchange is about)."""
        exclude = {n.lower() for n in (speaker, listener) if n}
        got: Antecedent | None = None
        if who == THING:  # "What dog?": whose dog the conversation said last
            things = (*self.carried_things, *self.things)
            owner = next((o for n, o in reversed(things) if n == noun), None)
            if owner is None:  # only "a new car" was said: the owner the sentence suggests
                owner = next((o for n, o in reversed(things) if n == f"{WEAK}{noun}"), None)
            if not owner:  # nobody said one, or whose it is was unclear ("" recorded)
                return None if owner is None else Antecedent(-1, "", None)
            if owner.lower() in exclude:
                return Antecedent(-1, owner, None)
            got = next((p for p in merge_people(list(self.carried)) if p.name == owner), None)
            got = got or Antecedent(-1, owner, None)
        elif who.lower() in PRONOUN_GENDER:
            got = self.person_before(0, who.lower(), exclude)
        elif who.lower().startswith("your "):
            kin = lx.KIN.get(who[5:].lower())
            if speaker is None or kin is None or kin.endswith(("s", "ren")):
                return None
            alias = f"{speaker}'s {kin}"
            named = {p.name for p in self.carried if p.owner == speaker and p.kind == kin}
            named.discard(alias)
            name = named.pop() if len(named) == 1 else alias
            got = Antecedent(-1, name, GENDER.get(kin), kin, speaker)
        elif who.lower() not in exclude and who not in NOT_NAMES:
            old = next((p for p in merge_people(list(self.carried)) if p.name == who), None)
            got = old or Antecedent(-1, who, self.learned.get(who))
        if got is None or got.name.lower() in exclude:
            return None
        gender = got.gender or self.learned.get(got.name) or PRONOUN_GENDER.get(who.lower())
        if gender and not got.gender:
            self.learned.setdefault(got.name, gender)
        self.antecedents.append(got._replace(offset=-1, gender=gender, source="rule"))
        return got

    def couple(self, offset: int, exclude: set[str]) -> tuple[str, str] | None:
        """The two people a "they" of a couple's verb ("they split up") refers to: the
        two people named in this message before it, or, when it names nobody before
        it, in the latest turns; exactly two, else None."""
        exclude = exclude | self.speakers
        own_pairs = [(a, b) for off, a, b in self.pairs if 0 <= off < offset]
        if own_pairs:
            return own_pairs[-1] if own_pairs[-1][0] else None
        own = [p for p in (*self.antecedents, *self.mentioned) if 0 <= p.offset < offset]
        if not own and ("", "") in self.carried_pairs:
            return None  # a group was named just before
        if not own and len(set(self.carried_pairs)) == 1:
            return self.carried_pairs[0]
        pool = own if own else [*self.carried, *(p for p in self.antecedents if p.offset < 0)]
        places = {n.lower() for _, n in self.places} | {n.lower() for n in self.carried_places}
        names = [
            p.name for p in merge_people(pool)
            if p.name.lower() not in exclude
            and (p.source == "rule" or p.name.lower() not in places)
            and (p.name[:1].isupper() or (p.owner and p.source == "rule"))
            and p.kind not in lx.PETS and p.kind not in lx.PET_BREEDS
        ]  # fmt: skip
        generic = any(not (p.name[:1].isupper() or p.owner) for p in pool)
        if len(names) != 2 or generic:
            return None
        return names[0], names[1]

    def note_pairs(self, text: str) -> None:
        """ "Omar and Petra", "my friends Omar and Petra": two names joined by "and", one of
        them a person the message or the latest turns know (so not "Leeds and York")."""
        known = {p.name for p in (*self.antecedents, *self.mentioned, *self.carried)}
        for m in _PAIR_RE.finditer(text):
            a, b = m.group("a"), m.group("b")
            if _LIST_BEFORE_RE.search(text, 0, m.start()):
                self.pairs.append((m.start(), "", ""))  # "Mina, Jonas and Farid": a group,
                continue  # so no "they" of the next turns is a couple
            if {a, b} & _NOT_AFTER_KIN or not {a, b} & known:
                continue
            if a.lower() in self.speakers or b.lower() in self.speakers or a == b:
                continue
            self.pairs.append((m.start(), a, b))

    def _names_before(self, offset: int, exclude: set[str]) -> set[str]:
        return {
            p.name for p in (*self.antecedents, *self.mentioned)
            if p.offset < offset and p.name.lower() not in exclude
        }  # fmt: skip

    def _carried_person(self, offset: int, want: str, exclude: set[str]) -> Antecedent | None:
        """The one person of the latest turns ``want`` fits, unless the message itself
        mentions another who fits (then, or with two carried ones, nobody)."""
        places = {n.lower() for _, n in self.places} | {n.lower() for n in self.carried_places}
        pool = [
            p for p in (*self.carried, *(m for m in self.mentioned if m.offset < offset))
            if p.source == "rule" or p.name.lower() not in places  # "Braga." answering
            # "Where to?" is no person (a rule's person stays one: NER calls names places)
        ]  # fmt: skip
        if not pool:
            return None
        fits = {
            p.name: p for p in merge_people(pool)
            if p.name.lower() not in exclude and p.gender in (None, want)
        }  # fmt: skip
        if len(fits) != 1:
            return None
        (a,) = fits.values()
        if not any(c.name == a.name for c in self.carried):
            if a.name[:1].isupper() and a.gender is None:  # "Sat with Marisol, she's funny":
                self.learned[a.name] = want  # not resolved here, but a later "she" may be
            return None
        if not (a.name[:1].isupper() or a.owner):  # "the doctor" blocks, but is no subject
            return None
        if a.source != "rule" and a.gender is None:  # "your friend", an NER guess ("Ha")
            return None
        return a

    def add_group(self, offset: int, names: tuple[str, ...]) -> None:
        self.groups.append((offset, names))

    def group_before(self, offset: int) -> tuple[str, ...]:
        """Who a subject "they" at ``offset`` is: the latest group of this message before it
        (none when the latest plural subject was not people), else the carried one."""
        own = [g for g in self.groups if g[0] < offset]
        if own:
            return max(own)[1]
        return self.carried_group

    def person_named(self, name: str) -> bool:
        return any(a.name == name for a in self.antecedents)

    def place_before(self, offset: int) -> str | None:
        best = [p for p in self.places if p[0] < offset]
        if best:
            return max(best)[1]
        carried = set(self.carried_places)
        return self.carried_places[-1] if len(carried) == 1 else None

    def learn_genders(self, text: str) -> None:
        """ "Had dinner with Marisol, she is so funny.": when the message mentions one
        person only and uses one gender of pronoun after it, the name has that gender
        (nothing is resolved here; a later turn's "she" may be)."""
        people = {m.name for m in self.mentioned if m.name.lower() not in self.speakers}
        if not people and not self.antecedents:  # "Rui called." / "How is he?": the one
            carried = {p.name for p in self.carried if p.name.lower() not in self.speakers}
            (name,) = carried if len(carried) == 1 else ("",)  # person carried is "he"
            genders = {PRONOUN_GENDER[p.lower()] for p in _HE_SHE_RE.findall(text)}
            if name[:1].isupper() and not self.learned.get(name) and len(genders) == 1:
                self.learned[name] = genders.pop()
            return
        if len(people) != 1:
            return
        (name,) = people
        if not name[:1].isupper() or self.learned.get(name):
            return
        first = min(m.offset for m in self.mentioned if m.name == name)
        genders = {PRONOUN_GENDER[p.lower()] for p in _HE_SHE_RE.findall(text[first:])}
        if len(genders) == 1:
            self.learned[name] = genders.pop()

    def people(self) -> list[Antecedent]:
        """Everyone this message named or mentioned (for the next turns), genders learnt."""
        own = [a for a in (*self.antecedents, *self.mentioned) if a.offset >= 0]
        out = [*own, *self.resolved]
        return [a._replace(gender=a.gender or self.learned.get(a.name)) for a in out]


def merge_people(people: list[Antecedent]) -> list[Antecedent]:
    """One entry per person: "Sven's brother" is Nils when "my brother Nils" was said;
    the first gender known wins. Order: latest mention last."""
    alias = {f"{a.owner}'s {a.kind}": a.name for a in people if a.owner and a.kind
             and a.name != f"{a.owner}'s {a.kind}"}  # fmt: skip
    by_name: dict[str, Antecedent] = {}
    for a in people:
        name = alias.get(a.name, a.name)
        old = by_name.pop(name, None)
        if old is not None:
            a = old._replace(gender=old.gender or a.gender, kind=old.kind or a.kind,
                             owner=old.owner or a.owner,
                             source="rule" if "rule" in (old.source, a.source) else a.source)  # fmt: skip
        by_name[name] = a._replace(name=name)
    return list(by_name.values())


class _Turn(NamedTuple):
    """What one message of a conversation leaves for the next ones."""

    people: list[Antecedent]
    places: list[str]
    things: list[tuple[str, str]]
    pairs: list[tuple[str, str]]


@dataclass(slots=True)
class Session:
    """The people and places of a conversation's latest turns, carried from one message
    to the next inside one batch (the turns of one ``add``). ``window`` turns back: a
    person named further back is rarely a bare "he" any more."""

    window: int = 4
    turns: list[_Turn] = field(default_factory=list)
    speakers: set[str] = field(default_factory=set)
    learned: dict[str, str] = field(default_factory=dict)
    #: The people a "they" of the next turn may mean: the last plural subject of the
    #: latest turn that had one ("Are they still up north?" / "Yes, they bought a cottage").
    group: tuple[str, ...] = ()
    group_age: int = 0

    def discourse(self, speaker: str | None, listener: str | None) -> Discourse:
        """A fresh per-message memory that knows the latest turns."""
        self.speakers.update(n.lower() for n in (speaker, listener) if n)
        recent = self.turns[-self.window :]
        people = merge_people([p for t in recent for p in t.people])
        people = [p._replace(gender=p.gender or self.learned.get(p.name)) for p in people]
        places = tuple(pl for t in recent for pl in t.places)
        things = tuple(th for t in recent for th in t.things)
        pairs = tuple(pr for t in recent[-2:] for pr in t.pairs)  # a couple is said just before
        group = self.group if self.group_age < self.window else ()
        return Discourse(carried=tuple(people), carried_places=places, carried_things=things,
                         carried_pairs=pairs, speakers=frozenset(self.speakers),
                         learned=dict(self.learned), carried_group=group)  # fmt: skip

    def close(self, d: Discourse) -> None:
        """Record what the message just read named."""
        self.learned.update(d.learned)
        places = [name for off, name in sorted(d.places) if off >= 0]
        pairs = [(a, b) for _, a, b in d.pairs]
        self.turns.append(_Turn(d.people(), places, list(d.things), pairs))
        del self.turns[: -self.window]
        own = [g for g in d.groups if g[0] >= 0]
        if own:
            self.group, self.group_age = max(own)[1], 0
        else:
            self.group_age += 1


_LIST_BEFORE_RE = re.compile(r"[A-Z][a-zà-ÿ]+,\s*$")
_PAIR_RE = re.compile(r"\b(?P<a>[A-Z][a-zà-ÿ]+)\s+(?:and|&)\s+(?P<b>[A-Z][a-zà-ÿ]+)\b(?!['’])")
_HE_SHE_RE = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)
#: he/she and their object and possessive forms.
PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}
#: Gender of kin words; names have none (a name is compatible with he and she).
GENDER = {
    "mother": "f", "sister": "f", "daughter": "f", "wife": "f", "girlfriend": "f",
    "grandmother": "f", "aunt": "f", "niece": "f", "fiancee": "f", "stepmother": "f",
    "stepdaughter": "f", "granddaughter": "f", "father": "m", "brother": "m", "son": "m",
    "husband": "m", "boyfriend": "m", "grandfather": "m", "uncle": "m", "nephew": "m",
    "fiance": "m", "stepfather": "m", "stepson": "m", "grandson": "m",
}  # fmt: skip

#: A chunk that is only a name ("Kofi?", "Carla's.", "Rhiannon!"): the topic of what follows.
BARE_NAME_RE = re.compile(r"^\W*(?P<name>[A-Z][\w'’.-]*(?: [A-Z][\w'’-]*)?)(?:['’]s)?\W*$")
NOT_NAMES = {"Yes", "No", "Nope", "Yeah", "Yep", "Thanks", "Ok", "Okay", "Sure", "Hi", "Hey",
              "Hello", "Wow", "Oh", "Haha", "Lol", "Right", "Exactly", "Same", "Nice", "Cool",
              "Great", "Sorry", "Why", "What", "Really", "Honestly", "Anyway", "Congrats"}  # fmt: skip


def bare_name(chunk: str) -> str | None:
    m = BARE_NAME_RE.match(chunk)
    if m is None:
        return None
    name = re.sub(r"['’]s$", "", m.group("name").rstrip("."))  # "Carla's." names Carla
    return None if name in NOT_NAMES or name.isupper() else name


# --------------------------------------------------------------------------- answer slots


class Slot(NamedTuple):
    """What a question asks about: the answer's fragment is ``relation``'s object, or, for
    a yes/no question ("Did you grow up in Sapporo?"), ``object`` is given and a "yes"
    answer states it.

    ``who`` is the person asked about when it is not the one who answers, as the question
    words it: "he", "she", a name ("Where does Zoe live now?"), "your <kin>"; or ``THING``
    when the question asks about a thing by its noun alone ("What dog?"), whose owner the
    conversation said earlier ("my brother's visiting with his new dog"). ``subject`` is
    that person resolved against the conversation (see :meth:`Discourse.slot_subject`);
    an answer to a question about someone unresolved gives nothing, never the speaker's.
    """

    relation: str
    kind: str  # state | start
    object: str | None = None
    who: str | None = None
    subject: str | None = None
    noun: str | None = None  # the thing's noun when ``who`` is THING ("dog", "car")


#: (pattern on the question, relation, kind). The question must be about the listener
#: ("you", "your", or no person at all: "Which model?") and not about a third person.
_SLOTS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), rel, kind)
    for p, rel, kind in (
        (r"\b(?:what|which)\b[^?]*\b(?:phone|handset|model)\b", "use phone", "state"),
        (
            r"\b(?:what|which)\b[^?]*\b(?:car|vehicle)\b|\bwhat (?:are|were) you driving\b"
            r"|\bwhat do you drive\b",
            "drive",
            "state",
        ),
        (
            r"\b(?:which|what) (?:city|town|country|place)\b[^?]*\b(?:moving|move|relocating)\b"
            r"|\bwhere\b[^?]*\b(?:moving|relocating) to\b|\b(?:is|are) (?:you|he|she|\w+)"
            r" (?:\w+ )?(?:moving|relocating)\b(?: (?:out|away|abroad|house|again))?\s*\?",
            "plan to live in",
            "start",
        ),
        (  # "Did she move out?" / "Last month, to Leeds."
            r"\b(?:did|has|have) (?:you|he|she|\w+) (?:\w+ )?(?:move|moved|relocate|relocated)"
            r"\b(?: (?:out|away|abroad|house|again|already|yet))*\s*\?",
            "live in",
            "start",
        ),
        (
            r"\bwhere\b[^?]*\b(?:live|living|based|staying|settled|home)\b|\bwhere are you"
            r" (?:these days|now|at the moment)\b|\b(?:which|what) (?:city|town|neighbou?rhood)\b"
            r"[^?]*\b(?:live|living|home|based)\b",
            "live in",
            "state",
        ),
        (r"\bwhere (?:are|were) you (?:from|born)\b|\bwhere did you grow up\b", "be from", "state"),
        (
            r"\b(?:which|what) (?:university|uni|college|school)\b|\bwhere\b[^?]*\b(?:study|studying)\b",
            "study at",
            "state",
        ),
        (r"\bwhat\b[^?]*\b(?:study|studying|major|majoring)\b", "study", "state"),
        (
            r"\bwho\b[^?]*\bwork(?:ing)? for\b|\bwhere\b[^?]*\bwork(?:ing)?\b|\b(?:which|what)"
            r" (?:company|firm|employer|organi[sz]ation)\b",
            "work at",
            "state",
        ),
        (
            r"\bwhat (?:do|did|does) (?:you|he|she|\w+) do\b[^?]*\b(?:work|living|job)\b"
            r"|\bwhat(?:'s| is) (?:your|his|her|\w+'s) (?:new )?(?:job|role|title|position"
            r"|job title)\b|\bwhat (?:do|does) (?:you|he|she|\w+) do(?: now| these days)?\s*\?",
            "work as",
            "state",
        ),
        (
            r"\bwhat(?:'s| is| are) (?:your|the|his|her|\w+'s) (?:new )?(?P<pet>dog|cat|puppy"
            r"|kitten|rabbit|hamster|parrot|pet|horse|bird|fish)(?:'s|s)? (?:called|name|names)\b"
            r"|\bwhat did (?:you|he|she|\w+) (?:call|name) (?:him|her|it|them)\b",
            "have pet",
            "state",
        ),
        (  # "What dog?", "What kind of dog?": a thing named just before; its owner answers
            r"^\W*(?:what|which)(?: (?:kind|sort|type|breed) of)?(?: an?)? (?P<thing>dog|cat|puppy"
            r"|kitten|rabbit|hamster|parrot|pet|horse|bird)\s*\?",
            "?pet",
            "state",
        ),
        # open attributes (read by .attributes): pay, the project, the goal
        (
            r"\bwhat (?:are|were|is|was|do|does|did) (?:you|he|she|\w+) (?:earning|earn|making"
            r"|make|paid|take home|get paid)\b|\bhow much (?:do|does|did|are|is) (?:you|he|she|\w+)"
            r" (?:earn|make|get paid|take home|earning|making)\b|\bwhat(?:'s| is) (?:your|his|her"
            r"|\w+'s) (?:salary|pay|income|wage)\b",
            "earn",
            "state",
        ),
        (
            r"\bwhat(?:'s| is| was) (?:the|your|that|his|her|\w+'s) (?:new |current |next )?"
            r"project\b|\bwhat (?:are|were|is) (?:you|he|she|\w+) working on\b|\bwhat project\b",
            "work on",
            "state",
        ),
        (
            r"\bwhat(?:'s| is| was| are) (?:the|your|his|her|\w+'s) (?:\w+ )?(?:goal|target|aim)s?"
            r"\b|\bwhat (?:are|is) (?:you|he|she|\w+) training for\b",
            "have goal",
            "state",
        ),
        # last: "which one did you go for?" names no kind, so only a device answer counts
        (r"\b(?:what|which)\b[^?]*\bdid you (?:get|go for|buy|pick|choose)\b", "?device", "start"),
        # "Are you a guide there?" -> "Freelance tour guide.": only an answer naming a role
        (r"\bare you (?:an?|the) [\w' -]{2,40}\?", "?role", "state"),
    )
)
_THIRD_PERSON_RE = re.compile(r"\b(?:he|she|they|his|her|their|him|them)\b", re.IGNORECASE)
_LAST_QUESTION_RE = re.compile(r"[^.!?]*\?")
_YOUR_KIN_RE = re.compile(
    r"\byour (?:"
    + "|".join(sorted((k for k in lx.KIN if k != "partner"), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)


#: Yes/no questions that state a fact about the listener: "Did you grow up in Sapporo?",
#: "Are you from Aberystwyth?", "Do you still live in Leeds?", "Do you work at Zara?".
_YES_NO_RE = re.compile(
    r"\b(?i:did|do|are|were|have) you (?:still |actually |originally |also )?(?P<verb>grow up|grew up"
    r"|live|lived|living|from|born|work|working|study|studying)(?: (?:in|at|for))? (?P<obj>"
    r"(?:[A-Z][\w'’.-]*)(?: (?:[A-Z][\w'’.-]*|of|de|la))*)\s*(?:originally\s*)?\?",
)
_YES_NO_RELATION = {
    "grow up": "grow up in", "grew up": "grow up in", "live": "live in", "lived": "live in",
    "living": "live in", "from": "be from", "born": "be born in", "work": "work at",
    "working": "work at", "study": "study at", "studying": "study at",
}  # fmt: skip
#: How a "yes" starts: "Yes", "Yep", "Born and raised", "That's right", "I did".
YES_RE = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|yea|correct|exactly|indeed|sure|that's right|that is right"
    r"|i do|i did|i am|i was|born and (?:raised|bred)|definitely|absolutely)\b",
    re.IGNORECASE,
)


#: The sentinel ``Slot.who`` for a thing asked about by its noun ("What dog?").
THING = "?thing"
#: The noun a thing relation's question names, to find its owner in the conversation.
_THING_NOUNS = {"drive": "car", "use phone": "phone"}
#: Nouns of things whose owner a later "What X?" asks about (see :func:`owned_things`).
_OWNED_NOUNS = {"car": "car", "vehicle": "car", "phone": "phone", "pet": "pet"} | {
    p: p for p in lx.PETS if " " not in p}  # fmt: skip
_OWNED_RE = re.compile(
    r"\b(?P<det>my|our|your|his|her|(?-i:[A-Z][a-z]+)['’]s)\s+(?:(?:new|old|little|first"
    r"|second|rescue|own)\s+)?(?P<noun>"
    + "|".join(sorted(_OWNED_NOUNS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)


#: Marks a thing whose owner only the sentence around "a new car" suggests.
WEAK = "~"
_UNOWNED_RE = re.compile(
    r"\b(?:a|an)\s+(?:[\w-]+\s+){0,2}?(?P<noun>"
    + "|".join(sorted(_OWNED_NOUNS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)  # fmt: skip
_FIRST_PERSON_RE = re.compile(r"\b(?:I|me|we|us)\b|\bI['’]", re.IGNORECASE)


def owned_things(text: str, d: Discourse, speaker: str | None,
                 listener: str | None) -> list[tuple[str, str]]:  # fmt: skip
    """(noun, owner) of the things ``text`` gives an owner: "my car", "his new dog" (the
    person "his" resolves to), "Zoe's cat". Read after the message's rules ran."""
    out = []
    exclude = {n.lower() for n in (speaker, listener) if n}
    for m in _OWNED_RE.finditer(text):
        det, noun = m.group("det"), _OWNED_NOUNS[m.group("noun").lower()]
        low = det.lower()
        owner: str | None
        if low in ("my", "our"):
            owner = speaker
        elif low == "your":
            owner = listener
        elif low in ("his", "her"):
            a = d.peek_person(m.start(), low, exclude)
            owner = a.name if a is not None else None
        else:
            owner = re.sub(r"['’]s$", "", det)
        if owner:
            out.append((noun, owner))
    for m in _UNOWNED_RE.finditer(text):  # "My dad treated himself to a new car": whose?
        noun = _OWNED_NOUNS[m.group("noun").lower()]
        start = max(text.rfind(c, 0, m.start()) for c in ".!?\n") + 1
        me = _FIRST_PERSON_RE.search(text, start, m.start()) is not None
        others = {p.name for p in (*d.antecedents, *d.mentioned)
                  if start <= p.offset < m.start() and p.name.lower() not in exclude}  # fmt: skip
        owner = speaker if me and not others else others.pop() if len(others) == 1 and not me \
            else ""  # fmt: skip
        out.append((WEAK + noun, owner or ""))  # weak: a possessive or a fact says more
    return out


_YOU_RE = re.compile(r"\b(?:you|your|yours|yourself)\b", re.IGNORECASE)
#: A named person asked about: "Where does Zoe work now?", "Did Zoe move?", "Zoe's job?".
_ASKED_NAME_RE = re.compile(
    r"\b(?i:is|was|does|did|has|had|will)\s+(?P<name>[A-Z][a-z]+)(?!['’])\b"
    r"|(?<=\s)(?P<poss>[A-Z][a-z]+)['’]s\s+(?:new\s+)?(?i:job|role|title|position|dog|cat"
    r"|puppy|kitten|rabbit|hamster|parrot|pet|horse|bird|fish)\b"
)
_QUESTION_WORDS = {"Where", "What", "Which", "Who", "How", "When", "Why", "Is", "Does",
                   "Did", "Has", "Was", "Will", "Are", "Do", "That", "This", "It", "There"}  # fmt: skip


def _asked_person(q: str) -> str | None:
    """Who a question is about when it is not "you": "he", "she", "your <kin>", a name;
    "" when it names nobody ("Which model?"), None when it cannot say ("they", "he" and
    "she" both, "you" beside a third person)."""
    third = {PRONOUN_GENDER.get(w.lower(), "x") for w in _THIRD_PERSON_RE.findall(q)}
    kin = _YOUR_KIN_RE.search(q)
    if _YOU_RE.search(q) and kin is None:
        return "" if not third else None  # "Where does she work?" beside "you": unclear
    if kin is not None:
        return kin.group(0) if not third or third <= {"m", "f"} else None
    if third:
        if len(third) != 1 or "x" in third:
            return None  # "they", or he and she
        return "he" if third == {"m"} else "she"
    m = _ASKED_NAME_RE.search(q)
    if m is not None:
        name = m.group("name") or m.group("poss")
        return None if name in _QUESTION_WORDS or name in NOT_NAMES else name
    return ""


def asked_about(previous: str | None) -> str | None:
    """The one person the previous turn's last question asks about ("How is your sister
    doing?", "Is Kezia OK?", "How's he finding it?"), as :func:`_asked_person` words it;
    None when it asks about nobody else or about several."""
    if not previous or "?" not in previous:
        return None
    questions = _LAST_QUESTION_RE.findall(previous)
    return (_asked_person(questions[-1].strip()) or None) if questions else None


def slot_of(previous: str | None) -> Slot | None:
    """The relation the previous turn's last question asks about, if it is one we know,
    and whom it asks about (``Slot.who``) when that is not the one who answers."""
    if not previous or "?" not in previous:
        return None
    questions = _LAST_QUESTION_RE.findall(previous)
    if not questions:
        return None
    q = questions[-1].strip()
    m = _YES_NO_RE.search(q)
    if m is not None:
        return Slot(_YES_NO_RELATION[m.group("verb").lower()], "state", m.group("obj"))
    for pattern, relation, kind in _SLOTS:
        m = pattern.search(q)
        if m is None:
            continue
        who: str | None = _asked_person(q)
        if who is None:
            return None  # "Where do they live?": nobody we can name
        if relation == "?pet":
            return Slot(relation, kind, None, THING, noun=m.group("thing").lower()) if not who \
                else None  # fmt: skip
        noun = _THING_NOUNS.get(relation)
        if relation == "have pet":
            pet = (m.groupdict().get("pet") or "pet").lower()
            relation = f"have {pet}" if pet != "pet" else "have pet"
            noun = pet
        if not who and noun:  # "What car?" after "my brother got a new car": his
            return Slot(relation, kind, None, THING, noun=noun)
        return Slot(relation, kind, None, who or None)
    return None


# --------------------------------------------------------------------------- mentions


#: Person nouns a message can mention without naming anyone ("my dad", "this guy"):
#: each is a possible "he"/"she", so it makes a carried person ambiguous.
_GENERIC_PEOPLE = {
    "guy": "m", "man": "m", "boy": "m", "bloke": "m", "dude": "m", "landlord": "m",
    "woman": "f", "girl": "f", "lady": "f", "landlady": "f", "ex": None, "doctor": None,
    "manager": None, "teacher": None, "someone": None, "somebody": None,
}  # fmt: skip
_MENTION_RE = re.compile(
    r"\b(?P<det>my|our|your|his|her|their|a|an|the|this|that)\s+(?:[a-z-]+\s+)?(?P<noun>"
    + "|".join(sorted({k for k in lx.KIN if not lx.KIN[k].endswith(("s", "ren"))}
                      | lx.PETS | lx.PET_BREEDS | set(_GENERIC_PEOPLE), key=len, reverse=True))
    + r")\b(?:,?\s+(?P<name>(?-i:[A-Z][a-zà-ÿ'’-]+)))?",
    re.IGNORECASE,
)  # fmt: skip
_NOT_AFTER_KIN = NOT_NAMES | {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
    "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "I", "And", "But", "So", "Then", "Last", "Next", "This",
}  # fmt: skip
_STANDALONE_RE = re.compile(r"\b(?:someone|somebody)\b", re.IGNORECASE)
_ROLE_BEFORE_RE = re.compile(
    r"(?:\bas|\bis|['’]s|\bam|['’]m|\bwas|\bbe|\bbecome|\bbecame)\s+$", re.IGNORECASE
)


def mentions(text: str, speaker: str | None, listener: str | None) -> list[Antecedent]:
    """People (and pets) ``text`` mentions by a noun, keyed as the rules name them:
    "my brother" -> "<speaker>'s brother"; others by the words ("the guy")."""
    out = []
    for m in _MENTION_RE.finditer(text):
        det, noun = m.group("det").lower(), m.group("noun").lower()
        if det in ("a", "an") and _ROLE_BEFORE_RE.search(text, 0, m.start()):
            continue  # "as a ward manager", "she's a teacher": a role, not another person
        kin = lx.KIN.get(noun, noun)
        owner = speaker if det in ("my", "our") else listener if det == "your" else None
        name = f"{owner}'s {kin}" if owner else f"{det} {kin}"
        given = m.group("name")
        if given and given not in _NOT_AFTER_KIN and det in ("my", "our", "your"):
            name = given  # "my brother Nils": the name is the key, "Sven's brother" its alias
        gender = GENDER.get(kin) if kin in GENDER else _GENERIC_PEOPLE.get(kin)
        out.append(Antecedent(m.start(), name, gender, kin, owner, "mention"))
    for m in _STANDALONE_RE.finditer(text):
        out.append(Antecedent(m.start(), m.group(0).lower(), None, source="mention"))
    return out
