"""Fact extraction: quality on the hand-labelled fixture and throughput on chat text.

Usage::

    python benchmarks/extraction_eval.py                  # quality (dev + test) and speed
    python benchmarks/extraction_eval.py --quality-only --errors dev
    python benchmarks/extraction_eval.py --locomo path/to/locomo.json --repeats 5 --json out.json
    python benchmarks/extraction_eval.py --natural --dev30      # natural chat set + dev30 recall
    python benchmarks/extraction_eval.py --natural --natural-errors dev   # tune on dev only
    python benchmarks/extraction_eval.py --ingest               # Memory.add turns/s on LoCoMo

Quality: precision/recall/F1 of facts, strict F1 (times too) and temporal
accuracy on ``tests/extract/fixtures/labelled.jsonl`` (matching rules in
``phasemem/extract/scoring.py``). Speed: messages per second of
``RuleExtractor.extract_batch`` (one process, batch mode) on every turn of a
LoCoMo-format file, on the same turns split into sentences (short chat
messages) and on the fixture texts; the model is loaded and warmed up first.

Natural chat set (``--natural``): precision/recall/F1 per relation family on
``benchmarks/data/natural_facts.jsonl`` (dev and test), matching rules in
``phasemem.extract.scoring.score_natural``. dev30 (``--dev30``): each case of
``shared/data/temporal_chat/dev30.json`` goes through ``Memory.add`` (one call per
session, as its protocol says); a question counts when its answer or an alias is a
substring of a stored fact's "subject relation object" text: any version ever stored,
and only the facts that hold at the question's time (now, or its ``as_of``).
Ingest (``--ingest``): ``Memory.add`` of every LoCoMo session (default embedder,
extraction on), turns per second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phasemem.extract import ExtractionInput, RuleExtractor, resolve_temporal  # noqa: E402
from phasemem.extract.rules import needs_parse, split_chunks  # noqa: E402
from phasemem.extract.scoring import load_fixture, score, to_input  # noqa: E402

FIXTURE = ROOT / "tests" / "extract" / "fixtures" / "labelled.jsonl"
NATURAL = ROOT / "benchmarks" / "data" / "natural_facts.jsonl"


def _shared(*parts: str) -> Path:
    """A file under ``shared/`` beside the checkout (or beside its parent, for worktrees)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base.joinpath("shared", *parts)
        if path.exists():
            return path
    return ROOT.parent.joinpath("shared", *parts)


DEFAULT_LOCOMO = _shared("data", "locomo", "locomo_dev5.json")
DEFAULT_DEV30 = _shared("data", "temporal_chat", "dev30.json")
_SENT_RE = re.compile(r"(?<=[.!?])\s+")


def locomo_turns(path: Path) -> list[ExtractionInput]:
    """Every turn of a LoCoMo-format file, with its session date, speaker and listener."""
    data = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for conv in (c["conversation"] for c in data):
        a, b = conv.get("speaker_a"), conv.get("speaker_b")
        for key, turns in conv.items():
            if not (key.startswith("session_") and isinstance(turns, list)):
                continue
            when = _locomo_date(conv.get(f"{key}_date_time", ""))
            for t in turns:
                speaker = t.get("speaker")
                listener = b if speaker == a else a
                items.append(ExtractionInput(t.get("text", ""), speaker, when, listener))
    return items


def _locomo_date(text: str) -> datetime:
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return datetime(2023, 1, 1, tzinfo=UTC)


def quality(errors: str | None) -> dict[str, Any]:
    extractor = RuleExtractor()
    out: dict[str, Any] = {}
    for split in ("dev", "test"):
        rows = load_fixture(FIXTURE, split)
        rep = score(rows, extractor.extract_batch([to_input(r) for r in rows]))
        out[split] = {"rows": len(rows), **rep.summary(), "strict_precision": round(rep.strict.precision, 3),
                      "strict_recall": round(rep.strict.recall, 3)}  # fmt: skip
        if errors == split:
            for e in rep.errors:
                print(json.dumps(e, ensure_ascii=False))
    return out


def natural(
    errors: str | None, extractor: Any = None, splits: tuple[str, ...] = ("dev", "test")
) -> dict[str, Any]:
    """Per relation family P/R/F1 on the natural chat set, dev and test."""
    from phasemem.extract.scoring import natural_input, score_natural

    extractor = extractor or RuleExtractor()
    out: dict[str, Any] = {}
    for split in splits:
        rows = load_fixture(NATURAL, split)
        rep = score_natural(rows, extractor.extract_batch([natural_input(r) for r in rows]))
        out[split] = {"rows": len(rows), **rep.summary()}
        if errors == split:
            for e in rep.errors:
                print(json.dumps(e, ensure_ascii=False))
    return out


