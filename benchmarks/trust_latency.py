"""Search latency with the read-time trust stages on and off, same process, same store.

Issue 15 asks that search p50 at 100K stays within 1 ms CPU of what it was
before trust. The read-time stages are trust-weighted ranking and the
consensus check (``TrustPolicy.rank`` / ``.consensus``); write-time trust does
not run at search. Two ``Memory`` objects on one file, one with both stages off,
take the same queries in turns (3 rounds, 2 user scopes), so load hits both alike.
CPU is the main thread's (``time.thread_time``).

    python benchmarks/trust_latency.py STORE.db --users user1,forget-me
"""

from __future__ import annotations

import argparse
import json
import random
import statistics as st
import time

from phasemem.memory import Memory
from phasemem.research.bench.scale import QUERIES, _fill
from phasemem.trust.policy import TrustPolicy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--users", default="user1,forget-me")
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    users = args.users.split(",")
    rng = random.Random(11)
    qs = [_fill(rng, rng.choice(QUERIES)) for _ in range(args.queries)]
    mems = {
        "on": Memory(args.db),
        "off": Memory(args.db, trust=TrustPolicy(rank=False, consensus=False)),
    }
    for m in mems.values():
        for q in qs[:10]:
            for u in users:
                m.search(q, user_id=u)
    res: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.rounds):
        for user in users:
            for name, m in mems.items():
                for q in qs:
                    t, c = time.perf_counter(), time.thread_time()
                    m.search(q, user_id=user)
                    res.setdefault(f"{name}/{user}", []).append(
                        ((time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000)
                    )
    out = {}
    for k, v in sorted(res.items()):
        w, c = sorted(x for x, _ in v), sorted(y for _, y in v)
        out[k] = {"wall_p50": round(st.median(w), 2), "wall_p95": round(w[int(0.95 * len(w))], 2),
                  "cpu_p50": round(st.median(c), 2), "cpu_p95": round(c[int(0.95 * len(c))], 2)}  # fmt: skip
        print(k, out[k])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
