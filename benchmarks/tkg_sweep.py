"""Train several TKG settings and record their validation curves (for choosing on valid).

Each ``--run NAME:key=value,key=value`` is a ``TrainConfig`` on top of the shared
settings; every run writes its per-epoch history and best valid MRR to ``--out``
as it finishes, so a run cut short keeps what it did. Test metrics at the best
epoch are recorded too, for the record only: choose on valid. Example (the GPU
sweep in docs/tkg.md)::

    python benchmarks/tkg_sweep.py --data ../shared/data/icews14 --dim 1024 --epochs 15 \\
        --run one_amp_smooth0:alpha=one,calendar=1,amplitude=1,calendar_smooth=0 \\
        --run tnt:model=tntcomplex,tc_weight=0 --out sweep.json
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from phasemem.research.tkg.data import build_filters, load_dataset
from phasemem.research.tkg.train import TrainConfig, evaluate, train


def _value(kind: Any, text: str) -> Any:
    if kind in (bool, "bool"):
        return text.lower() in ("1", "true", "yes", "on")
    if kind in (int, "int"):
        return int(text)
    if kind in (float, "float"):
        return float(text)
    return text


def parse_run(spec: str, base: TrainConfig) -> tuple[str, TrainConfig]:
    """``NAME:key=value,...`` -> (name, config)."""
    name, _, rest = spec.partition(":")
    types = {f.name: f.type for f in fields(TrainConfig)}
    changes: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, _, val = item.partition("=")
        if key not in types:
            raise SystemExit(f"unknown setting {key!r} in --run {spec!r}")
        changes[key] = _value(types[key], val)
    return name, replace(base, **changes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--base-init", type=float, default=300.0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--run", action="append", required=True, help="NAME:key=value,...")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    base = TrainConfig(
        dim=args.dim, epochs=args.epochs, base_init=args.base_init, device=args.device
    )
    runs = [parse_run(s, base) for s in args.run]
    ds = load_dataset(args.data)
    filters = build_filters(ds)
    rows: list[dict[str, Any]] = []
    for name, cfg in runs:
        t0 = time.perf_counter()
        hist: list[dict[str, float]] = []

        def log(row: dict[str, float], name: str = name, hist: list = hist) -> None:
            hist.append(row)
            print(f"{name} epoch {row['epoch']:.0f}: valid {row.get('valid_mrr', 0):.4f} "
                  f"({row['seconds']:.0f} s)", flush=True)  # fmt: skip

        res = train(ds, cfg, filters, on_epoch=log)
        test = evaluate(res.model, ds.splits["test"], filters)
        rows.append({"key": name, "config": cfg.to_dict(), "params": res.model.n_parameters(),
                     "best_epoch": res.best_epoch, "valid_mrr": res.best_valid_mrr,
                     "test": test, "seconds": time.perf_counter() - t0, "history": hist})  # fmt: skip
        Path(args.out).write_text(json.dumps({"rows": rows}, indent=1))
        print(f"{name}: valid {res.best_valid_mrr:.4f} (epoch {res.best_epoch}), "
              f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
