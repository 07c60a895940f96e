"""Fact extraction: episodes -> entities, facts and resolved time phrases.

Two extractors share one interface (:class:`Extractor`):

- :class:`RuleExtractor` (the default, no LLM): spaCy ``en_core_web_sm``
  dependency parse + a closed table of personal-fact relations + a temporal
  resolver built on dateparser. See ``docs/extraction.md``.
- :class:`LLMExtractor`: any OpenAI-compatible endpoint, schema-checked, falling
  back to the rule extractor on bad output (needs the ``[llm]`` extra).

Importing this package loads neither spaCy nor httpx; the spaCy model loads on
the first extraction.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from phasemem.extract.rules import RuleExtractor
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
            _default = RuleExtractor()
        return _default


def __getattr__(name: str) -> Any:  # lazy: httpx is an optional extra
    if name == "LLMExtractor":
        from phasemem.extract.llm import LLMExtractor

        return LLMExtractor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
