"""``phasemem tkg``: train, evaluate and compare temporal KG models.

This module imports no torch at import time, so ``phasemem --help`` works
without the ``[tkg]`` extra; each command loads torch when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from phasemem.research.tkg.data import DEFAULT_DATA_ROOT

DEFAULT_DATA = str(DEFAULT_DATA_ROOT / "icews14")


def _train_options(f: Any) -> Any:
    opts = [
        click.option("--dim", default=128, show_default=True, help="Complex dimensions D."),
        click.option("--epochs", default=20, show_default=True),
        click.option("--batch-size", default=1000, show_default=True),
        click.option("--lr", default=0.1, show_default=True, help="Adagrad learning rate."),
        click.option(
            "--spectrum-lr", default=0.01, show_default=True, help="Adagrad lr of log s, log base."
        ),
        click.option(
            "--s-init", default=1.0, show_default=True, help="Phase model: initial s (rad/day)."
        ),
        click.option(
            "--base-init", default=1e4, show_default=True, help="Phase model: initial base."
        ),
        click.option(
            "--calendar/--no-calendar",
            default=False,
            show_default=True,
            help="Phase model: add a learned per-day phase residual (see docs/tkg.md).",
        ),
        click.option(
            "--amplitude/--no-amplitude",
            default=False,
            show_default=True,
            help="Phase model with --calendar: also learn a per-day log-modulus.",
        ),
        click.option(
            "--modulus-init",
            default=0.0,
            show_default=True,
            help="Phase model with --amplitude: initial log-modulus of the rotor (0: unit).",
        ),
        click.option(
            "--calendar-smooth",
            default=1e-2,
            show_default=True,
            help="Phase model: weight of the calendar's day-to-day smoothness penalty.",
        ),
        click.option("--reg", default=3e-2, show_default=True, help="L4 regulariser weight."),
        click.option(
            "--smooth", default=1e-2, show_default=True, help="TNTComplEx time smoothness weight."
        ),
        click.option(
            "--tc-weight",
            default=1.0,
            show_default=True,
            help="Time-contrastive loss weight (0 = off).",
        ),
        click.option("--tc-negatives", default=8, show_default=True),
        click.option(
            "--tc-sigma", default=3.0, show_default=True, help="Gaussian target width (days)."
        ),
        click.option(
            "--tc-local",
            default=0.5,
            show_default=True,
            help="Share of negative days drawn near the true day.",
        ),
        click.option(
            "--tc-days",
            type=click.Choice(["sampled", "all"]),
            default="sampled",
            show_default=True,
            help="Time-contrastive negatives: --tc-negatives sampled days (phases held "
            "constant), or every training day (the per-day tables learn from it too).",
        ),
        click.option(
            "--threads",
            default=0,
            show_default=True,
            help="CPU threads for torch (0 = torch's default; 1 is best on a busy shared CPU).",
        ),
        click.option("--seed", default=0, show_default=True),
        click.option(
            "--precision",
            type=click.Choice(["auto", "bf16", "fp32"]),
            default="auto",
            show_default=True,
            help="Training matmul precision; auto = bf16 where the CPU/GPU has fast bf16.",
        ),
        click.option(
            "--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1 ..."
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _config(threads: int = 0, **kw: Any) -> Any:
    from phasemem.research.tkg.train import TrainConfig

    if threads > 0:  # 1 is much faster than the default on a CPU shared with other jobs
        import torch

        torch.set_num_threads(threads)
    return TrainConfig(**kw)


class _Bar:
    """A rich progress bar over the batches of each epoch, with the running valid MRR."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task: Any = None
        self.name = ""
        self.epoch = 1
        self.mrr = "-"

    def __enter__(self) -> _Bar:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.__exit__(kind, exc, tb)

    def step(self, name: str, step: int, steps: int) -> None:
        if self.task is None or name != self.name:
            self.name = name
            self.mrr = "-"
            self.epoch = 1
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task = self.progress.add_task("", total=steps)
        if step == 1:
            self.progress.reset(self.task, total=steps)
        desc = f"{name} epoch {self.epoch} | valid MRR {self.mrr}"
        self.progress.update(self.task, completed=step, description=desc)

    def epoch_done(self, name: str, row: dict[str, float]) -> None:
        self.epoch = int(row["epoch"]) + 1
        if "valid_mrr" in row:
            self.mrr = f"{row['valid_mrr']:.4f}"
        extra = f" s={row['s']:.4g} base={row['base']:.4g}" if "s" in row else ""
        self.console.print(
            f"\\[{name}] epoch {int(row['epoch'])}: fit {row['fit']:.4f} reg {row['reg']:.4f} "
            f"tc {row['tc']:.4f} valid MRR {row.get('valid_mrr', float('nan')):.4f}{extra} "
            f"({row['seconds']:.0f}s)"
        )


