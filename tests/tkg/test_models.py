"""Phase-rotation model, TNTComplEx, training, checkpoints (needs torch; fast)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from phasemem.errors import InvalidInputError  # noqa: E402
from phasemem.research.tkg.data import build_filters, load_dataset  # noqa: E402
from phasemem.research.tkg.errors import TKGError  # noqa: E402
from phasemem.research.tkg.models import ModelConfig, PhaseRotation, TNTComplEx  # noqa: E402
from phasemem.research.tkg.train import TrainConfig, evaluate, load_checkpoint, train  # noqa: E402


def _cfg(**kw: object) -> TrainConfig:
    base = dict(
        dim=16, epochs=60, batch_size=64, lr=0.1, reg=1e-3, tc_weight=0.1, device="cpu", seed=0
    )
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_rotation_beats_static_on_time_dependent_kg(synthetic_dir: Path) -> None:
    torch.set_num_threads(1)
    ds = load_dataset(synthetic_dir)
    filters = build_filters(ds)
    res = {}
    for alpha in ("one", "zero"):
        out = train(ds, _cfg(alpha=alpha, model="phase"), filters)
        res[alpha] = evaluate(out.model, ds.splits["test"], filters)["time_aware"]["mrr"]
    # the static model cannot tell which of a subject's 4 objects holds on a given day
    assert res["one"] > res["zero"] + 0.15, res
    assert res["one"] > 0.8, res


def test_query_matches_explicit_score() -> None:
    cfg = ModelConfig(
        "phase",
        n_entities=5,
        n_relations=2,
        dim=4,
        day_lo=0,
        day_hi=9,
        alpha="learned",
        init_scale=0.5,
    )
    m = PhaseRotation(cfg)
    h, r, t, d = (
        torch.tensor([1, 2]),
        torch.tensor([0, 3]),
        torch.tensor([4, 0]),
        torch.tensor([3, 7]),
    )
    all_scores = m.score_all(h, r, d)
    # explicit complex formula
    e = torch.complex(m.ent.weight[:, :4], m.ent.weight[:, 4:])
    rr = torch.complex(m.rel_rot.weight[:, :4], m.rel_rot.weight[:, 4:])
    rs = torch.complex(m.rel_static.weight[:, :4], m.rel_static.weight[:, 4:])
    th = m.theta(r, d)
    want = (e[h] * (rr[r] * torch.exp(1j * th) + rs[r]) * e[t].conj()).real.sum(-1)
    got = all_scores[torch.arange(2), t]
    assert torch.allclose(got, want, atol=1e-5)
    # score_times at the fact's own day equals score_all
    st = m.score_times(h, r, t, d[:, None])[:, 0]
    assert torch.allclose(st, want, atol=1e-5)
    # time_scores = score_times minus the time-free (static factor) term, at several days
    days = torch.tensor([[0, 3, 50], [7, 99, 20]])
    static = (e[h] * rs[r] * e[t].conj()).real.sum(-1)
    full = m.score_times(h, r, t, days)
    assert torch.allclose(m.time_scores(h, r, t, days), full - static[:, None], atol=1e-5)
    # theta = alpha_r * s * omega_j * (day - centre); reciprocal shares alpha
    a = torch.sigmoid(m.alpha_logit)
    omega = 1e4 ** (-torch.arange(4) / 4)
    assert torch.allclose(th[1], a[1] * 1.0 * omega * (7 - 4.5), atol=1e-4)


def test_static_mode_is_time_free() -> None:
    cfg = ModelConfig("phase", 5, 2, 4, 0, 99, alpha="zero", init_scale=0.5)
    m = PhaseRotation(cfg)
    h, r = torch.tensor([0]), torch.tensor([1])
    assert torch.allclose(
        m.score_all(h, r, torch.tensor([0])), m.score_all(h, r, torch.tensor([60]))
    )


def test_tntcomplex_shapes_and_range() -> None:
    m = TNTComplEx(ModelConfig("tntcomplex", 6, 2, 4, 10, 19))
    s = m.score_all(torch.tensor([0, 1]), torch.tensor([0, 3]), torch.tensor([10, 19]))
    assert s.shape == (2, 6)
    assert float(m.extra_regularizer().detach()) >= 0
    with pytest.raises(InvalidInputError, match="outside"):
        m.score_all(torch.tensor([0]), torch.tensor([0]), torch.tensor([20]))


def test_save_load_roundtrip_and_resume(synthetic_dir: Path, tmp_path: Path) -> None:
    ds = load_dataset(synthetic_dir)
    filters = build_filters(ds)
    out = tmp_path / "ck"
    res = train(ds, _cfg(alpha="learned", epochs=3), filters, out)
    model, vocab, ck = load_checkpoint(out / "best.pt", "cpu")
    assert vocab.entities == ds.vocab.entities and ck["epoch"] == res.best_epoch
    a = evaluate(res.model, ds.splits["test"], filters)
    b = evaluate(model, ds.splits["test"], filters)
    assert a == b
    # resume to 5 epochs == one 5-epoch run (same seed, same batches)
    resumed = train(ds, _cfg(alpha="learned", epochs=5), filters, out, resume=True)
    straight = train(ds, _cfg(alpha="learned", epochs=5), filters, tmp_path / "straight")
    assert len(resumed.history) == 5
    assert resumed.best_valid_mrr == pytest.approx(straight.best_valid_mrr, abs=1e-6)
    for k, v in straight.model.state_dict().items():
        assert torch.allclose(v, resumed.model.state_dict()[k], atol=1e-6), k


def test_tntcomplex_trains(synthetic_dir: Path) -> None:
    ds = load_dataset(synthetic_dir)
    res = train(ds, _cfg(model="tntcomplex", epochs=2), build_filters(ds))
    assert res.best_epoch >= 1 and np.isfinite(res.best_valid_mrr)


def test_gate_mode_without_gate_is_a_clear_error(
    synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "phasemem.temporal.gate", None)  # makes the import fail
    ds = load_dataset(synthetic_dir)
    with pytest.raises(TKGError, match="Speed Gate"):
        train(ds, _cfg(alpha="gate", epochs=1), build_filters(ds))


def test_bad_checkpoint(tmp_path: Path) -> None:
    p = tmp_path / "x.pt"
    torch.save({"hello": 1}, p)
    with pytest.raises(TKGError, match="not a phasemem TKG checkpoint"):
        load_checkpoint(p)
    with pytest.raises(TKGError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_gate_mode_uses_frozen_gate_values(
    synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    seen: list[list[str]] = []

    class FakeGate:
        def alpha(self, texts: list[str]) -> np.ndarray:
            seen.append(list(texts))
            return np.array([0.9 if t == "holds" else 0.05 for t in texts])

    fake = types.ModuleType("phasemem.temporal.gate")
    fake.load_gate = lambda: FakeGate()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "phasemem.temporal.gate", fake)
    ds = load_dataset(synthetic_dir)
    res = train(ds, _cfg(alpha="gate", epochs=1), build_filters(ds))
    assert seen == [ds.vocab.relations]
    alpha = res.model.alpha()
    assert not alpha.requires_grad  # frozen
    assert torch.allclose(alpha, torch.tensor([0.9, 0.05]))  # vocab order: holds, likes


def test_calendar_phase_residual() -> None:
    cfg = ModelConfig("phase", 5, 2, 4, 0, 9, alpha="learned", init_scale=0.5, calendar=True)
    m = PhaseRotation(cfg, smooth_weight=0.1)
    h, r, t = torch.tensor([0, 3]), torch.tensor([1, 2]), torch.tensor([4, 1])
    d = torch.tensor([2, 7])
    # starts as the plain model: zero residual, zero penalty
    plain = PhaseRotation(ModelConfig("phase", 5, 2, 4, 0, 9, alpha="learned", init_scale=0.5))
    plain.load_state_dict({k: v for k, v in m.state_dict().items() if k != "calendar.weight"})
    assert torch.allclose(m.score_all(h, r, d), plain.score_all(h, r, d))
    assert float(m.extra_regularizer().detach()) == 0.0
    with torch.no_grad():
        m.calendar.weight.normal_()
    a = torch.sigmoid(m.alpha_logit)[r % 2]
    omega = 1e4 ** (-torch.arange(4) / 4)
    want = a[:, None] * (omega * (d[:, None] - 4.5) + m.calendar.weight[d])
    assert torch.allclose(m.theta(r, d), want, atol=1e-5)
    # the cheap time-contrastive scores still equal the full ones minus the static part
    days = torch.tensor([[0, 3, 9], [7, 1, 5]])
    e = torch.complex(m.ent.weight[:, :4], m.ent.weight[:, 4:])
    rs = torch.complex(m.rel_static.weight[:, :4], m.rel_static.weight[:, 4:])
    static = (e[h] * rs[r] * e[t].conj()).real.sum(-1)
    full = m.score_times(h, r, t, days)
    assert torch.allclose(m.time_scores(h, r, t, days), full - static[:, None], atol=1e-5)
    assert float(m.extra_regularizer().detach()) > 0.0
    with pytest.raises(InvalidInputError, match="outside"):
        m.theta(r, torch.tensor([2, 10]))


def test_amplitude_is_the_calendars_modulus() -> None:
    kw = {"alpha": "learned", "init_scale": 0.5, "calendar": True}
    m = PhaseRotation(ModelConfig("phase", 5, 2, 4, 0, 9, amplitude=True, **kw), smooth_weight=0.1)
    plain = PhaseRotation(ModelConfig("phase", 5, 2, 4, 0, 9, **kw), smooth_weight=0.1)
    h, r, t = torch.tensor([0, 3]), torch.tensor([1, 2]), torch.tensor([4, 1])
    d = torch.tensor([2, 7])
    with torch.no_grad():
        m.calendar.weight.normal_()
    plain.load_state_dict({k: v for k, v in m.state_dict().items() if "log_modulus" not in k})
    # zero log-modulus at start: exactly the calendar model, same penalties
    assert torch.allclose(m.score_all(h, r, d), plain.score_all(h, r, d))
    assert torch.allclose(m.extra_regularizer(), plain.extra_regularizer())
    assert torch.allclose(m.l4(h, r, t, d), plain.l4(h, r, t, d))
    with torch.no_grad():
        m.log_modulus_table.weight.normal_(std=0.3)
    a = torch.sigmoid(m.alpha_logit)[r % 2]
    mod = torch.exp(a[:, None] * m.log_modulus_table.weight[d])
    th = m.theta(r, d)
    # brute force in complex arithmetic: e_h * (r_rot * exp(a (rho + i theta)) + r_static) . conj(e_t)
    e = torch.complex(m.ent.weight[:, :4], m.ent.weight[:, 4:])
    rot = torch.complex(m.rel_rot.weight[:, :4], m.rel_rot.weight[:, 4:])
    rs = torch.complex(m.rel_static.weight[:, :4], m.rel_static.weight[:, 4:])
    op = rot[r] * mod * torch.exp(1j * th) + rs[r]
    want = (e[h][:, None, :] * op[:, None, :] * e.conj()[None]).real.sum(-1)
    assert torch.allclose(m.score_all(h, r, d), want, atol=1e-5)
    # the time-contrastive shortcut still equals full scores minus the static part
    days = torch.tensor([[0, 3, 9], [7, 1, 5]])
    static = (e[h] * rs[r] * e[t].conj()).real.sum(-1)
    full = m.score_times(h, r, t, days)
    assert torch.allclose(m.time_scores(h, r, t, days), full - static[:, None], atol=1e-5)
    # L4 sees the modulated factor; smoothness now also sees the modulus steps
    assert not torch.allclose(m.l4(h, r, t, d), plain.l4(h, r, t, d))
    assert float(m.extra_regularizer().detach()) > float(plain.extra_regularizer().detach())
    with pytest.raises(ValueError, match="calendar"):
        PhaseRotation(ModelConfig("phase", 5, 2, 4, 0, 9, amplitude=True))


def test_amplitude_trains_and_needs_a_calendar(synthetic_dir: Path, tmp_path: Path) -> None:
    ds = load_dataset(synthetic_dir)
    filters = build_filters(ds)
    cfg = _cfg(alpha="one", epochs=1, calendar=True, amplitude=True)
    res = train(ds, cfg, filters, tmp_path / "amp")
    model, _, ck = load_checkpoint(tmp_path / "amp" / "best.pt", "cpu")
    assert ck["model_config"]["amplitude"] is True
    assert evaluate(res.model, ds.splits["test"], filters) == evaluate(
        model, ds.splits["test"], filters
    )
    with pytest.raises(TKGError, match="calendar"):
        train(ds, _cfg(alpha="one", epochs=1, amplitude=True), filters)


def test_calendar_model_trains_and_round_trips(synthetic_dir: Path, tmp_path: Path) -> None:
    ds = load_dataset(synthetic_dir)
    filters = build_filters(ds)
    res = train(ds, _cfg(alpha="one", epochs=2, calendar=True), filters, tmp_path / "cal")
    model, _, ck = load_checkpoint(tmp_path / "cal" / "best.pt", "cpu")
    assert ck["model_config"]["calendar"] is True
    a = evaluate(res.model, ds.splits["test"], filters)
    assert a == evaluate(model, ds.splits["test"], filters)


def test_precision_choice() -> None:
    from phasemem.research.tkg.train import use_bf16

    assert use_bf16("fp32", "cpu") is False
    assert use_bf16("bf16", "cpu") is True
    assert isinstance(use_bf16("auto", "cpu"), bool)
    with pytest.raises(TKGError):
        use_bf16("fp8", "cpu")


def test_fp32_and_bf16_training_agree_roughly(synthetic_dir: Path) -> None:
    ds = load_dataset(synthetic_dir)
    filters = build_filters(ds)
    mrr = {}
    for p in ("fp32", "bf16"):
        out = train(ds, _cfg(alpha="one", epochs=20, precision=p), filters)
        mrr[p] = evaluate(out.model, ds.splits["test"], filters)["time_aware"]["mrr"]
    assert abs(mrr["fp32"] - mrr["bf16"]) < 0.1, mrr


def test_calendar_and_tnt_smoothness_are_separate_settings(synthetic_dir: Path) -> None:
    from phasemem.research.tkg.train import _make_model

    ds = load_dataset(synthetic_dir)
    cfg = _cfg(alpha="one", calendar=True, calendar_smooth=0.0, smooth=0.5)
    assert _make_model(cfg, ds, "cpu").smooth_weight == 0.0
    assert _make_model(replace(cfg, model="tntcomplex"), ds, "cpu").smooth_weight == 0.5


def test_modulus_init_scales_the_rotating_part() -> None:
    """modulus_init = log(c) starts the rotor at modulus c: the rotating factor's
    score is c times the unit rotor's, the static part unchanged."""
    kw = {"alpha": "one", "init_scale": 0.5, "calendar": True, "amplitude": True}
    unit = PhaseRotation(ModelConfig("phase", 5, 2, 4, 0, 9, **kw))
    small = PhaseRotation(ModelConfig("phase", 5, 2, 4, 0, 9, modulus_init=math.log(0.01), **kw))
    assert torch.allclose(small.log_modulus_table.weight, torch.full((10, 4), math.log(0.01)))
    small.load_state_dict({k: v for k, v in unit.state_dict().items() if "log_modulus" not in k},
                          strict=False)  # fmt: skip
    h, r, d = torch.tensor([0, 3]), torch.tensor([1, 2]), torch.tensor([2, 7])
    static = PhaseRotation(ModelConfig("phase", 5, 2, 4, 0, 9, **kw))
    static.load_state_dict(unit.state_dict())
    with torch.no_grad():
        static.rel_rot.weight.zero_()
    base = static.score_all(h, r, d)
    got = small.score_all(h, r, d) - base
    assert torch.allclose(got, 0.01 * (unit.score_all(h, r, d) - base), atol=1e-6)


