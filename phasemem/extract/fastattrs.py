"""A faster drop-in for the model's ``attribute_ruler`` (same output, checked by a test).

Why: in ``en_core_web_sm`` the attribute ruler maps tags to coarse POS, lemmas
of closed-class words and morphology with ~180 Matcher patterns; running the
Matcher costs about a fifth of the whole parse of a chat line. Nearly all its
patterns look at one token's (TAG, LOWER, DEP, IS_SPACE), so their combined
effect can be computed once per distinct token signature and cached. The few
multi-token patterns ("gon na", "let 's", an expletive before "is") still go
through a small spaCy Matcher. Patterns are applied in the ruler's own order
(later ones win), exactly as ``AttributeRuler.set_annotations`` does.

A signature holds the word itself, so chat keeps meeting new ones: working
out a new signature by trying all ~170 single-token patterns cost as much as
the rest of the ruler. Patterns that name the word (``LOWER`` equal to, or in,
a list) are indexed by it, and those that do not name it are matched once per
(TAG, DEP, IS_SPACE); only the few left (a ``LOWER`` regex) are tried per word.
"""

from __future__ import annotations

import re
from typing import Any

_SUPPORTED = {"TAG", "LOWER", "DEP", "IS_SPACE"}


_POSITION = {"TAG": 0, "LOWER": 1, "DEP": 2, "IS_SPACE": 3}


def _token_value(key: str, sig: tuple[str, str, str, bool]) -> Any:
    return sig[_POSITION[key]]


def _words_named(spec: dict[str, Any]) -> list[str] | None:
    """The words a pattern's ``LOWER`` allows when it lists them (equal to one,
    or ``IN`` a list); None when it does not name words that way."""
    want = spec.get("LOWER")
    if isinstance(want, str):
        return [want]
    if isinstance(want, dict) and set(want) == {"IN"}:
        return [str(w) for w in want["IN"]]
    return None


def _matches(spec: dict[str, Any], sig: tuple[str, str, str, bool]) -> bool:
    for key, want in spec.items():
        got = _token_value(key, sig)
        if isinstance(want, dict):
            for op, arg in want.items():
                if op == "IN" and got not in arg:
                    return False
                if op == "NOT_IN" and got in arg:
                    return False
                if op == "REGEX" and not re.search(arg, str(got)):
                    return False
                if op not in ("IN", "NOT_IN", "REGEX"):
                    raise ValueError(op)
        elif got != want:
            return False
    return True


class FastAttributeRuler:
    """Applies an ``AttributeRuler``'s patterns with a per-signature cache."""

    def __init__(self, ruler: Any) -> None:
        from spacy.matcher import Matcher
        from spacy.tokens._retokenize import set_token_attrs

        self._set = set_token_attrs
        self._attrs = ruler.attrs
        self._indices = ruler.indices
        self._single: list[tuple[int, dict[str, Any]]] = []
        self._multi = Matcher(ruler.vocab)
        self._multi_first: list[dict[str, Any]] = []  # first-token specs of multi-token patterns
        self._may_start: dict[tuple[str, str, str, bool], bool] = {}
        self._cache: dict[tuple[str, str, str, bool], dict[Any, Any] | None] = {}
        for k, entry in enumerate(ruler.patterns):
            for pattern in entry["patterns"]:
                if len(pattern) == 1 and set(pattern[0]) <= _SUPPORTED:
                    self._single.append((k, pattern[0]))
                else:
                    self._multi.add(str(k), [pattern])
                    first = pattern[0]
                    self._multi_first.append(first if set(first) <= _SUPPORTED else {})
        self._vocab = ruler.vocab
        # where to look for the single-token patterns a signature matches (by position
        # in self._single, which is the ruler's order)
        self._by_word: dict[str, list[int]] = {}
        self._wordless: list[int] = []  # no LOWER: depends on (TAG, DEP, IS_SPACE) only
        self._other: list[int] = []  # LOWER by regex or NOT_IN: tried for every word
        for pos, (_, spec) in enumerate(self._single):
            words = _words_named(spec)
            if words is not None:
                for w in words:
                    self._by_word.setdefault(w, []).append(pos)
            elif "LOWER" in spec:
                self._other.append(pos)
            else:
                self._wordless.append(pos)
        self._rest_cache: dict[tuple[str, str, bool], list[int]] = {}

    def _single_matches(self, sig: tuple[str, str, str, bool]) -> list[int]:
        """Positions in ``self._single`` of the patterns ``sig`` matches, in order."""
        tag, lower, dep, is_space = sig
        rest = self._rest_cache.get((tag, dep, is_space))
        if rest is None:
            rest = self._rest_cache[(tag, dep, is_space)] = [
                pos for pos in self._wordless if _matches(self._single[pos][1], sig)
            ]
        found = [pos for pos in self._by_word.get(lower, ()) if _matches(self._single[pos][1], sig)]
        found += [pos for pos in self._other if _matches(self._single[pos][1], sig)]
        return sorted(rest + found) if found else rest

    def _merged(self, sig: tuple[str, str, str, bool]) -> dict[Any, Any] | None:
        if sig in self._cache:
            return self._cache[sig]
        merged: dict[Any, Any] = {}
        for pos in self._single_matches(sig):
            merged.update(self._attrs[self._single[pos][0]])
        got = self._cache[sig] = merged or None
        return got

    def _starts_multi(self, sig: tuple[str, str, str, bool]) -> bool:
        got = self._may_start.get(sig)
        if got is None:  # an empty spec ({} for unsupported keys) matches anything: stay exact
            got = self._may_start[sig] = any(_matches(f, sig) for f in self._multi_first)
        return got

    def __call__(self, doc: Any) -> Any:
        extra: dict[int, list[int]] = {}
        sigs = [(t.tag_, t.lower_, t.dep_, t.is_space) for t in doc]
        if self._multi_first and any(self._starts_multi(sig) for sig in sigs):
            for match_id, start, end in self._multi(doc, allow_missing=True):
                k = int(self._vocab.strings[match_id])
                idx = self._indices[k]
                pos = (start + idx) if idx >= 0 else (end + idx)
                extra.setdefault(pos, []).append(k)
        for tok, sig in zip(doc, sigs, strict=True):
            if tok.i in extra:
                own = [self._single[pos][0] for pos in self._single_matches(sig)]
                ks = sorted(own + extra[tok.i])
                for k in ks:
                    self._set(tok, self._attrs[k])
                continue
            attrs = self._merged(sig)
            if attrs:
                self._set(tok, attrs)
        return doc
