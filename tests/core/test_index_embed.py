from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import phasemem
from phasemem.embed.quant import dequantize, quantize
from phasemem.mirror.vectors import VectorIndex
from phasemem.scope import EpisodeFilter
from phasemem.store.base import VectorRows


def _rows(vecs: np.ndarray, users: list[str], start: int = 1,
          speakers: list[str | None] | None = None) -> VectorRows:  # fmt: skip
    codes, scales = quantize(vecs)
    n = len(vecs)
    return VectorRows(np.arange(start, start + n, dtype=np.int64), [f"id{start + i}" for i in range(n)], codes,
                      scales, users, [None] * n, [None] * n, np.arange(n, dtype=np.float64), np.zeros(n, dtype=np.int16),
                      speakers if speakers is not None else [None] * n, [None] * n, [None] * n)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    speakers=st.lists(
        st.sampled_from(["Maya", "maya", "Tom", None, "Ana Lu"]), min_size=1, max_size=30
    ),
    names=st.lists(st.sampled_from(["Maya", "Tom", "Ana Lu", "Zed"]), min_size=1, max_size=3),
    asked=st.lists(st.integers(0, 40), max_size=40),
)
def test_said_by_matches_exact_speaker_and_reports_unknown_rows(
    speakers: list[str | None], names: list[str], asked: list[int]
) -> None:
    n = len(speakers)
    idx = VectorIndex(8)
    idx.add(_rows(np.eye(n, 8, dtype=np.float32) + 0.1, ["u"] * n, speakers=speakers))
    said, unknown = idx.said_by(asked, names)
    by_seq = {i + 1: sp for i, sp in enumerate(speakers)}
    assert said == [s for s in asked if s in by_seq and by_seq[s] in names]  # exact, case kept
    assert unknown == [s for s in asked if s not in by_seq]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 40), st.integers(2, 64), st.integers(0, 2**31))
def test_quantisation_keeps_cosines(n: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, d)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    back = dequantize(*quantize(v))
    assert np.abs(back @ v[0] - v @ v[0]).max() < 0.03


def test_exact_and_prefiltered_paths_agree_on_top_hits() -> None:
    # Clustered data, like real text embeddings (topics), not isotropic noise.
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(200, 128)).astype(np.float32)
    v = centres[rng.integers(0, 200, 20000)] + 0.6 * rng.normal(size=(20000, 128)).astype(
        np.float32
    )
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    idx = VectorIndex(128)
    idx.add(_rows(v, ["u"] * 20000))
    q = v[123] + 0.05 * rng.normal(size=128).astype(np.float32)
    got = idx.search(q, EpisodeFilter("u"), 10)  # > EXACT_MAX rows: binary pre-filter path
    exact = np.argsort(-(v @ q))[:10] + 1
    assert got[0][0] == 124
    assert len({s for s, _ in got} & set(exact.tolist())) >= 8


def test_filters_remove_replace() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=(10, 16)).astype(np.float32)
    idx = VectorIndex(16)
    idx.add(_rows(v, ["a"] * 5 + ["b"] * 5))
    assert {s for s, _ in idx.search(v[0], EpisodeFilter("a"), 10)} == {1, 2, 3, 4, 5}
    assert idx.search(v[0], EpisodeFilter("zzz"), 10) == []
    assert {s for s, _ in idx.search(v[0], EpisodeFilter("a", occurred_after=2.0), 10)} == {3, 4, 5}
    idx.remove("id1")
    assert 1 not in {s for s, _ in idx.search(v[0], EpisodeFilter("a"), 10)}
    codes, scales = quantize(v[9:10])
    idx.replace("id2", codes[0], float(scales[0]))
    assert idx.search(v[9], EpisodeFilter("a"), 1)[0][0] == 2
    assert len(idx) == 9


def test_minilm_embedder_is_semantic() -> None:
    from phasemem.embed import default_embedder

    e = default_embedder()
    v = e.embed(
        [
            "I moved to a new apartment in Berlin",
            "We relocated to a flat in Berlin",
            "The stock market fell",
        ]
    )
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    # batching and order do not change vectors
    single = e.embed(["The stock market fell"])[0]
    assert np.allclose(single, v[2], atol=1e-4)
    assert e.token_count("hello world") == 2


