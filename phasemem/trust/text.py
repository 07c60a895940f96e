"""Text folding for matching what an attacker may have disguised.

Injected text hides from string matching with invisible characters
(zero-width spaces, joiners, soft hyphens), look-alike letters from other
scripts (Cyrillic "а" for Latin "a"), full-width or mathematical letters,
and spacing ("i g n o r e"). Two views undo that:

* :func:`fold` (and :func:`fold_map`, which also maps each folded character
  back to its position in the original): compatibility forms (NFKD) with
  accents and format characters dropped, confusable letters mapped to Latin,
  typographic quotes and dashes made ASCII (other non-ASCII punctuation,
  spaces and symbols, emoji included, become a space), casefolded.
* :func:`squash`: the fold with everything but letters and digits removed,
  for spacing tricks. Matching on it is only safe for long, specific phrases.

Pure functions, no state: both the injection detector and the poisoning
benchmark (which checks whether an injected instruction reached a prompt)
use them, so both see through the same disguises.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

#: Letters from Cyrillic and Greek that render like Latin ones (the common
#: part of Unicode's confusables list for these scripts, written out by hand).
CONFUSABLES: dict[str, str] = {
    # Cyrillic lower / upper
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h",
    "ԁ": "d", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ь": "b",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "Һ": "h", "Ԛ": "q", "Ԝ": "w",
    # Greek lower / upper
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # Latin look-alikes outside ASCII that NFKC keeps
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g",
}  # fmt: skip


#: Typographic punctuation kept as its ASCII twin (other non-ASCII
#: punctuation, spaces and symbols become a space: a word boundary).
_PUNCT = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"',
          "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
          "\u2026": "...", "\uff1a": ":", "\u00b7": "."}  # fmt: skip


def is_hidden(ch: str) -> bool:
    """Invisible when rendered: format characters (zero-width space/joiners,
    BOM, bidi controls, word joiner), soft hyphen, variation selectors."""
    if ch in "\u00ad\u034f\u180e":
        return True
    cat = unicodedata.category(ch)
    return cat == "Cf" or (cat == "Mn" and "\ufe00" <= ch <= "\ufe0f")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if is_hidden(ch):
        return ""
    out = []
    for c in unicodedata.normalize("NFKD", ch):  # compatibility forms, accents apart
        cat = unicodedata.category(c)
        if cat == "Mn":  # accents go: "précédentes" == "precedentes"
            continue
        if not c.isascii() and cat[0] in "PZS":  # typographic punctuation and spaces
            out.append(_PUNCT.get(c, " "))
            continue
        out.append(CONFUSABLES.get(c, c).casefold())
    return "".join(out)


def fold_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the
    original character it came from (to report spans in the caller's text).

    ASCII text (most chat) takes a fast path: lower-casing keeps positions."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in ch.lower() if ch.isascii() else _fold_char(ch):
            chars.append(c)
            index.append(i)
    return "".join(chars), index


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on demand: one C-level pass per text,
    Python work only for characters never seen before."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = ch.lower() if ch.isascii() else _fold_char(ch)
        if len(self) < 200_000:  # bounded: a flood of rare characters cannot grow it forever
            self[code] = out
        return out


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """NFKD without accents, hidden characters dropped, look-alikes mapped to
    Latin, casefolded (equal to ``fold_map(text)[0]``)."""
    if text.isascii():
        return text.lower()
    return text.translate(_TABLE)


def squash(text: str) -> str:
    """:func:`fold` keeping only letters and digits ("I g-n o r e" -> "ignore")."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


__all__ = ["CONFUSABLES", "fold", "fold_map", "is_hidden", "squash"]
