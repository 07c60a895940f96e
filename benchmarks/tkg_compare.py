"""ICEWS14 comparison: phase-rotation model vs static, TNTComplEx and ablations.

Same as ``phasemem tkg compare``; run from the repository root, e.g.::

    nice -n 10 python benchmarks/tkg_compare.py --data ../shared/data/icews14 --epochs 30 --dim 128
"""

from phasemem.research.tkg.cli import compare_cmd

if __name__ == "__main__":
    compare_cmd()
