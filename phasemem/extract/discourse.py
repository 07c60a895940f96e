"""What one message knows beyond a sentence: who "she" is, where "here" is, and what
question a short answer answers.

People state facts across sentences and turns: "Kofi? He's my cousin.", "Went to
Seville in 2018 and loved it. We live there now!", and the assistant's "What phone is
it?" answered with "A Pixel 7.". The parser sees one sentence at a time, so this module
keeps a small, deliberately shallow record per message:

- **antecedents** (people and named pets, with a gender when a kin word gives one) for
  he/she/him/her/his: the most recent compatible one wins. Recency is right far more
  often than not inside one chat turn; "they" and cross-turn pronouns are left alone.
- **places** for "here"/"there": the most recent proper noun after in/to/from, a place the
  NER marks, or the answer to a where-question.
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


@dataclass(slots=True)
class Discourse:
    """Per-message memory shared by the sentence contexts of one episode."""

    antecedents: list[Antecedent] = field(default_factory=list)
    places: list[tuple[int, str]] = field(default_factory=list)

    def add_person(self, offset: int, name: str, kind: str | None = None,
                   owner: str | None = None) -> None:  # fmt: skip
        gender = GENDER.get(kind or "")
        self.antecedents.append(Antecedent(offset, name, gender, kind, owner))

    def add_place(self, offset: int, name: str) -> None:
        self.places.append((offset, name))

    def person_before(self, offset: int, pronoun: str, exclude: set[str]) -> Antecedent | None:
        """The latest antecedent before ``offset`` that ``pronoun`` can refer to."""
        want = PRONOUN_GENDER.get(pronoun.lower())
        if want is None:
            return None
        for a in sorted(self.antecedents, key=lambda a: -a.offset):
            if a.offset >= offset or a.name.lower() in exclude:
                continue
            if a.gender in (None, want):
                return a
        return None

    def person_named(self, name: str) -> bool:
        return any(a.name == name for a in self.antecedents)

    def place_before(self, offset: int) -> str | None:
        best = [p for p in self.places if p[0] < offset]
        return max(best)[1] if best else None


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
_NOT_NAMES = {"Yes", "No", "Nope", "Yeah", "Yep", "Thanks", "Ok", "Okay", "Sure", "Hi", "Hey",
              "Hello", "Wow", "Oh", "Haha", "Lol", "Right", "Exactly", "Same", "Nice", "Cool",
              "Great", "Sorry", "Why", "What", "Really", "Honestly", "Anyway", "Congrats"}  # fmt: skip


def bare_name(chunk: str) -> str | None:
    m = BARE_NAME_RE.match(chunk)
    if m is None:
        return None
    name = re.sub(r"['’]s$", "", m.group("name").rstrip("."))  # "Carla's." names Carla
    return None if name in _NOT_NAMES or name.isupper() else name


# --------------------------------------------------------------------------- answer slots


class Slot(NamedTuple):
    """What a question asks about: the answer's fragment is ``relation``'s object, or, for
    a yes/no question ("Did you grow up in Sapporo?"), ``object`` is given and a "yes"
    answer states it."""

    relation: str
    kind: str  # state | start
    object: str | None = None


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
            r"|\bwhere\b[^?]*\b(?:moving|relocating) to\b",
            "plan to live in",
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
            r"\bwhat (?:do|did) you do\b[^?]*\b(?:work|living|job)\b|\bwhat(?:'s| is) your"
            r" (?:new )?(?:job|role|title|position|job title)\b|\bwhat do you do\b\s*\?",
            "work as",
            "state",
        ),
        (
            r"\bwhat(?:'s| is| are) (?:your|the) (?:new )?(?P<pet>dog|cat|puppy|kitten|rabbit|hamster"
            r"|parrot|pet|horse|bird|fish)(?:'s|s)? (?:called|name|names)\b|\bwhat did you (?:call|name)"
            r" (?:him|her|it|them)\b",
            "have pet",
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


def slot_of(previous: str | None) -> Slot | None:
    """The relation the previous turn's last question asks about, if it is one we know."""
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
        if relation != "have pet" and (_THIRD_PERSON_RE.search(q) or _YOUR_KIN_RE.search(q)):
            return None  # "Where does she work?", "Where does your sister live?": someone else
        if relation == "have pet":
            pet = (m.groupdict().get("pet") or "pet").lower()
            return Slot(f"have {pet}" if pet != "pet" else "have pet", kind)
        return Slot(relation, kind)
    return None
