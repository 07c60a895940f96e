"""Evidence recall inside an assembled context, beside plain top-k at the same tokens.

For each LoCoMo question with evidence and each budget B (WordPiece tokens):

* ``context``: ``Memory.context(..., budget_tokens=B)``; recall = share of
  the question's evidence dia_ids among the episodes cited in the block.
  ``context_facts`` also credits episodes that a cited fact came from.
* ``topk``: the same search's hits, texts only, taken in rank order until the
  next one would pass B (what an agent that pastes top-k gets).
* ``topk_fill``: as ``topk`` but skipping a hit that does not fit and going on
  (the packing rule context assembly uses), to show where a gain comes from.

Both count with the same tokenizer; top-k's texts carry no dates, speakers,
headers or citations, so every token of overhead the context spends on those
is charged against it.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from phasemem.memory import Memory
from phasemem.pipeline.context import default_token_counter
from phasemem.research.bench import locomo as lb
from phasemem.research.bench.stats import machine, percentiles


def _pack(texts: Sequence[str], ids: Sequence[str | None], budget: int, count: Any,
          skip: bool) -> tuple[set[str | None], int]:  # fmt: skip
    used, got = 0, set()
    for text, dia in zip(texts, ids, strict=True):
        c = count(text)
        if used + c > budget:
            if skip:
                continue
            break
        used += c
        got.add(dia)
    return got, used


def evaluate(mem: Memory, data: Sequence[dict[str, Any]], budgets: Sequence[int]) -> dict[str, Any]:
    count = default_token_counter()
    rec: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_cat: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    tokens: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    lat: dict[int, list[float]] = defaultdict(list)
    bmax = max(budgets)
    for sample in data:
        user = str(sample.get("sample_id", "conv"))
        for qa in sample.get("qa", []):
            ev = lb.evidence_ids(qa)
            q = str(qa.get("question", "")).strip()
            if not ev or not q:
                continue
            hits = mem.search(q, user_id=user, limit=max(20, bmax // 12 + 10))
            texts = [h.episode.text for h in hits]
            dias = [h.episode.metadata.get("dia_id") for h in hits]
            for b in budgets:
                t = time.perf_counter()
                ctx = mem.context(q, user_id=user, budget_tokens=b)
                lat[b].append((time.perf_counter() - t) * 1000)
                got = {i.source.metadata.get("dia_id") for i in _items(ctx, "episode")}
                via_facts = set(got)
                for f in _items(ctx, "fact"):
                    for eid in getattr(f.source, "episode_ids", None) or ():
                        with contextlib.suppress(KeyError):
                            via_facts.add(mem.get(eid).metadata.get("dia_id"))
                runs = {
                    "context": (got, ctx.tokens),
                    "context_facts": (via_facts, ctx.tokens),
                    "topk": _pack(texts, dias, b, count, skip=False),
                    "topk_fill": _pack(texts, dias, b, count, skip=True),
                }
                for name, (ids, used) in runs.items():
                    r = len(ev & ids) / len(ev)
                    rec[name][b].append(r)
                    tokens[name][b].append(used)
                    if name == "context":
                        by_cat[str(qa.get("category"))][b].append(r)
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else float("nan")  # noqa: E731
    out: dict[str, Any] = {
        name: {
            "recall": {str(b): mean(rec[name][b]) for b in budgets},
            "tokens_mean": {
                str(b): round(sum(tokens[name][b]) / len(tokens[name][b]), 1) for b in budgets
            },  # fmt: skip
        }
        for name in rec
    }
    out["context_vs_topk"] = {
        str(b): round(out["context"]["recall"][str(b)] / out["topk"]["recall"][str(b)], 4)
        for b in budgets
    }
    out["context_by_category"] = {
        c: {str(b): mean(v[b]) for b in budgets} for c, v in sorted(by_cat.items())
    }
    out["questions"] = len(rec["context"][budgets[0]])
    out["context_ms"] = {str(b): percentiles(lat[b]) for b in budgets}
    return out


def _items(ctx: Any, kind: str) -> list[Any]:
    return [i for s in ctx.parts for i in s.items if i.kind == kind]


def run(path: str | Path, budgets: Sequence[int] = (500, 1000, 2000), *,
        embedder: str | None = None, captions: bool = True, facts: bool = True) -> dict[str, Any]:  # fmt: skip
    """``facts=False`` ingests episodes only (no fact extraction, so the
    context has no fact sections): the episode-packing part alone."""
    data = lb.load(path)
    with tempfile.TemporaryDirectory() as tmp:
        mem = Memory(str(Path(tmp) / "ctx.db"), embedder=embedder,
                     extractor="default" if facts else None)  # fmt: skip
        try:
            turns = sum(lb.ingest(mem, s, captions) for s in data)
            res = evaluate(mem, data, sorted(budgets))
        finally:
            mem.close()
    res.update({"machine": machine(), "data": str(path), "turns": turns,
                "embedder": embedder or "minilm-l6-int8", "tokenizer": "wordpiece (bert-base-uncased vocab)",
                "facts": facts})  # fmt: skip
    return res
