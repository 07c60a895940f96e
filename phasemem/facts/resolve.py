"""Entity and relation normalisation (pure functions, no storage).

Entity resolution is deliberately conservative: a wrong merge corrupts every
fact of two entities, a missed merge only splits one. We merge on a
normalised name (case, articles, punctuation, accents kept), on known
aliases, and a single first name onto the one PERSON whose full name starts
with it ("Caroline" -> "Caroline Smith") when exactly one such person exists.
"""

from __future__ import annotations

import re
import unicodedata

_DET = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
_PUNCT = re.compile(r"[^\w\s'’-]+", re.UNICODE)
_SPACE = re.compile(r"\s+")

#: Predicates that name the same state; normalised to the first form so a
#: move supersedes a "live in" and vice versa.
RELATION_SYNONYMS: dict[str, str] = {
    "move to": "live in",
    "relocate to": "live in",
    "reside in": "live in",
    "be based in": "live in",
    "work for": "work at",
    "be employ at": "work at",
    "be employed at": "work at",
    "be employed by": "work at",
    "join": "work at",
    "marry": "be married to",
    "get married to": "be married to",
    "be wed to": "be married to",
    "see": "date",
    "go out with": "date",
    "be in a relationship with": "date",
    "be from": "be born in",
    # A role is stored as "have job title", not "work as": fact ranking scores word
    # overlap with the question, and "Where does Esther work?" then matched "Esther work as
    # engineer" as well as "Esther work at Globex" (the temporal benchmark's current@1 fell
    # from 1.00 to 0.83 once "joined X as an engineer" gave the role). "job title" also
    # meets the way roles are asked about ("What's her job now?", "job title").
    "work as": "have job title",
    "be employed as": "have job title",
    "have job": "have job title",
    # Hobbies: "I've been doing yoga", "I practice judo", "I play the cello" and "I took up
    # running" all answer "what are her hobbies?"; one relation keeps them together.
    "do": "have hobby",
    "practice": "have hobby",
    "practise": "have hobby",
    "play": "have hobby",
    "take up": "have hobby",
    "have favorite hobby": "have hobby",
    "have favourite hobby": "have hobby",
}

#: Relations a subject holds with one object at a time: a new object
#: supersedes the old one (UPDATE). Every other relation is multi-valued: a
#: new object is simply added, and only an explicit negation closes one.
SINGLE_VALUED: frozenset[str] = frozenset(
    {
        "live in", "work at", "have job title", "follow diet", "use phone", "be married to", "date", "be engaged to", "be born in", "be born on",
        "be named", "study at", "go to school at", "be age", "be years old", "drive", "own car",
        "be ceo of", "be head of", "be president of", "manage", "lead", "be partner of", "play for",
        "have relationship status",
        # open attributes (extract/attributes.py): one value at a time, the latest wins
        "earn", "pay rent", "have office at", "live at", "have goal", "work on", "be on pay band",
    }
)  # fmt: skip


def norm_entity(name: str) -> str:
    text = unicodedata.normalize("NFC", name).strip()
    text = _DET.sub("", text)
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip().casefold()


def norm_relation(relation: str) -> str:
    rel = _SPACE.sub(" ", relation.strip().casefold())
    return RELATION_SYNONYMS.get(rel, rel)


_BE = {"is": "be", "are": "be", "was": "be", "were": "be", "am": "be", "been": "be", "being": "be",
       "has": "have", "had": "have", "having": "have"}  # fmt: skip


def relation_variants(relation: str) -> list[str]:
    """Forms a user-typed relation may take in the store ("lives in",
    "lived in" -> "live in"): stored relations are lemmatised by the
    extractor, so a filter tries the plausible lemmas of the first word."""
    rel = norm_relation(relation)
    head, _, rest = rel.partition(" ")
    heads = {head, _BE.get(head, head)}
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"), ("ing", ""),
                         ("ing", "e")):  # fmt: skip
        if head.endswith(suffix) and len(head) > len(suffix) + 1:
            heads.add(head[: -len(suffix)] + repl)
    out = [rel] + sorted(norm_relation(f"{h} {rest}".strip()) for h in heads if h != head)
    return list(dict.fromkeys(out))


def is_single_valued(relation: str) -> bool:
    return norm_relation(relation) in SINGLE_VALUED
