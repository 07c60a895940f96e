"""Static embedder: one fixed vector per WordPiece token, summed and normalised.

The table is distilled by the project from the default MiniLM int8 model
(``benchmarks/distill_static.py``, the model2vec idea): every vocabulary token
is embedded on its own through the ONNX model, the vectors are centred and
reduced with PCA, weighted by a Zipf/SIF prior (frequent tokens count less),
and stored as 4-bit rows with one float16 scale each (about 4 MB) in
``phasemem/embed/data/static_minilm.npz``.

A text's vector is the sum of its tokens' rows, L2-normalised; word order and
context are ignored. It needs only numpy and ``tokenizers`` (no model run), so
it is one to two orders of magnitude faster than MiniLM and much weaker: a
cheap first stage or a fallback, not a replacement (see docs/benchmarks.md).
A text with no tokens (empty or whitespace) embeds as the zero vector.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from phasemem.embed.base import Embedder, normalize_rows
from phasemem.errors import EmbeddingError, MissingExtraError

_DATA = Path(__file__).parent / "data"
TABLE = _DATA / "static_minilm.npz"
VOCAB = _DATA / "minilm_vocab.txt"


def pack_int4(table: np.ndarray, clip: float = 2.5) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-row 4-bit quantisation, two values per byte.

    Each row's step is ``min(max|x|, clip * std(x)) / 7``; values are rounded
    to -7..7 (outliers clipped) and stored offset by 8 as nibbles. Returns
    ``(packed uint8 (rows, dim // 2), scale float16 (rows,))``.
    """
    if table.shape[1] % 2:
        raise ValueError("dim must be even to pack two 4-bit values per byte")
    x = np.asarray(table, dtype=np.float32)
    peak = np.minimum(np.abs(x).max(axis=1), clip * x.std(axis=1))
    scale = (peak / 7.0).astype(np.float16)
    step = scale.astype(np.float32)
    step[step == 0] = 1.0
    q = (np.clip(np.rint(x / step[:, None]), -7, 7) + 8).astype(np.uint8)
    return (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8), scale


def unpack_int4(packed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_int4` as a float32 (rows, 2 * packed cols) table."""
    q = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.int8)
    q[:, 0::2] = (packed & 0x0F).astype(np.int8) - 8
    q[:, 1::2] = (packed >> 4).astype(np.int8) - 8
    return q.astype(np.float32) * scale.astype(np.float32)[:, None]


class StaticEmbedder(Embedder):
    """Sum of per-token static vectors (see the module docstring).

    ``table`` (vocab x dim float32) overrides the shipped file; the distill
    script uses it to score a table before writing it.
    """

    name = "static-minilm"

    def __init__(
        self,
        table: np.ndarray | None = None,
        *,
        path: str | Path = TABLE,
        vocab: str | Path = VOCAB,
        name: str | None = None,
    ) -> None:
        self._path = Path(path)
        self._vocab = Path(vocab)
        self._tokenizer = None
        self._lock = threading.Lock()
        if table is None:
            table = self._read_table(self._path)
        self._table = np.ascontiguousarray(table, dtype=np.float32)
        self.dim = int(self._table.shape[1])
        if name:
            self.name = name

    @staticmethod
    def _read_table(path: Path) -> np.ndarray:
        try:
            with np.load(path) as z:
                return unpack_int4(z["packed"], z["scale"])
        except (OSError, KeyError, ValueError) as exc:
            raise EmbeddingError(f"cannot read static embedding table {path}: {exc}") from exc

    def _load(self) -> None:
        if self._tokenizer is not None:
            return
        with self._lock:
            if self._tokenizer is not None:
                return
            try:
                from tokenizers import BertWordPieceTokenizer
            except ImportError as exc:  # pragma: no cover - base dependency
                raise MissingExtraError("default", f"the static embedder ({exc.name})") from exc
            tok = BertWordPieceTokenizer(str(self._vocab), lowercase=True)
            if tok.get_vocab_size() != self._table.shape[0]:
                raise EmbeddingError(
                    f"static table has {self._table.shape[0]} rows, vocabulary {tok.get_vocab_size()}"
                )
            self._tokenizer = tok

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(texts) == 0:
            return out
        self._load()
        assert self._tokenizer is not None
        try:
            encs = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        except Exception as exc:
            raise EmbeddingError(f"tokenizer failed: {exc}") from exc
        lengths = np.fromiter((len(e.ids) for e in encs), dtype=np.int64, count=len(encs))
        rows = np.flatnonzero(lengths)
        if rows.size:
            ids = np.fromiter(
                (i for e in encs for i in e.ids), dtype=np.int64, count=int(lengths.sum())
            )
            starts = np.concatenate(([0], np.cumsum(lengths[rows])[:-1]))
            out[rows] = np.add.reduceat(self._table[ids], starts, axis=0)
        return normalize_rows(out)
