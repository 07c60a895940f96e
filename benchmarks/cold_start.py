"""Cold start: wall time of fresh ``phasemem`` processes, the way a user meets them.

Each measurement starts a new Python process (nothing warm but the OS file
cache) and times it from spawn to exit (CLI) or to the first tool answer (MCP
over stdio). The database is made once with the default embedder and holds six
short episodes, the size of a first try; ``add`` and ``remember`` store a line
that carries a fact, so the parser is part of what they pay. Each command runs once untimed first,
so byte code is compiled as ``pip install`` would have done (into a private
``PYTHONPYCACHEPREFIX``: this checkout may set ``PYTHONDONTWRITEBYTECODE``).
Reports the median, min and max of ``--reps`` runs per command; the machine
is shared, so read the median.

The rewritten MiniLM model is cached on disk (``phasemem.embed.quantize``):
each tree gets a private ``$PHASEMEM_CACHE_DIR`` under the temporary
directory, filled by the seeding and untimed runs, so the timed runs meet a
warm cache (every start after the first). ``--cold-model-cache`` gives every
timed run an empty one instead (the first start after an install).

    python benchmarks/cold_start.py [--reps 7] [--cold-model-cache] [--json out.json]
    python benchmarks/cold_start.py --tree before=/tmp/old-checkout --tree after=. --reps 7
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

#: What the ``phasemem`` console script runs (so this works without it on PATH).
CLI = [sys.executable, "-c", "from phasemem.cli import main; main()"]

SEED = [
    ("2024-01-02", "I moved to Lisbon for a job at Tidewater."),
    ("2024-02-10", "My sister Ana visits in March."),
    ("2024-03-15", "I am allergic to peanuts."),
    ("2024-05-01", "We adopted a cat called Miso."),
    ("2024-08-20", "I started learning Portuguese."),
    ("2025-01-20", "We moved to Porto last month."),
]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


_COLD = "_COLD_START_EMPTY_CACHES_UNDER"  # set: every run gets a new cache dir under it


@contextlib.contextmanager
def _model_cache(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``env`` as it is, or with an empty model cache (removed afterwards) when
    runs must meet a cold one."""
    root = env.get(_COLD)
    if not root:
        yield env
        return
    fresh = tempfile.mkdtemp(dir=root)
    try:
        yield {**{k: v for k, v in env.items() if k != _COLD}, "PHASEMEM_CACHE_DIR": fresh}
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _run(args: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process: CPU time hardly depends on what else
    the machine runs, wall time does."""
    with _model_cache(env) as env:
        c, t = _cpu(), time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
    return wall, _cpu() - c


def _mcp_remember(db: str, text: str, env: dict[str, str]) -> tuple[float, float]:
    """Spawn ``phasemem mcp`` over stdio, initialize, call ``remember`` once;
    the time until its answer arrives (what a desktop client waits for)."""
    with _model_cache(env) as env:
        return _mcp_remember_in(db, text, env)


def _mcp_remember_in(db: str, text: str, env: dict[str, str]) -> tuple[float, float]:
    c, t = _cpu(), time.perf_counter()
    proc = subprocess.Popen(
        [*CLI, "--db", db, "mcp", "--user", "maya"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def send(msg: dict[str, object]) -> None:
        proc.stdin.write(json.dumps(msg) + "\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]

    def answer(msg_id: int) -> dict[str, object]:
        for line in proc.stdout:  # type: ignore[union-attr]
            msg = json.loads(line)
            if msg.get("id") == msg_id:
                return msg  # type: ignore[no-any-return]
        raise SystemExit("phasemem mcp exited before answering")

    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "cold_start", "version": "0"}}})  # fmt: skip
        answer(1)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
              "params": {"name": "remember", "arguments": {"text": text}}})  # fmt: skip
        reply = answer(2)
        wall = time.perf_counter() - t
        if "error" in reply or (reply.get("result") or {}).get("isError"):  # type: ignore[union-attr]
            raise SystemExit(f"remember failed: {reply}")
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return wall, _cpu() - c  # CPU: the whole server process, shutdown included


def _seed(db: str, env: dict[str, str]) -> None:
    code = (
        "import sys\nfrom phasemem import Memory\n"
        "rows = " + repr(SEED) + "\n"
        "with Memory(sys.argv[1]) as m:\n"
        "    for at, text in rows:\n"
        "        m.add({'role': 'user', 'name': 'Maya', 'content': text}, user_id='maya',"
        " occurred_at=at)\n"
    )
    subprocess.run([sys.executable, "-c", code, db], check=True, env=env)


def _cases(
    db: str, env: dict[str, str], with_mcp: bool
) -> dict[str, Callable[[int], tuple[float, float]]]:
    cases: dict[str, Callable[[int], tuple[float, float]]] = {
        "import phasemem": lambda i: _run([sys.executable, "-c", "import phasemem"], env),
        "phasemem --help": lambda i: _run([*CLI, "--help"], env),
        "list": lambda i: _run([*CLI, "--db", db, "list", "--user", "maya"], env),
        "search": lambda i: _run([*CLI, "--db", db, "search", "--user", "maya", "where does Maya live"], env),
        "add": lambda i: _run([*CLI, "--db", db, "add", "--user", "maya", "--speaker", "Maya",
                               f"I adopted a dog called Rex{i}."], env),
    }  # fmt: skip
    if with_mcp:
        cases["mcp remember (first call)"] = lambda i: _mcp_remember(
            db, f"I adopted a cat called Miso{i}.", env
        )
    return cases


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                    help="A phasemem checkout to measure (its root goes first on PYTHONPATH); "
                    "repeat to compare trees, runs interleaved so load hits them alike. "
                    "Default: whatever 'import phasemem' finds.")  # fmt: skip
    ap.add_argument("--no-mcp", action="store_true", help="Skip the MCP stdio measurement.")
    ap.add_argument("--cold-model-cache", action="store_true",
                    help="Every timed run starts with an empty model cache (default: a warm one).")  # fmt: skip
    ap.add_argument("--json", dest="json_out", default=None, help="Also write the numbers here.")
    args = ap.parse_args(argv)
    try:
        import mcp  # noqa: F401

        with_mcp = not args.no_mcp
    except ImportError:
        with_mcp = False
    trees = [(n, str(Path(p).resolve())) for n, p in (t.split("=", 1) for t in args.tree)]
    trees = trees or [("phasemem", "")]
    home = os.getcwd()

    out: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # 'python -c' puts the working directory first on sys.path: run from an
        # empty one, or a checkout there shadows the tree being measured.
        os.chdir(tmp)
        per_tree = {}
        for name, path in trees:
            env = dict(os.environ)
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
            env["PHASEMEM_CACHE_DIR"] = str(Path(tmp) / f"model-cache-{name}")
            if path:
                env["PYTHONPATH"] = os.pathsep.join(
                    p for p in (path, os.environ.get("PYTHONPATH")) if p
                )
            where = subprocess.run([sys.executable, "-c", "import phasemem; print(phasemem.__file__)"],
                                   env=env, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
            print(f"{name}: {where}", flush=True)
            db = str(Path(tmp) / f"{name}.db")
            _seed(db, env)
            if args.cold_model_cache:
                env[_COLD] = str(Path(tmp) / f"model-caches-{name}")
                os.mkdir(env[_COLD])
            per_tree[name] = _cases(db, env, with_mcp)
        for case in next(iter(per_tree.values())):
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in per_tree}
            for cases in per_tree.values():
                cases[case](-1)  # untimed: compiles byte code, warms the OS file cache
            for i in range(args.reps):
                for name, cases in per_tree.items():
                    runs[name].append(cases[case](i))
            for name, rs in runs.items():
                walls, cpus = [w for w, _ in rs], [c for _, c in rs]
                r = out.setdefault(name, {})[case] = {
                    "median_s": round(statistics.median(walls), 3),
                    "min_s": round(min(walls), 3),
                    "max_s": round(max(walls), 3),
                    "median_cpu_s": round(statistics.median(cpus), 3),
                }
                print(f"{name:10s} {case:26s} wall median {r['median_s']:.3f} s  "
                      f"min {r['min_s']:.3f}  max {r['max_s']:.3f}  "
                      f"CPU median {r['median_cpu_s']:.3f} s", flush=True)  # fmt: skip
        os.chdir(home)
    load = os.getloadavg()
    result = {
        "reps": args.reps,
        "model_cache": "cold" if args.cold_model_cache else "warm",
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "loadavg_after": [round(x, 2) for x in load],
        "trees": {name: path for name, path in trees},
        "results": out,
    }
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
