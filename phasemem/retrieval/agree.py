"""Facts and episodes that agree at the query's time (issue 14 item 4).

A search returns two ranked lists made by two rankers: episodes (words,
meaning, time on the turns) and facts (meaning and phase at the query's time).
Each fact knows the episodes it came from (provenance), so the two lists can
check each other:

* **evidence**: a fact's evidence episode is the best-ranked episode it came
  from; a fact whose evidence the episode ranker also put near the top is
  more likely the answer than one whose sources it did not find, so each
  fact's score gains ``weight / (1 + rank)`` of itself (rank 0-based) and the
  facts are re-sorted;
* **no stale outranking**: once the top fact is settled, and it holds at the
  query's time, an episode that supports only a version of the same slot that
  does not hold then (a superseded job for a current question, a later one
  for an as-of question) is moved to just below the top fact's evidence
  episode (or, ``lift``, that evidence episode moves up above the first of
  them). Nothing is dropped; only that order changes.

Pure functions over the two lists (the slot's versions come in as data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from phasemem.facts.model import Fact, FactHit
from phasemem.models import SearchHit


def evidence_of(fact: Fact, rank: dict[str, int]) -> tuple[str | None, int | None]:
    """The best-ranked episode ``fact`` came from and its 0-based rank, or
    ``(None, None)`` when none of its episodes is among the hits."""
    found = [(rank[e], e) for e in fact.episode_ids if e in rank]
    if not found:
        return None, None
    r, e = min(found)
    return e, r


def rerank_facts(
    facts: Sequence[FactHit], hits: Sequence[SearchHit], weight: float
) -> list[FactHit]:
    """Facts re-scored by where the episode ranker put their evidence; each
    hit's ``scores`` gains ``evidence_rank`` (absent: not among the hits)."""
    rank = {h.episode.id: i for i, h in enumerate(hits)}
    out = []
    for fh in facts:
        _, r = evidence_of(fh.fact, rank)
        if r is None:
            out.append(fh)
            continue
        score = fh.score * (1.0 + weight / (1.0 + r))
        out.append(replace(fh, score=score, scores={**fh.scores, "evidence_rank": float(r)}))
    return sorted(out, key=lambda fh: -fh.score)


def demote_stale(
    hits: Sequence[SearchHit],
    top: Fact,
    slot: Sequence[Fact],
    t_query: float,
    *,
    lift: bool = False,
) -> tuple[list[SearchHit], list[str]]:
    """``hits`` with the episodes that support only versions of ``top``'s slot
    not holding at ``t_query`` moved to just after ``top``'s evidence episode
    (when ``top`` holds then and its evidence is among the hits); ``lift``:
    the evidence episode moves up to just before the first of them instead.
    Returns the new order and the ids of the stale episodes it passed."""
    if not top.holds_at(t_query):
        return list(hits), []
    rank = {h.episode.id: i for i, h in enumerate(hits)}
    _, r_top = evidence_of(top, rank)
    if r_top is None:
        return list(hits), []
    mine = set(top.episode_ids)
    stale: set[str] = set()
    for v in slot:
        if v.id != top.id and v.object != top.object and not v.holds_at(t_query):
            stale.update(e for e in v.episode_ids if e not in mine)
    moved = [h for h in hits[:r_top] if h.episode.id in stale]
    if not moved:
        return list(hits), []
    ids = {h.episode.id for h in moved}
    if lift:
        first = next(i for i, h in enumerate(hits) if h.episode.id in ids)
        rest = [h for i, h in enumerate(hits) if i != r_top]
        return rest[:first] + [hits[r_top]] + rest[first:], [h.episode.id for h in moved]
    head = [h for h in hits[: r_top + 1] if h.episode.id not in ids]
    return head + moved + list(hits[r_top + 1 :]), [h.episode.id for h in moved]


__all__ = ["demote_stale", "evidence_of", "rerank_facts"]