@click.group(name="tkg")
def tkg() -> None:
    """Temporal KG completion (ICEWS): the phase-rotation model and baselines. Needs [tkg]."""


@tkg.command("train")
@click.option(
    "--data",
    "data_dir",
    default=DEFAULT_DATA,
    show_default=True,
    type=click.Path(),
    help="Dir with train/valid/test.txt.",
)
@click.option(
    "--model", type=click.Choice(["phase", "tntcomplex"]), default="phase", show_default=True
)
@click.option(
    "--alpha",
    type=click.Choice(["gate", "learned", "one", "zero"]),
    default="gate",
    show_default=True,
    help="Phase model: relation speed source (zero = static).",
)
@click.option(
    "--out",
    "out_dir",
    default="runs/tkg/train",
    show_default=True,
    type=click.Path(),
    help="Checkpoint dir (last.pt, best.pt).",
)
@click.option("--resume", is_flag=True, help="Continue from OUT/last.pt.")
@_train_options
def train_cmd(data_dir: str, model: str, alpha: str, out_dir: str, resume: bool, **kw: Any) -> None:
    """Train one model, keep the best-on-validation checkpoint, report test metrics."""
    from phasemem.research.tkg.data import build_filters, load_dataset
    from phasemem.research.tkg.train import evaluate, train

    cfg = _config(model=model, alpha=alpha, **kw)
    ds = load_dataset(data_dir)
    filters = build_filters(ds)
    with _Bar() as bar:
        res = train(
            ds,
            cfg,
            filters,
            out_dir,
            resume=resume,
            on_epoch=lambda row: bar.epoch_done(model, row),
            on_step=lambda s, n: bar.step(model, s, n),
        )
    test = evaluate(res.model, ds.splits["test"], filters, cfg.eval_batch)
    report = {
        "best_epoch": res.best_epoch,
        "valid_mrr": res.best_valid_mrr,
        "test": test,
        "params": res.model.n_parameters(),
        "train_seconds": res.seconds,
    }
    Path(out_dir, "test_metrics.json").write_text(json.dumps(report, indent=1))
    click.echo(json.dumps(report, indent=1))


@tkg.command("eval")
@click.option("--checkpoint", required=True, type=click.Path(), help="best.pt or last.pt.")
@click.option(
    "--data",
    "data_dir",
    default=None,
    type=click.Path(),
    help="Dataset dir (default: the one it was trained on, ../shared/data/icews14).",
)
@click.option(
    "--split", default="test", show_default=True, help="Split file to score (valid, test)."
)
@click.option("--device", default="auto", show_default=True)
def eval_cmd(checkpoint: str, data_dir: str | None, split: str, device: str) -> None:
    """Time-aware (primary) and time-agnostic filtered MRR/Hits of a checkpoint."""
    from phasemem.research.tkg.data import build_filters, load_dataset
    from phasemem.research.tkg.train import evaluate, load_checkpoint

    model, vocab, ck = load_checkpoint(checkpoint, device)
    ds = load_dataset(data_dir or DEFAULT_DATA, vocab=vocab)
    filters = build_filters(ds)
    if split not in ds.splits:
        raise click.BadParameter(f"no split {split!r}", param_hint="--split")
    res = evaluate(model, ds.splits[split], filters)
    click.echo(json.dumps({"checkpoint": checkpoint, "split": split, **res}, indent=1))


@tkg.command("compare")
@click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True, type=click.Path())
@click.option(
    "--out",
    "out_dir",
    default="runs/tkg/compare",
    show_default=True,
    type=click.Path(),
    help="Writes results.json, table.md, one checkpoint dir per model.",
)
@click.option(
    "--only",
    multiple=True,
    help="Run only these rows (phase_gate, phase_one, phase_learned, phase_gate_no_tc, phase_one_no_tc, static, tntcomplex).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Resume each model from its last.pt (finished ones are only re-tested).",
)
@_train_options
def compare_cmd(
    data_dir: str, out_dir: str, only: tuple[str, ...], resume: bool, **kw: Any
) -> None:
    """Train the phase model, its ablations, the static model and TNTComplEx; write a table."""
    from phasemem.research.tkg.compare import render_table, run_compare

    base = _config(**kw)
    with _Bar() as bar:
        result = run_compare(
            data_dir,
            base,
            out_dir,
            list(only) or None,
            resume,
            on_epoch=bar.epoch_done,
            on_step=bar.step,
        )
    click.echo(render_table(result))
