"""The embedder seam: text in, L2-normalised float32 vectors out."""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np


class Embedder(abc.ABC):
    """Maps texts to unit vectors. ``name`` and ``dim`` are stored with the
    database so a file is never searched with vectors from another model."""

    name: str
    dim: int

    @abc.abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents; returns an (n, dim) float32 array of unit rows."""

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; returns a (dim,) float32 unit vector."""
        return self.embed([text])[0]

    def warm(self) -> None:  # noqa: B027 - optional hook, most embedders have nothing to load
        """Load model files now instead of on the first ``embed`` (a caller
        that knows it will embed can overlap the load with other start-up
        work in a thread). Safe to call more than once, or concurrently."""


def normalize_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32, copy=False)