def print_natural(res: dict[str, Any]) -> None:
    fams = list(dict.fromkeys(f for q in res.values() for f in q["families"]))
    print(
        f"{'family':12s} "
        + " ".join(f"{s + ' gold':>9s} {'P':>5s} {'R':>5s} {'F1':>5s}" for s in res)
    )
    for fam in ["all", *fams]:
        cells = []
        for q in res.values():
            r = q["all"] if fam == "all" else q["families"].get(fam)
            cells.append(f"{r['gold']:9d} {r['precision']:5.2f} {r['recall']:5.2f} {r['f1']:5.2f}"
                         if r else " " * 27)  # fmt: skip
        print(f"{fam:12s} " + " ".join(cells))
    for split, q in res.items():
        print(
            f"{split}: {q['rows']} rows, fact-free rows with no output {q['fact_free_rows_clean']}"
        )


def dev30_recall(path: Path) -> dict[str, Any]:
    """How many dev30 answers are among the facts extraction stored, per question kind."""
    from phasemem import Memory

    data = json.loads(path.read_text(encoding="utf-8"))
    hits: dict[str, dict[str, list[int]]] = {}
    misses: list[dict[str, Any]] = []
    for case in data["cases"]:
        with Memory(":memory:", embedder="hash-test") as mem:
            for n, sess in enumerate(case["sessions"], 1):
                msgs = [{"role": "assistant" if t["speaker"] == "Assistant" else "user",
                         "name": t["speaker"], "content": t["text"]} for t in sess["turns"]]  # fmt: skip
                mem.add(msgs, user_id=case["id"], session_id=f"s{n}", occurred_at=sess["date"])
            ever = [f.text.casefold() for f in mem.facts(user_id=case["id"], include_expired=True)]
            for q in case["questions"]:
                answers = [a.casefold() for a in [q["answer"], *q.get("answer_aliases", [])]]
                as_of = f"{q['as_of'][:10]}T12:00:00Z" if q.get("as_of") else None
                held = [f.text.casefold() for f in mem.facts(user_id=case["id"], as_of=as_of)]
                got_ever = any(a in t for a in answers for t in ever)
                got_held = any(a in t for a in answers for t in held)
                row = hits.setdefault(q["kind"], {"ever": [], "held": []})
                row["ever"].append(int(got_ever))
                row["held"].append(int(got_held))
                if not got_held:
                    misses.append({"case": case["id"], "q": q["q"], "answer": q["answer"],
                                   "stored": got_ever})  # fmt: skip
    out: dict[str, Any] = {}
    for kind in ("current", "as_of", "static"):
        r = hits.get(kind, {"ever": [], "held": []})
        n = len(r["ever"])
        out[kind] = {"questions": n, "answer_in_any_fact": round(sum(r["ever"]) / max(1, n), 3),
                     "answer_in_fact_holding_then": round(sum(r["held"]) / max(1, n), 3)}  # fmt: skip
    allq = [x for r in hits.values() for x in r["held"]]
    alle = [x for r in hits.values() for x in r["ever"]]
    out["all"] = {"questions": len(allq), "answer_in_any_fact": round(sum(alle) / max(1, len(alle)), 3),
                  "answer_in_fact_holding_then": round(sum(allq) / max(1, len(allq)), 3)}  # fmt: skip
    out["misses"] = misses
    return out


def ingest_speed(path: Path) -> dict[str, Any]:
    """Turns per second of ``Memory.add`` (default embedder, extraction on) on LoCoMo sessions."""
    import tempfile

    from phasemem import Memory
    from phasemem.research.bench.locomo import ingest, load

    data = load(path)
    with tempfile.TemporaryDirectory() as tmp, Memory(str(Path(tmp) / "ingest.db")) as mem:
        mem.add([{"name": "A", "content": "I moved to Paris last year."}], user_id="warm-up")
        t0, c0 = time.perf_counter(), time.process_time()
        turns = sum(ingest(mem, s, True) for s in data)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {"turns": turns, "embedder": mem.embedder.name,
                    "turns_per_s": round(turns / wall, 1), "turns_per_cpu_s": round(turns / cpu, 1)}  # fmt: skip


