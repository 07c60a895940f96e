"""Training, evaluation and checkpoints for the temporal KG models (PyTorch).

Loss per batch of (reciprocal-augmented) training quadruples ``(h, r, t, day)``::

    CE(score_all(h, r, day), t)                       # 1-vs-all, tail and head queries
    + reg * L4(e_h, relation factors, e_t)             # N3-style, 4th power
    + tc_weight * listwise time-contrastive loss        # phase model only
    (+ TNTComplEx's temporal smoothness)

Time-contrastive loss: for each fact, ``tc_negatives`` other days are drawn,
a share ``tc_local`` of them near the true day (gap ~ N(0, 2 sigma), non-zero)
and the rest uniformly from the training range; the fact is scored at its own day and at
those days; the target distribution over the ``K + 1`` days is proportional to
``exp(-gap^2 / (2 sigma^2))`` (1 at the true day, and 1 at any drawn day on
which the same triple is also a training fact); the loss is the cross-entropy
between that target and the softmax of the scores.

Optimiser: Adagrad. The spectrum parameters (``log s``, ``log base``) use
``spectrum_lr``. Model selection: the epoch with the best validation
time-aware filtered MRR. ``last.pt`` (every epoch) resumes; ``best.pt`` holds
the selected weights.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.research.tkg._torch import pick_device, require_torch
from phasemem.research.tkg.data import FilterIndex, TKGDataset, Vocab, add_reciprocals
from phasemem.research.tkg.errors import TKGError
from phasemem.research.tkg.metrics import filtered_ranks, ranking_metrics
from phasemem.research.tkg.models import ModelConfig, PhaseRotation, TKGModel, build_model

torch = require_torch()

__all__ = [
    "CHECKPOINT_FORMAT",
    "TrainConfig",
    "evaluate",
    "gate_alpha",
    "load_checkpoint",
    "train",
]

CHECKPOINT_FORMAT = "phasemem-tkg/1"


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (saved in checkpoints)."""

    model: str = "phase"  # phase | tntcomplex
    alpha: str = "gate"  # phase only: gate | learned | one | zero
    dim: int = 128  # complex dimensions
    epochs: int = 20
    batch_size: int = 1000
    lr: float = 0.1
    spectrum_lr: float = 0.01
    reg: float = 3e-2  # L4 weight
    smooth: float = 1e-2  # TNTComplEx temporal smoothness weight
    tc_weight: float = 1.0  # time-contrastive loss weight (0 = off)
    tc_negatives: int = 8
    tc_sigma: float = 3.0  # days
    tc_local: float = 0.5  # share of negative days drawn near the true day (N(0, 2 sigma))
    tc_days: str = "sampled"  # sampled: tc_negatives days, phases constant | all: every day
    init_scale: float = 1e-2
    s_init: float = 1.0  # phase model: initial s (radians per day)
    base_init: float = 1e4  # phase model: initial base of the frequency ladder
    calendar: bool = False  # phase model: learned per-day phase residual
    amplitude: bool = False  # phase model: learned per-day log-modulus (with calendar)
    modulus_init: float = 0.0  # phase model with amplitude: initial log-modulus
    calendar_smooth: float = 1e-2  # phase model: smoothness weight of the calendar over days
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # auto | bf16 | fp32: matmul precision while training
    eval_batch: int = 1000
    valid_every: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    """What a finished run hands back."""

    model: TKGModel
    best_epoch: int
    best_valid_mrr: float
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def gate_alpha(relations: list[str]) -> np.ndarray:
    """Per-relation speeds from the shipped, frozen Semantic Speed Gate."""
    try:
        from phasemem.temporal.gate import load_gate
    except ImportError as exc:
        raise TKGError(
            "--alpha gate needs the Semantic Speed Gate (phasemem.temporal.gate.load_gate), "
            "which is not available in this install; use --alpha learned|one|zero",
        ) from exc
    try:
        vals = np.asarray(load_gate().alpha(list(relations)), dtype=np.float32).reshape(-1)
    except Exception as exc:  # the gate is another module: any failure is "not usable"
        raise TKGError(
            f"--alpha gate: the Semantic Speed Gate failed to load or run: {exc}"
        ) from exc
    if vals.shape[0] != len(relations) or not np.all(np.isfinite(vals)):
        raise TKGError("the Speed Gate returned a malformed alpha vector")
    return vals


