"""SQL for the one filter (:class:`phasemem.scope.EpisodeFilter`), for SQL stores.

Same meaning as ``EpisodeFilter.matches`` (a test checks the two agree on
random stores); a store passes the parameter marker its driver uses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from phasemem.scope import EpisodeFilter


def filter_where(flt: EpisodeFilter, alias: str = "e", mark: str = "?") -> tuple[str, list[Any]]:
    """A WHERE fragment over table ``alias`` and its parameters (metadata is
    read with SQLite's JSON functions; another SQL store renders that part its
    own way)."""
    parts = [f"{alias}.user_id = {mark}"]
    params: list[Any] = [flt.user_id]
    for col in ("agent_id", "session_id", "role", "speaker", "source"):
        val = getattr(flt, col)
        if val is not None:
            parts.append(f"{alias}.{col} = {mark}")
            params.append(val)
    if flt.occurred_after is not None:
        parts.append(f"{alias}.occurred_at >= {mark}")
        params.append(flt.occurred_after)
    if flt.occurred_before is not None:
        parts.append(f"{alias}.occurred_at <= {mark}")
        params.append(flt.occurred_before)
    for k, v in flt.metadata.items():
        path = f"'$.\"{k}\"'"
        # an object or array never equals a scalar (as in ``matches``), even
        # when its JSON text happens to be the string asked for
        parts.append(
            f"IFNULL(json_type({alias}.metadata, {path}), 'null') NOT IN ('object', 'array')"
            f" AND json_extract({alias}.metadata, {path}) IS {mark}"
        )
        params.append(v)
    return " AND ".join(parts), params


def filter_where_pg(flt: EpisodeFilter, alias: str = "e", mark: str = "?") -> tuple[str, list[Any]]:
    """The same filter for PostgreSQL, metadata read from ``jsonb``. Equality
    is Python's (``EpisodeFilter.matches``): ``True == 1 == 1.0``, a string
    equals only a JSON string, ``None`` matches a missing key or JSON null,
    and an object or array equals no scalar."""
    where, params = filter_where(replace(flt, metadata={}), alias, mark)
    parts = [where]
    for k, v in flt.metadata.items():
        val = f"{alias}.metadata -> {mark}"
        if v is None:
            parts.append(f"({val} IS NULL OR {val} = 'null'::jsonb)")
            params += [k, k]
        elif isinstance(v, str):
            parts.append(
                f"(jsonb_typeof({val}) = 'string' AND {alias}.metadata ->> {mark} = {mark})"
            )
            params += [k, k, v]
        else:  # bool, int or float: compared as numbers, a JSON true/false as 1/0
            num = float(v) if isinstance(v, float) else int(v)
            cond = f"(jsonb_typeof({val}) = 'number' AND ({alias}.metadata ->> {mark})::numeric = {mark}::numeric)"
            params += [k, k, str(num)]
            if num in (0, 1):
                cond = f"({cond} OR {val} = {mark}::jsonb)"
                params += [k, "true" if num == 1 else "false"]
            parts.append(cond)
    return " AND ".join(parts), params
