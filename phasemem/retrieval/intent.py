"""A query's temporal intent: asked about now, about a past moment, or timeless.

Pure functions over the query text (no store, no ``Memory``), so the read
pipeline can call them wherever query understanding ends up living.

* **When** the question asks about (:func:`parse_intent`): an explicit
  ``as_of`` wins; else a time phrase the resolver understands ("in December
  2021", "the summer of 2022", "back in 2019"); else cue words ("now", "these
  days", "at the moment", "currently" -> now; "used to", "back then",
  "previously" -> some past time we cannot place); else the tense of the
  question's auxiliary ("Where *did* he grow up?" is past, "Where *does* he
  live?" is present). Present -> ``current``; a placed past -> ``past`` at
  that moment; an unplaced past -> ``timeless`` (with no moment to be near,
  time cannot rank evidence, so it does not try).
* **What about** (:func:`topic_phrase`): the question without its wh-word,
  auxiliaries, names, time phrase and cue words ("What's Tomasz's job title
  now?" -> "job title"). The Semantic Speed Gate reads it as a relation text
  and gives the topic's volatility ``alpha`` (:func:`with_alpha`), so "where
  does she live" (0.2) is time-sensitive and "where was she born" (0.004) is
  not. A current question on a topic slower than :data:`ALPHA_STABLE` is
  ``timeless``.
* **What to match** (``Intent.text``): the query with the time phrase and the
  past cue words taken out. Once the time is understood it is a moment for the time
  model, not words to match: "summer" in "in the summer of 2021" otherwise
  pulls up "trips to the lakes in summer".

Measured on the temporal_chat dev split (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

Mode = Literal["current", "past", "timeless"]

#: Below this volatility a topic is timeless. On the gate's everyday clock
#: (kappa = 1/730 per day) alpha 0.05 is an expected duration of
#: 1 / (alpha kappa) = 40 years: longer than any memory needs to reason about.
ALPHA_STABLE = 0.05
SECONDS_PER_DAY = 86_400.0

_CURRENT_CUES = re.compile(
    r"\b(right now|now|these days|nowadays|at the moment|at present|currently|"
    r"presently|lately|still|any ?more|today|this year|so far)\b",
    re.IGNORECASE,
)
_PAST_CUES = re.compile(
    r"\b(used to|back then|back when|at the time|previously|formerly|before that|"
    r"in the past|originally|once upon a time|ever)\b",
    re.IGNORECASE,
)
#: a question's first auxiliary decides its tense when nothing else does
_AUX = re.compile(
    r"\b(is|are|am|isn't|aren't|does|do|doesn't|don't|has|have|hasn't|haven't|"
    r"was|were|wasn't|weren't|did|didn't|had|hadn't|will|would|"
    r"(?:what|where|which|who|when|that|how|it|he|she)(?:'s|’s|'re|’re))\b",
    re.IGNORECASE,
)
#: with no auxiliary, the verb after the wh-word tells the tense ("What
#: *inspired* her painting?", "Who *performed* at the concert?")
_WH_VERB = re.compile(r"^\W*(?:what|who|which|whose)\s+(\w+)(?:\s+(\w+))?", re.IGNORECASE)
_IRREGULAR_PAST = {
    "went", "got", "made", "took", "gave", "saw", "said", "told", "came", "began", "bought",
    "brought", "found", "felt", "kept", "left", "lost", "met", "paid", "ran", "sent", "sold",
    "thought", "won", "wrote", "drove", "became", "chose", "broke", "caused", "led",
}  # fmt: skip
#: a time phrase that names a year (or counts back from now) can be placed; a
#: bare "in June" in a memory that spans years cannot
_PLACEABLE = re.compile(
    r"\b(\d{4}|ago|last|yesterday|today|this|previous|earlier|recent)\b", re.IGNORECASE
)
_PAST_AUX = {"was", "were", "wasn't", "weren't", "did", "didn't", "had", "hadn't"}
_FUTURE_AUX = {"will", "would"}

_WH = {"what", "which", "who", "whom", "whose", "where", "when", "why", "how", "much", "many"}
_AUX_WORDS = {
    "is", "are", "am", "was", "were", "be", "been", "being", "do", "does", "did", "has",
    "have", "had", "will", "would", "can", "could", "should", "isn't", "aren't", "wasn't",
    "weren't", "doesn't", "don't", "didn't", "hasn't", "haven't", "hadn't",
}  # fmt: skip
_FILLER = {
    "the", "a", "an", "any", "anything", "anyone", "anybody", "someone", "something", "kind",
    "of", "like", "called", "s", "name", "currently", "now", "still", "these", "days",
    "moment", "at", "nowadays", "lately", "right", "originally", "ever", "used", "to",
    "i", "you", "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "my",
    "your", "his", "its", "our", "their",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
#: the preposition that introduces a time phrase goes with it ("living *in* May 2022")
_LEAD_IN = re.compile(r"(?:\b(?:back in|in|during|at|on|by|around|as of|from)\s+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Intent:
    """What a query asks about in time. ``t_query``: the moment (epoch
    seconds; now for ``current`` and ``timeless``). ``alpha``: the topic's
    volatility (None until :func:`with_alpha`). ``cue``: what decided the mode,
    for the trace. ``text``: the query to match (time phrase and cues removed)."""

    mode: Mode
    t_query: float
    text: str
    topic: str
    cue: str
    alpha: float | None = None
    time_phrase: str | None = None
    #: the named period a time phrase gives ("in 2023": that year), else None
    period: tuple[float, float] | None = None
    #: whether the query says when it asks about (as_of, a time phrase, a cue
    #: word); False when only the tense (or nothing) made it current
    explicit: bool = True
    names: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            # "now" rather than the clock: a trace is the same whenever it is taken
            "t_query": datetime.fromtimestamp(self.t_query, UTC).isoformat()
            if self.mode == "past"
            else "now",
            "cue": self.cue,
            "time_phrase": self.time_phrase,
            "topic": self.topic,
            "alpha": None if self.alpha is None else round(self.alpha, 4),
            "explicit": self.explicit,
            "text": self.text,
        }


Resolver = Callable[[str, datetime], Sequence[Any]]


def _default_resolver() -> Resolver | None:
    try:
        from phasemem.extract import resolve_temporal
    except ImportError:  # pragma: no cover - shipped with the package
        return None
    return resolve_temporal


def _strip(text: str, spans: Iterable[tuple[int, int]]) -> str:
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last:
            continue
        out.append(text[last:a])
        last = b
    out.append(text[last:])
    cleaned = re.sub(r"\s+", " ", "".join(out))
    cleaned = re.sub(r"\s+([?.!,;:])", r"\1", cleaned)
    cleaned = re.sub(r"^[\s,;:]+|[\s,;:]+(?=[?.!]?$)", "", cleaned)
    return cleaned.strip()


def _with_preposition(text: str, span: tuple[int, int]) -> tuple[int, int]:
    m = _LEAD_IN.search(text[: span[0]])
    return (m.start(), span[1]) if m else span


def _moment(expr: Any) -> float:
    """The moment a resolved phrase names, as the time filter reads it: the
    middle of the named period, its start for a point (``Memory.query_time``)."""
    start = expr.start.timestamp()
    end = expr.end.timestamp() if expr.end is not None else None
    role = getattr(expr, "role", "at")
    if role == "before":
        return start - 1.0
    if role == "until" and end is not None:
        return end - 1.0
    return (start + end) / 2 if end is not None else start


def topic_phrase(text: str, names: Sequence[str] = ()) -> str:
    """The question's topic as a relation-like phrase for the Speed Gate:
    content words in order, without wh-words, auxiliaries, fillers, names
    (``names``, and any capitalised word after the first) and possessives."""
    known = {n.casefold() for n in names}
    words: list[str] = []
    for i, m in enumerate(_WORD.finditer(text)):
        w = m.group(0).replace("’", "'")
        base = re.sub(r"'s$", "", w)
        low = base.casefold()
        if low in known or (i > 0 and base[:1].isupper() and low not in _WH):
            continue  # a name: who is asked about, not what
        if low in _WH or low in _AUX_WORDS or low in _FILLER:
            continue
        if low.endswith("'s") or low in ("what's", "who's", "where's", "when's", "how's"):
            continue
        words.append(low)
    return " ".join(words)


def parse_intent(
    query: str,
    *,
    now: float,
    as_of: float | None = None,
    names: Sequence[str] = (),
    resolver: Resolver | None = None,
) -> Intent:
    """Decide the mode and moment of ``query`` (alpha is added by :func:`with_alpha`)."""
    resolve = resolver if resolver is not None else _default_resolver()
    base = datetime.fromtimestamp(now, UTC)
    found = list(resolve(query, base)) if resolve is not None else []
    phrase_spans = [_with_preposition(query, tuple(e.span)) for e in found]
    spans = list(phrase_spans)
    # current cues stay: "now" also marks the turns that state the present ("I live
    # in Berlin now"); a date's words do not match what was said at the time
    spans += [m.span() for m in _PAST_CUES.finditer(query)]
    text = _strip(query, spans) or query
    topic = topic_phrase(_strip(query, phrase_spans), names)

    def make(
        mode: Mode,
        t: float,
        *,
        cue: str,
        time_phrase: str | None = None,
        period: tuple[float, float] | None = None,
        explicit: bool = True,
    ) -> Intent:
        return Intent(mode, t, text, topic, cue, time_phrase=time_phrase, period=period,
                      explicit=explicit, names=tuple(names))  # fmt: skip

    if as_of is not None:
        when: Mode = "past" if as_of < now - SECONDS_PER_DAY else "current"
        return make(when, float(as_of), cue="as_of")
    if found and not _PLACEABLE.search(found[0].text):
        return make("timeless", now, cue=f"time phrase {found[0].text!r} without a year",
                      time_phrase=found[0].text)  # fmt: skip
    if found:
        expr = found[0]
        role = getattr(expr, "role", "at")
        if role in ("since", "after", "duration"):  # open towards now: asks about now
            return make("current", now, cue=f"time phrase {expr.text!r} ({role})",
                          time_phrase=expr.text)  # fmt: skip
        t = _moment(expr)
        if t < now - SECONDS_PER_DAY:
            period = None
            if expr.end is not None and role in ("at", "range"):
                period = (expr.start.timestamp(), min(expr.end.timestamp(), now))
            return make("past", t, cue=f"time phrase {expr.text!r}",
                          time_phrase=expr.text, period=period)  # fmt: skip
        return make("current", now, cue=f"time phrase {expr.text!r} (not past)",
                      time_phrase=expr.text)  # fmt: skip
    cur = _CURRENT_CUES.search(query)
    if cur:
        return make("current", now, cue=f"cue {cur.group(0).lower()!r}")
    past = _PAST_CUES.search(query)
    if past:
        return make("timeless", now, cue=f"past cue {past.group(0).lower()!r}, no time")  # fmt: skip
    aux = _AUX.search(query)
    word = aux.group(0).lower().replace("’", "'") if aux else ""
    if "'" in word and not word.endswith("n't"):
        word = "is"  # "what's", "who're": a contraction of the present
    if not aux:
        verb = _WH_VERB.search(query)
        for v in verb.groups() if verb else ():
            v = (v or "").lower()
            if (v.endswith("ed") and len(v) > 4) or v in _IRREGULAR_PAST:
                return make("timeless", now, cue=f"past tense {v!r}, no time")
    if word in _PAST_AUX:
        return make("timeless", now, cue=f"past tense {word!r}, no time")
    if word in _FUTURE_AUX:
        return make("current", now, cue=f"future {word!r}", explicit=False)
    return make("current", now, cue=f"present tense {word!r}" if word else "default",
                  explicit=False)  # fmt: skip


def with_alpha(
    intent: Intent,
    alpha_fn: Callable[[Sequence[str]], np.ndarray] | None,
    *,
    stable: float = ALPHA_STABLE,
) -> Intent:
    """Add the topic's volatility from ``alpha_fn`` (the Speed Gate's
    ``alpha``); a current question on a stable topic becomes timeless. A past
    moment stays past: "where did she live in 2019" needs the moment even if
    the gate misjudges the topic."""
    if alpha_fn is None or not intent.topic:
        return replace(intent, alpha=None if alpha_fn is None else 0.0)
    alpha = float(np.asarray(alpha_fn([intent.topic]), dtype=np.float64).reshape(-1)[0])
    if intent.mode == "current" and alpha < stable:
        return replace(intent, alpha=alpha, mode="timeless",
                       cue=f"{intent.cue}; topic stable (alpha {alpha:.3f} < {stable})")  # fmt: skip
    return replace(intent, alpha=alpha)


__all__ = ["ALPHA_STABLE", "Intent", "Mode", "parse_intent", "topic_phrase", "with_alpha"]
