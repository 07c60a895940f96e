"""LoCoMo evidence-recall benchmark (any file in LoCoMo's JSON format).

Protocol (DESIGN.md section 8): each conversation is one ``user_id``; every
turn becomes one episode with its speaker's name, its session's date as
``occurred_at`` (plus one minute per turn, so turns keep their order) and its
``dia_id`` in metadata. For each question with evidence we search top-k and
score recall = share of its evidence dia_ids among the hits, per category and
overall. Shared photos are kept as the turn's caption text ("[photo: ...]"),
since that is what a chat agent would have seen; ``--no-captions`` drops it.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from phasemem.errors import InvalidInputError
from phasemem.memory import Memory
from phasemem.research.bench.stats import machine, percentiles
from phasemem.retrieval.config import RetrievalConfig
from phasemem.timeutil import to_utc

_DIA = re.compile(r"D\d+:\d+")


def load(path: str | Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"cannot read LoCoMo file {path}: {exc}", path=str(path)) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(
        isinstance(s, dict) and "conversation" in s for s in data
    ):
        raise InvalidInputError(
            f"{path} is not in LoCoMo format (a list of samples with 'conversation')"
        )
    return data


def sessions(conv: dict[str, Any]) -> list[tuple[int, str, list[dict[str, Any]]]]:
    """(number, date string, turns) in session order."""
    out = []
    for key, turns in conv.items():
        m = re.fullmatch(r"session_(\d+)", key)
        if m and isinstance(turns, list):
            out.append((int(m.group(1)), conv.get(f"{key}_date_time", ""), turns))
    return sorted(out)


def turn_text(turn: dict[str, Any], captions: bool) -> str:
    text = turn.get("text", "").strip()
    if captions and turn.get("blip_caption"):
        text = f"{text} [photo: {turn['blip_caption']}]".strip()
    return text


def ingest(mem: Memory, sample: dict[str, Any], captions: bool) -> int:
    user = str(sample.get("sample_id", "conv"))
    n = 0
    for num, date, turns in sessions(sample["conversation"]):
        start = to_utc(date, field=f"session_{num}_date_time")
        msgs = []
        for i, t in enumerate(turns):
            text = turn_text(t, captions)
            if not text:
                continue
            msgs.append({"name": t.get("speaker"), "content": text, "occurred_at": start + timedelta(minutes=i),
                         "metadata": {"dia_id": t.get("dia_id")}})  # fmt: skip
        if msgs:
            n += len(mem.add(msgs, user_id=user, session_id=f"session_{num}", source="locomo"))
    return n


def evidence_ids(qa: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for e in qa.get("evidence") or []:
        ids.update(_DIA.findall(str(e)))
    return ids


def token_counter(mem: Memory) -> Callable[[str], int]:
    counter = getattr(mem.embedder, "token_count", None)
    if counter is not None:
        return counter
    return lambda s: len(re.findall(r"\w+|[^\w\s]", s))


def evaluate(
    mem: Memory,
    data: Sequence[dict[str, Any]],
    ks: Sequence[int],
    config: RetrievalConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    kmax = max(ks)
    count_tokens = token_counter(mem)
    rec: dict[int, list[float]] = defaultdict(list)
    by_cat: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    tokens: dict[int, list[int]] = defaultdict(list)
    lat: list[float] = []
    cpu_lat: list[float] = []
    for sample in data:
        user = str(sample.get("sample_id", "conv"))
        for qa in sample.get("qa", []):
            ev = evidence_ids(qa)
            if not ev or not str(qa.get("question", "")).strip():
                continue
            t, c = time.perf_counter(), time.process_time()
            res = mem.search(qa["question"], user_id=user, limit=kmax, config=config)
            lat.append((time.perf_counter() - t) * 1000)
            cpu_lat.append((time.process_time() - c) * 1000)
            if progress:
                progress(1)
            ids = [h.episode.metadata.get("dia_id") for h in res]
            texts = [h.episode.text for h in res]
            for k in ks:
                r = len(ev & set(ids[:k])) / len(ev)
                rec[k].append(r)
                by_cat[str(qa.get("category"))][k].append(r)
                tokens[k].append(sum(count_tokens(x) for x in texts[:k]))
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else float("nan")  # noqa: E731
    return {
        "recall": {str(k): mean(rec[k]) for k in ks},
        "recall_by_category": {
            c: {str(k): mean(v[k]) for k in ks} for c, v in sorted(by_cat.items())
        },
        "questions_by_category": {c: len(v[ks[0]]) for c, v in sorted(by_cat.items())},
        "questions": len(rec[ks[0]]),
        "context_tokens_mean": {
            str(k): round(sum(tokens[k]) / max(1, len(tokens[k])), 1) for k in ks
        },
        "search_ms": percentiles(lat),
        "search_cpu_ms": percentiles(cpu_lat),
    }


def run(
    path: str | Path,
    ks: Sequence[int] = (5, 10, 25),
    *,
    configs: dict[str, RetrievalConfig | None] | None = None,
    embedder: str | None = None,
    captions: bool = True,
    db: str | None = None,
    embed_context: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Ingest once, then evaluate each named config on the same database.
    ``progress(stage, done_increment, total)`` reports turns, then questions."""
    data = load(path)
    configs = configs or {"phasemem": None}
    with tempfile.TemporaryDirectory() as tmp:
        mem = Memory(
            db or str(Path(tmp) / "locomo.db"), embedder=embedder, embed_context=embed_context
        )
        try:
            t, cpu = time.perf_counter(), time.process_time()
            total_turns = sum(len(t) for s in data for _, _, t in sessions(s["conversation"]))
            turns = 0
            for s in data:
                n = ingest(mem, s, captions)
                turns += n
                if progress:
                    progress("ingest", n, total_turns)
            ingest_s, ingest_cpu = time.perf_counter() - t, time.process_time() - cpu
            out: dict[str, Any] = {"machine": machine(), "data": str(path), "embedder": mem.embedder.name, "db": mem.path if db else "sqlite (temporary file)",
                                   "turns": turns, "captions": captions, "embed_context": embed_context}  # fmt: skip
            n_q = sum(1 for s in data for qa in s.get("qa", []) if evidence_ids(qa)) * len(configs)
            for name, cfg in configs.items():
                res = evaluate(
                    mem, data, ks, cfg, (lambda k: progress("search", k, n_q)) if progress else None
                )
                res["ingest_per_s"] = round(turns / ingest_s, 1)
                res["ingest_per_cpu_s"] = round(
                    turns / ingest_cpu, 1
                )  # per second of this process's CPU
                out[name] = res
            first = next(iter(configs))
            out.update({k: v for k, v in out[first].items()})
            return out
        finally:
            mem.close()
