"""Turn free user text into a safe FTS5 query.

User queries routinely contain FTS5 syntax by accident (quotes, ``AND``,
``NEAR(``, ``*``, ``-``, ``:``, unbalanced parentheses). We never pass user
text to MATCH: we take its word tokens, drop stop words, and OR the quoted
tokens, so every input searches and none raises.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERMS = 32

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "didn",
        "doesn",
        "isn",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "ve",
        "ll",
        "re",
        "d",
        "m",
        "o",
        "y",
        "ever",
        "also",
    ]
)


def terms(text: str) -> list[str]:
    """Lower-cased word tokens without stop words (all tokens if only stop words)."""
    tokens = [t.lower() for t in _TOKEN.findall(text)]
    content = [t for t in tokens if t not in STOPWORDS]
    return content or tokens


def unique_terms(text: str) -> list[str]:
    seen: list[str] = []
    for t in terms(text):
        if t not in seen:
            seen.append(t)
        if len(seen) >= MAX_TERMS:
            break
    return seen


def or_match(words: list[str]) -> str | None:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in words) or None


def fts_match(text: str) -> str | None:
    """A MATCH expression that ORs the query's terms, or None when it has none."""
    return or_match(unique_terms(text))


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
