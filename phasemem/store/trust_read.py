"""What the stores read back about trust, in the shared SQL (SQLite and
PostgreSQL run the same statements, :mod:`phasemem.store.pg_dialect`): which
facts a read may list by status and source, a fact by id, the facts each
episode supports, the slots where a source was overruled, and the log of a
source's trust."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from phasemem.errors import NotFoundError
from phasemem.facts.model import Fact
from phasemem.models import HistoryEvent
from phasemem.store.facts_sql import FACT_COLS, FACT_FROM, episodes_of, fact_from_row
from phasemem.store.sqlconn import SqlConn
from phasemem.trust.standing import fold_disputes


def fact_filters(
    include_contested: bool, include_expired: bool, source: str | None
) -> tuple[list[str], list[Any]]:
    """WHERE parts for ``facts()``: accepted facts, contested ones when asked,
    rejected ones with every version; ``source`` a label or a kind."""
    statuses = ["accepted"] + (["contested"] if include_contested else [])
    if include_expired:
        statuses.append("rejected")
    parts = [f"f.status IN ({','.join('?' * len(statuses))})"]
    params: list[Any] = list(statuses)
    if source is not None:
        kind, sep, name = source.partition(":")
        parts.append("EXISTS (SELECT 1 FROM fact_episodes fe JOIN episodes e ON e.id = fe.episode_id"
                     " WHERE fe.fact_id = f.id AND COALESCE(e.source_kind, 'user') = ?"
                     + (" AND COALESCE(e.source_name, 'default') = ?)" if sep else ")"))  # fmt: skip
        params.extend([kind, name] if sep else [kind])
    return parts, params


def events(c: SqlConn, user_id: str, label: str) -> list[HistoryEvent]:
    """The log of a source's trust changes, oldest first."""
    rows = c.execute("SELECT id, op, target_id, user_id, at, actor, before, after FROM events"
                     " WHERE target_id = ? AND user_id = ? AND op = 'TRUST' ORDER BY id",
                     (label, user_id)).fetchall()  # fmt: skip
    return [
        HistoryEvent(r[0], r[1], r[2], r[3], r[4], r[5], _json(r[6]), _json(r[7])) for r in rows
    ]


def _json(v: Any) -> dict[str, Any] | None:
    if v is None or isinstance(v, dict):
        return v
    return json.loads(v)


def fact_by_id(c: SqlConn, fact_id: str, user_id: str) -> Fact:
    row = c.execute(f"SELECT {FACT_COLS} FROM {FACT_FROM} WHERE f.id = ? AND f.user_id = ?",
                    (fact_id, user_id)).fetchone()  # fmt: skip
    if row is None:
        raise NotFoundError(f"no fact {fact_id} for this user", id=fact_id)
    return fact_from_row(row, episodes_of(c, [fact_id]).get(fact_id, ()))


def standing(c: SqlConn, user_id: str, episode_ids: Sequence[str]) -> dict[str, list[Fact]]:
    """Episode id -> the facts it supports (every status and version)."""
    ids = list(dict.fromkeys(episode_ids))
    if not ids:
        return {}
    out: dict[str, list[Fact]] = {}
    for r in c.execute(
        f"SELECT fe.episode_id, {FACT_COLS} FROM {FACT_FROM} JOIN fact_episodes fe ON fe.fact_id = f.id"
        f" WHERE f.user_id = ? AND fe.episode_id IN ({','.join('?' * len(ids))})",
        (user_id, *ids),
    ).fetchall():
        out.setdefault(r[0], []).append(fact_from_row(r[1:]))
    return out


def disputed(c: SqlConn, user_id: str) -> dict[str, tuple[str, list[str], list[str]]]:
    """Slot ("subject relation", casefolded) -> (its current object, the
    objects contested or rejected in it, the current version's episode ids);
    empty (one indexed probe) when no source was ever overruled."""
    if c.execute("SELECT 1 FROM facts WHERE user_id = ? AND status != 'accepted' LIMIT 1",
                 (user_id,)).fetchone() is None:  # fmt: skip
        return {}
    rows = c.execute(f"SELECT {FACT_COLS} FROM {FACT_FROM} WHERE f.user_id = ? AND f.id IN ("
                     "SELECT g.id FROM facts g JOIN facts h ON h.user_id = g.user_id"
                     " AND h.subject_id = g.subject_id AND h.relation_id = g.relation_id"
                     " WHERE g.user_id = ? AND h.status != 'accepted') ORDER BY f.rowid",
                     (user_id, user_id)).fetchall()  # fmt: skip
    eps = episodes_of(c, [r[0] for r in rows])
    facts = (fact_from_row(r, eps.get(r[0], ())) for r in rows)
    return fold_disputes(facts, time.time())


__all__ = ["disputed", "events", "fact_by_id", "fact_filters", "standing"]
