#!/usr/bin/env bash
# What the access log costs: three data planes side by side on the proxy core (core 1), the same build and flags,
# --access-log off, --access-log FILE (text) and --access-log FILE --access-log-format json, each loaded in turn by
# the C load generator (core 0) with HTTP keep-alive (64 connections, closed loop) and WebSocket handshakes
# (16 connections), rounds alternating so drift hits all three alike. Prints per round and cell: ops/s, the data
# plane's CPU per operation (all its threads, the log writer included) and lines written; then medians and each
# setting's throughput against "off". The goal (issue: "with it on, throughput drops by at most 10%") is read from
# the medians. The log files are real files in a temporary directory on disk, deleted at the end.
#
#   bench/access-log.sh                      ROUNDS=5 DURATION=8 WARMUP=3 bench/access-log.sh
#   QUOTA=1 bench/access-log.sh              the bench's 40% CPU quota on the measured process (cgroup v1, root)
#   BEFORE=/path/to/other.jar bench/access-log.sh   also text and json with another build ("text-before",
#                                            "json-before"), in the same rounds: a before/after of a change to the log
# Needs bench/target/c (bench/run.sh builds it) and dist/switchyard.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-dist/switchyard.jar}; EXTRA=${EXTRA:-}
ROUNDS=${ROUNDS:-3}; DURATION=${DURATION:-6}; WARMUP=${WARMUP:-3}; CELLS=${CELLS:-http handshake}
. bench/lib.sh
OUT=$(mktemp -d /var/tmp/alog.XXXX)
cat > "$OUT/sy.json" <<JSON
{"timeouts":{"connect_ms":5000,"read_ms":300000,"send_ms":300000},
 "upstreams":[{"name":"echo","balance":"round_robin","targets":[{"address":"127.0.0.1:$EPORT","weight":1}]}],
 "routes":[{"name":"r9","path_prefix":"/r9","upstream":"echo"}]}
JSON
declare -A PORT PID
start() { # name, jar, access-log args...
  local name=$1 jar=$2; shift 2
  PORT[$name]=$(free_port)
  taskset -c 1 java $OPTS $EXTRA -jar "$jar" data-plane --config "$OUT/sy.json" "$@" \
    --listen "127.0.0.1:${PORT[$name]}" --status "127.0.0.1:$(free_port)" --state-dir "$OUT/state-$name" --node-id "$name" \
    > "$OUT/stdout-$name" 2> "$OUT/stderr-$name" &
  PID[$name]=$!
}
NAMES="off text json"
start off "$JAR" --access-log off
start text "$JAR" --access-log "$OUT/access-text.log"
start json "$JAR" --access-log "$OUT/access-json.log" --access-log-format json
if [ -n "${BEFORE:-}" ]; then
  NAMES="$NAMES text-before json-before"
  start text-before "$BEFORE" --access-log "$OUT/access-text-before.log"
  start json-before "$BEFORE" --access-log "$OUT/access-json-before.log" --access-log-format json
fi
trap 'kill ${PID[*]} $ECHO_PID 2>/dev/null; rm -rf $OUT' EXIT
for name in $NAMES; do
  for _ in $(seq 1 900); do curl -fs "http://127.0.0.1:${PORT[$name]}/r9/ready" >/dev/null 2>&1 && break; sleep 0.1; done
done
if [ -n "${QUOTA:-}" ]; then
  G=/sys/fs/cgroup/cpu/alog; mkdir -p $G; echo -1 > $G/cpu.cfs_quota_us; echo 2500 > $G/cpu.cfs_period_us; echo 1000 > $G/cpu.cfs_quota_us
fi
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
lines() { case $1 in off) echo 0;; *) wc -l < "$OUT/access-$1.log";; esac; }
args_for() {
  case $1 in
    http) echo "--mode http --path /r9/hello --conns 64";;
    handshake) echo "--mode handshake --path /r9/ws --conns 16";;
  esac
}
: > "$OUT/rows"
for r in $(seq 1 "$ROUNDS"); do
  for cell in $CELLS; do
    for name in $NAMES; do
      p=${PID[$name]}
      [ -n "${QUOTA:-}" ] && echo "$p" > $G/cgroup.procs
      taskset -c 0 $BIN/loadgen --port "${PORT[$name]}" $(args_for $cell) --warmup 0 --duration "$WARMUP" > /dev/null
      t0=$(ticks $p); l0=$(lines $name)
      taskset -c 0 $BIN/loadgen --port "${PORT[$name]}" $(args_for $cell) --warmup 0 --duration "$DURATION" > "$OUT/res.json"
      t1=$(ticks $p); l1=$(lines $name)
      [ -n "${QUOTA:-}" ] && echo "$p" > /sys/fs/cgroup/cpu/cgroup.procs
      ops=$(sed -e 's/.*"ops":\([0-9]*\).*/\1/' "$OUT/res.json"); errs=$(sed -e 's/.*"errors":\([0-9]*\).*/\1/' "$OUT/res.json")
      printf '%s %s %s %s %s %s %s\n' "$r" "$cell" "$name" "$ops" "$((t1 - t0))" "$((l1 - l0))" "$errs" >> "$OUT/rows"
      awk -v d="$DURATION" '{printf "round %s %-9s %-4s %8.0f ops/s  %6.1f us CPU/op  %8d lines  %s errors\n", $1, $2, $3, $4/d, $5*10000/$4, $6, $7}' <(tail -1 "$OUT/rows")
    done
  done
done
echo "medians over $ROUNDS rounds:"
for cell in $CELLS; do
  base=""
  for name in $NAMES; do
    read -r rate cpu < <(awk -v c=$cell -v n=$name -v d="$DURATION" '$2==c && $3==n {print $4/d, $5*10000/$4}' "$OUT/rows" |
      sort -n | awk '{a[NR]=$1; b[NR]=$2} END {m=int((NR+1)/2); print a[m], b[m]}')
    cpus=$(awk -v c=$cell -v n=$name '$2==c && $3==n {print $5*10000/$4}' "$OUT/rows" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    [ -z "$base" ] && base=$rate
    printf '  %-9s %-11s %8.0f ops/s (%.2fx off)  %6.1f us CPU/op\n' "$cell" "$name" "$rate" "$(echo "$rate / $base" | bc -l)" "$cpus"
  done
done
