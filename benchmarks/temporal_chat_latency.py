"""Search latency on the temporal_chat dev chats, default engine vs ``legacy``.

Both configurations search the same stores; the order alternates question by
question so neither pays the other's cold caches (the Speed Gate's per-topic
embedding, the "Speaker:" embeddings, the per-text caches):

    python benchmarks/temporal_chat_latency.py --data ../shared/data/temporal_chat/dev30.json
"""

from __future__ import annotations

import argparse
import json
import time

from phasemem.memory import Memory
from phasemem.research.bench import temporal_chat as tc
from phasemem.research.bench.stats import machine, percentiles


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="dev", choices=tc.SPLITS)
    args = ap.parse_args()
    ms: dict[str, list[float]] = {"phasemem": [], "legacy": []}
    for case in tc.split(tc.load(args.data), args.split):
        mem = Memory(":memory:")
        tc.ingest(mem, case)
        for n, q in enumerate(case.questions):
            order = ("phasemem", "legacy") if n % 2 == 0 else ("legacy", "phasemem")
            for name in order:
                t = time.perf_counter()
                mem.search(q.q, user_id=case.id, limit=tc.LIMIT, as_of=q.as_of_ts,
                           config=None if name == "phasemem" else "legacy")  # fmt: skip
                ms[name].append((time.perf_counter() - t) * 1000)
        mem.close()
    print(
        json.dumps({"machine": machine(), **{k: percentiles(v) for k, v in ms.items()}}, indent=1)
    )


if __name__ == "__main__":
    main()
