"""Query embedding shared by concurrent requests: one model call for all waiting queries.

Why: a server answering several searches at once embeds one short query per
request. With float32 products a call on one short query was dominated by
reading the weights (3.5 ms of CPU per query alone, 1.8 ms in batches of 8 on
this project's 2-core machine). Since MiniLM runs int8 products
(``phasemem.embed.quantize``) one text per call costs ~0.9 ms and sharing
saves little CPU, but it still keeps one embedding in flight per process
instead of one per waiting thread (``docs/benchmarks.md``).

How, without adding latency: no timer, no background thread. The first caller
to find nobody embedding becomes the *leader* and embeds every query waiting
at that moment (its own included) in one call; queries that arrive meanwhile
wait, and when the call returns the leader hands the lead to the oldest of
them, which embeds all that queued up. A caller alone in the system is the
leader of a batch of one, exactly as without batching.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from phasemem.embed.base import Embedder
from phasemem.errors import EmbeddingError

__all__ = ["BatchingEmbedder"]


class _Slot:
    __slots__ = ("error", "lead", "ready", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None
        self.lead = False
        self.ready = threading.Event()  # set when done, or when handed the lead


class BatchingEmbedder(Embedder):
    """Wraps an embedder; ``embed_query`` calls from many threads share model calls.

    ``embed`` (documents) passes straight through. Batches hold at most
    ``max_batch`` queries. Counters ``calls`` and ``queries`` say how much
    sharing happened (``queries / calls`` is the mean batch).
    """

    def __init__(self, inner: Embedder, max_batch: int = 16) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be >= 1")
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Slot] = []
        self._busy = False
        self.calls = 0
        self.queries = 0

    def __getattr__(self, attr: str) -> object:  # token_count and other extras of the inner one
        if attr == "inner":  # not set yet (during unpickling): avoid recursion
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed(texts)

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        many = getattr(self.inner, "embed_queries", None)
        return many(texts) if many is not None else self.inner.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        slot = _Slot(text)
        with self._lock:
            self._waiting.append(slot)
            if not self._busy:
                self._busy = slot.lead = True
        while True:
            if slot.lead:
                slot.lead = False
                self._lead_one_batch()
            else:
                slot.ready.wait()
                slot.ready.clear()
            if slot.vector is not None or slot.error is not None:
                break
        if slot.error is not None:
            raise slot.error
        assert slot.vector is not None  # the loop above ends on one or the other
        return slot.vector

    def _lead_one_batch(self) -> None:
        with self._lock:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
        try:
            vectors = np.asarray(self._embed_queries([s.text for s in batch]), dtype=np.float32)
            if vectors.shape != (len(batch), self.dim):
                raise EmbeddingError(
                    f"embedder {self.name!r} returned shape {vectors.shape} for "
                    f"{len(batch)} queries of dimension {self.dim}"
                )
            err: BaseException | None = None
        except BaseException as exc:  # handed to every waiter, raised in each thread
            vectors, err = None, exc
        with self._lock:
            self.calls += 1
            self.queries += len(batch)
            for i, s in enumerate(batch):
                if err is not None or vectors is None:
                    s.error = err
                else:
                    s.vector = vectors[i].copy()
            # hand the lead to the oldest waiter, or stand down
            if self._waiting:
                nxt = self._waiting[0]
                nxt.lead = True
                nxt.ready.set()
            else:
                self._busy = False
        for s in batch:
            s.ready.set()
