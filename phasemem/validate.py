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
scope ids              :func:`phasemem.store.filters.check_scope_value`
record ids             :func:`check_id` (the same rule as scope ids)
times                  :func:`phasemem.timeutil.to_utc` (documented range)
texts, metadata        :func:`phasemem.ingest.clean_text`, ``check_metadata``
integers               :func:`check_int` (bounded, booleans refused)
flags                  :func:`check_flag` (a real ``bool``, not ``"no"``)
entity / relation      :func:`check_name` (a string, bounded)
``filters``            ``EpisodeFilter.build`` (a dict or None; its keys, values)
=====================  ===============================================
"""

from __future__ import annotations

import operator
from typing import Any

from phasemem.errors import InvalidInputError, brief_repr
from phasemem.store.filters import check_scope_value

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


__all__ = ["MAX_NAME_CHARS", "check_flag", "check_id", "check_int", "check_name"]
