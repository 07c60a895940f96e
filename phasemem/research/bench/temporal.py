"""Temporal fact benchmark: do answers stay right as the world changes?

A seeded generator writes multi-session chat histories for many people:
they move (live in), change jobs (work at), start and end relationships
(date, break up, marry), and state facts that never change (born in,
allergic to), among small talk. Everything goes through the full pipeline
(extraction -> fact store -> ranking). Questions are asked "now" and "as of"
a past month named in the question text. Scored at rank 1 over the facts a
search returns, for phasemem and two baselines computed on the same
candidates in the same run:

* ``no_time``: similarity only (alpha forced to 0);
* ``recency``: among the five most similar facts, the newest wins.

``static_retention``: share of never-changing facts ranked first both now
and ten years later (time alone must not push them down), over the static
facts the extractor stored; ``static_missing`` counts those it did not store
(an extraction miss, not a time effect), reported separately.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from phasemem.facts.model import FactHit
from phasemem.memory import Memory
from phasemem.research.bench.stats import machine

FIRST = ["Alice", "Bruno", "Carmen", "Dmitri", "Esther", "Felix", "Gemma", "Hugo", "Irene", "Jamal", "Keiko", "Lars", "Mina", "Nadia", "Oscar", "Paula", "Rafael", "Sofia", "Tomas", "Ursula", "Vera", "Wanda", "Yusuf", "Zoe", "Anton", "Bianca", "Cyrus", "Delia", "Emil", "Flora"]  # fmt: skip
CITIES = ["Lisbon", "Berlin", "Toronto", "Nairobi", "Osaka", "Lima", "Denver", "Austin", "Krakow", "Hanoi", "Dublin", "Oslo", "Quito", "Seville", "Leeds", "Perth", "Bergen", "Bologna", "Ghent", "Turin", "Riga", "Cork", "Bilbao", "Munich", "Lyon", "Porto", "Madrid", "Vienna"]  # fmt: skip
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Industries", "Wayne Enterprises", "Tyrell Systems", "Cyberdyne", "Soylent Foods", "Hooli", "Vandelay Imports", "Pied Piper", "Aperture Science", "Massive Dynamic"]  # fmt: skip
ALLERGENS = ["peanuts", "shellfish", "penicillin", "pollen", "cats", "gluten", "latex", "bees"]
SMALL_TALK = (
    "Haha, that's so funny!", "The weather has been lovely this week.", "I watched a great movie last night.",
    "Thanks for asking, I'm doing fine.", "Let's catch up again soon!", "Coffee this morning was too strong.",
)  # fmt: skip
MOVE = (
    "I just moved to {x}!",
    "We finally relocated to {x}, the new flat is great.",
    "I live in {x} now.",
)
JOB = (
    "I started a new job at {x} this week.",
    "Big news: I joined {x} as an engineer.",
    "I work at {x} now.",
)
DATE = ("I've been dating {x} for a few weeks now.", "I'm seeing someone new, {x}.")
BREAKUP = ("{x} and I broke up.", "I broke up with {x}.")
MARRY = ("I married {x} last weekend!", "{x} and I got married on Saturday.")


@dataclass(frozen=True)
class Question:
    user: str
    text: str
    relation: str
    answer: str
    as_of: datetime | None  # None: "now"
    kind: str  # current | as_of | static


def _month(dt: datetime) -> str:
    return dt.strftime("%B %Y")


def generate(
    seed: int, people: int = 24
) -> tuple[list[tuple[str, str, datetime, str]], list[Question]]:
    """(user, speaker, time, text) episodes and the questions with answers."""
    rng = random.Random(seed)
    names = rng.sample(FIRST, people)
    start0 = datetime(2016, 1, 1, tzinfo=UTC)
    episodes: list[tuple[str, str, datetime, str]] = []
    qs: list[Question] = []
    for name in names:
        user = f"user-{name.lower()}"
        t = start0 + timedelta(days=rng.randint(0, 300))

        def say(when: datetime, text: str, user: str = user, name: str = name) -> None:
            episodes.append((user, name, when, text))

        born, allergen = rng.choice(CITIES), rng.choice(ALLERGENS)
        say(t, f"I was born in {born}, believe it or not.")
        say(t + timedelta(days=3), f"I'm allergic to {allergen}, so I always check labels.")
        qs.append(Question(user, f"Where was {name} born?", "be born in", born, None, "static"))
        qs.append(
            Question(
                user, f"What is {name} allergic to?", "be allergic to", allergen, None, "static"
            )
        )
        for slot, templates, pool, q_now, q_then in (
            (
                "live in",
                MOVE,
                [c for c in CITIES if c != born],
                "Where does {n} live?",
                "Where did {n} live in {m}?",
            ),
            ("work at", JOB, COMPANIES, "Where does {n} work?", "Where did {n} work in {m}?"),
        ):
            values = rng.sample(pool, rng.randint(2, 4))
            when = t + timedelta(days=rng.randint(10, 60))
            spans: list[tuple[str, datetime]] = []
            for v in values:
                say(when, rng.choice(templates).format(x=v))
                spans.append((v, when))
                for _ in range(rng.randint(0, 2)):
                    say(when + timedelta(days=rng.randint(1, 20)), rng.choice(SMALL_TALK))
                when += timedelta(days=rng.randint(240, 700))
            qs.append(Question(user, q_now.format(n=name), slot, spans[-1][0], None, "current"))
            for (v, began), (_, ended) in zip(spans, spans[1:], strict=False):
                mid = began + (ended - began) / 2
                if (ended - began).days > 70:  # the named month must lie inside the stay
                    qs.append(
                        Question(user, q_then.format(n=name, m=_month(mid)), slot, v, mid, "as_of")
                    )
        partners = rng.sample([n for n in FIRST if n != name], 2)
        when = t + timedelta(days=rng.randint(30, 200))
        say(when, rng.choice(DATE).format(x=partners[0]))
        say(when + timedelta(days=rng.randint(200, 400)), rng.choice(BREAKUP).format(x=partners[0]))
        wed = when + timedelta(days=rng.randint(500, 900))
        say(wed, rng.choice(MARRY).format(x=partners[1]))
        qs.append(
            Question(
                user, f"Who is {name} married to?", "be married to", partners[1], None, "current"
            )
        )
    episodes.sort(key=lambda e: (e[0], e[2]))
    return episodes, qs


def _top(hits: list[FactHit], mode: str) -> str | None:
    if not hits:
        return None
    if mode == "recency":
        best = max(hits[:5], key=lambda h: h.fact.valid_at)
        return best.fact.object
    return hits[0].fact.object


def run(seed: int = 0, people: int = 24, embedder: str | None = None) -> dict[str, Any]:
    episodes, qs = generate(seed, people)
    with tempfile.TemporaryDirectory() as tmp:
        mem = Memory(str(Path(tmp) / "temporal.db"), embedder=embedder)
        t, cpu = time.perf_counter(), time.process_time()
        by_user: dict[str, list[tuple[str, str, datetime, str]]] = {}
        for e in episodes:
            by_user.setdefault(e[0], []).append(e)
        for user, eps in by_user.items():
            mem.add([{"role": "user", "name": sp, "content": text, "occurred_at": when} for _, sp, when, text in eps],
                    user_id=user, session_id="chat")  # fmt: skip
        ingest_s, ingest_cpu = time.perf_counter() - t, time.process_time() - cpu
        assert mem.reader.facts is not None
        score: dict[str, dict[str, list[float]]] = {m: {"current": [], "as_of": [], "static": []}
                                                    for m in ("phasemem", "no_time", "recency")}  # fmt: skip
        later = datetime.now(UTC) + timedelta(days=3650)
        failures: list[dict[str, Any]] = []
        missing = 0
        for q in qs:
            if q.kind == "static" and not any(
                f.object.casefold() == q.answer.casefold()
                for f in mem.facts(user_id=q.user, relation=q.relation, include_expired=True)
            ):
                missing += 1
                continue
            tq = mem.query_time(q.text, q.as_of) if q.kind != "static" else time.time()
            qv = mem.embedder.embed_query(q.text)
            ranked = mem.reader.facts.rank(mem.store, q.user, qv, tq, 10, query_text=q.text)
            plain = mem.reader.facts.rank(
                mem.store, q.user, qv, tq, 10, use_time=False, query_text=q.text
            )
            got = {"phasemem": _top(ranked, "phasemem"), "no_time": _top(plain, "no_time"),
                   "recency": _top(plain, "recency")}  # fmt: skip
            if q.kind == "static":
                future = mem.reader.facts.rank(
                    mem.store, q.user, qv, later.timestamp(), 10, query_text=q.text
                )
                got["phasemem"] = (
                    _top(ranked, "phasemem") if _top(future, "phasemem") == q.answer else None
                )
            for m, ans in got.items():
                ok = ans is not None and ans.casefold() == q.answer.casefold()
                score[m][q.kind].append(1.0 if ok else 0.0)
            if got["phasemem"] is None or got["phasemem"].casefold() != q.answer.casefold():
                failures.append(
                    {"q": q.text, "want": q.answer, "got": got["phasemem"], "kind": q.kind}
                )
        mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else float("nan")  # noqa: E731
        out: dict[str, Any] = {"machine": machine(), "seed": seed, "people": people, "episodes": len(episodes),
                               "questions": {k: len(v) for k, v in score["phasemem"].items()},
                               "ingest_per_s": round(len(episodes) / ingest_s, 1),
                               "ingest_per_cpu_s": round(len(episodes) / ingest_cpu, 1), "static_missing": missing,
                               "facts_stored": len(mem.store.facts(next(iter(by_user)), include_expired=True))}  # fmt: skip
        for m, parts in score.items():
            out[m] = {"current_at1": mean(parts["current"]), "as_of_at1": mean(parts["as_of"]),
                      "static_retention": mean(parts["static"])}  # fmt: skip
        out["failures"] = failures[:30]
        mem.close()
        return out