@pytest.mark.parametrize("alpha", ["one", "learned"])
def test_time_scores_all_equal_per_day_scores(alpha: str) -> None:
    """Scoring every day at once (the all-days time-contrastive loss) equals scoring
    each day separately, for a shared speed (one product) and per-relation speeds."""
    kw = {"alpha": alpha, "init_scale": 0.5, "calendar": True, "amplitude": True}
    m = PhaseRotation(ModelConfig("phase", 5, 3, 4, 2, 11, **kw))
    with torch.no_grad():
        m.calendar.weight.normal_()
        m.log_modulus_table.weight.normal_(std=0.3)
    h, r, t = torch.tensor([0, 3, 2]), torch.tensor([1, 4, 1]), torch.tensor([4, 1, 0])
    days = torch.arange(2, 12).expand(3, -1)
    want = m.time_scores(h, r, t, days)
    got = m.time_scores_all(h, r, t)
    assert got.shape == (3, 10)
    assert torch.allclose(got, want, atol=1e-5)
    # and the day tables get a gradient from it (the sampled loss keeps them constant)
    got.sum().backward()
    assert m.calendar.weight.grad is not None and m.calendar.weight.grad.abs().sum() > 0
    assert m.log_modulus_table.weight.grad.abs().sum() > 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 3), st.integers(5, 12)),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 3)), min_size=1),
)
def test_triple_days_indicator_matches_brute_force(
    facts: list[tuple[int, int, int, int]], asked: list[tuple[int, int, int]]
) -> None:
    from phasemem.research.tkg.train import _TripleDays

    q = np.array(facts, dtype=np.int64)
    batch = np.array([(*a, 5) for a in asked], dtype=np.int64)
    got = _TripleDays(q, 4, 2, 5).indicator(batch, 8)
    want = np.zeros_like(got)
    for i, (h, r, t, _) in enumerate(batch):
        for fh, fr, ft, fd in facts:
            if (fh, fr, ft) == (h, r, t):
                want[i, fd - 5] = 1.0
    assert np.array_equal(got, want)


def test_all_days_time_contrastive_trains(synthetic_dir: Path) -> None:
    torch.set_num_threads(1)
    ds = load_dataset(synthetic_dir)
    filters = build_filters(ds)
    cal = {"calendar": True, "amplitude": True}
    out = train(ds, _cfg(alpha="one", tc_days="all", **cal), filters)
    mrr = evaluate(out.model, ds.splits["test"], filters)["time_aware"]["mrr"]
    assert mrr > 0.8, mrr
    assert out.history[-1]["tc"] > 0
    gated = train(ds, _cfg(alpha="learned", tc_days="all", epochs=2, **cal), filters)
    assert gated.history[-1]["tc"] > 0
    with pytest.raises(TKGError, match="tc_days"):
        train(ds, _cfg(alpha="one", tc_days="every", epochs=1), filters)
