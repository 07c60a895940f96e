"""Which chat turn is the evidence: small, pure corrections to relevance.

In a chat memory a question about a person ("What car does Sven drive now?")
is answered by the turn where the person *states* the fact ("...so we
cancelled and bought a Polestar 2 instead"), which is often not the turn that
matches the question best: the assistant's reply repeats the question's words
("How's the new car?"), a short turn by the person is close to any question
that names them, and the statement itself answers a question the assistant
asked ("What phone is it?" / "A Pixel 7"). Each function here corrects one of
these, over plain arrays and strings; :mod:`phasemem.retrieval.search` applies
them behind :class:`~phasemem.retrieval.config.RetrievalConfig` settings.
Measured on the temporal_chat dev split and LoCoMo dev (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

#: FTS5 floors a term's IDF at 1e-6 (a term in more than half of the rows, e.g.
#: the name of the person whose memory it is, read from the speaker column):
#: such a match adds ~1e-6 per term. Below this, a BM25 score is no match.
BM25_NO_MATCH = 1e-3

#: a token, and whether a sentence boundary (or the text's start) comes right before it
_TOKEN = re.compile(r"(^|[.!?…:;\"“(]\s*)?([^\W_][\w'’-]*|\d[\d.,]*)", re.UNICODE)
#: a word with a capital after its first letter ("iPhone", "eBay", "McLaren"): a name
#: wherever it stands, even at a sentence's start, where a plain capital says nothing
_INNER_CAPITAL = re.compile(r"^[^\W\d_][a-z]*[A-Z]")
_PRONOUN_I = {"i", "i'm", "i've", "i'll", "i'd", "i’m", "i’ve", "i’ll", "i’d"}


def lexical_norm(scores: np.ndarray, floor: float = BM25_NO_MATCH) -> np.ndarray:
    """BM25 scores over the candidates as shares of the best, with scores
    below ``floor`` as 0. Plain min-max turns a set of floored (meaningless)
    scores into a 0..1 spread that the shortest turn tops; the share of the
    best keeps "no match" at 0 and ratios as they are."""
    s = np.where(scores >= floor, scores, 0.0)
    hi = float(s.max()) if s.size else 0.0
    return s / hi if hi > 0 else np.zeros_like(s)


def without_direction(vectors: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Each row of ``vectors`` with its component along its own unit
    ``directions`` row removed, renormalised (a zero row stays zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    d = np.asarray(directions, dtype=np.float32)
    out = v - np.sum(v * d, axis=1, keepdims=True) * d
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def debiased_cosine(
    query: np.ndarray,
    query_names: np.ndarray,
    vectors: np.ndarray,
    speaker_names: np.ndarray,
) -> np.ndarray:
    """Cosine of query and turns once who is named is taken out of both.

    A turn is embedded as "Speaker: text", so a short turn ("Silver lining.")
    is mostly its speaker's name, and any question naming that person finds
    it close (0.58 for "Where did Jonas grow up?" on dev, above the turn that
    answers it). Removing from each turn the direction of its own "Speaker:"
    embedding, and from the query the directions of the names it mentions
    (``query_names``, rows; may be empty), compares what is *said*; who said
    it is the speaker boost's job."""
    q = np.asarray(query, dtype=np.float32).reshape(1, -1)
    for d in np.asarray(query_names, dtype=np.float32).reshape(-1, q.shape[1]):
        q = without_direction(q, d[None, :])
    v = without_direction(vectors, speaker_names)
    return (v @ q[0]).astype(np.float32)


def is_question(text: str) -> bool:
    """A turn that asks something (its last sentence ends with "?")."""
    return text.rstrip().rstrip("\"”')").endswith("?")


def specifics(text: str, names: Iterable[str] = ()) -> list[str]:
    """Tokens that name something specific: a number, or a capitalised word
    that does not start a sentence, is not "I" and is not one of ``names``
    (the speakers: "Thanks, Tomasz!" names no answer). One pass over the text."""
    known = {n.casefold() for n in names}
    out = []
    for m in _TOKEN.finditer(text):
        starts, w = m.group(1), m.group(2)
        if w[0].isdigit():
            out.append(w)
            continue
        if not w[0].isupper() and not _INNER_CAPITAL.match(w):
            continue  # a lower-case word, unless a brand written "iPhone", "eBay"
        if starts is not None and not _INNER_CAPITAL.match(w):
            continue
        low = re.sub(r"['’]s$", "", w).casefold()
        if low in known or w.casefold() in _PRONOUN_I:
            continue
        out.append(w)
    return out


