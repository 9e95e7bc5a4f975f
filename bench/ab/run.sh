#!/usr/bin/env bash
# Before/after for one change, in one run: two Switchyard builds side by side on the same machine, the same
# C load generator and echo upstream (bench/c), rounds alternating A and B so drift hits both alike.
#
#   bench/ab/run.sh REV_A [REV_B]     # REV_B defaults to the working tree's dist/switchyard.jar
#   JVM_A='...' JVM_B='...' bench/ab/run.sh HEAD HEAD   # one build, two sets of JVM flags
#   JVM_A=shipped JVM_B='shipped -Dx=y' ...   # "shipped": launcher/src/dist/jvm.options' flags (warm-up included)
#
# Cells: WebSocket echo 1 KiB (ECHO_SIZE=32 for 32 B; 64 connections) and HTTP keep-alive (64 connections), steady state after a warm-up;
# proxy pinned to BENCH_PROXY_CPUS (default 1), load and upstream to BENCH_LOAD_CPUS (default 0). Prints a Markdown
# table of medians (msg/s or req/s, p99) and B/A; writes bench/target/ab/ab.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
A=${1:?usage: bench/ab/run.sh REV_A [REV_B]}
B=${2:-}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-8}
DURATION=${DURATION:-8}
PROXY_CPUS=${BENCH_PROXY_CPUS:-1}
LOAD_CPUS=${BENCH_LOAD_CPUS:-0}
OUT=bench/target/ab
mkdir -p "$OUT/c"
for tool in loadgen echo; do gcc -O2 -Wall -Wextra -Werror -o "$OUT/c/$tool" "bench/c/$tool.c"; done

jar_for() { # rev -> path of a built jar (a temporary worktree per revision)
  local rev=$1 dir="$OUT/src-$1"
  if [ ! -f "$dir/dist/switchyard.jar" ]; then
    rm -rf "$dir"; git worktree add -f -q --detach "$dir" "$rev"
    (cd "$dir" && mvn -q -o -DskipTests package >/dev/null 2>&1 || mvn -q -DskipTests package >/dev/null)
  fi
  echo "$REPO/$dir/dist/switchyard.jar"
}
JAR_A=$(jar_for "$A")
if [ -n "$B" ]; then JAR_B=$(jar_for "$B"); else
  [ -f dist/switchyard.jar ] || mvn -q -DskipTests package >/dev/null
  JAR_B=$REPO/dist/switchyard.jar; B=working-tree
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
UP=$(free_port)
taskset -c "$LOAD_CPUS" "$OUT/c/echo" --port "$UP" & pids+=($!)
sleep 0.3
cat > "$OUT/config.json" <<JSON
{"upstreams":[{"name":"echo","balance":"round_robin","targets":[{"address":"127.0.0.1:$UP"}]}],
 "routes":[{"name":"all","path_prefix":"/","upstream":"echo"}]}
JSON

