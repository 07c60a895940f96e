"""The ICEWS14 comparison: the phase-rotation model against baselines and ablations.

Every model is trained in the same harness (same data, loss, optimiser, batch,
epochs, seed, selection on validation) and evaluated on test with the
time-aware filter (primary) and the time-agnostic filter (secondary).
TNTComplEx gets the complex dimension whose parameter count is closest to the
main phase model's.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.research.tkg.data import build_filters, load_dataset
from phasemem.research.tkg.errors import TKGError
from phasemem.research.tkg.models import PhaseRotation
from phasemem.research.tkg.train import TrainConfig, evaluate, gate_alpha, train

__all__ = [
    "ModelSpec",
    "PUBLISHED_ICEWS14",
    "default_specs",
    "matched_dim",
    "render_table",
    "run_compare",
]

#: Published ICEWS14 time-aware filtered test MRR (from the papers).
PUBLISHED_ICEWS14 = {
    "TNTComplEx (Lacroix et al. 2020)": 0.62,
    "ChronoR (Sadeghian et al. 2021)": 0.625,
    "TeLM (Xu et al. 2021)": 0.625,
    "TLT-KGE (Zhang et al. 2022)": 0.634,
    "TeAST (Li et al. 2023)": 0.637,
}


@dataclass
class ModelSpec:
    """One row of the comparison."""

    key: str
    label: str
    config: TrainConfig


def gate_available(relations: list[str]) -> bool:
    try:
        gate_alpha(relations)
    except TKGError:
        return False
    return True


def matched_dim(
    n_ent: int,
    n_rel: int,
    n_days: int,
    phase_dim: int,
    learned_alpha: bool = False,
    calendar: bool = False,
    amplitude: bool = False,
) -> int:
    """TNTComplEx complex dimension whose parameter count is closest to the phase model's."""
    phase = 2 * phase_dim * (n_ent + 4 * n_rel) + 2 + (n_rel if learned_alpha else 0)
    phase += n_days * phase_dim * (int(calendar) + int(amplitude))
    per_dim = 2 * (n_ent + 4 * n_rel + n_days)
    return max(1, round(phase / per_dim))


#: The phase model exactly as DESIGN.md section 4 states it (initial s and base, no calendar).
SPEC_SETTINGS: dict[str, Any] = {"s_init": 1.0, "base_init": 1e4, "calendar": False,
                                 "amplitude": False}  # fmt: skip


def default_specs(base: TrainConfig, with_gate: bool, tnt_dim: int) -> list[ModelSpec]:
    """Main model, baselines, then ablations.

    Main alpha: the gate when present, else 1 -- except with ``tc_days = "all"``, whose
    exact all-days time-contrastive loss is one matrix product only when every relation
    shares the speed: then the main row is alpha = 1 and the per-relation-speed rows
    (Speed Gate, learned) are labelled as using the sampled-days loss. The main row uses
    ``base``'s phase settings (``calendar``, ``s_init``, ``base_init``); when those differ
    from DESIGN.md's, a row with the design's exact settings is added. Rows run in this
    order, so a run cut short still has the main comparison.
    """
    all_days = base.tc_days == "all" and base.tc_weight > 0
    main = "gate" if with_gate and not all_days else "one"
    phase = replace(base, model="phase")
    name = {"gate": "Speed Gate", "one": "1"}
    extras = [k for k, v in SPEC_SETTINGS.items() if getattr(base, k) != v]
    how = (" + calendar" if base.calendar else "") + (" + amplitude" if base.amplitude else "")
    tc_how = ", time-contrastive over all days" if all_days else ""

    def per_relation(alpha: str) -> tuple[TrainConfig, str]:
        """Config and label suffix of a row whose relations have their own speeds."""
        if not all_days:
            return replace(phase, alpha=alpha), ""
        n = base.tc_negatives
        return replace(
            phase, alpha=alpha, tc_days="sampled"
        ), f", time-contrastive over {n} sampled days"

    if main == "gate":
        main_label = f"Phase rotation{how}, alpha = Speed Gate (main)"
    elif all_days:
        main_label = f"Phase rotation{how}, alpha = 1{tc_how} (main)"
    else:
        main_label = f"Phase rotation{how}, alpha = 1 (main; gate not installed)"
    specs = [
        ModelSpec(f"phase_{main}", main_label, replace(phase, alpha=main)),
        ModelSpec(
            "static",
            "Static (alpha = 0)",
            replace(phase, alpha="zero", tc_weight=0.0, calendar=False, amplitude=False),
        ),
        ModelSpec(
            "tntcomplex",
            "TNTComplEx (same #params)",
            replace(
                base,
                model="tntcomplex",
                dim=tnt_dim,
                tc_weight=0.0,
                calendar=False,
                amplitude=False,
            ),
        ),
    ]
    if with_gate and main == "one":
        cfg, note = per_relation("gate")
        specs.append(ModelSpec("phase_gate", f"Phase rotation{how}, alpha = Speed Gate{note}", cfg))
    elif with_gate:
        specs.append(
            ModelSpec(
                "phase_one",
                f"Phase rotation{how}, alpha = 1 (no gate)",
                replace(phase, alpha="one"),
            )
        )
    if extras:
        specs.append(
            ModelSpec(
                f"phase_{main}_design",
                f"Phase rotation as in DESIGN.md (s0 = 1, base0 = 1e4, no calendar), "
                f"alpha = {name[main]}{tc_how}",
                replace(phase, alpha=main, **SPEC_SETTINGS),
            )
        )
    specs.append(
        ModelSpec(
            f"phase_{main}_no_tc",
            f"Phase rotation{how}, alpha = {name[main]}, no time-contrastive loss",
            replace(phase, alpha=main, tc_weight=0.0),
        )
    )
    if all_days:
        specs.append(
            ModelSpec(
                f"phase_{main}_tc_sampled",
                f"Phase rotation{how}, alpha = {name[main]}, time-contrastive over "
                f"{base.tc_negatives} sampled days (phases held constant)",
                replace(phase, alpha=main, tc_days="sampled"),
            )
        )
    cfg, note = per_relation("learned")
    specs.append(
        ModelSpec("phase_learned", f"Phase rotation{how}, alpha learned per relation{note}", cfg)
    )
    return specs


