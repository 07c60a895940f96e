"""StaticEmbedder: the shipped table, vectors, determinism, meaning, registry."""

from __future__ import annotations

import json

import numpy as np
import pytest

from phasemem.embed import get_embedder
from phasemem.embed.static import TABLE, StaticEmbedder, pack_int4, unpack_int4


@pytest.fixture(scope="module")
def emb() -> StaticEmbedder:
    return StaticEmbedder()


def test_shipped_table_is_small_and_described() -> None:
    assert TABLE.stat().st_size < 5_000_000
    with np.load(TABLE) as z:
        meta = json.loads(z["meta"].item())
        assert z["packed"].dtype == np.uint8 and z["scale"].dtype == np.float16
        assert z["packed"].shape == (30522, meta["dim"] // 2)


def test_shape_and_unit_rows(emb: StaticEmbedder) -> None:
    v = emb.embed(["Caroline: I went to a support group.", "hi", "naïve café ☕ 東京"])
    assert v.shape == (3, emb.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    q = emb.embed_query("when did she go?")
    assert q.shape == (emb.dim,)
    assert emb.embed([]).shape == (0, emb.dim)


def test_text_without_tokens_is_zero(emb: StaticEmbedder) -> None:
    v = emb.embed(["", "   ", "ok"])
    assert not v[:2].any()
    assert np.linalg.norm(v[2]) == pytest.approx(1.0, abs=1e-5)


def test_deterministic_and_batch_independent(emb: StaticEmbedder) -> None:
    texts = ["We adopted a puppy.", "The train was late.", "Painting is relaxing."]
    a = emb.embed(texts)
    np.testing.assert_array_equal(a, StaticEmbedder().embed(texts))
    for i, t in enumerate(texts):
        np.testing.assert_array_equal(a[i], emb.embed([t])[0])


@pytest.mark.parametrize(
    ("anchor", "close", "far"),
    [
        ("I adopted a puppy last week.", "We got a new dog recently.", "The stock market fell sharply today."),
        ("She loves painting landscapes.", "Her hobby is drawing and art.", "The train to Boston was delayed."),
        ("How was your vacation in Paris?", "Did you enjoy the trip to France?", "I need to fix the kitchen sink."),
        ("He is training for a marathon.", "He goes running every morning.", "They bought a new sofa."),
    ],
)  # fmt: skip
def test_similar_closer_than_unrelated(
    emb: StaticEmbedder, anchor: str, close: str, far: str
) -> None:
    a, c, f = emb.embed([anchor, close, far])
    assert float(a @ c) > float(a @ f) + 0.1


def test_registry_name() -> None:
    e = get_embedder("static-minilm")
    assert isinstance(e, StaticEmbedder)
    assert e.name == "static-minilm" and e.dim == 256


def test_int4_round_trip() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 64)).astype(np.float32)
    x[3] = 0.0
    packed, scale = pack_int4(x, clip=10.0)  # no clipping: error <= half a step
    assert packed.shape == (50, 32)
    y = unpack_int4(packed, scale)
    step = scale.astype(np.float32)[:, None]
    assert np.all(np.abs(y - x) <= step / 2 + 1e-6)
    assert not y[3].any()
    with pytest.raises(ValueError):
        pack_int4(np.ones((2, 3), dtype=np.float32))


def test_table_override_and_custom_name() -> None:
    table = np.zeros((30522, 8), dtype=np.float32)
    table[2000:, 0] = 1.0
    e = StaticEmbedder(table, name="static-test")
    assert e.name == "static-test" and e.dim == 8
    np.testing.assert_allclose(e.embed(["the cat"])[0, 0], 1.0)


def test_memory_runs_on_static_embedder() -> None:
    from phasemem import Memory

    with Memory(":memory:", embedder="static-minilm", extractor=None) as m:
        m.add(
            [
                {"name": "Ann", "content": "I adopted a puppy last week."},
                {"name": "Bob", "content": "The stock market fell today."},
            ],
            user_id="u",
        )
        hits = m.search("new dog", user_id="u", limit=2)
    assert hits[0].episode.text == "I adopted a puppy last week."
