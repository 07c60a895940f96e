"""Scale benchmark: ingest rate, search latency, bytes and memory at N episodes.

Episodes are synthetic but shaped like chat turns (names, places, plans,
feelings, dates) from a seeded generator, all in ONE user scope by default (the
worst case: every search sees all N), or spread over ``users`` scopes (a
service for many users: each search sees one of them). SQLite by default, or
PostgreSQL (``db``). Each N runs in a fresh subprocess so peak RSS
is that N's own. Baselines in the same run and the same database: BM25 alone
and dense alone; plus the recall@10 of the dense index against exact
brute-force cosine (the binary pre-filter is approximate above 8,192 rows).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.memory import Memory
from phasemem.research.bench.stats import machine, peak_rss_mb, percentiles
from phasemem.retrieval.config import RetrievalConfig
from phasemem.store.sqlite import SQLiteStore

NAMES = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam", "Mara", "Nico", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wen", "Xavi", "Yara", "Zane", "Alba", "Bruno", "Cleo", "Dario"]  # fmt: skip
PLACES = ["Lisbon", "Porto", "Berlin", "Toronto", "Nairobi", "Osaka", "Lima", "Denver", "Austin", "Krakow", "Hanoi", "Dublin", "Oslo", "Quito", "Seville", "Tunis", "Leeds", "Perth", "Cusco", "Bergen", "Malmo", "Bologna", "Graz", "Ghent", "Turin", "Split", "Riga", "Tartu", "Cork", "Bilbao"]  # fmt: skip
THINGS = ["pottery class", "marathon training", "sourdough starter", "guitar lessons", "garden beds", "book club", "chess tournament", "camping trip", "job interview", "piano recital", "new apartment", "vegan recipes", "bike repair", "photography course", "volunteer shift", "swimming lessons", "birthday party", "art exhibition", "coding bootcamp", "yoga retreat", "family dinner", "road trip", "science fair", "charity run", "dog adoption", "wedding plans", "salsa classes", "kayak tour", "film festival", "language exchange"]  # fmt: skip
FEEL = [
    "excited",
    "nervous",
    "proud",
    "tired",
    "grateful",
    "curious",
    "relieved",
    "thrilled",
    "anxious",
    "happy",
]
TEMPLATES = (
    "I went to the {t} in {p} with {n} last {d} and it was amazing.",
    "{n} told me about the {t}; I feel {f} about trying it next {d}.",
    "We finally booked the {t} in {p} for next {d}, I'm so {f}!",
    "My friend {n} moved to {p} and started a {t} there.",
    "Honestly the {t} made me {f}, but {n} helped a lot.",
    "Did you know {n} grew up in {p}? We talked about the {t} for hours.",
    "I've been {f} since the {t} last {d}; {p} was the perfect place for it.",
    "Can't stop thinking about the {t} - {n} says {p} has a great one too.",
)
QUERIES = (
    "When did I go to the {t} in {p}?",
    "What did {n} say about the {t}?",
    "Who moved to {p}?",
    "How did I feel about the {t}?",
    "where is the {t} {n} mentioned",
)
DAYS = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "week",
    "month",
    "weekend",
    "summer",
    "winter",
]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(n=rng.choice(NAMES), p=rng.choice(PLACES), t=rng.choice(THINGS),
                           f=rng.choice(FEEL), d=rng.choice(DAYS))  # fmt: skip


def episodes(n: int, seed: int = 7) -> list[tuple[str, str, datetime]]:
    rng = random.Random(seed)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    return [
        (_fill(rng, rng.choice(TEMPLATES)), f"s{i // 20}", start + timedelta(minutes=17 * i))
        for i in range(n)
    ]


def _schema_url(db: str, n: int) -> str:
    """``db`` with a schema of this N's own (``<schema or "scale">_<n>``): each
    run starts from an empty store."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(db)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["schema"] = f"{query.get('schema', 'scale')}_{n}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _batches(n: int, users: int, batch: int) -> list[tuple[int, int, str]]:
    """``(start, end, user)``: each user owns a contiguous block of about
    ``n / users`` episodes; a batch never spans two users (one add is one user)."""
    out = []
    for u in range(users):
        lo, hi = u * n // users, (u + 1) * n // users
        for i in range(lo, hi, batch):
            out.append((i, min(hi, i + batch), "bench" if users == 1 else f"u{u}"))
    return out


