"""The distillation steps of benchmarks/distill_static.py on small synthetic input."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def distill() -> ModuleType:
    path = ROOT / "benchmarks" / "distill_static.py"
    spec = importlib.util.spec_from_file_location("distill_static", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("distill_static", mod)
    spec.loader.exec_module(mod)
    return mod


def test_sif_weights_fall_with_frequency(distill: ModuleType) -> None:
    w = distill.sif_weights(30522, 3e-3)
    assert w[1996] < w[2100] < w[10000] < w[30000] < 1.0  # "the" weighs least among words
    assert w[1000] == w[1996]  # characters and punctuation count as most frequent


def test_distil_is_deterministic_and_zeroes_specials(distill: ModuleType) -> None:
    raw = np.random.default_rng(1).normal(size=(2300, 24)).astype(np.float32)
    a, b = distill.distil(raw, 8, 1e-3), distill.distil(raw.copy(), 8, 1e-3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2300, 8) and a.dtype == np.float32
    assert not a[:999][np.arange(999) != 100].any()  # [PAD], [unusedN], specials
    assert a[100].any() and a[1500].any()  # [UNK] and real tokens keep a vector


def test_write_npz_is_byte_reproducible(distill: ModuleType, tmp_path: Path) -> None:
    arrays = {"packed": np.arange(10, dtype=np.uint8), "meta": np.array('{"dim": 2}')}
    distill.write_npz(tmp_path / "a.npz", arrays)
    distill.write_npz(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as z:
        np.testing.assert_array_equal(z["packed"], arrays["packed"])