JVM_DEFAULT="-Xms256m -Xmx512m -XX:+UseParallelGC"
jvm_flags() { # JVM_A or JVM_B's value -> flags
  case "${1:-}" in
    shipped*) echo "$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' launcher/src/dist/jvm.options | tr '\n' ' ') ${1#shipped}" ;;
    *) echo "${1:-$JVM_DEFAULT}" ;;
  esac
}
cell() { # jar jvm-flags mode size -> "throughput p99_us"
  local jar=$1 jvm=$2 mode=$3 size=$4 port status state flags
  port=$(free_port); status=$(free_port); state=$(mktemp -d)
  flags=(--config "$OUT/config.json" --listen "127.0.0.1:$port" --status "127.0.0.1:$status" --state-dir "$state")
  # The access log off, as the peers' configs: by flag where the build has it, else by its logger level.
  if unzip -p "$jar" 'io/switchyard/dataplane/accesslog/AccessLog.class' >/dev/null 2>&1; then flags+=(--access-log off); fi
  # shellcheck disable=SC2086 # the flags are words on purpose
  MALLOC_ARENA_MAX=2 taskset -c "$PROXY_CPUS" java $jvm -Dorg.slf4j.simpleLogger.log.switchyard.access=warn \
      -jar "$jar" data-plane "${flags[@]}" > "$state/out.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$status/status" >/dev/null && break; sleep 0.1; done
  local json cpu0 cpu1
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  json=$(taskset -c "$LOAD_CPUS" "$OUT/c/loadgen" --mode "$mode" --port "$port" --path / --conns 64 --size "$size" \
      --warmup "$WARMUP" --duration "$DURATION")
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$state"
  # Throughput, p99, errors, and the proxy's CPU per operation (clock ticks over every op of the run, warm-up included):
  # a cost that stays comparable when the load side, not the proxy, bounds the throughput.
  python3 -c 'import json,os,sys; j=json.loads(sys.argv[1]); t=int(sys.argv[3])-int(sys.argv[2]); ops=max(1,sum(j["timeline"]));
print(j["per_second"], j["p99_us"], j["errors"], t*1e6/os.sysconf("SC_CLK_TCK")/ops)' "$json" "$cpu0" "$cpu1"
}

declare -A results
for r in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    jar=$JAR_A; jvm=$(jvm_flags "${JVM_A:-}")
    if [ "$side" = B ]; then jar=$JAR_B; jvm=$(jvm_flags "${JVM_B:-}"); fi
    results[$side,echo,$r]=$(cell "$jar" "$jvm" echo "${ECHO_SIZE:-1024}")
    results[$side,http,$r]=$(cell "$jar" "$jvm" http 0)
    echo "round $r $side: echo ${results[$side,echo,$r]} | http ${results[$side,http,$r]}" >&2
  done
done

python3 - "$A" "$B" "$ROUNDS" "$OUT/ab.json" <<'PY' "$(for k in "${!results[@]}"; do echo "$k=${results[$k]}"; done)"
import json, os, statistics, sys
a, b, rounds, out, raw = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
vals = {}
for line in raw.splitlines():
    k, v = line.split("=", 1)
    side, cell, r = k.split(",")
    t, p99, err, cpu = v.split()
    vals.setdefault((side, cell), []).append((float(t), float(p99), int(float(err)), float(cpu)))
print(f"| cell | A ({a}) | B ({b}) | B/A | p99 A | p99 B | proxy CPU/op A | proxy CPU/op B | errors |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
doc = {}
for cell in ("echo", "http"):
    ta = statistics.median(x[0] for x in vals[("A", cell)]); tb = statistics.median(x[0] for x in vals[("B", cell)])
    pa = statistics.median(x[1] for x in vals[("A", cell)]); pb = statistics.median(x[1] for x in vals[("B", cell)])
    err = sum(x[2] for s in "AB" for x in vals[(s, cell)])
    ca = statistics.median(x[3] for x in vals[("A", cell)]); cb = statistics.median(x[3] for x in vals[("B", cell)])
    name = f"WebSocket echo {os.environ.get('ECHO_SIZE', '1024')} B, msg/s" if cell == "echo" else "HTTP keep-alive, req/s"
    print(f"| {name} | {ta:,.0f} | {tb:,.0f} | {tb/ta:.3f} | {pa/1000:.2f} ms | {pb/1000:.2f} ms | {ca:.1f} µs | {cb:.1f} µs | {err} |")
    doc[cell] = {"a": ta, "b": tb, "ratio": tb / ta, "p99_us_a": pa, "p99_us_b": pb, "cpu_us_per_op_a": ca,
                 "cpu_us_per_op_b": cb, "errors": err,
                 "rounds": {s: vals[(s, cell)] for s in "AB"}}
json.dump({"a": a, "b": b, "cells": doc}, open(out, "w"), indent=1)
PY
