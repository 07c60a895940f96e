"""Normalise what callers hand to ``add`` into validated episode drafts.

Accepts mem0's shapes: a string, one ``{"role", "content"}`` dict, or a list
of them. Validation happens before anything is written, so a bad message in a
list rejects the whole ``add`` and nothing is partly stored.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from phasemem.errors import InvalidInputError, brief_repr
from phasemem.scope import check_scope_value
from phasemem.timeutil import TimeLike, to_ts

MAX_TEXT_CHARS = 32_000
MAX_METADATA_BYTES = 16_384
_ROLES = {"user", "assistant", "system", "tool"}


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    role: str | None
    speaker: str | None
    occurred_at: float | None
    metadata: dict[str, Any]


def clean_text(value: Any, *, field: str = "text", max_chars: int = MAX_TEXT_CHARS) -> str:
    """Validate and normalise one text (NFC, stripped, valid UTF-8, bounded)."""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"{field} is not valid UTF-8 (byte {exc.start})", field=field
            ) from exc
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{field} must be a string, got {type(value).__name__}", field=field
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"{field} is not valid Unicode (lone surrogate at {exc.start})", field=field
        ) from exc
    if "\x00" in value:
        raise InvalidInputError(f"{field} contains a NUL character", field=field)
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise InvalidInputError(f"{field} is empty", field=field)
    if len(text) > max_chars:
        raise InvalidInputError(
            f"{field} has {len(text)} characters; the limit is {max_chars} (split long documents)",
            field=field, length=len(text), limit=max_chars,
        )  # fmt: skip
    return text


def check_metadata(meta: Any) -> dict[str, Any]:
    """A JSON object of at most MAX_METADATA_BYTES as UTF-8, returned as it
    will be read back (the JSON round trip). Lone surrogates anywhere inside
    (keys or values, at any depth) are refused here: SQLite cannot store them."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise InvalidInputError("metadata must be a JSON object", field="metadata")
    try:
        encoded = json.dumps(meta, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            "metadata is not valid Unicode (a lone surrogate inside)", field="metadata"
        ) from exc
    except (TypeError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise InvalidInputError(
            f"metadata is not JSON-serialisable: {brief_repr(exc, 200)}", field="metadata"
        ) from exc
    if len(encoded) > MAX_METADATA_BYTES:
        raise InvalidInputError(f"metadata is over {MAX_METADATA_BYTES} bytes", field="metadata")
    try:
        return json.loads(encoded)
    except RecursionError as exc:  # pragma: no cover - dumps refuses deeper nesting first
        raise InvalidInputError("metadata is nested too deeply", field="metadata") from exc


def drafts_from(messages: Any, *, occurred_at: TimeLike | None, metadata: Any) -> list[Draft]:
    base_meta = check_metadata(metadata)
    base_time = to_ts(occurred_at, field="occurred_at") if occurred_at is not None else None
    if isinstance(messages, (str, bytes, bytearray)):
        return [Draft(clean_text(messages), None, None, base_time, base_meta)]
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list) or not messages:
        raise InvalidInputError(
            "messages must be a string, a message dict or a non-empty list of them",
            field="messages",
        )
    out: list[Draft] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise InvalidInputError(
                f"messages[{i}] must be a dict with 'role' and 'content'", field=f"messages[{i}]"
            )
        role = m.get("role")
        if role is not None and (not isinstance(role, str) or role not in _ROLES):
            raise InvalidInputError(
                f"messages[{i}].role must be one of {sorted(_ROLES)}", field=f"messages[{i}].role"
            )
        speaker = m.get("name") or m.get("speaker")
        if speaker is not None:
            speaker = clean_text(speaker, field=f"messages[{i}].name", max_chars=200)
        when = m.get("occurred_at")
        meta = {**base_meta, **check_metadata(m.get("metadata"))}
        out.append(
            Draft(
                clean_text(m.get("content"), field=f"messages[{i}].content"),
                role, speaker,
                to_ts(when, field=f"messages[{i}].occurred_at") if when is not None else base_time,
                meta,
            )
        )  # fmt: skip
    return out


def content_hash(d: Draft) -> str:
    """Dedupe key within a scope: same words from the same speaker at the same
    stated time (a time is part of it only when the caller gave one)."""
    h = hashlib.sha256()
    for part in (d.text.casefold(), d.role or "", d.speaker or "", repr(d.occurred_at or "")):
        h.update(part.encode())
        h.update(b"\x1f")
    return h.hexdigest()[:32]


_VAGUE_TIME = re.compile(
    r"\b(recently|lately|earlier|the other day|just (?:got|had|finished|started|joined|went|came)"
    r"|(?:years?|months?|weeks?) now"
    r"|(?:last|this|next|on) (?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\b\.?"
    r"|since (?:we|i|you) (?:last|spoke|talked|chatted))",
    re.IGNORECASE,
)


def vague_time_cues(text: str) -> int:
    """Time cues too vague to resolve to a date ("recently", "last Fri",
    "years now") that still mark a turn as telling *when* something happened."""
    return len(_VAGUE_TIME.findall(text))


__all__ = [
    "vague_time_cues",
    "Draft",
    "check_scope_value",
    "clean_text",
    "content_hash",
    "drafts_from",
]
