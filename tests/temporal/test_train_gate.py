"""The offline training script's pieces (needs PyTorch, skipped without it)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.temporal.test_gate import make_gate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tg():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead on a shared machine
    spec = importlib.util.spec_from_file_location(
        "train_gate", ROOT / "benchmarks" / "train_gate.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["train_gate"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    yield mod
    sys.modules.pop("train_gate", None)
    torch.set_num_threads(threads)


def test_fit_recovers_the_order_of_relation_rates(tg) -> None:
    rng = np.random.default_rng(0)
    rates = np.array([0.003, 0.01, 0.03, 0.1, 0.3, 0.9])
    emb = rng.normal(size=(len(rates), 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    rel = np.repeat(np.arange(len(rates)), 400)
    delta = rng.integers(1, 30, size=rel.size).astype(np.float64)
    changed = rng.random(rel.size) < -np.expm1(-rates[rel] * delta)
    table = tg.Table(rel, delta, changed)
    net = tg.fit(emb, table, tg.FitConfig(hidden=8, weight_decay=1e-3, steps=400), None)
    got = tg.net_rates(net, emb)
    assert tg.spearman(got, rates) > 0.9
    pa, _ = tg.score_auc(got, table)
    assert pa > tg.auc(delta, changed) + 0.05  # the relation adds to the gap
    # the empirical baseline is the per-relation MLE
    emp, seen, _ = tg.empirical_rates(table, len(rates))
    assert seen.all() and np.allclose(emp, rates, rtol=0.35)


def test_anchor_targets_follow_the_survival_model_and_are_clipped(tg) -> None:
    labelled = (("be born in", None), ("live in", 7300.0), ("feel", 1.0))
    index = {"be born in": 0, "live in": 1, "feel": 2}
    rel, days = tg.anchor_targets(index, labelled)
    assert rel.tolist() == [0, 1, 2] and days.tolist() == [np.inf, 7300.0, 1.0]
    alpha = 1 / (1 + np.exp(-tg.logit_targets(days)))
    assert alpha == pytest.approx([tg.ALPHA_LO, tg.HORIZON_DAYS / 7300.0, tg.ALPHA_HI])


@pytest.mark.parametrize("loss", ["survival", "logit"])
def test_anchors_pull_their_relations_to_the_labelled_speed(tg, loss: str) -> None:
    rng = np.random.default_rng(2)
    emb = rng.normal(size=(4, 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    # ICEWS-like data on relations 0-1 only; anchors 2 (never) and 3 (about 2 months)
    rel = np.repeat([0, 1], 200)
    delta = rng.integers(1, 20, size=rel.size).astype(np.float64)
    table = tg.Table(rel, delta, rng.random(rel.size) < 0.5)
    cfg = tg.FitConfig(hidden=8, weight_decay=1e-3, steps=300, anchor_loss=loss, anchor_weight=1.0)
    net = tg.fit(emb, table, cfg, (np.array([2, 3]), np.array([np.inf, 60.0])))
    gate = tg.to_gate(net, True, {})
    assert gate.default_clock == "everyday" and gate.kappa == pytest.approx(1 / tg.HORIZON_DAYS)
    import torch

    with torch.no_grad():
        z = net.z(torch.from_numpy(emb)).numpy()
    alpha = 1 / (1 + np.exp(-z))
    assert alpha[2] < 0.05 and alpha[3] > 0.9


def test_phase_tuning_runs_and_prefers_time_with_relative_fusion(tg) -> None:
    out = tg.tune_phase(make_gate(), episodes=150, seed=1)
    rows = out["grid"]
    assert {r["fusion"] for r in rows} == {"relative", "raw"}
    assert all(0.0 < r["mean"] <= 1.0 for r in rows)
    best = out["best"]["relative"]
    no_time = next(r for r in rows if r["beta"] == 0.0)
    assert best["mean"] >= no_time["mean"]
    assert math.isfinite(best["s"]) and best["beta"] >= 0
