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
  them). Nothing is dropped; only that order changes;
* **evidence lift**: when the top fact is one the question can trust more
  than the episode ranker's first turn (:func:`lift_evidence`: it holds at
  the query's time, is of the kind the question asks for and about the person
  it names, and no later turn ranks first while its version is open-ended),
  the turn that states it, the best-ranked of its source episodes or their
  session neighbours that names the fact's value, goes first. Measured on
  the temporal_chat dev split: when this holds the top fact was right more
  often than the top episode (as-of questions 15 of 19 vs 11 of 19).

Pure functions over the two lists (the slot's versions and the fact's
source episodes come in as data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from phasemem.facts.focus import asked_kinds, base_name
from phasemem.facts.model import Fact, FactHit
from phasemem.models import Episode, SearchHit
from phasemem.retrieval.evidence import CALENDAR_WORDS, announces_change
from phasemem.trust.consensus import mentions

#: how much later than a fact's latest source a turn must be to count as news
#: the fact graph may have missed (turns of one sitting are minutes apart)
LATER = 43200.0


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


_WORD = re.compile(r"[^\W\d_][\w-]*(?:['’]s?(?!\w))?")


def asked_name(query: str) -> str | None:
    """The person a question asks about (casefolded), from its capitalised
    words: the last one not followed by "'s" ("What does Rosa's husband Mike
    drive?" asks about Mike), else the last possessor ("What's Grace's job?");
    the question's first word, acronyms and month or day names are not names."""
    plain: str | None = None
    owner: str | None = None
    for i, m in enumerate(_WORD.finditer(query)):
        word = m.group(0)
        core = re.sub(r"['’]s?$", "", word)
        if i == 0 or not core[:1].isupper() or core.isupper() or core.casefold() in CALENDAR_WORDS:
            continue
        if core != word:
            owner = core.casefold()
        else:
            plain = core.casefold()
    return plain or owner


def names_value(text: str, value: str) -> bool:
    """Whether ``text`` names ``value`` as whole words, ignoring case (an empty
    value is named nowhere)."""
    value = value.strip()
    return bool(value) and mentions(text, value)


def asks_for_relation(query: str, top: Fact) -> bool:
    """Whether the question asks for ``top``'s relation by its noun after the
    subject's possessive: "the name of Grace's sister" asks for "Grace have
    sister ..." (kin and pets are "have <noun>" relations, which the
    question-word table does not list one by one)."""
    words = top.relation.split()
    if len(words) != 2 or words[0] != "have":
        return False
    owner = re.escape(base_name(top.subject))
    noun = re.escape(words[1])
    pattern = rf"(?<!\w){owner}['’]s?\s+(?:\w+\s+)?{noun}(?!\w)"
    return re.search(pattern, query, flags=re.IGNORECASE) is not None


def fact_asked(
    query: str, top: Fact, t_query: float, *, family: Callable[[Fact], str] = lambda f: f.relation
) -> str | None:
    """The checks of :func:`trust_fact` that need no episode: why ``top`` is not
    the answer the question asks for, or None. A caller runs them before it
    reads the fact's source episodes."""
    if not top.holds_at(t_query):
        return "does not hold at the query's time"
    kinds = asked_kinds(query)
    if not any(k.search(family(top)) for k in kinds) and not asks_for_relation(query, top):
        return "not the kind the question asks for"
    if names_value(query, top.object):
        return "the question names its value"
    name = asked_name(query)
    subject = base_name(top.subject)
    if name is None or (name != subject and name not in subject.split()):
        return "not about the person asked about"
    return None


#: Relations that change together: a job title and an employer, a home and a planned move,
#: a partner and a relationship status (words of the extractor's relation names).
_TOPICS = (
    ("work", "job", "volunteer", "retire"),
    ("live", "move", "stay"),
    ("date", "married", "engaged", "relationship", "partner", "single", "divorce"),
    ("study", "degree"),
)


def same_topic(a: str, b: str) -> bool:
    """Whether two relations are about the same part of a life (:data:`_TOPICS`)."""
    wa, wb = set(a.split()), set(b.split())
    return any(wa & set(t) and wb & set(t) for t in _TOPICS)


def trust_fact(
    query: str,
    top: Fact,
    t_query: float,
    evidence: Sequence[Episode],
    first: Episode | None,
    *,
    timeless: bool,
    family: Callable[[Fact], str] = lambda f: f.relation,
    read_from_first: Sequence[Fact] = (),
) -> str | None:
    """Why the top fact is not to be trusted over the episode ranker's
    ``first`` turn, or None when it is. It must hold at ``t_query``, be of a
    kind the question asks for (``family(top)`` against
    :func:`~phasemem.facts.focus.asked_kinds`, or :func:`asks_for_relation`),
    about the person it names (:func:`asked_name`), not a value the question
    itself names, and have a source episode the read may see
    (``evidence``). And unless the question is timeless (born, grew up) or
    the fact's end is known (the graph saw the change), ``first`` must not be
    a turn from later than its sources that announces a change
    (:func:`~phasemem.retrieval.evidence.announces_change`): it may state a
    new value the facts missed (dev: every current question the lift cost
    without this check was such a stale fact, and such a turn). A change the
    graph read from ``first`` (``read_from_first``: facts it is a source of),
    all of other kinds than the top fact's, is understood and blocks nothing
    ("Omar and Ines got married! They live in Stuttgart now" says nothing new
    about where Omar works)."""
    why = fact_asked(query, top, t_query, family=family)
    if why is not None:
        return why
    if not evidence:
        return "no source episode the read may see"
    latest = max(e.occurred_at for e in evidence)
    understood = bool(read_from_first) and not any(
        family(f) == family(top) or same_topic(f.relation, top.relation) for f in read_from_first
    )
    if (not timeless and top.invalid_at is None and first is not None and not understood
            and first.occurred_at > latest + LATER and announces_change(first.text)):  # fmt: skip
        return "a later turn that announces a change ranks first"
    return None


def lift_evidence(
    hits: Sequence[SearchHit], top: Fact, evidence: Sequence[Episode]
) -> tuple[list[SearchHit], str | None]:
    """``hits`` with the turn that states ``top`` first: the best-ranked hit
    that names its object and is one of its source episodes (``evidence``) or
    in one's session within :data:`LATER` of it (a question and its answer are
    two turns: "Did you grow up in Sapporo?" / "Born and raised"); else a
    source episode not among the hits that names it, added first (scored as
    the last hit). Returns the new order and the lifted episode's id (None:
    no such turn, or it is first already). Nothing is dropped."""
    ids = {e.id for e in evidence}
    near = [(e.session_id, e.occurred_at) for e in evidence if e.session_id is not None]

    def states(ep: Episode) -> bool:
        if not names_value(ep.text, top.object):
            return False
        return ep.id in ids or any(
            ep.session_id == s and abs(ep.occurred_at - t) <= LATER for s, t in near
        )

    at = next((i for i, h in enumerate(hits) if states(h.episode)), None)
    if at is not None:
        if at == 0:
            return list(hits), None
        return [hits[at], *hits[:at], *hits[at + 1 :]], hits[at].episode.id
    have = {h.episode.id for h in hits}
    extra = next((e for e in evidence if e.id not in have and names_value(e.text, top.object)),
                 None)  # fmt: skip
    if extra is None:
        return list(hits), None
    floor = min((h.score for h in hits), default=0.0)
    return [SearchHit(extra, floor, {"fused": floor}, "agree"), *hits], extra.id


__all__ = [
    "LATER",
    "asked_name",
    "asks_for_relation",
    "demote_stale",
    "evidence_of",
    "fact_asked",
    "lift_evidence",
    "names_value",
    "rerank_facts",
    "trust_fact",
]
