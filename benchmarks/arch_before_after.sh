#!/bin/bash
# before/after of the architecture refactor, one session, trees interleaved per bench.
# Trees: git worktree add --detach /tmp/prearch pre-arch; ... /tmp/archdone f3c6756; ... /tmp/headtree <main>
source /work/main/.venv/bin/activate
OUT=/tmp/pm/arch
LOCOMO=/work/shared/data/locomo/locomo_dev5.json
declare -A TREE=([pre]=/tmp/prearch [arch]=/tmp/archdone [head]=/tmp/headtree)
rm -rf /tmp/headtree; git -C /work/main worktree add -q --detach /tmp/headtree 40e0a8a 2>/dev/null || true
pm() { (cd "$1" && shift && PYTHONPATH=$PWD python -c "import sys; from phasemem.cli import main; sys.argv=['phasemem']+sys.argv[1:]; main()" "$@"); }
for t in pre arch head; do
  echo "== locomo $t $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  pm ${TREE[$t]} bench locomo --data $LOCOMO --json $OUT/locomo-$t.json > $OUT/locomo-$t.log 2>&1
done
for t in pre arch head; do
  echo "== temporal $t $(date -u +%T)"
  pm ${TREE[$t]} bench temporal --json $OUT/temporal-$t.json > $OUT/temporal-$t.log 2>&1
done
for t in pre head arch; do
  echo "== scale $t $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  pm ${TREE[$t]} bench scale --n 100000 --no-facts --json $OUT/scale-$t.json > $OUT/scale-$t.log 2>&1
done
echo "== done $(date -u +%T)"
