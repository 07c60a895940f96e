"""A tiny deterministic embedder for unit tests only.

Feature hashing of words and character trigrams: no model, no randomness
across runs or machines (blake2b, not Python's salted ``hash``). It has some
lexical "meaning" (shared words give similar vectors), which is enough to
exercise the dense path in tests, and nothing more.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from phasemem.embed.base import Embedder, normalize_rows

_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder(Embedder):
    name = "hash-test"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hash-test-{dim}"

    def _features(self, text: str) -> list[str]:
        words = [w.lower() for w in _WORD.findall(text)]
        grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        return words + ["#" + g for g in grams]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feat in self._features(text):
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return normalize_rows(out)