def use_bf16(precision: str, device: str) -> bool:
    """Train in bf16 autocast? ``auto``: when the device has fast bf16 matmuls.

    On CPUs with AVX512-BF16 the 1-vs-all score product runs about 5x faster in
    bf16 than in fp32 (the measured reason large ranks fit a CPU budget).
    Parameters, optimiser state, losses and evaluation stay fp32.
    """
    if precision not in ("auto", "bf16", "fp32"):
        raise TKGError(f"precision must be auto, bf16 or fp32, got {precision!r}")
    if precision != "auto":
        return precision == "bf16"
    if device.startswith("cuda"):
        return bool(torch.cuda.is_bf16_supported())
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and bool(
            torch.cpu._is_avx512_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def _make_model(cfg: TrainConfig, ds: TKGDataset, device: str) -> TKGModel:
    lo, hi = ds.day_range
    mcfg = ModelConfig(
        kind=cfg.model,
        n_entities=ds.n_entities,
        n_relations=ds.n_relations,
        dim=cfg.dim,
        day_lo=lo,
        day_hi=hi,
        alpha=cfg.alpha,
        init_scale=cfg.init_scale,
        s_init=cfg.s_init,
        base_init=cfg.base_init,
        calendar=cfg.calendar,
        amplitude=cfg.amplitude,
        modulus_init=cfg.modulus_init,
    )
    alpha = gate_alpha(ds.vocab.relations) if cfg.model == "phase" and cfg.alpha == "gate" else None
    smooth = cfg.calendar_smooth if cfg.model == "phase" else cfg.smooth
    return build_model(mcfg, alpha, smooth).to(device)


def _optimizer(model: TKGModel, cfg: TrainConfig) -> Any:
    spectrum = [p for n, p in model.named_parameters() if n in ("log_s", "log_base")]
    rest = [p for n, p in model.named_parameters() if n not in ("log_s", "log_base")]
    groups = [{"params": rest, "lr": cfg.lr}]
    if spectrum:
        groups.append({"params": spectrum, "lr": cfg.spectrum_lr})
    # fused: one kernel over all parameters (the entity table is updated densely every
    # step). PyTorch has a fused Adagrad for the CPU only; CUDA takes the foreach path.
    if next(model.parameters()).device.type == "cpu":
        return torch.optim.Adagrad(groups, lr=cfg.lr, fused=True)
    return torch.optim.Adagrad(groups, lr=cfg.lr, foreach=True)


@torch.no_grad()
def evaluate(
    model: TKGModel,
    quads: np.ndarray,
    filters: dict[str, FilterIndex],
    batch_size: int = 1000,
) -> dict[str, dict[str, float]]:
    """Filtered MRR / Hits@k over tail and head queries of ``quads`` (``(n, 4)``, no reciprocals).

    Returns ``{filter_name: metrics}`` for every filter given (e.g. ``time_aware``,
    ``time_agnostic``), ranks pessimistic (``>=``).
    """
    model.eval()
    device = next(model.parameters()).device
    q = add_reciprocals(quads, model.cfg.n_relations)
    ranks: dict[str, list[np.ndarray]] = {k: [] for k in filters}
    for i in range(0, len(q), batch_size):
        b = q[i : i + batch_size]
        bt = torch.as_tensor(b, device=device)
        scores = model.score_all(bt[:, 0], bt[:, 1], bt[:, 3]).float().cpu().numpy()
        for name, f in filters.items():
            ranks[name].append(
                filtered_ranks(scores, b[:, 2], f.answers(b[:, 0], b[:, 1], b[:, 3]))
            )
    model.train()
    return {k: ranking_metrics(np.concatenate(v)) for k, v in ranks.items()}


class _TrueKeys:
    """Membership test for (h, r, t, day) in the (reciprocal) training set."""

    def __init__(self, q: np.ndarray, n_ent: int, n_rel2: int, lo: int, n_days: int) -> None:
        self.n_ent, self.n_rel2, self.lo, self.n_days = n_ent, n_rel2, lo, n_days
        self.keys = np.unique(self.key(q[:, 0], q[:, 1], q[:, 2], q[:, 3]))

    def key(self, h: np.ndarray, r: np.ndarray, t: np.ndarray, d: np.ndarray) -> np.ndarray:
        return ((h * self.n_rel2 + r) * self.n_ent + t) * self.n_days + (d - self.lo)

    def contains(self, h: np.ndarray, r: np.ndarray, t: np.ndarray, d: np.ndarray) -> np.ndarray:
        k = self.key(h, r, t, d)
        pos = np.searchsorted(self.keys, k).clip(max=len(self.keys) - 1)
        return self.keys[pos] == k


class _TripleDays:
    """For each training triple ``(h, r, t)``, the days on which it is a training fact."""

    def __init__(self, q: np.ndarray, n_ent: int, n_rel2: int, lo: int) -> None:
        self.n_ent, self.n_rel2, self.lo = n_ent, n_rel2, lo
        keys = self.key(q[:, 0], q[:, 1], q[:, 2])
        order = np.argsort(keys, kind="stable")
        self.keys, self.starts, counts = np.unique(
            keys[order], return_index=True, return_counts=True
        )
        self.counts = counts
        self.days = q[order, 3] - lo

    def key(self, h: np.ndarray, r: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (h.astype(np.int64) * self.n_rel2 + r) * self.n_ent + t

    def indicator(self, batch: np.ndarray, n_days: int) -> np.ndarray:
        """``(B, n_days)`` 0/1: is ``(h, r, t)`` of each row a training fact on that day."""
        k = self.key(batch[:, 0], batch[:, 1], batch[:, 2])
        pos = np.searchsorted(self.keys, k).clip(max=len(self.keys) - 1)
        found = self.keys[pos] == k
        counts = np.where(found, self.counts[pos], 0)
        rows = np.repeat(np.arange(len(batch)), counts)
        first = np.repeat(self.starts[pos] - np.cumsum(counts) + counts, counts)
        cols = self.days[first + np.arange(int(counts.sum()))]
        out = np.zeros((len(batch), n_days), dtype=np.float32)
        out[rows, cols] = 1.0
        return out


def _time_contrastive_all(
    model: PhaseRotation,
    batch: np.ndarray,
    cfg: TrainConfig,
    triple_days: _TripleDays,
    n_days: int,
    device: str,
    eh: Any = None,
    et: Any = None,
) -> Any:
    """The listwise time-contrastive loss over *every* training day (``tc_days = all``).

    Target: ``exp(-gap^2 / (2 sigma^2))`` around the fact's own day, 1 on every other
    day the same triple is a training fact; the scores keep their gradient to the
    per-day tables, so the calendar learns from the contrast between days too.
    """
    own = (batch[:, 3] - triple_days.lo)[:, None]
    gap = np.arange(n_days)[None, :] - own
    w = np.maximum(
        np.exp(-(gap.astype(np.float64) ** 2) / (2.0 * cfg.tc_sigma**2)),
        triple_days.indicator(batch, n_days),
    )
    target = torch.as_tensor(w / w.sum(1, keepdims=True), dtype=torch.float32, device=device)
    bt = torch.as_tensor(batch, device=device)
    scores = model.time_scores_all(bt[:, 0], bt[:, 1], bt[:, 2], eh, et)
    return -(target * torch.log_softmax(scores.float(), dim=1)).sum(1).mean()


def _time_contrastive(
    model: PhaseRotation,
    batch: np.ndarray,
    cfg: TrainConfig,
    truth: _TrueKeys,
    rng: np.random.Generator,
    device: str,
    eh: Any = None,
    et: Any = None,
) -> Any:
    lo, n_days = truth.lo, truth.n_days
    k = cfg.tc_negatives
    b = len(batch)
    own = batch[:, 3][:, None]
    neg = lo + (own - lo + rng.integers(1, n_days, size=(b, k))) % n_days
    n_local = int(round(cfg.tc_local * k))
    if n_local:
        # nearby days, where the Gaussian targets are soft: teaches smooth time profiles
        step = np.rint(rng.normal(0.0, 2.0 * cfg.tc_sigma, size=(b, n_local))).astype(np.int64)
        step[step == 0] = rng.choice(np.array([-1, 1]), size=int((step == 0).sum()))
        near = own + step
        near = np.where((near < lo) | (near > lo + n_days - 1), own - step, near)
        neg[:, :n_local] = near.clip(lo, lo + n_days - 1)
    days = np.concatenate([own, neg], axis=1)
    gap = (days - own).astype(np.float64)
    w = np.exp(-(gap**2) / (2.0 * cfg.tc_sigma**2))
    rep = np.repeat(batch[:, :3], k, axis=0)
    also_true = truth.contains(rep[:, 0], rep[:, 1], rep[:, 2], neg.reshape(-1)).reshape(b, k)
    w[:, 1:][also_true] = 1.0
    target = torch.as_tensor(w / w.sum(1, keepdims=True), dtype=torch.float32, device=device)
    bt = torch.as_tensor(batch, device=device)
    scores = model.time_scores(
        bt[:, 0], bt[:, 1], bt[:, 2], torch.as_tensor(days, device=device), eh, et
    )
    return -(target * torch.log_softmax(scores, dim=1)).sum(1).mean()


def _save(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def _payload(
    model: TKGModel, cfg: TrainConfig, vocab: Vocab, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "train_config": cfg.to_dict(),
        "model_config": model.cfg.to_dict(),
        "vocab": vocab.to_dict(),
        "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **extra,
    }


def train(
    ds: TKGDataset,
    cfg: TrainConfig,
    filters: dict[str, FilterIndex],
    out_dir: str | Path | None = None,
    resume: bool = False,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Train ``cfg.model`` on ``ds.train``, select on ``ds.splits['valid']``.

    ``on_epoch`` gets each epoch's log row; ``on_step(step, steps_per_epoch)`` each batch.
    With ``out_dir``, writes ``last.pt`` every epoch and ``best.pt`` on improvement;
    ``resume=True`` continues from ``out_dir/last.pt``.
    """
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    if cfg.tc_days not in ("sampled", "all"):
        raise TKGError(f"tc_days must be 'sampled' or 'all', got {cfg.tc_days!r}")
    if cfg.amplitude and not (cfg.model == "phase" and cfg.calendar):
        raise TKGError("--amplitude is a phase-model option and needs --calendar")
    model = _make_model(cfg, ds, device)
    opt = _optimizer(model, cfg)
    start_epoch, best_mrr, best_epoch = 0, -1.0, -1
    history: list[dict[str, float]] = []
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if resume:
        if out is None or not (out / "last.pt").is_file():
            raise TKGError(f"nothing to resume: {out}/last.pt not found")
        ck = torch.load(out / "last.pt", map_location=device, weights_only=False)
        defaults = TrainConfig().to_dict()  # settings added since the checkpoint was written
        saved = {
            k: ck["train_config"].get(k, defaults[k])
            for k in defaults
            if k not in ("epochs", "device")
        }
        wanted = {k: v for k, v in cfg.to_dict().items() if k not in ("epochs", "device")}
        if saved != wanted:
            diff = sorted(k for k in wanted if saved.get(k) != wanted[k])
            raise TKGError(f"cannot resume {out}/last.pt: its settings differ in {diff}")
        model.load_state_dict(ck["model_state"])
        opt.load_state_dict(ck["optimizer_state"])
        start_epoch, best_mrr, best_epoch = ck["epoch"], ck["best_valid_mrr"], ck["best_epoch"]
        history = ck["history"]
        best_state = {k: v.to(device) for k, v in ck["best_model_state"].items()}
        rng.bit_generator.state = ck["numpy_rng"]
        torch.set_rng_state(ck["torch_rng"])
    if "valid" not in ds.splits:
        raise TKGError("training needs a valid split for model selection")

    train_q = add_reciprocals(ds.train, ds.n_relations)
    lo, hi = ds.day_range
    truth = _TrueKeys(train_q, ds.n_entities, 2 * ds.n_relations, lo, hi - lo + 1)
    use_tc = cfg.tc_weight > 0 and isinstance(model, PhaseRotation) and cfg.alpha != "zero"
    triple_days = (
        _TripleDays(train_q, ds.n_entities, 2 * ds.n_relations, lo)
        if use_tc and cfg.tc_days == "all"
        else None
    )
    valid_filters = {"time_aware": filters["time_aware"]}
    ce = torch.nn.CrossEntropyLoss()
    bf16 = use_bf16(cfg.precision, device)
    dev_type = "cuda" if device.startswith("cuda") else "cpu"
    t0 = time.perf_counter()
    prior_seconds = history[-1]["seconds"] if history else 0.0
    steps = (len(train_q) + cfg.batch_size - 1) // cfg.batch_size
    for epoch in range(start_epoch, cfg.epochs):
        order = rng.permutation(len(train_q))
        sums = {"fit": 0.0, "reg": 0.0, "tc": 0.0}
        model.train()
        for step in range(steps):
            b = train_q[order[step * cfg.batch_size : (step + 1) * cfg.batch_size]]
            bt = torch.as_tensor(b, device=device)
            h, r, t, d = bt[:, 0], bt[:, 1], bt[:, 2], bt[:, 3]
            eh, et = model.ent(torch.cat([h, t])).split(len(b))  # one lookup per step
            with torch.autocast(dev_type, dtype=torch.bfloat16, enabled=bf16):
                scores = model.score_all(h, r, d, eh)
            fit = ce(scores.float(), t)
            reg = cfg.reg * model.l4(h, r, t, d, eh, et) + model.extra_regularizer()
            loss = fit + reg
            if use_tc:
                assert isinstance(model, PhaseRotation)  # use_tc says so
                if triple_days is not None:
                    tc = _time_contrastive_all(
                        model, b, cfg, triple_days, hi - lo + 1, device, eh, et
                    )
                else:
                    tc = _time_contrastive(model, b, cfg, truth, rng, device, eh, et)
                loss = loss + cfg.tc_weight * tc
                sums["tc"] += float(tc.detach())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sums["fit"] += float(fit.detach())
            sums["reg"] += float(reg.detach())
            if on_step is not None:
                on_step(step + 1, steps)
        row: dict[str, float] = {"epoch": epoch + 1, **{k: v / steps for k, v in sums.items()}}
        if (epoch + 1) % cfg.valid_every == 0 or epoch + 1 == cfg.epochs:
            mrr = evaluate(model, ds.splits["valid"], valid_filters, cfg.eval_batch)["time_aware"][
                "mrr"
            ]
            row["valid_mrr"] = mrr
            if mrr > best_mrr:
                best_mrr, best_epoch = mrr, epoch + 1
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                if out is not None:
                    _save(
                        out / "best.pt",
                        _payload(model, cfg, ds.vocab, {"epoch": epoch + 1, "valid_mrr": mrr}),
                    )
        if isinstance(model, PhaseRotation):
            row.update(model.spectrum())
        row["seconds"] = prior_seconds + time.perf_counter() - t0
        history.append(row)
        if out is not None:
            extra = {
                "epoch": epoch + 1,
                "best_valid_mrr": best_mrr,
                "best_epoch": best_epoch,
                "history": history,
                "optimizer_state": opt.state_dict(),
                "best_model_state": {k: v.cpu() for k, v in best_state.items()},
                "numpy_rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
            }
            _save(out / "last.pt", _payload(model, cfg, ds.vocab, extra))
            (out / "history.json").write_text(json.dumps(history, indent=1))
        if on_epoch is not None:
            on_epoch(row)
    model.load_state_dict(best_state)
    seconds = history[-1]["seconds"] if history else 0.0
    return TrainResult(model, best_epoch, best_mrr, history, seconds)


def load_checkpoint(
    path: str | Path, device: str = "auto"
) -> tuple[TKGModel, Vocab, dict[str, Any]]:
    """Rebuild a model from ``best.pt`` / ``last.pt``; returns ``(model, vocab, checkpoint)``.

    A ``last.pt`` loads its *current* weights (use ``best.pt`` for the selected ones).
    """
    p = Path(path)
    if not p.is_file():
        raise TKGError(f"checkpoint not found: {p}")
    try:
        ck = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a bad file
        raise TKGError(f"not a readable checkpoint: {p}: {exc}") from exc
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise TKGError(f"not a phasemem TKG checkpoint: {p}")
    mcfg = ModelConfig(**ck["model_config"])
    dummy_alpha = np.zeros(mcfg.n_relations, dtype=np.float32)  # real values come from the state
    model = build_model(mcfg, dummy_alpha, ck["train_config"].get("smooth", 1e-2))
    model.load_state_dict(ck["model_state"])
    model.to(pick_device(device))
    return model, Vocab.from_dict(ck["vocab"]), ck