def run_one(
    n: int, queries: int = 200, batch: int = 500, embedder: str | None = None, facts: bool = True,
    db: str | None = None, users: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """One N: ingest, then searches. ``db``: a PostgreSQL URL (a fresh schema
    per N) instead of a temporary SQLite file. ``users``: the episodes are
    spread over that many user scopes and each query asks one of them at
    random (1: one scope holding everything, the worst case of one store)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _schema_url(db, n) if db else str(Path(tmp) / "scale.db")
        mem = Memory(path, embedder=embedder, extractor="default" if facts else None)
        eps = episodes(n)
        t, cpu = time.perf_counter(), time.process_time()
        for lo, hi, user in _batches(n, users, batch):
            chunk = eps[lo:hi]
            msgs = [
                {"role": "user", "content": text, "occurred_at": when} for text, _, when in chunk
            ]
            mem.add(msgs, user_id=user, session_id=chunk[0][1])
        ingest_s, ingest_cpu = time.perf_counter() - t, time.process_time() - cpu
        if isinstance(mem.store, SQLiteStore):  # sizes measured with the WAL folded in
            mem.store.checkpoint()
            size = sum(
                f.stat().st_size for f in Path(tmp).iterdir() if f.name.startswith("scale.db")
            )
        else:  # every table of the schema with its indexes and TOAST
            size = int(mem.store.health()["bytes"])
        rng = random.Random(11)
        qs = [_fill(rng, rng.choice(QUERIES)) for _ in range(queries)]
        who = ["bench" if users == 1 else f"u{rng.randrange(users)}" for _ in qs]
        mem.search("warm up", user_id=who[0])
        out: dict[str, Any] = {
            "n": n,
            "users": users,
            "backend": "postgresql" if db else "sqlite",
            "facts": facts,
            "ingest_per_s": round(n / ingest_s, 1),
            "ingest_per_cpu_s": round(n / ingest_cpu, 1),
            "bytes_per_episode": round(size / n, 1),
        }
        plain = RetrievalConfig(speaker_boost=0.0, time_boost=0.0, neighbours=0)
        for name, cfg in {"phasemem": None, "bm25_only": plain.with_(dense=False),
                          "dense_only": plain.with_(lexical=False)}.items():  # fmt: skip
            lat, cpu_lat = [], []
            for q, user in zip(qs, who, strict=True):
                t, c = time.perf_counter(), time.process_time()
                mem.search(q, user_id=user, limit=10, config=cfg)
                lat.append((time.perf_counter() - t) * 1000)
                cpu_lat.append((time.process_time() - c) * 1000)
            key = "search" if name == "phasemem" else f"{name}_search"
            out[f"{key}_ms"] = percentiles(lat)
            out[f"{key}_cpu_ms"] = percentiles(cpu_lat)
        if users == 1:  # per-user scopes are small: scored exactly by every backend
            ids, by_score = _dense_recall(mem, qs[:50])
            out["dense_recall_at10_vs_exact"] = ids
            out["dense_score_recall_at10_vs_exact"] = by_score
        mem.close()
        # the same store through a handle with the in-memory BM25 index (what the server uses)
        t = time.perf_counter()
        mem = Memory(path, embedder=embedder, extractor="default" if facts else None,
                     lexical_index=True)  # fmt: skip
        out["lexical_index_open_s"] = round(time.perf_counter() - t, 2)
        mem.wait_for_lexical_index()  # built in the background; measure searches that use it
        out["lexical_index_build_s"] = round(time.perf_counter() - t, 2)
        mem.search("warm up", user_id=who[0])
        lat, cpu_lat = [], []
        for q, user in zip(qs, who, strict=True):
            t, c = time.perf_counter(), time.process_time()
            mem.search(q, user_id=user, limit=10)
            lat.append((time.perf_counter() - t) * 1000)
            cpu_lat.append((time.process_time() - c) * 1000)
        out["search_lexical_index_ms"] = percentiles(lat)
        out["search_lexical_index_cpu_ms"] = percentiles(cpu_lat)
        out["peak_rss_mb"] = peak_rss_mb()
        mem.close()
        return out


def _dense_recall(mem: Memory, qs: list[str]) -> tuple[float, float]:
    """``(id recall, score recall)`` of the index's top-10 against exact scoring.

    Id recall: overlap with the exact top-10 rows. Score recall: share of the
    returned rows scoring at least the exact 10th score. They differ when rows
    tie (the synthetic corpus repeats texts, so many rows share a vector): then
    the exact top-10 is one arbitrary choice among equals, which only the
    second measure ignores."""
    from phasemem.scope import EpisodeFilter

    idx = mem.mirror.vectors
    n = idx._n
    full = idx.codes[:n].astype(np.float32) * idx.scales[:n, None]
    hits = good = 0
    for q in qs:
        v = mem.embedder.embed_query(q)
        scores = full @ v
        order = np.argsort(-scores)[:10]
        kth = float(scores[order[-1]])
        got = idx.search(v, EpisodeFilter("bench"), 10)
        hits += len(set(idx.seqs[order].tolist()) & {s for s, _ in got})
        good += sum(1 for _, s in got if s >= kth - 1e-6)
    return round(hits / (10 * len(qs)), 4), round(good / (10 * len(qs)), 4)


def run(
    ns: list[int], queries: int = 200, embedder: str | None = None, facts: bool = True,
    db: str | None = None, users: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """Each N in its own process, so peak RSS and caches are per N."""
    runs = []
    for n in ns:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            out = fh.name
        kwargs = {"n": n, "queries": queries, "embedder": embedder, "facts": facts, "db": db,
                  "users": users}  # fmt: skip
        cmd = [sys.executable, "-m", "phasemem.research.bench.scale", out, json.dumps(kwargs)]
        subprocess.run(cmd, check=True)
        runs.append(json.loads(Path(out).read_text()))
        os.unlink(out)
    return {"machine": machine(), "runs": runs}


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(run_one(**json.loads(sys.argv[2]))))
