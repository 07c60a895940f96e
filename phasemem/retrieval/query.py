"""What a query asks for, read from its words: which terms are worth a
lexical search, and whether it asks "when".

Queries are never passed to a store's query language as text: retrieval takes
their word tokens (:func:`phasemem.text.unique_terms`) and the store quotes
each one (a query full of FTS5 syntax by accident, ``NEAR(``, ``"``, ``*``,
still searches and never raises).
"""

from __future__ import annotations

import re


def prune_terms(counts: dict[str, int], budget: int) -> list[str]:
    """Keep the rarest terms whose summed document counts fit ``budget``.

    BM25 over an OR query scores every matching row, so one very common term
    can cost more than the rest of the search. Such a term also carries the
    least weight (low IDF), so dropping it changes little: the rarest term is
    always kept, then terms in order of rarity while the total fits."""
    present = sorted((c, t) for t, c in counts.items() if c > 0)
    kept: list[str] = []
    total = 0
    for c, t in present:
        if kept and total + c > budget:
            break
        kept.append(t)
        total += c
    order = {t: i for i, t in enumerate(counts)}
    return sorted(kept, key=order.__getitem__)


_WHEN = re.compile(
    r"^\W*(when|what (year|month|day|date|time|week)|how long|since when|which (year|month|day|week))\b",
    re.IGNORECASE,
)


def asks_when(query: str) -> bool:
    """True for questions whose answer is a time ("When did...", "How long...")."""
    return _WHEN.search(query) is not None
