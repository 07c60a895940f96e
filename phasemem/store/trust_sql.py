"""Trust in SQL: per-source posteriors, who supports a fact, and their changes.

Runs on a connection inside the caller's transaction (like
:mod:`phasemem.store.facts_sql`), so a write's trust update commits with the
write. Every change of a posterior is logged as a ``TRUST`` event whose target
is the source label, which is what ``Memory.trust(source)`` reads back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from phasemem.store.sqlconn import SqlConn
from phasemem.trust.policy import TrustPolicy, mean, support, updated

Logger = Callable[..., None]


def posterior(c: SqlConn, user_id: str, label: str, policy: TrustPolicy) -> tuple[float, float]:
    """The source's Beta(a, b): stored, else the policy's prior for it."""
    row = c.execute("SELECT alpha, beta FROM source_trust WHERE user_id = ? AND source = ?",
                    (user_id, label)).fetchone()  # fmt: skip
    return (float(row[0]), float(row[1])) if row else policy.prior(label)


def trust_fn(c: SqlConn, user_id: str, policy: TrustPolicy) -> Callable[[str], float]:
    """``label -> trust`` for one user, memoised for one decision."""
    memo: dict[str, float] = {}

    def trust(label: str) -> float:
        if label not in memo:
            memo[label] = mean(posterior(c, user_id, label, policy))
        return memo[label]

    return trust


def bump(
    c: SqlConn, log: Logger, user_id: str, label: str, event: str,
    policy: TrustPolicy, *, actor: str | None, now: float, why: dict[str, Any],
) -> None:  # fmt: skip
    """Apply one event to a source's posterior and log the change."""
    before = posterior(c, user_id, label, policy)
    after = updated(before, event)
    kind, _, name = label.partition(":")
    c.execute(
        "INSERT INTO source_trust (user_id, source, kind, name, alpha, beta, updated_at)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT (user_id, source) DO UPDATE SET"
        " alpha = excluded.alpha, beta = excluded.beta, updated_at = excluded.updated_at",
        (user_id, label, kind, name, after[0], after[1], now),
    )
    log(c, "TRUST", label, user_id, actor,
        {"alpha": before[0], "beta": before[1], "trust": round(mean(before), 4)},
        {"alpha": after[0], "beta": after[1], "trust": round(mean(after), 4), "event": event} | why,
        at=now)  # fmt: skip


def supporters(c: SqlConn, fact_ids: Sequence[str]) -> dict[str, set[str]]:
    """Fact id -> the source labels of the episodes it came from."""
    out: dict[str, set[str]] = {f: set() for f in fact_ids}
    for i in range(0, len(fact_ids), 500):
        chunk = list(fact_ids[i : i + 500])
        for fid, kind, name in c.execute(
            "SELECT fe.fact_id, e.source_kind, e.source_name FROM fact_episodes fe"
            f" JOIN episodes e ON e.id = fe.episode_id WHERE fe.fact_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            out[fid].add(f"{kind or 'user'}:{name or 'default'}")
    return out


def combined(c: SqlConn, user_id: str, labels: Iterable[str], policy: TrustPolicy) -> float:
    return support(labels, trust_fn(c, user_id, policy), policy)


def table(c: SqlConn, user_id: str) -> dict[str, tuple[float, float]]:
    """Every stored posterior of a user (sources never updated are at their prior)."""
    return {r[0]: (float(r[1]), float(r[2])) for r in c.execute(
        "SELECT source, alpha, beta FROM source_trust WHERE user_id = ?", (user_id,))}  # fmt: skip


__all__ = ["bump", "combined", "posterior", "supporters", "table", "trust_fn"]