CALENDAR_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "christmas", "easter",
}  # fmt: skip
_ASKS_NUMBER = re.compile(
    r"\bhow (?:much|many|old|long|far|often)\b|\bwhat (?:band|number|salary|rent|price|age|"
    r"score|percentage|grade|size)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(r"^\W*when\b|\bwhat (?:date|day|year|month|time)\b|\bbirthday\b", re.I)
_ASKS_NAME = re.compile(r"^\W*(?:who|whom|whose|where|which)\b|\bname\b|\bcalled\b", re.I)


def answer_kind(query: str) -> str:
    """What kind of specific the question wants: "number" ("how much ..."),
    "date" ("when ...", "... birthday"), "name" ("who", "where", "which",
    "the name of"), else "any" (classic question-answering answer typing)."""
    if _ASKS_NUMBER.search(query):
        return "number"
    if _ASKS_DATE.search(query):
        return "date"
    if _ASKS_NAME.search(query):
        return "name"
    return "any"


def fits(token: str, kind: str) -> bool:
    """Whether a specific token (:func:`specifics`) is of the wanted kind."""
    digit = token[0].isdigit()
    calendar = token.casefold() in CALENDAR_WORDS
    if kind == "number":
        return digit
    if kind == "date":
        # chat turns give dates mostly as "last week", "yesterday": the turn that
        # answers "when" often names only a place or a person (LoCoMo temporal
        # R@10 0.837 untyped, 0.817 with digits and months only); the time boost
        # for "when" questions already favours turns that mention a time
        return True
    if kind == "name":
        return not digit and not calendar
    return True


@lru_cache(maxsize=65_536)
def names_something(text: str, names: frozenset[str], kind: str = "any") -> bool:
    """Whether ``text`` names a specific of ``kind``; cached (searches see the
    same turns again)."""
    return any(fits(t, kind) for t in specifics(text, names))


#: Words that announce a change of state ("we *bought* a Polestar", "I *started*
#: at Bitdefender", "*since* April I'm the education officer", "*new* goal: ...").
#: A newer turn on the asked-about topic closes an older one's interval when it
#: says something changed; one that only continues the topic ("the range drops
#: in the cold") does not. General English vocabulary, not dev sentences.
CHANGE_CUES = re.compile(
    r"\b(new|now|no longer|any ?more|instead|since|finally|these days|"
    r"switch(?:ed|ing)?|start(?:ed|ing|s)?|join(?:ed|ing)?|mov(?:e|ed|ing)|"
    r"bought|buy(?:ing)?|got|sold|sell(?:ing)?|gave|left|leav(?:e|ing)|quit|"
    r"resign(?:ed)?|retir(?:e|ed)|promot(?:ed|ion)|hired|accept(?:ed)?|signed|"
    r"became|become|chang(?:e|ed|ing)|swap(?:ped)?|replac(?:e|ed)|upgrad(?:e|ed)|"
    r"took up|picked up|gave up|bumped up|stopp?(?:ed)?|adopt(?:ed)?|engaged|married|"
    r"divorc(?:e|ed)|split up|broke up|dating|seeing)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=65_536)
def announces_change(text: str) -> bool:
    """Whether a turn says that something changed (:data:`CHANGE_CUES`); cached.
    "New" opening a name ("New Year", "New York") announces nothing."""
    for m in CHANGE_CUES.finditer(text):
        if m.group(0) == "New" and _NAME_NEXT.match(text, m.end()):
            continue
        return True
    return False


_NAME_NEXT = re.compile(r" [A-Z]")


def answer_turns(texts: Sequence[str], speakers: Sequence[str | None]) -> list[bool]:
    """For each turn in order, whether it answers the turn before: the one
    before asked a question and someone else is speaking now."""
    out = [False] * len(texts)
    for i in range(1, len(texts)):
        out[i] = is_question(texts[i - 1]) and speakers[i] != speakers[i - 1]
    return out


__all__ = [
    "BM25_NO_MATCH",
    "CALENDAR_WORDS",
    "answer_kind",
    "fits",
    "CHANGE_CUES",
    "announces_change",
    "answer_turns",
    "debiased_cosine",
    "is_question",
    "lexical_norm",
    "names_something",
    "specifics",
    "without_direction",
]
