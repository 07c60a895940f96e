"""Fact extraction: episodes -> entities, facts and resolved time phrases.

Two extractors share one interface (:class:`Extractor`):

- :class:`RuleExtractor` (the default, no LLM): spaCy ``en_core_web_sm``
  dependency parse + a closed table of personal-fact relations + a temporal
  resolver built on dateparser. See ``docs/extraction.md``.
- :class:`LLMExtractor`: any OpenAI-compatible endpoint, schema-checked, falling
  back to the rule extractor on bad output (needs the ``[llm]`` extra).

Importing this package loads neither spaCy nor httpx, nor the rule extractor's
module (its word tables and patterns cost ~0.1 s, which a search, needing only
the time resolver, should not pay); the spaCy model loads on the first
extraction.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from phasemem.extract.temporal import resolve_temporal
from phasemem.extract.types import (
    ANY_OBJECT,
    ExtractedEntity,
    ExtractedFact,
    Extraction,
    ExtractionInput,
    Extractor,
    TemporalExpression,
)

if TYPE_CHECKING:
    from phasemem.extract.llm import LLMExtractor
    from phasemem.extract.rules import RuleExtractor

__all__ = [
    "ANY_OBJECT",
    "ExtractedEntity",
    "ExtractedFact",
    "Extraction",
    "ExtractionInput",
    "Extractor",
    "LLMExtractor",
    "RuleExtractor",
    "TemporalExpression",
    "default_extractor",
    "resolve_temporal",
]

_default: RuleExtractor | None = None
_lock = threading.Lock()


def default_extractor() -> Extractor:
    """The shared rule extractor (created once; its spaCy model loads on first use)."""
    global _default
    with _lock:
        if _default is None:
            from phasemem.extract.rules import RuleExtractor

            _default = RuleExtractor()
        return _default


class DeferredExtractor(Extractor):
    """:func:`default_extractor`, imported when first used.

    ``Memory`` holds one so that opening a store for a search, a list or a
    server start does not import the rule extractor's module."""

    name = "rules"

    def extract(self, item: ExtractionInput) -> Extraction:
        return default_extractor().extract(item)

    def extract_batch(self, items: Sequence[ExtractionInput]) -> list[Extraction]:
        return default_extractor().extract_batch(items)

    def warm(self) -> None:
        default_extractor().warm()

    def __getattr__(self, name: str) -> Any:  # model, entities, nlp ... of the real one
        return getattr(default_extractor(), name)


def __getattr__(name: str) -> Any:  # lazy: httpx is an optional extra; rules is heavy
    if name == "LLMExtractor":
        from phasemem.extract.llm import LLMExtractor

        return LLMExtractor
    if name == "RuleExtractor":
        from phasemem.extract.rules import RuleExtractor

        return RuleExtractor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
