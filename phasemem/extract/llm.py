"""LLM extractor for any OpenAI-compatible ``/chat/completions`` endpoint.

Why it is built this way:

- The model only names facts and entities. Time phrases are resolved locally
  by :func:`resolve_temporal` (deterministic, and LLMs are poor at calendar
  arithmetic); the model's own ``valid_at``/``invalid_at`` must be ISO dates.
- Its JSON is checked against a small hand-written schema (no extra
  dependency). Anything wrong -- HTTP error, timeout, non-JSON, a schema
  violation -- is logged with the reason and that episode goes to the fallback
  extractor (the rule one by default), so ingest never stops on a bad reply.
- Facts whose subject or object does not occur in the text (and is not the
  speaker, the listener or ``"*"``) are dropped: the model may not invent them.

``httpx`` comes with the ``[llm]`` extra and is imported only when an
``LLMExtractor`` is created.
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from phasemem.extract.rules import RuleExtractor
from phasemem.extract.temporal import resolve_temporal, to_utc
from phasemem.extract.types import (
    ANY_OBJECT,
    ExtractedEntity,
    ExtractedFact,
    Extraction,
    ExtractionInput,
    Extractor,
)

log = logging.getLogger(__name__)

SYSTEM_PROMPT = """You extract long-term memory facts from one chat message.
Return only a JSON object: {"entities": [...], "facts": [...]}.
entities: [{"name": str, "type": "PERSON"|"GPE"|"LOC"|"ORG"|"PRODUCT"|"WORK_OF_ART"|"EVENT"|"THING"}]
facts: [{"subject": str, "relation": str, "object": str, "valid_at": "YYYY-MM-DD"|null,
         "invalid_at": "YYYY-MM-DD"|null, "negated": bool, "confidence": number 0..1}]
Rules:
- Replace I/me/my/we/our with the speaker's name, you/your with the listener's name.
- relation: short lower-case lemmatized predicate, e.g. "live in", "work at", "be married to",
  "like", "dislike", "be allergic to", "be born in", "read", "visit", "have dog".
- Someone's relative without a name: "<Name>'s sister".
- negated=true for endings and explicit negations ("I no longer live in Paris", "we broke up",
  "I quit my job"); use object "*" when the ending names no object.
- valid_at: when it became true; invalid_at: when it stopped. Resolve relative dates against
  occurred_at. null when the message does not say.
- Everyday relations use these names: "live in", "work at" (employer), "work as" (role),
  "study at", "study", "be married to", "be engaged to", "date", "have hobby", "follow diet"
  (vegan, vegetarian ...), "have" (possessions), "drive" (a car model), "use phone"
  (a phone model), "have sister" / "have brother" / ... (named relatives), "have dog" /
  "have cat" / ... (named pets).
- "previous", when given, is the turn just before, by another speaker: use it only to
  understand a short answer ("What phone is it?" / "A Pixel 7." -> use phone Pixel 7); take
  facts from "text" only.
- No facts from questions, hypotheticals, wishes, greetings or small talk. Never invent facts:
  if nothing is stated, return {"entities": [], "facts": []}."""

_MAX_FIELD = 200
_MAX_FACTS = 50
_FENCE_RE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W_]{3,}")


class SchemaError(ValueError):
    """The model's JSON does not match the extraction schema."""


@dataclass(slots=True)
class LLMStats:
    """Counters for observability (and tests): requests sent, episodes that fell back."""

    requests: int = 0
    fallbacks: int = 0
    dropped_ungrounded: int = 0
    last_fallback_reason: str | None = None


