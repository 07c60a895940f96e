"""temporal_chat benchmark: time-dependent questions over multi-session chats.

The data (``../shared/data/temporal_chat/dev30.json``; a hidden split is
scored the same way) and its protocol are described in that folder's
``SOURCE.md``. This module implements the protocol exactly:

* one fresh store per case; each session is one ``add`` call of its turns as
  chat messages (``role`` "assistant" for the Assistant, else "user"; ``name``
  the speaker), ``user_id`` = the case id, ``session_id`` = ``s<n>``,
  ``occurred_at`` = the session date;
* each question: ``search(q, user_id=case, limit=25)``, with ``as_of`` = the
  question's date at 12:00 UTC when it has one (else "now", the real time);
* a question counts at ``k`` when its answer or an alias is a case-insensitive
  substring of one of the top ``k`` texts: the ranked episodes' text
  (``episodes@k``) and the ranked facts' "subject relation object" text
  (``facts@k``), by kind (current, as_of, static).

Baselines, computed in the same run over the same turns (SOURCE.md's
description): plain BM25 + MiniLM reciprocal-rank fusion over
``"[date] speaker: text"`` documents with no time awareness beyond the
protocol's ``as_of`` filter (``rrf``), and that list's top 20 re-sorted newest
first (``recency``).

Splits: ``dev`` (20 cases) for tuning, ``val`` (10 cases: every third case in
id order, i.e. positions 2, 5, 8, ... of the sorted ids) held out from tuning,
``all``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.errors import InvalidInputError
from phasemem.research.bench.stats import machine, percentiles
from phasemem.retrieval.config import RetrievalConfig
from phasemem.store.schema import FTS_TOKENIZE
from phasemem.store.sqlite import fts_or as or_match
from phasemem.text import unique_terms
from phasemem.timeutil import to_ts

KINDS = ("current", "as_of", "static")
SPLITS = ("dev", "val", "all")
#: how many of the RRF list the recency baseline re-sorts (SOURCE.md)
RECENCY_TOP = 20
#: the protocol's search limit
LIMIT = 25


@dataclass(frozen=True, slots=True)
class Turn:
    session: int  # 1-based
    date: str  # the session's ISO date-time
    speaker: str
    text: str

    @property
    def role(self) -> str:
        return "assistant" if self.speaker == "Assistant" else "user"

    @property
    def document(self) -> str:
        """What the baselines index: ``[date] speaker: text``."""
        return f"[{self.date[:10]}] {self.speaker}: {self.text}"


@dataclass(frozen=True, slots=True)
class Question:
    q: str
    kind: str
    as_of: str | None
    answers: tuple[str, ...]  # the answer first, then its aliases
    evidence_session: int | None

    def found_in(self, text: str) -> bool:
        low = text.casefold()
        return any(a.casefold() in low for a in self.answers if a)

    @property
    def as_of_ts(self) -> float | None:
        """The protocol's ``as_of``: the date at 12:00 UTC."""
        if self.as_of is None:
            return None
        day = datetime.fromisoformat(self.as_of[:10]).date()
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    user: str
    sessions: tuple[tuple[str, tuple[Turn, ...]], ...]  # (date, turns) in order
    questions: tuple[Question, ...]

    @property
    def turns(self) -> list[Turn]:
        return [t for _, ts in self.sessions for t in ts]


