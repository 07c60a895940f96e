"""Time-aware fact memory: the temporal knowledge graph kept beside episodes."""

from phasemem.facts.model import Fact, FactHit, FactOp, NewFact

__all__ = ["Fact", "FactHit", "FactOp", "NewFact"]
