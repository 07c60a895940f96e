"""The export format: a versioned JSON-lines dump of a whole memory (or one user's).

Why one declared format: export, import, the REST ``/v1/export`` stream and a
move between backends all read and write it, so it is written down once here
and every reader checks rows against it before anything is stored.

Version 2 (``DUMP_VERSION``) holds everything a memory is made of, in an
order an importer can follow without looking ahead::

    header        {"kind": "header", "format": "phasemem-export", "version": 2,
                   "embedder": ..., "dim": ..., "user_id": null | "..."}
    episode       every column, the int8 vector as base64
    pin           id, user, text, created_at
    relation      text, alpha_prior (alpha is recomputed from the observations)
    observation   one observed transition of a relation's slot (user, gap, changed)
    entity        ref (the exporting store's id), user, name, type, aliases
    fact          id, user, subject_ref/object_ref (entities above), relation text,
                  the four times, superseded_by, confidence, vector, episode_ids
    trust         one source's trust posterior for a user (alpha, beta, updated_at)
    event         the append-only log, in order

Version 1 (episodes and events only) is still read. Times are epoch seconds
(UTC) and pass the same range check as every other time (``timeutil``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from phasemem.errors import ImportFormatError
from phasemem.timeutil import to_ts

FORMAT = "phasemem-export"
DUMP_VERSION = 2
READABLE_VERSIONS = (1, 2)
KINDS = ("episode", "pin", "relation", "observation", "entity", "fact", "trust", "event")

_STR = (str,)
_OPT_STR = (str, type(None))
_NUM = (int, float)
_OPT_NUM = (int, float, type(None))

#: kind -> field -> allowed types (required fields first; every other field is optional)
_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "episode": {"id": _STR, "user_id": _STR, "text": _STR, "occurred_at": _NUM,
                "recorded_at": _NUM, "content_hash": _STR},
    "pin": {"id": _STR, "user_id": _STR, "text": _STR, "created_at": _NUM},
    "relation": {"text": _STR, "alpha_prior": _NUM},
    "observation": {"relation": _STR, "delta_days": _NUM, "changed": (bool, int)},
    "entity": {"ref": (int,), "user_id": _STR, "name": _STR, "norm": _STR},
    "fact": {"id": _STR, "user_id": _STR, "subject_ref": (int,), "object_ref": (int,),
             "relation": _STR, "valid_at": _NUM, "recorded_at": _NUM},
    "event": {"op": _STR, "at": _NUM},
    "trust": {"user_id": _STR, "source": _STR, "source_kind": _STR, "name": _STR,
              "alpha": _NUM, "beta": _NUM, "updated_at": _NUM},
}  # fmt: skip
_OPTIONAL: dict[str, dict[str, tuple[type, ...]]] = {
    "episode": {"agent_id": _OPT_STR, "session_id": _OPT_STR, "role": _OPT_STR,
                "speaker": _OPT_STR, "source": _OPT_STR, "updated_at": _OPT_NUM,
                "vector": _OPT_STR, "vscale": _OPT_NUM, "time_mentions": (int, type(None)),
                "metadata": (dict, type(None)), "source_kind": _OPT_STR,
                "source_name": _OPT_STR, "actor": _OPT_STR, "quarantine": (dict, type(None))},
    "fact": {"invalid_at": _OPT_NUM, "expired_at": _OPT_NUM, "superseded_by": _OPT_STR,
             "confidence": _OPT_NUM, "vector": _OPT_STR, "vscale": _OPT_NUM,
             "episode_ids": (list,), "source": _OPT_STR, "status": _OPT_STR},
    "observation": {"user_id": _OPT_STR, "key": _OPT_STR},
    "entity": {"type": _OPT_STR, "created_at": _OPT_NUM, "aliases": (list,)},
    "event": {"target_id": _OPT_STR, "user_id": _OPT_STR, "actor": _OPT_STR,
              "before": (dict, type(None)), "after": (dict, type(None))},
}  # fmt: skip
_TIMES = {
    "episode": ("occurred_at", "recorded_at", "updated_at"),
    "pin": ("created_at",),
    "entity": ("created_at",),
    "fact": ("valid_at", "invalid_at", "recorded_at", "expired_at"),
    "event": ("at",),
    "trust": ("updated_at",),
}


@dataclass
class ImportState:
    """What an import carries from one batch (transaction) to the next."""

    entities: dict[int, int] = field(default_factory=dict)  # dump ref -> this store's id
    names: dict[int, str] = field(default_factory=dict)  # dump ref -> name (to re-embed facts)
    relations: dict[str, float] = field(default_factory=dict)  # text -> alpha_prior
    touched: set[int] = field(default_factory=set)  # relation ids whose alpha to refresh
    episodes: int = 0
    rows: int = 0


def dump_line(row: dict[str, Any]) -> str:
    """One row as a JSON line (keys sorted, so equal dumps are equal bytes)."""
    return json.dumps(row, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n"


def header(*, embedder: str, dim: int, user_id: str | None) -> dict[str, Any]:
    """No export time in it: the same memory always dumps to the same bytes."""
    return {"kind": "header", "format": FORMAT, "version": DUMP_VERSION, "embedder": embedder,
            "dim": dim, "user_id": user_id}  # fmt: skip


def check_header(row: dict[str, Any], where: str) -> int:
    """The dump's version, or ImportFormatError for a file this phasemem cannot read."""
    if row.get("format", FORMAT) != FORMAT:
        raise ImportFormatError(f"{where}: not a phasemem export ({row.get('format')!r})")
    version = row.get("version", 1)
    if version not in READABLE_VERSIONS:
        raise ImportFormatError(
            f"{where}: export format version {version!r}; this phasemem reads "
            f"{', '.join(map(str, READABLE_VERSIONS))}: upgrade phasemem",
            version=version,
        )
    return int(version)