def test_public_api_is_curated() -> None:
    assert set(phasemem.__all__) == {
        "AddResult", "AuthError", "EmbeddingError", "Episode", "ExtractionError", "HistoryEvent",
        "ImportFormatError", "InvalidInputError", "InvalidTimeError", "Memory", "MissingExtraError",
        "NotFoundError", "PhasememError", "RetrievalConfig", "SchemaVersionError", "SearchHit",
        "SearchResults", "StoreError", "__version__",
    }  # fmt: skip
    for name in phasemem.__all__:
        assert hasattr(phasemem, name)
    importlib.reload(phasemem)


def test_import_has_no_side_effects() -> None:
    code = "import sys, phasemem, phasemem.cli; print(sorted(m for m in ('onnxruntime', 'torch', 'spacy') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def test_embedder_mismatch_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from phasemem import EmbeddingError, Memory

    Memory(str(tmp_path / "m.db"), embedder="hash-test", extractor=None).close()
    with pytest.raises(EmbeddingError):
        Memory(str(tmp_path / "m.db"), embedder="hash-test-32")


@contextmanager
def _searching_meanwhile(
    searcher: Callable[[], None], n: int, stop: threading.Event
) -> Iterator[None]:
    """Run ``n`` searcher threads, switching threads as often as Python allows, while the
    body writes; stop and join them after."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    threads = [threading.Thread(target=searcher) for _ in range(n)]
    try:
        for t in threads:
            t.start()
        yield
    finally:
        stop.set()
        for t in threads:
            t.join()
        sys.setswitchinterval(old)


def test_search_while_another_thread_adds_rows() -> None:
    """A search reads the row count once: rows added meanwhile (a sync in another
    thread) never give it arrays of two lengths (an IndexError before)."""
    rng = np.random.default_rng(0)
    idx = VectorIndex(64)
    idx.add(_rows(rng.normal(size=(9000, 64)).astype(np.float32), ["u"] * 9000))  # > EXACT_MAX
    errors: list[str] = []
    stop = threading.Event()
    q = rng.normal(size=64).astype(np.float32)

    def searcher() -> None:
        while not stop.is_set():
            try:
                idx.search(q, EpisodeFilter("u"), 10)
            except Exception as exc:  # noqa: BLE001 - the failure this test looks for
                errors.append(repr(exc))
                stop.set()

    with _searching_meanwhile(searcher, 3, stop):
        start = 9001
        for _ in range(150):
            idx.add(_rows(rng.normal(size=(7, 64)).astype(np.float32), ["u"] * 7, start=start))
            start += 7
    assert errors == []
    assert len(idx) == 9000 + 150 * 7


def test_search_never_mixes_a_replaced_rows_old_and_new_parts() -> None:
    """``replace`` writes a row's codes, scale and sign bits one after the other; a
    search in another thread must see the old row or the new one, never the new codes
    with the old scale (that scored this row 2x or 0.5x before)."""
    dim = 16
    v1 = np.zeros((1, dim), dtype=np.float32)
    v1[0, 0] = 1.0
    v2 = np.zeros((1, dim), dtype=np.float32)
    v2[0, :2] = [1.0, 2.0]  # other codes, twice the scale
    (c1, s1), (c2, s2) = quantize(v1), quantize(v2)
    idx = VectorIndex(dim)
    idx.add(_rows(v1, ["u"]))
    q = np.zeros(dim, dtype=np.float32)
    q[0] = 1.0
    ok = {round(float(c1[0] @ q * s1[0]), 4), round(float(c2[0] @ q * s2[0]), 4)}
    bad: list[float] = []
    stop = threading.Event()

    def searcher() -> None:
        while not stop.is_set():
            (_, score), = idx.search(q, EpisodeFilter("u"), 1)  # fmt: skip
            if round(score, 4) not in ok:
                bad.append(score)
                stop.set()

    with _searching_meanwhile(searcher, 2, stop):
        for i in range(20000):
            if stop.is_set():
                break
            code, scale = (c2, s2) if i % 2 == 0 else (c1, s1)
            idx.replace("id1", code[0], float(scale[0]))
    assert bad == []
