"""In-memory copies of a store's episodes for fast retrieval, kept in step with it."""

from phasemem.mirror.lexical import LexicalIndex
from phasemem.mirror.mirror import Mirror
from phasemem.mirror.vectors import VectorIndex

__all__ = ["LexicalIndex", "Mirror", "VectorIndex"]
