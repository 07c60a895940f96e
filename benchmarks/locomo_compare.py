"""LoCoMo evidence recall for the default engine and named variants, one ingest, one process.

    python benchmarks/locomo_compare.py OUT.json legacy no_time:episode_time=false

Each extra argument is a preset name or ``NAME:key=value,...`` over the default
``RetrievalConfig``; the data path is ``../shared/data/locomo/locomo_dev5.json``
from the repository root unless ``--data`` comes first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from phasemem.research.bench import locomo as lb
from phasemem.retrieval.config import RetrievalConfig, preset

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    data = ROOT.parent / "shared" / "data" / "locomo" / "locomo_dev5.json"
    if argv and argv[0] == "--data":
        data, argv = Path(argv[1]), argv[2:]
    out_path, names = argv[0], argv[1:] or ["legacy"]
    configs: dict[str, RetrievalConfig | None] = {"phasemem": None}
    for n in names:
        if ":" not in n:
            configs[n] = preset(n)
            continue
        name, kv = n.split(":", 1)
        changes: dict[str, object] = {}
        for item in kv.split(","):
            k, v = item.split("=")
            changes[k] = (v == "true") if v in ("true", "false") else (
                float(v) if v.replace(".", "").isdigit() else v)  # fmt: skip
        configs[name] = RetrievalConfig().with_(**changes)
    res = lb.run(data, (5, 10, 25), configs=configs)
    Path(out_path).write_text(json.dumps(res, indent=1, default=str))
    for n in configs:
        r = res[n]
        print(n, r["recall"], "temporal (2):", r["recall_by_category"].get("2"),
              "search p50 ms:", r["search_ms"]["p50"])  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
