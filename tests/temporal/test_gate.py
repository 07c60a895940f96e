"""The Speed Gate: numpy inference, caching, clocks, persistence, and the shipped weights."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from phasemem.embed.base import Embedder, normalize_rows
from phasemem.errors import InvalidInputError, PhasememError
from phasemem.temporal.gate import GATE_PATH, SpeedGate, load_gate


class CountingEmbedder(Embedder):
    """Deterministic 384-dim vectors from the text's hash; counts what it embeds."""

    name = "counting-test"
    dim = 384

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts]
        return normalize_rows(np.array(rows, dtype=np.float32))


def make_gate(emb: Embedder | None = None) -> SpeedGate:
    rng = np.random.default_rng(0)
    return SpeedGate(
        rng.normal(size=(384, 8)) * 0.3,
        rng.normal(size=8) * 0.1,
        rng.normal(size=8),
        -0.5,
        {"everyday": (1 / 730, 0.0), "icews": (0.2, -1.0)},
        "everyday",
        embedder=emb or CountingEmbedder(),
        meta={"variant": "test"},
    )


def test_alpha_is_a_sigmoid_of_the_mlp_and_cached_per_normalised_text() -> None:
    emb = CountingEmbedder()
    g = make_gate(emb)
    a = g.alpha(["live in", "Live  In", "feel"])
    assert a.shape == (3,) and np.all((a > 0) & (a < 1))
    assert a[0] == a[1]
    assert sorted(emb.seen) == ["feel", "live in"]
    g.alpha(["feel", "live in"])
    assert len(emb.seen) == 2  # cached
    # by hand
    x = CountingEmbedder().embed(["feel"])[0]
    z = np.maximum(x @ g.w1 + g.b1, 0) @ g.w2 + g.b2
    assert g.alpha(["feel"])[0] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-5)


def test_clocks_kappa_and_p_change() -> None:
    g = make_gate()
    assert g.clocks == ("everyday", "icews")
    assert g.kappa == pytest.approx(1 / 730)
    assert g.kappa_of("icews") == pytest.approx(0.2)
    assert g.bias_of("icews") == -1.0 and g.bias_of("everyday") == 0.0
    a = g.alpha(["work at"])[0]
    assert g.p_change("work at", 100.0) == pytest.approx(1 - np.exp(-a * g.kappa * 100.0))
    assert g.p_change("work at", 0.0) == 0.0
    # the icews clock has its own bias and kappa
    ai = g.alpha(["work at"], clock="icews")[0]
    z = np.log(a / (1 - a))
    assert ai == pytest.approx(1 / (1 + np.exp(-(z - 1.0))))
    assert g.p_change("work at", 10.0, clock="icews") == pytest.approx(1 - np.exp(-ai * 0.2 * 10))


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.alpha("live in"),
        lambda g: g.alpha([""]),
        lambda g: g.alpha([None]),
        lambda g: g.alpha(["x"], clock="martian"),
        lambda g: g.p_change("x", -1.0),
        lambda g: g.p_change("x", float("nan")),
    ],
)
def test_bad_input(call) -> None:
    with pytest.raises(InvalidInputError):
        call(make_gate())


def test_wrong_embedding_size_is_a_clear_error() -> None:
    from phasemem.embed import HashEmbedder

    with pytest.raises(PhasememError, match="384-dim"):
        make_gate(HashEmbedder(64)).alpha(["live in"])


def test_save_and_load_round_trip(tmp_path) -> None:
    g = make_gate()
    path = tmp_path / "g.npz"
    g.save(path)
    h = SpeedGate.from_file(path, embedder=CountingEmbedder())
    assert h.clocks == g.clocks and h.default_clock == "everyday" and h.meta == {"variant": "test"}
    texts = ["live in", "be born in", "make statement"]
    assert np.allclose(h.alpha(texts), g.alpha(texts), rtol=1e-6)


def test_missing_or_damaged_file(tmp_path) -> None:
    with pytest.raises(PhasememError, match="not found"):
        SpeedGate.from_file(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(PhasememError, match="cannot read"):
        SpeedGate.from_file(bad)
    partial = tmp_path / "partial.npz"
    np.savez(partial, w1=np.zeros((384, 2)))
    with pytest.raises(PhasememError, match="lacks"):
        SpeedGate.from_file(partial)


def test_inconsistent_weights_are_refused() -> None:
    with pytest.raises(PhasememError):
        SpeedGate(np.zeros((384, 4)), np.zeros(3), np.zeros(4), 0.0, {"e": (1.0, 0.0)}, "e")
    with pytest.raises(PhasememError):
        SpeedGate(np.zeros((384, 4)), np.zeros(4), np.zeros(4), 0.0, {"e": (0.0, 0.0)}, "e")
    with pytest.raises(PhasememError):
        SpeedGate(np.zeros((384, 4)), np.zeros(4), np.zeros(4), 0.0, {"e": (1.0, 0.0)}, "x")


# ---------------------------------------------------------------- the shipped weights
def test_shipped_file_is_small_and_loads_without_torch() -> None:
    assert GATE_PATH.stat().st_size < 2 * 1024 * 1024
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from phasemem.temporal.gate import SpeedGate, GATE_PATH\n"
        "g = SpeedGate.from_file(GATE_PATH)\n"
        "print(g.default_clock, sorted(g.clocks))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["everyday", "['everyday',", "'icews']"]


def test_load_gate_is_shared() -> None:
    assert load_gate() is load_gate()


def test_shipped_gate_orders_everyday_relations() -> None:
    g = load_gate()
    a = dict(
        zip(
            REL := ["be born in", "be allergic to", "live in", "work at", "be reading", "feel"],
            g.alpha(REL),
            strict=True,
        )
    )
    assert a["be born in"] < 0.05
    assert a["be born in"] < a["be allergic to"] < a["live in"] < a["feel"]
    assert a["be allergic to"] < a["work at"] < a["be reading"]
    assert 0.1 < a["live in"] < 0.8 and 0.1 < a["work at"] < 0.9
    assert a["feel"] > 0.8 and a["be reading"] > 0.8
    # inflected forms land near the lemma
    assert abs(g.alpha(["lives in"])[0] - a["live in"]) < 0.25
