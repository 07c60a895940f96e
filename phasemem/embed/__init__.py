"""Embedders: the seam, the default (MiniLM int8 ONNX) and a test-only one.

Third-party embedders register under the entry-point group
``phasemem.embedders`` (name -> zero-argument factory) and are picked with
``get_embedder(name)``.
"""

from __future__ import annotations

from functools import lru_cache

from phasemem.embed.base import Embedder, normalize_rows
from phasemem.embed.hashing import HashEmbedder
from phasemem.errors import InvalidInputError

__all__ = ["Embedder", "HashEmbedder", "default_embedder", "get_embedder", "normalize_rows"]

DEFAULT_EMBEDDER = "minilm-l6-int8"


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The shared default embedder (loaded lazily on first use, then cached)."""
    from phasemem.embed.minilm import MiniLMEmbedder

    return MiniLMEmbedder()


def get_embedder(name: str | None = None) -> Embedder:
    """Look an embedder up by name: built-ins first, then entry points."""
    name = name or DEFAULT_EMBEDDER
    if name == DEFAULT_EMBEDDER:
        return default_embedder()
    if name == "static-minilm":
        return __import__("phasemem.embed.static", fromlist=["StaticEmbedder"]).StaticEmbedder()
    if name.startswith("hash-test"):
        dim = int(name.rsplit("-", 1)[1]) if name.count("-") == 2 else 64
        return HashEmbedder(dim)
    from importlib.metadata import entry_points

    for ep in entry_points(group="phasemem.embedders"):
        if ep.name == name:
            return ep.load()()
    raise InvalidInputError(f"unknown embedder {name!r}", embedder=name)