def load(path: str | Path) -> list[Case]:
    """Read a temporal_chat file (``{"cases": [...]}`` or a bare list)."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}", path=str(path)) from exc
    raw = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise InvalidInputError(f"{path}: expected a list of cases under 'cases'", path=str(path))
    cases = []
    try:
        for c in raw:
            sessions = []
            for n, s in enumerate(c["sessions"], 1):
                turns = tuple(
                    Turn(n, str(s["date"]), str(t["speaker"]), str(t["text"])) for t in s["turns"]
                )
                sessions.append((str(s["date"]), turns))
            qs = tuple(
                Question(
                    q=str(q["q"]),
                    kind=str(q["kind"]),
                    as_of=q.get("as_of"),
                    answers=(str(q["answer"]), *map(str, q.get("answer_aliases") or [])),
                    evidence_session=q.get("evidence_session"),
                )
                for q in c["questions"]
            )
            cases.append(Case(str(c["id"]), str(c.get("user", "")), tuple(sessions), qs))
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path}: not in temporal_chat format ({exc!r})") from exc
    for case in cases:
        for q in case.questions:
            if q.kind not in KINDS:
                raise InvalidInputError(f"{case.id}: unknown question kind {q.kind!r}")
    return cases


def split(cases: Sequence[Case], which: str) -> list[Case]:
    """``val``: every third case by id order (positions 2, 5, 8, ...);
    ``dev``: the others; ``all``: every case."""
    if which not in SPLITS:
        raise InvalidInputError(f"split must be one of {SPLITS}, got {which!r}", field="split")
    ordered = sorted(cases, key=lambda c: c.id)
    if which == "all":
        return ordered
    held = {c.id for i, c in enumerate(ordered) if i % 3 == 2}
    return [c for c in ordered if (c.id in held) == (which == "val")]


def ingest(mem: Any, case: Case) -> None:
    for n, (date, turns) in enumerate(case.sessions, 1):
        msgs = [{"role": t.role, "name": t.speaker, "content": t.text} for t in turns]
        mem.add(msgs, user_id=case.id, session_id=f"s{n}", occurred_at=date)


def first_rank(texts: Sequence[str], q: Question) -> int | None:
    """1-based rank of the first text containing the answer, or None."""
    for i, text in enumerate(texts, 1):
        if q.found_in(text):
            return i
    return None


# -- baselines ----------------------------------------------------------------------
class PlainRRF:
    """BM25 (SQLite FTS5, the store's tokenizer) + dense cosine, fused by
    reciprocal rank (k = 60), over one case's ``[date] speaker: text`` turns."""

    def __init__(self, turns: Sequence[Turn], embedder: Any, rrf_k: float = 60.0) -> None:
        self.turns = list(turns)
        self.times = np.array([to_ts(t.date) for t in self.turns])
        self.rrf_k = rrf_k
        self.embedder = embedder
        docs = [t.document for t in self.turns]
        self.vectors = np.asarray(embedder.embed(docs), dtype=np.float32)
        self.db = sqlite3.connect(":memory:")
        self.db.execute(f"CREATE VIRTUAL TABLE d USING fts5(text, tokenize='{FTS_TOKENIZE}')")
        self.db.executemany("INSERT INTO d(rowid, text) VALUES (?, ?)", enumerate(docs))

    def close(self) -> None:
        self.db.close()

    def rank(self, query: str, as_of: float | None = None) -> list[int]:
        """Turn indices, best first; with ``as_of``, turns after it are left
        out (the protocol's filter, which every system gets)."""
        allowed = np.ones(len(self.turns), bool) if as_of is None else self.times <= as_of
        match = or_match(unique_terms(query))
        lex: list[int] = []
        if match:
            rows = self.db.execute(
                "SELECT rowid FROM d WHERE d MATCH ? ORDER BY bm25(d)", (match,)
            ).fetchall()
            lex = [r[0] for r in rows if allowed[r[0]]]
        cos = self.vectors @ np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        dense = [int(i) for i in np.argsort(-cos, kind="stable") if allowed[i]]
        score: dict[int, float] = {}
        for ranked in (lex, dense):
            for r, i in enumerate(ranked, 1):
                score[i] = score.get(i, 0.0) + 1.0 / (self.rrf_k + r)
        return sorted(score, key=lambda i: (-score[i], i))

    def recency(self, ranked: Sequence[int], top: int = RECENCY_TOP) -> list[int]:
        """The first ``top`` re-sorted newest first (a stable sort: turns of
        one session keep their RRF order), then the rest in their order.
        Breaking ties by turn order instead (a session's last turn first)
        sends the Assistant's closing remark to the top: as_of@1 0.02 on dev."""
        head = sorted(ranked[:top], key=lambda i: -self.times[i])
        return head + list(ranked[top:])


# -- the run ------------------------------------------------------------------------
def _shape(ranks: Mapping[str, list[int | None]], ks: Sequence[int]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        rs = ranks.get(kind, [])
        out[kind] = {
            str(k): round(sum(1 for r in rs if r is not None and r <= k) / len(rs), 4)
            if rs
            else float("nan")
            for k in ks
        }
    return out


def run(
    path: str | Path,
    ks: Sequence[int] = (1, 5),
    *,
    which: str = "all",
    cases: Sequence[str] | None = None,
    configs: Mapping[str, RetrievalConfig | None] | None = None,
    embedder: str | None = None,
    extractor: Any = "default",
    baselines: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Score every case of the split (or the named ``cases``). ``configs``:
    named retrieval settings, each searched on the same stores; the first is
    the reported system, the others go under ``variants``. ``extractor``: as
    for :class:`~phasemem.memory.Memory` (None: no facts; tests)."""
    from phasemem.memory import Memory

    chosen = split(load(path), which)
    if cases:
        wanted = set(cases)
        chosen = [c for c in chosen if c.id in wanted]
        missing = wanted - {c.id for c in chosen}
        if missing:
            raise InvalidInputError(f"cases not in the {which} split: {sorted(missing)}")
    configs = dict(configs or {"phasemem": None})
    ks = sorted(set(ks))
    kmax = max(ks)
    names = list(configs)
    ep_ranks = {n: {k: [] for k in KINDS} for n in names}  # type: dict[str, dict[str, list[int | None]]]
    fact_ranks = {n: {k: [] for k in KINDS} for n in names}  # type: dict[str, dict[str, list[int | None]]]
    base_ranks = {b: {k: [] for k in KINDS} for b in ("rrf", "recency")}  # type: dict[str, dict[str, list[int | None]]]
    lat: dict[str, list[float]] = {n: [] for n in names}
    per_question: list[dict[str, Any]] = []
    total = sum(len(c.questions) for c in chosen)
    t_start = time.perf_counter()
    for case in chosen:
        mem = Memory(":memory:", embedder=embedder, extractor=extractor)
        try:
            ingest(mem, case)
            base = PlainRRF(case.turns, mem.embedder) if baselines else None
            turns = case.turns
            for q in case.questions:
                row: dict[str, Any] = {"case": case.id, "q": q.q, "kind": q.kind,
                                       "as_of": q.as_of, "answer": q.answers[0]}  # fmt: skip
                for name, cfg in configs.items():
                    t = time.perf_counter()
                    res = mem.search(q.q, user_id=case.id, limit=LIMIT, as_of=q.as_of_ts,
                                     config=cfg)  # fmt: skip
                    lat[name].append((time.perf_counter() - t) * 1000)
                    texts = [h.episode.text for h in res.hits]
                    ftexts = [f.fact.text for f in res.facts]
                    er, fr = first_rank(texts[:kmax], q), first_rank(ftexts[:kmax], q)
                    ep_ranks[name][q.kind].append(er)
                    fact_ranks[name][q.kind].append(fr)
                    prefix = "" if name == names[0] else f"{name}_"
                    row[f"{prefix}episode_rank"] = er
                    row[f"{prefix}fact_rank"] = fr
                    row[f"{prefix}top1"] = texts[0] if texts else None
                    if not prefix:
                        row["top1_fact"] = ftexts[0] if ftexts else None
                if base is not None:
                    ranked = base.rank(q.q, q.as_of_ts)
                    for b, order in (("rrf", ranked), ("recency", base.recency(ranked))):
                        r = first_rank([turns[i].text for i in order[:kmax]], q)
                        base_ranks[b][q.kind].append(r)
                        row[f"{b}_rank"] = r
                    row["rrf_top1"] = turns[ranked[0]].document if ranked else None
                per_question.append(row)
                if progress:
                    progress(1, total)
            if base is not None:
                base.close()
        finally:
            mem.close()
    first = names[0]
    out: dict[str, Any] = {
        "machine": machine(),
        "data": str(path),
        "split": which,
        "cases": [c.id for c in chosen],
        "questions": sum(len(c.questions) for c in chosen),
        "questions_by_kind": {k: len(ep_ranks[first][k]) for k in KINDS},
        "episodes": _shape(ep_ranks[first], ks),
        "facts": _shape(fact_ranks[first], ks),
        "search_ms": percentiles(lat[first]),
    }
    if baselines:
        out["baselines"] = {b: _shape(r, ks) for b, r in base_ranks.items()}
    if len(names) > 1:
        out["variants"] = {
            n: {
                "episodes": _shape(ep_ranks[n], ks),
                "facts": _shape(fact_ranks[n], ks),
                "search_ms": percentiles(lat[n]),
            }  # fmt: skip
            for n in names[1:]
        }
    out["wall_s"] = round(time.perf_counter() - t_start, 1)
    out["per_question"] = per_question
    return out
