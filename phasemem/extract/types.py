"""Data types of the extraction stage and the :class:`Extractor` seam.

The store calls one interface whether facts come from rules (spaCy +
dateparser) or from an LLM, so these types are plain frozen dataclasses with
no behaviour beyond validation of the input. Times are timezone-aware UTC.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

#: Object of a *negated* fact whose object the text does not name ("we broke
#: up", "I quit my job"): the store should close every current fact of the same
#: subject and relation. Never used in a positive fact.
ANY_OBJECT = "*"

#: How a temporal expression bounds what it is attached to. ``start``/``end``
#: of a :class:`TemporalExpression` always describe the period the words name
#: ("2019" -> [2019-01-01, 2020-01-01)); ``role`` says how to read it:
#:
#: - ``at``: the thing happened/held within [start, end) (or at ``start`` when
#:   ``end`` is None, e.g. "two weeks ago");
#: - ``since``: it began at ``start`` and is open-ended;
#: - ``until``: it lasted up to and including the named period, i.e. until ``end``;
#: - ``range``: it held from ``start`` to ``end`` ("from 2012 to 2016" ends 2017-01-01);
#: - ``before`` / ``after``: strictly before ``start`` / from ``end`` on;
#: - ``duration``: "for N years" measured back from the base: [start, end=base).
TemporalRole = Literal["at", "since", "until", "range", "before", "after", "duration"]


@dataclass(frozen=True, slots=True)
class ExtractionInput:
    """One episode's text plus what is needed to resolve "I", "you" and "yesterday"."""

    text: str
    speaker: str | None  # resolves I/me/my/we/our to this name
    occurred_at: datetime  # timezone-aware UTC; base for relative dates
    listener: str | None = None  # resolves "you"/"your" when known (the other speaker)
    #: The turn just before this one, by another speaker, when known: a short answer
    #: ("A Pixel 7.") states a fact only together with the question it answers
    #: ("What phone is it?"). Context only: facts come from ``text``.
    previous: str | None = None
    #: A conversation key: items of one batch with the same thread are its turns, in
    #: order, so a "he" or "there" may refer to a person or place of an earlier turn.
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractedEntity:
    """A named or resolvable thing mentioned in the text."""

    name: str  # canonical surface form, e.g. "Caroline", "Paris", "Maya's sister"
    type: str  # spaCy entity label (PERSON, GPE, ORG, ...) or "THING"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """A ``(subject, relation, object)`` edge with the times the text states."""

    subject: str
    relation: str  # normalized lemmatized predicate, lower case ("live in", "work at")
    object: str  # ANY_OBJECT ("*") only in negated facts with an unnamed object
    valid_at: datetime | None  # became true (None: the store uses occurred_at)
    invalid_at: datetime | None  # stopped being true, if the text says
    negated: bool = False  # explicit ending/negation: the store closes the matching fact
    confidence: float = 1.0
    span: tuple[int, int] | None = None  # char offsets of the supporting sentence


@dataclass(frozen=True, slots=True)
class TemporalExpression:
    """A time phrase resolved against a base time (see :data:`TemporalRole`)."""

    text: str
    span: tuple[int, int]
    start: datetime  # start of the named period (UTC)
    end: datetime | None  # exclusive end of the named period; None for a point ("2 weeks ago")
    granularity: str  # "day" | "weekend" | "week" | "month" | "season" | "year" | "decade"
    role: TemporalRole = "at"


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything one extractor found in one episode; facts are in text order."""

    entities: tuple[ExtractedEntity, ...] = ()
    facts: tuple[ExtractedFact, ...] = ()
    temporals: tuple[TemporalExpression, ...] = ()


EMPTY_EXTRACTION = Extraction()


class BatchExtractor(Protocol):
    """What the write path needs of an extractor: :class:`Extractor` has it,
    and so may any object with this one method (a duck-typed test double)."""

    def extract_batch(self, items: Sequence[ExtractionInput]) -> list[Extraction]: ...


class Extractor(abc.ABC):
    """The seam between episodes and the store: text in, entities/facts/times out.

    Implementations must not raise on odd text (empty, other languages, junk):
    they return an empty :class:`Extraction` instead. They may raise
    :class:`phasemem.errors.InvalidInputError` for inputs that break the
    contract (e.g. a naive ``occurred_at``).
    """

    name: str = "extractor"

    @abc.abstractmethod
    def extract(self, item: ExtractionInput) -> Extraction:
        """Extract from one episode."""

    def extract_batch(self, items: Sequence[ExtractionInput]) -> list[Extraction]:
        """Extract from many episodes; the default loops, batching extractors override."""
        return [self.extract(item) for item in items]

    def warm(self) -> None:  # noqa: B027 - optional hook
        """Load models now instead of on the first extraction (e.g. in a
        server's background thread); safe to call more than once."""