def check_row(row: dict[str, Any], version: int, where: str) -> str:
    """Validate one row's shape, types and times; returns its kind."""
    kind = row.get("kind")
    allowed = KINDS if version >= 2 else ("episode", "event")
    if kind not in allowed:
        raise ImportFormatError(f"{where}: unknown row kind {kind!r}", field="kind")
    assert isinstance(kind, str)
    for key, types in _FIELDS[kind].items():
        value = row.get(key)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ImportFormatError(
                f"{where}: field {key!r} missing or of the wrong type", field=key
            )
    for key, types in _OPTIONAL.get(kind, {}).items():
        if key in row and not isinstance(row[key], types):
            raise ImportFormatError(f"{where}: field {key!r} of the wrong type", field=key)
    for key in _TIMES.get(kind, ()):
        value = row.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ImportFormatError(f"{where}: field {key!r} is not a time", field=key)
        try:
            to_ts(value, field=key)
        except Exception as exc:  # InvalidTimeError: out of range, nan, inf
            raise ImportFormatError(f"{where}: {exc}", field=key) from exc
    for key in ("delta_days", "alpha_prior", "confidence", "vscale"):
        value = row.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise ImportFormatError(f"{where}: field {key!r} is not finite", field=key)
    if kind == "relation" and not 0.0 < float(row["alpha_prior"]) < 1.0:
        raise ImportFormatError(f"{where}: alpha_prior must lie in (0, 1)", field="alpha_prior")
    if kind == "fact" and not all(isinstance(e, str) for e in row.get("episode_ids", [])):
        raise ImportFormatError(f"{where}: episode_ids must be strings", field="episode_ids")
    if kind == "entity" and not all(isinstance(a, str) for a in row.get("aliases", [])):
        raise ImportFormatError(f"{where}: aliases must be strings", field="aliases")
    return kind


__all__ = [
    "DUMP_VERSION",
    "ImportState",
    "dump_line",
    "FORMAT",
    "KINDS",
    "check_header",
    "check_row",
    "header",
]
