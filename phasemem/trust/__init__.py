"""Trust and safety pieces that need no store.

* :mod:`phasemem.trust.text`: folding that undoes disguises (invisible
  characters, look-alike letters, spacing) before matching.
* :mod:`phasemem.trust.injection`: :func:`detect`, which recognises text
  written to steer the model that later reads a memory.

Pure functions: the write pipeline decides what a finding means for a
source (quarantine, down-weighting); these only say what the text is.
"""

from phasemem.trust.injection import Finding, Signal, detect, scan
from phasemem.trust.text import fold, fold_map, squash

__all__ = ["Finding", "Signal", "detect", "fold", "fold_map", "scan", "squash"]
