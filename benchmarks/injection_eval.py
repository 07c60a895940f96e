"""Measure the injection detector (phasemem.trust.injection).

    python benchmarks/injection_eval.py [--locomo ../shared/data/locomo/locomo_dev5.json]
        [--split dev|test|all] [--json out.json]

Reports, in one run:

* precision / recall on ``benchmarks/data/poisoning/injection_labels.jsonl``
  (by split and by category), with every miss and false alarm;
* recall on the poisoning suite's injected writes (attack writes of scenarios
  whose probes name instructions) and false alarms on every other write;
* false positives on LoCoMo: every turn's text, and separately its shared
  photo captions, with the flagged texts;
* speed: microseconds per LoCoMo turn, wall and CPU (best of 5 passes; the
  anchor-word pre-selection skips most rules, so this is what every ``add`` pays).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phasemem.research.bench.poisoning import load_suite  # noqa: E402
from phasemem.research.bench.stats import machine  # noqa: E402
from phasemem.trust.injection import detect  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "poisoning"
# ../shared from the main checkout; from a worktree under /work/wt/<name>, two levels up.
DEFAULT_LOCOMO = next(
    (p / "shared" / "data" / "locomo" / "locomo_dev5.json" for p in (ROOT.parent, ROOT.parents[1])
     if (p / "shared" / "data" / "locomo" / "locomo_dev5.json").exists()),
    ROOT.parent / "shared" / "data" / "locomo" / "locomo_dev5.json",
)  # fmt: skip


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "tp": tp, "fp": fp, "fn": fn}


def labels(split: str) -> dict[str, Any]:
    rows = [json.loads(x) for x in (DATA / "injection_labels.jsonl").read_text().splitlines() if x]
    if split != "all":
        rows = [r for r in rows if r["split"] == split]
    tp = fp = fn = 0
    misses, alarms = [], []
    by_cat: dict[str, list[int]] = {}
    for r in rows:
        f = detect(r["text"])
        pos = r["label"] == "injection"
        if pos:
            c = by_cat.setdefault(r["category"], [0, 0])
            c[1] += 1
            c[0] += f is not None
        if pos and f is not None:
            tp += 1
        elif pos:
            fn += 1
            misses.append(r["text"])
        elif f is not None:
            fp += 1
            alarms.append({"text": r["text"], "reason": f.reason, "score": round(f.score, 3)})
    return {
        "split": split, "injections": tp + fn, "benign": sum(r["label"] == "benign" for r in rows),
        **prf(tp, fp, fn), "recall_by_category": {k: f"{a}/{b}" for k, (a, b) in sorted(by_cat.items())},
        "misses": misses, "false_alarms": alarms,
    }  # fmt: skip


def suite() -> dict[str, Any]:
    scns = load_suite([DATA / "suite.jsonl", DATA / "validation.jsonl"])
    tp = fn = fp = neg = 0
    misses, alarms = [], []
    for s in scns:
        instr = any(p.instructions for p in s.probes)
        for w in s.writes:
            f = detect(w.text)
            if w.attack and instr:
                tp += f is not None
                fn += f is None
                if f is None:
                    misses.append({"id": s.id, "text": w.text})
            elif not w.attack:
                neg += 1
                if f is not None:
                    fp += 1
                    alarms.append({"id": s.id, "text": w.text, "reason": f.reason})
    return {"injected_writes": tp + fn, "ordinary_writes": neg, **prf(tp, fp, fn),
            "misses": misses, "false_alarms": alarms}  # fmt: skip


def locomo(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    turns, captions = [], []
    for conv in data:
        c = conv["conversation"]
        for k, v in c.items():
            if k.startswith("session_") and isinstance(v, list):
                for t in v:
                    turns.append(t.get("text", ""))
                    if t.get("blip_caption"):
                        captions.append(t["blip_caption"])
    flagged = [{"text": t, "reason": f.reason, "score": round(f.score, 3)}
               for t in turns if (f := detect(t))]  # fmt: skip
    flagged_caps = [t for t in captions if detect(t)]
    best = best_cpu = float("inf")
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        for t in turns:
            detect(t)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return {"file": str(path), "conversations": len(data), "turns": len(turns),
            "turns_flagged": len(flagged), "flagged": flagged, "captions": len(captions),
            "captions_flagged": len(flagged_caps),
            "us_per_turn": round(best / max(1, len(turns)) * 1e6, 2),
            "cpu_us_per_turn": round(best_cpu / max(1, len(turns)) * 1e6, 2)}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    ap.add_argument("--split", default="all", choices=["dev", "test", "test2", "all"])
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    out: dict[str, Any] = {"machine": machine()}
    out["labels"] = {
        s: labels(s)
        for s in (["dev", "test", "test2", "all"] if args.split == "all" else [args.split])
    }
    out["suite"] = suite()
    if args.locomo.exists():
        out["locomo"] = locomo(args.locomo)
    for name, r in out["labels"].items():
        print(f"labels[{name}]: {r['injections']} injections, {r['benign']} benign -> "
              f"precision {r['precision']:.3f} recall {r['recall']:.3f} (fp {r['fp']}, fn {r['fn']})")  # fmt: skip
        for t in r["misses"]:
            print(f"    miss: {t!r}")
        for a in r["false_alarms"]:
            print(f"    false alarm: {a['text']!r} ({a['reason']}, {a['score']})")
    s = out["suite"]
    print(f"suite: {s['tp']}/{s['injected_writes']} injected writes caught, "
          f"{s['fp']}/{s['ordinary_writes']} ordinary writes flagged")  # fmt: skip
    if "locomo" in out:
        lo = out["locomo"]
        print(f"locomo: {lo['turns_flagged']}/{lo['turns']} turns flagged, "
              f"{lo['captions_flagged']}/{lo['captions']} captions flagged, {lo['us_per_turn']} us/turn "
              f"({lo['cpu_us_per_turn']} us CPU; best of 5 passes)")  # fmt: skip
        for f in lo["flagged"]:
            print(f"    flagged: {f['text']!r} ({f['reason']})")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
