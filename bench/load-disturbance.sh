#!/usr/bin/env bash
# How much the load core's own latency moves when something else runs on it every 100 ms (the check behind the
# "changes every 100 ms" caveat in docs/benchmarks.md). No proxy: the C load generator talks to the C echo upstream
# directly, both on the load core, at the p99 cells' fixed rate; once quiet, once while a `curl` process is started on
# the same core every 100 ms. Prints both p99s. Needs bench/target/c (built by bench/run.sh).
#
#   bench/load-disturbance.sh [LOAD_CPU]      # default 0
set -euo pipefail
cd "$(dirname "$0")/.."
CPU=${1:-0}
C=bench/target/c
[ -x $C/loadgen ] && [ -x $C/echo ] || { echo "load-disturbance.sh: run bench/run.sh once to build $C" >&2; exit 2; }
out=$(mktemp)
taskset -c "$CPU" $C/echo --port 0 > "$out" 2>&1 &
ECHO=$!
trap 'kill $ECHO 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 50); do grep -q READY "$out" && break; sleep 0.1; done
PORT=$(awk '/READY/{print $2}' "$out")
load() { taskset -c "$CPU" $C/loadgen --mode echo --port "$PORT" --path /ws --conns 64 --size 32 --warmup 0.5 --duration 3 --rate 10000 \
           | grep -o '"p99_us":[0-9.]*' | cut -d: -f2; }
echo "direct echo 32 B at 10,000 msg/s, quiet load core:            p99 $(load) us"
( for _ in $(seq 1 40); do taskset -c "$CPU" curl -s -o /dev/null http://127.0.0.1:1/ || true; sleep 0.1; done ) &
LOOP=$!
echo "the same, a curl process started on that core every 100 ms: p99 $(load) us"
wait $LOOP
