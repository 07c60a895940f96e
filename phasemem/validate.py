"""Argument checks shared by every public entry point.

Each kind of argument has exactly one check, so the library, the REST and MCP
servers and the CLI refuse the same values with the same
:class:`~phasemem.errors.InvalidInputError` (``field`` named), and nothing
unchecked reaches SQLite (which answers a list with ``ProgrammingError``, an
int over 64 bits with ``OverflowError`` and a 50K-character LIKE pattern with
"pattern too complex"):

=====================  ===============================================
argument               check
=====================  ===============================================
scope ids              :func:`phasemem.scope.check_scope_value`
record ids             :func:`check_id` (the same rule as scope ids)
times                  :func:`phasemem.timeutil.to_utc` (documented range)
texts, metadata        :func:`phasemem.ingest.clean_text`, ``check_metadata``
integers               :func:`check_int` (bounded, booleans refused)
flags                  :func:`check_flag` (a real ``bool``, not ``"no"``)
entity / relation      :func:`check_name` (a string, bounded)
an imported row        :func:`check_import_row` (each field through the above)
``filters``            ``EpisodeFilter.build`` (a dict or None; its keys, values)
=====================  ===============================================
"""

from __future__ import annotations

import json
import math
import operator
from pathlib import Path
from typing import Any

from phasemem.errors import ImportFormatError, InvalidInputError, brief_repr
from phasemem.ingest import check_metadata, clean_text
from phasemem.provenance import FACT_STATUSES, SOURCE_KINDS
from phasemem.scope import check_scope_value

#: Entity, subject and relation names: longer ones are never stored (the
#: extractor keeps names short) and a long one would only cost a LIKE scan.
MAX_NAME_CHARS = 512


def check_id(name: str, value: Any) -> str:
    """A memory or pin id: a non-empty string of at most 256 printable
    characters (ids are generated as UUIDs; imported ones follow the same rule)."""
    out = check_scope_value(name, value, required=True)
    assert out is not None
    return out


def check_int(name: str, value: Any, lo: int, hi: int) -> int:
    """An integer in ``lo..hi``. Booleans and floats are refused (``1.5`` is
    not a count, and ``True`` is an accident); numpy integers are fine."""
    if isinstance(value, bool):
        raise InvalidInputError(f"{name} must be an integer in {lo}..{hi}", field=name)
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidInputError(
            f"{name} must be an integer in {lo}..{hi}, got {type(value).__name__}", field=name
        ) from None
    if not lo <= number <= hi:
        raise InvalidInputError(f"{name} must be an integer in {lo}..{hi}", field=name)
    return number


def check_flag(name: str, value: Any) -> bool:
    """A real boolean: a string such as ``"no"`` is truthy, so it is refused
    rather than read as True."""
    if not isinstance(value, bool):
        raise InvalidInputError(
            f"{name} must be true or false, got {brief_repr(value)}", field=name
        )
    return value