class LLMExtractor(Extractor):
    """Extract with an OpenAI-compatible chat model; fall back on any bad output.

    ``fallback`` may be an :class:`Extractor` instance, an ``Extractor`` class
    (instantiated on first use) or ``None`` (then failures raise
    :class:`phasemem.errors.ExtractionError`).
    """

    name = "llm"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        fallback: Extractor | type[Extractor] | None = RuleExtractor,
        *,
        json_mode: bool = True,
        temperature: float = 0.0,
        client: Any = None,
    ) -> None:
        try:
            import httpx
        except ImportError as exc:
            from phasemem.errors import MissingExtraError

            raise MissingExtraError("llm", "the LLM extractor") from exc
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            from phasemem.errors import InvalidInputError

            raise InvalidInputError("base_url must be an http(s) URL", base_url=base_url)
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.json_mode = json_mode
        self.temperature = temperature
        self._httpx = httpx
        self._client = client or httpx.Client(timeout=timeout)
        self._fallback = fallback
        self.stats = LLMStats()

    @classmethod
    def from_env(cls, prefix: str = "PHASEMEM_LLM_", **kwargs: Any) -> LLMExtractor:
        """Build from ``<prefix>BASE_URL``, ``<prefix>MODEL`` and ``<prefix>API_KEY``."""
        base_url = os.environ.get(f"{prefix}BASE_URL")
        model = os.environ.get(f"{prefix}MODEL")
        if not base_url or not model:
            from phasemem.errors import InvalidInputError

            raise InvalidInputError(f"set {prefix}BASE_URL and {prefix}MODEL", prefix=prefix)
        return cls(base_url, model, os.environ.get(f"{prefix}API_KEY"), **kwargs)

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ extraction

    def extract(self, item: ExtractionInput) -> Extraction:
        return self.extract_batch([item])[0]

    def extract_batch(self, items: Sequence[ExtractionInput]) -> list[Extraction]:
        out: list[Extraction | None] = []
        failed: list[int] = []
        for i, item in enumerate(items):
            try:
                out.append(self._extract_one(item))
            except (
                ValueError,
                KeyError,
                IndexError,
                TypeError,
                AttributeError,
                self._httpx.HTTPError,
            ) as exc:
                reason = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("LLM extraction fell back for episode %d: %s", i, reason)
                self.stats.fallbacks += 1
                self.stats.last_fallback_reason = reason
                out.append(None)
                failed.append(i)
        if failed:
            fb = self._fallback_extractor(reason=self.stats.last_fallback_reason)
            for i, ex in zip(failed, fb.extract_batch([items[i] for i in failed]), strict=True):
                out[i] = ex
        return [x for x in out if x is not None]

    def _fallback_extractor(self, reason: str | None) -> Extractor:
        fb = self._fallback
        if fb is None:
            from phasemem.errors import ExtractionError

            raise ExtractionError(f"LLM extraction failed and no fallback is set: {reason}")
        if isinstance(fb, type):
            fb = self._fallback = fb()
        return fb

    def _extract_one(self, item: ExtractionInput) -> Extraction:
        base = to_utc(item.occurred_at)
        content = self._complete(item, base)
        data = parse_json(content)
        entities, facts = validate(data)
        kept = [f for f in facts if _grounded(f, item)]
        self.stats.dropped_ungrounded += len(facts) - len(kept)
        return Extraction(
            entities=tuple(entities),
            facts=tuple(kept),
            temporals=tuple(resolve_temporal(item.text, base)),
        )

    def _complete(self, item: ExtractionInput, base: datetime) -> str:
        message: dict[str, Any] = {
            "text": item.text,
            "speaker": item.speaker,
            "listener": item.listener,
            "occurred_at": base.isoformat(),
        }
        if item.previous:
            message["previous"] = item.previous
        user = json.dumps(message, ensure_ascii=False)
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": self.temperature,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user},
            ],
        }
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self.stats.requests += 1
        resp = self._client.post(f"{self.base_url}/chat/completions", json=body, headers=headers)
        resp.raise_for_status()
        payload = resp.json()
        content = payload["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise SchemaError("message content is not a string")
        return content


# ---------------------------------------------------------------------- validation


def parse_json(content: str) -> Any:
    """Parse the model's reply, tolerating a Markdown code fence around the JSON."""
    text = _FENCE_RE.sub("", content.strip())
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"reply is not JSON ({exc.msg} at char {exc.pos})") from exc


def _text(value: Any, where: str, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise SchemaError(f"{where} must be a string")
    value = " ".join(unicodedata.normalize("NFKC", value).split())
    if required and not value:
        raise SchemaError(f"{where} must not be empty")
    if len(value) > _MAX_FIELD:
        raise SchemaError(f"{where} is longer than {_MAX_FIELD} characters")
    return value


def _date(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SchemaError(f"{where} must be an ISO date string or null")
    try:
        got = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SchemaError(f"{where} is not an ISO date: {value[:40]!r}") from exc
    return got.replace(tzinfo=UTC) if got.tzinfo is None else got.astimezone(UTC)


def validate(data: Any) -> tuple[list[ExtractedEntity], list[ExtractedFact]]:
    """Check the model's JSON against the schema; raise :class:`SchemaError` on any violation."""
    if not isinstance(data, dict):
        raise SchemaError("top level must be an object")
    raw_facts = data.get("facts")
    raw_entities = data.get("entities", [])
    if not isinstance(raw_facts, list) or not isinstance(raw_entities, list):
        raise SchemaError("'facts' (required) and 'entities' must be lists")
    if len(raw_facts) > _MAX_FACTS:
        raise SchemaError(f"more than {_MAX_FACTS} facts")
    entities = []
    for k, e in enumerate(raw_entities):
        if not isinstance(e, dict):
            raise SchemaError(f"entities[{k}] must be an object")
        etype = _text(e.get("type", "THING"), f"entities[{k}].type").upper()
        entities.append(ExtractedEntity(_text(e.get("name"), f"entities[{k}].name"), etype))
    facts = []
    for k, f in enumerate(raw_facts):
        if not isinstance(f, dict):
            raise SchemaError(f"facts[{k}] must be an object")
        negated = f.get("negated", False)
        confidence = f.get("confidence", 0.8)
        if not isinstance(negated, bool):
            raise SchemaError(f"facts[{k}].negated must be a boolean")
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not 0 <= confidence <= 1
        ):
            raise SchemaError(f"facts[{k}].confidence must be a number in [0, 1]")
        obj = _text(f.get("object"), f"facts[{k}].object")
        if obj == ANY_OBJECT and not negated:
            raise SchemaError(f"facts[{k}]: object '*' is only allowed in negated facts")
        facts.append(
            ExtractedFact(
                subject=_text(f.get("subject"), f"facts[{k}].subject"),
                relation=_text(f.get("relation"), f"facts[{k}].relation").lower(),
                object=obj,
                valid_at=_date(f.get("valid_at"), f"facts[{k}].valid_at"),
                invalid_at=_date(f.get("invalid_at"), f"facts[{k}].invalid_at"),
                negated=negated,
                confidence=float(confidence),
            )
        )
    return entities, facts


def _grounded(fact: ExtractedFact, item: ExtractionInput) -> bool:
    """Subject and object must come from the message (or be the speaker/listener/"*")."""
    text = item.text.lower()
    known = {n.lower() for n in (item.speaker, item.listener) if n}

    def ok(name: str) -> bool:
        low = name.lower()
        if low in known or low == ANY_OBJECT:
            return True
        owner, _, rest = low.partition("'s ")
        if rest and owner in known:
            low = rest  # "Maya's sister": "sister" must be in the text
        words = _WORD_RE.findall(low)
        if not words:
            return low in text
        hits = sum(1 for w in words if w[:4] in text)
        return hits * 2 >= len(words)

    return ok(fact.subject) and ok(fact.object)
