"""Search latency of whatever ``phasemem`` is on ``PYTHONPATH``, on an existing store.

For comparing source trees on one store (each tree on its own copy, so each
migrates it): run it once per tree, interleaved, and compare the medians.
Prints one JSON line: per-query wall and main-thread CPU milliseconds.

    PYTHONPATH=/tmp/tree python benchmarks/search_latency_tree.py STORE.db USER 150
"""

from __future__ import annotations

import json
import random
import sys
import time

from phasemem.memory import Memory
from phasemem.research.bench.scale import QUERIES, _fill


def main() -> None:
    db, user, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(11)
    qs = [_fill(rng, rng.choice(QUERIES)) for _ in range(n)]
    with Memory(db) as m:
        for q in qs[:10]:
            m.search(q, user_id=user)
        wall, cpu = [], []
        for q in qs:
            t, c = time.perf_counter(), time.thread_time()
            m.search(q, user_id=user)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
    print(json.dumps({"wall": wall, "cpu": cpu}))


if __name__ == "__main__":
    main()
