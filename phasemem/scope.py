"""The one filter: which episodes a read may see.

Every read path (the lexical and dense stages, the neighbour stage, the final
rows, facts through their source episodes, ``context``, REST, MCP) asks the
same :class:`EpisodeFilter`, in one of three equivalent forms:

* :func:`phasemem.store.sql.filter_where` for a SQL store's WHERE clause;
* :meth:`EpisodeFilter.matches` for one ``Episode`` (the final gate);
* ``VectorIndex.scope_mask`` for the in-memory columns (the fast path).

A test checks that the three agree on random stores. ``as_of`` is turned into
a filter here and nowhere else: a read as of ``t`` sees only episodes that
happened at or before ``t`` (``occurred_before``), whichever interface asked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from phasemem.errors import InvalidInputError, brief_repr
from phasemem.timeutil import to_ts

#: 1-256 characters, none of them a control character (C0, DEL, C1) or a lone
#: surrogate (not Unicode, so SQLite cannot store it); used with ``fullmatch``,
#: since ``$`` also matches before a trailing newline ("maya\n" is not "maya").
_SCOPE_RE = re.compile(r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,256}")
_FILTER_KEYS = {
    "user_id", "agent_id", "session_id", "role", "speaker", "source",
    "occurred_after", "occurred_before", "metadata",
}  # fmt: skip


def check_scope_value(name: str, value: Any, *, required: bool = False) -> str | None:
    """A scope id is a non-empty string of at most 256 printable characters.
    The one check for scope ids (user, agent, session, source, role, speaker
    filters) and, through :func:`phasemem.validate.check_id`, for record ids."""
    if value is None:
        if required:
            raise InvalidInputError(f"{name} is required", field=name)
        return None
    if not isinstance(value, str) or not _SCOPE_RE.fullmatch(value) or not value.strip():
        raise InvalidInputError(
            f"{name} must be a non-empty string of at most 256 printable characters, "
            f"got {brief_repr(value)}",
            field=name,
        )
    return value


_SQLITE_INT = (-(2**63), 2**63 - 1)


def check_metadata_filter_value(key: str, value: Any) -> None:
    """A metadata filter compares one scalar: a string (valid Unicode), a
    finite number, an integer SQLite can hold (64 bits), a boolean or null."""
    bad = None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            bad = "is not valid Unicode"
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if not _SQLITE_INT[0] <= value <= _SQLITE_INT[1]:
            bad = "is an integer over 64 bits"
    elif isinstance(value, float):
        if not math.isfinite(value):
            bad = "is not a finite number"
    else:
        bad = "must be a string, number, boolean or null"
    if bad:
        raise InvalidInputError(f"metadata filter {key!r}: value {bad}", field="metadata")


@dataclass(frozen=True, slots=True)
class EpisodeFilter:
    """Which episodes a read may see. ``user_id`` is the tenant-level scope and
    is always required, so no read can cross users by omission."""

    user_id: str
    agent_id: str | None = None
    session_id: str | None = None
    role: str | None = None
    speaker: str | None = None
    source: str | None = None
    occurred_after: float | None = None
    occurred_before: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: the moment the read is as of (already folded into ``occurred_before``)
    as_of: float | None = None

    @classmethod
    def build(
        cls,
        user_id: str | None,
        filters: dict[str, Any] | None = None,
        *,
        as_of: Any = None,
        **scope: Any,
    ) -> EpisodeFilter:
        """Validate user input (mem0-style ``filters`` dict plus keyword scope).

        ``as_of``: the read sees the store as of that moment, so nothing that
        happened after it (``occurred_before`` becomes the earlier of the two)."""
        if filters is not None and not isinstance(filters, dict):
            raise InvalidInputError("filters must be an object (dict) or null", field="filters")
        merged: dict[str, Any] = dict(filters or {})
        unknown = set(merged) - _FILTER_KEYS
        if unknown:
            raise InvalidInputError(
                f"unknown filter keys: {sorted(map(brief_repr, unknown))}", field="filters"
            )
        for k, v in scope.items():
            if v is not None:
                merged[k] = v
        uid = check_scope_value(
            "user_id", user_id if user_id is not None else merged.get("user_id"), required=True
        )
        assert uid is not None
        kwargs: dict[str, Any] = {"user_id": uid}
        for key in ("agent_id", "session_id", "role", "speaker", "source"):
            kwargs[key] = check_scope_value(key, merged.get(key))
        for key in ("occurred_after", "occurred_before"):
            if merged.get(key) is not None:
                kwargs[key] = to_ts(merged[key], field=key)
        if as_of is not None:
            at = to_ts(as_of, field="as_of")
            kwargs["as_of"] = at
            before = kwargs.get("occurred_before")
            kwargs["occurred_before"] = at if before is None else min(before, at)
        meta = merged.get("metadata") or {}
        if not isinstance(meta, dict):
            raise InvalidInputError("filters.metadata must be an object", field="metadata")
        for k, v in meta.items():
            if not isinstance(k, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", k):
                raise InvalidInputError(
                    f"bad metadata filter key {brief_repr(k)}", field="metadata"
                )
            check_metadata_filter_value(k, v)
        kwargs["metadata"] = meta
        return cls(**kwargs)

    @property
    def narrows(self) -> bool:
        """Whether the filter narrows below the whole user (facts, which belong
        to the user, are then shown only through a visible source episode)."""
        return any(
            getattr(self, col) is not None
            for col in ("agent_id", "session_id", "role", "speaker", "source",
                        "occurred_after", "occurred_before")
        ) or bool(self.metadata)  # fmt: skip

    @property
    def columns_only(self) -> bool:
        """True when every condition is a plain column (no metadata): the
        in-memory index can then decide the filter alone."""
        return not self.metadata

    def matches(self, ep: Any) -> bool:
        """Whether one episode passes the filter (same meaning as :meth:`sql`)."""
        if ep.user_id != self.user_id:
            return False
        for col in ("agent_id", "session_id", "role", "speaker", "source"):
            want = getattr(self, col)
            if want is not None and getattr(ep, col) != want:
                return False
        if self.occurred_after is not None and not ep.occurred_at >= self.occurred_after:
            return False
        if self.occurred_before is not None and not ep.occurred_at <= self.occurred_before:
            return False
        return all(ep.metadata.get(k) == v for k, v in self.metadata.items())
