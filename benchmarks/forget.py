"""Erasure at scale: ``forget`` of one user in a large store, with a writer running.

Builds (once, cached in ``--workdir``) a store of ``--n`` chat-like episodes
with fact extraction, ``--target`` of them belonging to the user to forget and
the rest spread over other users. Each run copies the cached file, starts a
second process that keeps adding memories for another user (one ``add`` every
``--writer-interval`` seconds) and records how long each add took, then times
``Memory.forget`` of the target user in this process. Reported: forget wall
time (erase and byte-level verification), the writer's longest and p99 add
time while forget ran, and whether forget verified.

    python benchmarks/forget.py --n 100000 --target 10000 --workdir /tmp/pm/forget
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from phasemem.memory import Memory
from phasemem.research.bench.scale import TEMPLATES, _fill
from phasemem.research.bench.stats import machine


def build(path: Path, n: int, target: int, embedder: str | None, batch: int = 500) -> None:
    rng = random.Random(5)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    users = ["forget-me"] * target + [f"user{i % 90}" for i in range(n - target)]
    rng.shuffle(users)
    t = time.perf_counter()
    with Memory(str(path), embedder=embedder) as mem:
        by_user: dict[str, list[dict[str, Any]]] = {}
        for i, user in enumerate(users):
            by_user.setdefault(user, []).append({
                "role": "user", "name": "Maya" if user == "forget-me" else "Sam",
                "content": _fill(rng, rng.choice(TEMPLATES)) + f" (note {i})",
                "occurred_at": start + timedelta(minutes=17 * i),
            })  # fmt: skip
        done = 0
        for user, msgs in by_user.items():
            for j in range(0, len(msgs), batch):
                mem.add(msgs[j : j + batch], user_id=user, session_id=f"s{j // batch}")
                done += len(msgs[j : j + batch])
            print(f"  built {done}/{n} ({time.perf_counter() - t:.0f} s)", flush=True)
        mem.store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]


def writer(path: str, embedder: str | None, interval: float, stop: Any, out: Any) -> None:
    """Adds a memory every ``interval`` s until told to stop; reports each add's seconds."""
    lat: list[float] = []
    with Memory(path, embedder=embedder) as mem:
        mem.add("warm up the writer", user_id="writer")
        out.put("ready")
        i = 0
        while not stop.is_set():
            t = time.perf_counter()
            mem.add(f"writer note {i}: the bus was late again today", user_id="writer")
            lat.append(time.perf_counter() - t)
            i += 1
            time.sleep(interval)
    out.put(lat)


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    base = work / f"base-{args.n}-{args.target}-{args.embedder or 'minilm'}.db"
    if not base.exists():
        print(f"building {base} ...", flush=True)
        t = time.perf_counter()
        build(base.with_suffix(".tmp"), args.n, args.target, args.embedder)
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(base.with_suffix(".tmp")) + suffix)
            if src.exists():
                src.rename(str(base) + suffix)
        print(f"built in {time.perf_counter() - t:.0f} s", flush=True)
    runs = []
    for _ in range(args.repeat):
        db = work / "run.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        shutil.copy(base, db)
        with Memory(str(db), embedder=args.embedder) as mem:
            mem.search("warm up", user_id="forget-me")
            ctx = mp.get_context("spawn")
            stop, out = ctx.Event(), ctx.Queue()
            proc = ctx.Process(target=writer, args=(str(db), args.embedder, args.writer_interval,
                                                    stop, out))  # fmt: skip
            proc.start()
            assert out.get(timeout=120) == "ready"
            time.sleep(1.0)
            t = time.perf_counter()
            report = mem.forget(user_id="forget-me")
            took = time.perf_counter() - t
            time.sleep(1.0)
            stop.set()
            lat = sorted(out.get(timeout=120))
            proc.join(timeout=60)
        runs.append({
            "forget_s": round(took, 3), "report": report,
            "writer_adds": len(lat), "writer_max_s": round(lat[-1], 3) if lat else None,
            "writer_p99_s": round(lat[int(0.99 * (len(lat) - 1))], 3) if lat else None,
        })  # fmt: skip
        print(json.dumps(runs[-1]), flush=True)
    return {"n": args.n, "target": args.target, "embedder": args.embedder or "minilm-l6-int8",
            "machine": machine(), "runs": runs}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--target", type=int, default=10_000)
    ap.add_argument("--workdir", default="/tmp/pm/forget")
    ap.add_argument("--embedder", default=None, help="default: the shipped MiniLM")
    ap.add_argument("--writer-interval", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    res = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
