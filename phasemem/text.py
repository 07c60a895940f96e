"""Words of a text, one way for the whole package.

Lexical retrieval, fact ranking and context assembly all need "the content
words of this text". Written once here, so a query word that matches an
episode in BM25 also counts as overlap with a fact, and a change to the stop
list changes all three.
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


_SUFFIXES = ("ing", "ied", "ies", "ed", "es", "s")


def stems(text: str) -> set[str]:
    """Content words, crudely stemmed so "works"/"worked"/"work" meet (fact
    ranking compares short fact texts with queries; a real stemmer buys little
    there and costs a dependency)."""
    out = set()
    for w in terms(text):
        for suffix in _SUFFIXES:
            if w.endswith(suffix) and len(w) > len(suffix) + 2:
                w = w[: -len(suffix)]
                break
        out.add(w)
    return out


__all__ = ["MAX_TERMS", "STOPWORDS", "stems", "terms", "unique_terms"]
