"""Full-text search for the in-memory store: a small tokenizer and BM25.

Why not FTS5: the in-memory store is pure Python so that the :class:`Store`
protocol is proven to say nothing about SQLite. What it must give callers is
what the protocol promises: each query word is a plain word (or, when it
splits into several tokens, a phrase), never query syntax; relevant episodes
rank first; a filter, or none, decides the scope.

How it compares with the SQLite store's FTS5 (``porter unicode61
remove_diacritics 2``):

* tokens are runs of letters and digits after case folding and removal of
  diacritics, as unicode61 cuts them ("e-mail" -> "e", "mail"; "Café" -> "cafe");
* stemming is a light suffix stripper (:func:`stem`), not Porter: "lives",
  "lived", "living" and "live" meet, as they do in FTS5, but rarer forms
  may not ("relational" stays apart from "relate");
* the score is FTS5's ``bm25`` formula (``k1 = 1.2``, ``b = 0.75``, weights
  text 1.0 and speaker 0.5, document length over both columns, statistics
  over every live episode of every user, IDF floored at ``1e-6``), so where
  both tokenizers agree the scores agree too; where they do not, ranks may
  differ. Nothing may depend on the exact numbers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from phasemem.store.schema import BM25_WEIGHTS

K1 = 1.2
B = 0.75
_TEXT_W, _SPEAKER_W = BM25_WEIGHTS
_WORD = re.compile(r"[^\W_]+")
#: (suffix, replacement), the first that fits is taken
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer: one inflectional suffix off, then a final "e"
    ("lives" / "lived" / "living" / "live" -> "liv"). Words of three letters
    or fewer, and words with digits, are kept as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            word = word[: -len(suffix)] + repl
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def tokens(text: str | None) -> tuple[str, ...]:
    """The index terms of a text, in order."""
    if not text:
        return ()
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return tuple(stem(w) for w in _WORD.findall(folded))


def _count(seq: tuple[str, ...], phrase: tuple[str, ...]) -> int:
    """How often ``phrase`` occurs in ``seq`` (as consecutive tokens)."""
    if len(phrase) == 1:
        return seq.count(phrase[0])
    k = len(phrase)
    return sum(1 for i in range(len(seq) - k + 1) if seq[i : i + k] == phrase)


class TextIndex:
    """Postings (token -> seqs) over a snapshot of the live episodes.

    Built from the rows on demand and thrown away at the next write: a store
    for tests and experiments is read far more often than rebuilt, and a
    derived index that is never updated in place cannot drift from the rows."""

    def __init__(self, docs: Iterable[tuple[int, tuple[str, ...], tuple[str, ...]]]) -> None:
        self._docs: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._postings: dict[str, list[int]] = {}
        total = 0
        for seq, text, speaker in docs:
            self._docs[seq] = (text, speaker)
            total += len(text) + len(speaker)
            for tok in dict.fromkeys(text + speaker):
                self._postings.setdefault(tok, []).append(seq)
        self._avgdl = total / len(self._docs) if self._docs else 0.0

    def frequencies(self, word: str) -> dict[int, float]:
        """Episodes holding ``word`` (a phrase when it has several tokens) and
        its frequency in each, weighted by column."""
        phrase = tokens(word)
        if not phrase:
            return {}
        out: dict[int, float] = {}
        for seq in self._postings.get(phrase[0], ()):
            text, speaker = self._docs[seq]
            f = _TEXT_W * _count(text, phrase) + _SPEAKER_W * _count(speaker, phrase)
            if f > 0:
                out[seq] = f
        return out

    def count(self, word: str) -> int:
        return len(self.frequencies(word))

    def scores(self, words: Sequence[str]) -> dict[int, float]:
        """BM25 (higher is better) of every episode matching any of ``words``;
        a word given twice counts twice, as two phrases do in FTS5."""
        n = len(self._docs)
        out: dict[int, float] = {}
        for word in words:
            hits = self.frequencies(word)
            if not hits:
                continue
            idf = math.log((n - len(hits) + 0.5) / (len(hits) + 0.5))
            idf = idf if idf > 0.0 else 1e-6
            for seq, f in hits.items():
                text, speaker = self._docs[seq]
                d = len(text) + len(speaker)
                part = idf * (f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * d / self._avgdl))
                out[seq] = out.get(seq, 0.0) + part
        return out


__all__ = ["TextIndex", "stem", "tokens"]
