"""Fact extraction: quality on the hand-labelled fixture and throughput on chat text.

Usage::

    python benchmarks/extraction_eval.py                  # quality (dev + test) and speed
    python benchmarks/extraction_eval.py --quality-only --errors dev
    python benchmarks/extraction_eval.py --locomo path/to/locomo.json --repeats 5 --json out.json

Quality: precision/recall/F1 of facts, strict F1 (times too) and temporal
accuracy on ``tests/extract/fixtures/labelled.jsonl`` (matching rules in
``phasemem/extract/scoring.py``). Speed: messages per second of
``RuleExtractor.extract_batch`` (one process, batch mode) on every turn of a
LoCoMo-format file, on the same turns split into sentences (short chat
messages) and on the fixture texts; the model is loaded and warmed up first.
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
DEFAULT_LOCOMO = ROOT.parent / "shared" / "data" / "locomo" / "locomo_dev5.json"
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
    args = ap.parse_args(argv)

    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.platform()}; {os.cpu_count()} CPUs; Python {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
    }
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