def check_name(name: str, value: Any, *, required: bool = False) -> str | None:
    """An entity, subject or relation name: a string of 1..MAX_NAME_CHARS
    characters, valid Unicode."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{name} must be a non-empty string", field=name)
    if len(value) > MAX_NAME_CHARS:
        raise InvalidInputError(
            f"{name} has {len(value)} characters; the limit is {MAX_NAME_CHARS}", field=name
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"{name} is not valid Unicode (lone surrogate at {exc.start})", field=name
        ) from None
    return value


def check_import_row(row: dict[str, Any], path: Path, line: int) -> None:
    """Reject a malformed export row before anything of its batch is written.

    The row's shape, types and times were checked against the dump format
    (:func:`phasemem.store.dump.check_row`); here every field goes through the
    check the API uses for it, so an import can never store what ``add``,
    ``pin`` or the extractor would refuse (a time out of range stored once made
    every read of the store fail)."""
    kind = row.get("kind")
    check = _ROW_CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        raise ImportFormatError(
            f"{path}:{line}: unknown row kind {brief_repr(kind)}", path=str(path), line=line
        )
    try:
        check(row)
    except InvalidInputError as exc:
        raise ImportFormatError(f"{path}:{line}: {exc.message}", path=str(path), line=line,
                                field=exc.context.get("field")) from exc  # fmt: skip


def _check_event_row(row: dict[str, Any]) -> None:
    check_name("op", row["op"], required=True)
    if row.get("target_id") is not None:
        check_id("target_id", row["target_id"])
    for key in ("user_id", "actor"):
        check_scope_value(key, row.get(key))
    for key in ("before", "after"):
        _check_json_object(key, row.get(key))


def _check_pin_row(row: dict[str, Any]) -> None:
    check_id("id", row["id"])
    check_scope_value("user_id", row["user_id"], required=True)
    clean_text(row["text"], max_chars=4000)


def _check_relation_row(row: dict[str, Any]) -> None:
    check_name("relation", row["text"], required=True)


def _check_observation_row(row: dict[str, Any]) -> None:
    check_name("relation", row["relation"], required=True)
    check_scope_value("user_id", row.get("user_id"))
    if not row["delta_days"] >= 0:
        raise InvalidInputError("delta_days must be a non-negative number", field="delta_days")
    if row.get("key") is not None:
        check_id("key", row["key"])


def _check_entity_row(row: dict[str, Any]) -> None:
    check_scope_value("user_id", row["user_id"], required=True)
    check_name("name", row["name"], required=True)
    check_name("norm", row["norm"], required=True)
    check_name("type", row.get("type"))
    for alias in row.get("aliases", []):
        check_name("alias", alias, required=True)


def _check_fact_row(row: dict[str, Any]) -> None:
    check_id("id", row["id"])
    check_scope_value("user_id", row["user_id"], required=True)
    check_name("relation", row["relation"], required=True)
    if row.get("superseded_by") is not None:
        check_id("superseded_by", row["superseded_by"])
    for ep in row.get("episode_ids", []):
        check_id("episode_ids", ep)
    conf = row.get("confidence")
    if conf is not None and not 0.0 <= conf <= 1.0:
        raise InvalidInputError("confidence must lie in 0..1", field="confidence")
    check_scope_value("source", row.get("source"))
    if row.get("status") not in (None, *FACT_STATUSES):
        raise InvalidInputError(f"status must be one of {FACT_STATUSES}", field="status")


def _check_trust_row(row: dict[str, Any]) -> None:
    check_scope_value("user_id", row["user_id"], required=True)
    check_scope_value("source", row["source"], required=True)
    if row["source_kind"] not in SOURCE_KINDS:
        raise InvalidInputError(f"source_kind must be one of {SOURCE_KINDS}", field="source_kind")
    check_scope_value("name", row["name"], required=True)
    for key in ("alpha", "beta"):
        v = row[key]
        if isinstance(v, bool) or not math.isfinite(v) or not 0 < v < 1e9:
            raise InvalidInputError(f"{key} must be a positive finite number", field=key)


def _check_episode_row(row: dict[str, Any]) -> None:
    check_id("id", row["id"])
    check_id("content_hash", row["content_hash"])
    check_scope_value("user_id", row["user_id"], required=True)
    for key in ("agent_id", "session_id", "source", "source_name", "actor"):
        check_scope_value(key, row.get(key))
    if row.get("source_kind") not in (None, *SOURCE_KINDS):
        raise InvalidInputError(f"source_kind must be one of {SOURCE_KINDS}", field="source_kind")
    clean_text(row["text"])
    if row.get("speaker") is not None:
        clean_text(row["speaker"], field="speaker", max_chars=200)
    if row.get("role") not in (None, "user", "assistant", "system", "tool"):
        raise InvalidInputError("role must be user, assistant, system, tool or null", field="role")
    check_metadata(row.get("metadata"))
    if row.get("time_mentions") is not None:
        check_int("time_mentions", row["time_mentions"], 0, 2**15 - 1)  # an int16 column
    if row.get("vector") is not None and not isinstance(row["vector"], str):
        raise InvalidInputError("vector must be base64 text or null", field="vector")
    vscale = row.get("vscale")
    if vscale is not None and (
        isinstance(vscale, bool)
        or not isinstance(vscale, (int, float))
        or not math.isfinite(vscale)
    ):
        raise InvalidInputError("vscale must be a finite number or null", field="vscale")


def _check_json_object(name: str, value: Any) -> None:
    """An event's before/after payload: null or a JSON object of valid Unicode."""
    if value is None:
        return
    try:
        ok = isinstance(value, dict) and bool(
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        )
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        ok = False
    if not ok:
        raise InvalidInputError(f"{name} must be a JSON object or null", field=name)


__all__ = [
    "MAX_NAME_CHARS",
    "check_flag",
    "check_id",
    "check_import_row",
    "check_int",
    "check_name",
]


_ROW_CHECKS = {
    "episode": _check_episode_row, "event": _check_event_row, "pin": _check_pin_row,
    "relation": _check_relation_row, "observation": _check_observation_row,
    "entity": _check_entity_row, "fact": _check_fact_row, "trust": _check_trust_row,
}  # fmt: skip
