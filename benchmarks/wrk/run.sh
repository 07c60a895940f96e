#!/usr/bin/env bash
# REST search under N concurrent keep-alive connections, measured with wrk.
# usage: benchmarks/wrk/run.sh WORKDIR [CONNECTIONS] [SECONDS] [WORKERS] [READERS]
# WORKDIR must hold a tenant filled by `phasemem bench load --workdir WORKDIR` (tenant "load").
set -euo pipefail
wd=${1:?workdir}; conns=${2:-8}; secs=${3:-30}; workers=${4:-1}; readers=${5:-2}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key=$(python - "$wd" <<'PY'
import sys
from phasemem.server.keys import KeyStore
ks = KeyStore(sys.argv[1] + "/keys.db"); print(ks.create("load", "wrk")[0]); ks.close()
PY
)
qfile=$(mktemp)
python -c 'from phasemem.research.bench.load import queries; print("\n".join(queries()))' > "$qfile"
phasemem serve --data-dir "$wd" --host 127.0.0.1 --port "$port" --no-facts \
  --workers "$workers" --readers "$readers" --log-level warning &
srv=$!
trap 'kill $srv 2>/dev/null; rm -f "$qfile"' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/v1/healthz" >/dev/null && break; sleep 0.5; done
# warm-up (loads the tenant, its index and the model in every worker), then measure
wrk -t1 -c"$conns" -d5s -s "$here/search.lua" "http://127.0.0.1:$port" -- "$key" "$qfile" load-user >/dev/null
# and until no worker is still building a tenant's in-memory BM25 index
python -c "from phasemem.research.bench.load import _wait_indexes; _wait_indexes('http://127.0.0.1:$port')"
cpu0=$(ps -o cputimes= --ppid $srv --pid $srv | awk '{s+=$1} END {print s}')
wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/search.lua" "http://127.0.0.1:$port" -- "$key" "$qfile" load-user
cpu1=$(ps -o cputimes= --ppid $srv --pid $srv | awk '{s+=$1} END {print s}')
echo "server CPU seconds during the run: $((cpu1 - cpu0)) (workers $workers, readers $readers, load $(cut -d' ' -f1 /proc/loadavg))"