def run_compare(
    data_dir: str | Path,
    base: TrainConfig,
    out_dir: str | Path,
    only: list[str] | None = None,
    resume: bool = False,
    on_epoch: Callable[[str, dict[str, float]], None] | None = None,
    on_step: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Train and test every spec; write ``results.json`` and ``table.md`` to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ds = load_dataset(data_dir)
    filters = build_filters(ds)
    lo, hi = ds.day_range
    with_gate = gate_available(ds.vocab.relations)
    tnt_dim = matched_dim(
        ds.n_entities,
        ds.n_relations,
        hi - lo + 1,
        base.dim,
        calendar=base.calendar,
        amplitude=base.amplitude,
    )
    all_specs = default_specs(base, with_gate, tnt_dim)
    labels = {s.key: s.label for s in all_specs}
    specs = [s for s in all_specs if s.key in only] if only else all_specs
    rows: list[dict[str, Any]] = []
    keys = {s.key for s in specs}
    if resume and (out / "results.json").is_file():  # keep rows of earlier runs not redone now
        old = json.loads((out / "results.json").read_text())["rows"]
        rows = [
            {**r, "label": labels.get(r["key"], r["label"])} for r in old if r["key"] not in keys
        ]
    gate_info = None
    if with_gate:
        a = gate_alpha(ds.vocab.relations)
        gate_info = {
            "min": float(a.min()),
            "median": float(np.median(a)),
            "max": float(a.max()),
            "sha256_of_alpha": hashlib.sha256(a.astype(np.float32).tobytes()).hexdigest()[:16],
        }
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    for spec in specs:
        res = train(
            ds,
            spec.config,
            filters,
            out / spec.key,
            resume=resume and (out / spec.key / "last.pt").is_file(),
            on_epoch=_bind(on_epoch, spec.key),
            on_step=_bind(on_step, spec.key),
        )
        test = evaluate(res.model, ds.splits["test"], filters, base.eval_batch)
        row = {
            "key": spec.key,
            "label": spec.label,
            "config": spec.config.to_dict(),
            "params": res.model.n_parameters(),
            "best_epoch": res.best_epoch,
            "valid_mrr": res.best_valid_mrr,
            "test": test,
            "train_seconds": res.seconds,
        }
        if isinstance(res.model, PhaseRotation):
            row["spectrum"] = res.model.spectrum()
        rows.append(row)
        result = {
            "dataset": str(data_dir),
            "started": started,
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "gate": with_gate,
            "gate_alpha": gate_info,
            "rows": rows,
        }
        (out / "results.json").write_text(json.dumps(result, indent=1))
        (out / "table.md").write_text(render_table(result))
    return result


def render_table(result: dict[str, Any]) -> str:
    """Markdown table: time-aware filter first, time-agnostic after, published numbers below."""
    lines = [
        "| model | params | D | epochs (best) | valid MRR | **test MRR** | H@1 | H@3 | H@10 "
        "| time-agnostic MRR | H@1 | H@3 | H@10 | train wall-clock |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        ta, tg, c = r["test"]["time_aware"], r["test"]["time_agnostic"], r["config"]
        lines.append(
            f"| {r['label']} | {r['params']:,} | {c['dim']} | {c['epochs']} ({r['best_epoch']}) "
            f"| {r['valid_mrr']:.4f} | **{ta['mrr']:.4f}** | {ta['hits@1']:.4f} | {ta['hits@3']:.4f} "
            f"| {ta['hits@10']:.4f} | {tg['mrr']:.4f} | {tg['hits@1']:.4f} | {tg['hits@3']:.4f} "
            f"| {tg['hits@10']:.4f} | {r['train_seconds'] / 60:.1f} min |"
        )
    lines.append("")
    lines.append(
        "Published ICEWS14 time-aware filtered test MRR (their papers, larger ranks, GPU): "
    )
    lines.append(", ".join(f"{k} {v}" for k, v in PUBLISHED_ICEWS14.items()) + ".")
    return "\n".join(lines) + "\n"


def _bind(fn: Callable[..., Any] | None, key: str) -> Callable[..., Any] | None:
    """``fn`` with the model's key as its first argument (None stays None)."""
    if fn is None:
        return None
    return lambda *args: fn(key, *args)
