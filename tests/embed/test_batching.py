"""The query batcher: right vector for every caller, shared calls under concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from phasemem.embed import HashEmbedder
from phasemem.embed.base import Embedder
from phasemem.embed.batching import BatchingEmbedder


class _Slow(Embedder):
    """Hash vectors, slowly, recording each call's batch."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.inner = HashEmbedder(32)
        self.name, self.dim = "slow", 32
        self.batches: list[list[str]] = []
        self.fail_on = fail_on
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.batches.append(list(texts))
        time.sleep(0.02)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("model failed")
        return self.inner.embed(texts)


def _run_threads(emb: BatchingEmbedder, texts: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    gate = threading.Barrier(len(texts))

    def one(t: str) -> None:
        gate.wait()
        try:
            out[t] = emb.embed_query(t)
        except Exception as exc:  # recorded for the assertions
            out[t] = exc

    threads = [threading.Thread(target=one, args=(t,)) for t in texts]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    return out


def test_alone_it_is_the_inner_embedder() -> None:
    inner = HashEmbedder(32)
    b = BatchingEmbedder(inner)
    assert b.name == inner.name and b.dim == 32
    np.testing.assert_allclose(b.embed_query("hello there"), inner.embed_query("hello there"))
    np.testing.assert_allclose(b.embed(["a", "b"]), inner.embed(["a", "b"]))
    assert (b.calls, b.queries) == (1, 1)


def test_concurrent_queries_share_calls_and_each_gets_its_own_vector() -> None:
    slow = _Slow()
    b = BatchingEmbedder(slow, max_batch=4)
    texts = [f"query number {i}" for i in range(24)]
    out = _run_threads(b, texts)
    ref = HashEmbedder(32)
    for t in texts:
        np.testing.assert_allclose(out[t], ref.embed_query(t), rtol=1e-6)
    assert b.queries == 24
    assert b.calls < 24  # batches formed while a call was running
    assert max(len(x) for x in slow.batches) <= 4
    assert sorted(t for x in slow.batches for t in x) == sorted(texts)  # each embedded once


def test_a_failed_call_fails_its_batch_only() -> None:
    slow = _Slow(fail_on="poison")
    b = BatchingEmbedder(slow, max_batch=64)
    out = _run_threads(b, ["poison", *[f"q{i}" for i in range(7)]])
    failed = [t for t, v in out.items() if isinstance(v, RuntimeError)]
    assert "poison" in failed
    for t, v in out.items():  # the rest either failed with it or got a right vector
        if t not in failed:
            np.testing.assert_allclose(v, HashEmbedder(32).embed_query(t), rtol=1e-6)
    # the batcher is not stuck afterwards
    np.testing.assert_allclose(b.embed_query("after"), HashEmbedder(32).embed_query("after"))


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BatchingEmbedder(HashEmbedder(8), max_batch=0)


class _Short(Embedder):
    """Returns one row too few: a broken plug-in embedder."""

    name, dim = "short", 8

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((max(0, len(texts) - 1), 8), dtype=np.float32)


def test_a_malformed_result_is_a_typed_error_and_does_not_hang() -> None:
    from phasemem.errors import EmbeddingError

    b = BatchingEmbedder(_Short())
    with pytest.raises(EmbeddingError, match="shape"):
        b.embed_query("x")
    with pytest.raises(EmbeddingError):  # the next caller is served, not stuck
        b.embed_query("y")