def throughput(
    name: str, items: list[ExtractionInput], repeats: int, **kwargs: Any
) -> dict[str, Any]:
    extractor = RuleExtractor(**kwargs)
    extractor.extract_batch(items[:64])  # load and warm the model
    rates, cpu_rates = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = extractor.extract_batch(items)
        rates.append(len(items) / (time.perf_counter() - t0))
        cpu_rates.append(len(items) / (time.process_time() - c0))
    chunks = [c for it in items for _, c in split_chunks(it.text)]
    return {
        "corpus": name,
        "messages": len(items),
        "mean_chars": round(sum(len(i.text) for i in items) / max(1, len(items)), 1),
        "entities": kwargs.get("entities", True),
        "msgs_per_s_median": round(statistics.median(rates)),
        "msgs_per_s_best": round(max(rates)),
        # per second of this process's CPU time: what one free core gives when the machine is shared
        "msgs_per_cpu_s_median": round(statistics.median(cpu_rates)),
        "share_of_sentences_parsed": round(sum(map(needs_parse, chunks)) / max(1, len(chunks)), 3),
        "facts": sum(len(x.facts) for x in out),
    }


def temporal_speed(items: list[ExtractionInput]) -> float:
    t0 = time.perf_counter()
    for it in items:
        resolve_temporal(it.text, it.occurred_at)
    return round(len(items) / (time.perf_counter() - t0))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--locomo", type=Path, default=DEFAULT_LOCOMO, help="LoCoMo-format JSON for the speed test"
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quality-only", action="store_true")
    ap.add_argument("--speed-only", action="store_true")
    ap.add_argument("--errors", choices=["dev", "test"], help="print the mismatches of one split")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--natural", action="store_true", help="only the natural chat set")
    ap.add_argument(
        "--natural-errors", choices=["dev", "test"], help="print that split's mismatches"
    )
    ap.add_argument("--dev30", nargs="?", const=DEFAULT_DEV30, type=Path,
                    help="only the dev30 facts recall (path optional)")  # fmt: skip
    ap.add_argument("--ingest", action="store_true", help="only Memory.add turns/s on LoCoMo")
    args = ap.parse_args(argv)

    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.platform()}; {os.cpu_count()} CPUs; Python {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
    }
    if args.natural or args.natural_errors or args.dev30 or args.ingest:
        if args.natural or args.natural_errors:
            splits = (args.natural_errors,) if args.natural_errors else ("dev", "test")
            result["natural"] = natural(args.natural_errors, splits=splits)
            print_natural(result["natural"])
        if args.dev30:
            d = result["dev30"] = dev30_recall(args.dev30)
            for kind in ("current", "as_of", "static", "all"):
                r = d[kind]
                print(f"dev30 {kind:8s} n={r['questions']:3d} answer in a fact holding then "
                      f"{r['answer_in_fact_holding_then']:.3f}, in any stored fact "
                      f"{r['answer_in_any_fact']:.3f}")  # fmt: skip
        if args.ingest:
            r = result["ingest"] = ingest_speed(args.locomo)
            print(f"ingest ({r['embedder']}): {r['turns']} LoCoMo turns, {r['turns_per_s']} turns/s, "
                  f"{r['turns_per_cpu_s']} per CPU-second")  # fmt: skip
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        return 0
    if not args.speed_only:
        result["quality"] = quality(args.errors)
        for split, q in result["quality"].items():
            print(f"{split:5s} P={q['fact_precision']:.3f} R={q['fact_recall']:.3f} F1={q['fact_f1']:.3f} "
                  f"strictF1={q['strict_f1']:.3f} temporal={q['temporal_accuracy']:.3f} "
                  f"({q['facts_gold']} gold facts, {q['temporals_gold']} time phrases, "
                  f"fact-free rows clean {q['fact_free_rows_clean']})")  # fmt: skip
    if not args.quality_only:
        corpora: dict[str, list[ExtractionInput]] = {}
        if args.locomo.exists():
            turns = locomo_turns(args.locomo)
            corpora["locomo turns"] = turns
            corpora["locomo sentences"] = [
                ExtractionInput(s, t.speaker, t.occurred_at, t.listener)
                for t in turns for s in _SENT_RE.split(t.text) if s.strip()
            ]  # fmt: skip
        else:
            print(f"(no LoCoMo file at {args.locomo}; speed on the fixture only)")
        fixture = [to_input(r) for r in load_fixture(FIXTURE)]
        corpora["fixture x10"] = fixture * 10
        speed = []
        for name, items in corpora.items():
            for entities in (True, False):
                row = throughput(name, items, args.repeats, entities=entities)
                speed.append(row)
                print(f"{name:18s} entities={entities!s:5s} {row['messages']:6d} msgs "
                      f"(mean {row['mean_chars']} chars): {row['msgs_per_s_median']} msgs/s median, "
                      f"{row['msgs_per_s_best']} best, {row['msgs_per_cpu_s_median']} per CPU-second; "
                      f"{row['share_of_sentences_parsed']:.0%} of sentences parsed")  # fmt: skip
        result["speed"] = speed
        first = next(iter(corpora.values()))
        result["temporal_only_msgs_per_s"] = temporal_speed(first)
        print(f"resolve_temporal alone: {result['temporal_only_msgs_per_s']} msgs/s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
