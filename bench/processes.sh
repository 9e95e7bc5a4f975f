#!/usr/bin/env bash
# One cell in each of N fresh processes of one proxy, to see how much a proxy's cost per operation moves from one
# process to the next (bench/PROFILE.md, "fast and slow processes"): the proxy on core 1, the C echo upstream and load
# generator on core 0, no quota; per process: operations per second, the proxy's user and system CPU per operation
# (clock ticks of the whole process over the measured 6 s), after 5 s of unmeasured load on the same connections,
# and for a Java process the heap it allocated per operation over the same 6 s (from jstat: young collections x eden
# capacity + the change in eden use). Allocation per operation moves far less from process to process than CPU time
# does, so it tells two builds apart on a machine where time per operation is too noisy to; and the CPU time the C2
# compiler threads took in that window (a process still compiling pays for it there).
#
#   bench/processes.sh                    8 Switchyard data planes (dist/switchyard.jar with dist/jvm.options, or
#                                         OPTSFILE), 32 B echo
#   N=16 MODE=http bench/processes.sh     HTTP keep-alive instead (MODE=echo SIZE=1024 for 1 KiB messages)
#   LOAD_EXTRA=--browser MODE=http bench/processes.sh   requests with a browser's head (about 960 bytes) instead of a bare GET
#   TARGET=nginx bench/processes.sh       nginx with the bench's config (bench/peers/nginx.conf.tmpl), one worker
#   EXTRA_A='...' EXTRA_B='...' bench/processes.sh   Switchyard, alternating two sets of extra JVM flags (A, B, A, ...)
#   JAR_A=old.jar JAR_B=new.jar bench/processes.sh   Switchyard, alternating two builds (either may be left out: dist's)
#   PREFIX='setarch -R' bench/processes.sh           wraps the proxy's command (here: without address-space randomization)
#   TARGET=bare bench/processes.sh        the bare Netty relay (io.switchyard.bench.BareRelay: parses nothing, the floor
#                                         of any proxy on Netty's epoll transport, same Netty as the data plane)
#   TARGETS='switchyard bare nginx' N=4 MODE=handshake CONNS=16 bench/processes.sh   several, alternating, medians at the end
# Needs bench/target/c and bench/target/switchyard-bench.jar (bench/run.sh builds both).
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-8}; SIZE=${SIZE:-32}; MODE=${MODE:-echo}; TARGETS=${TARGETS:-${TARGET:-switchyard}}; CONNS=${CONNS:-64}
OUT=$(mktemp -d /tmp/processes.XXXX)
trap 'kill $ECHO_PID 2>/dev/null; rm -rf $OUT' EXIT
cat > "$OUT/config.json" <<JSON
{"upstreams":[{"name":"echo","balance":"round_robin","targets":[{"address":"127.0.0.1:$EPORT"}]}],
 "routes":[{"name":"r","path_prefix":"/r/","upstream":"echo"}]}
JSON
# A Java process's eden capacity, eden used (KB) and young collections so far; empty for others. Eden's size is fixed
# by the shipped -Xmn, so what the heap took between two readings is collections x capacity + the change in use.
heap_used() { [ -d "/proc/$1" ] && jstat -gc "$1" 2>/dev/null | awk 'NR == 2 {print $5, $6, $13}'; }
# CPU clock ticks of a JVM's C2 compiler threads so far (empty for other processes): a process whose measured window
# still had the JIT compiling paid for it in that window's CPU per operation.
jit_ticks() { cat /proc/"$1"/task/*/stat 2>/dev/null | awk '$2 ~ /^\(C2/ {s += $14 + $15; n++} END {if (n) print s}'; }
load() { taskset -c 0 "$BIN/loadgen" --mode "$MODE" --port "$1" --path /r/ --conns "$CONNS" --size "$SIZE" ${LOAD_EXTRA:-} "${@:2}"; }
for i in $(seq 1 "$N"); do
for TARGET in $TARGETS; do
  port=$(free_port); tag=$TARGET
  if [ "$TARGET" = bare ]; then
    # shellcheck disable=SC2086 # PREFIX is words on purpose
    taskset -c 1 ${PREFIX:-} java -XX:+UseSerialGC -Xmx128m -Dio.netty.leakDetection.level=disabled \
      -cp bench/target/switchyard-bench.jar io.switchyard.bench.BareRelay "$port" "$EPORT" > "$OUT/bare$i.log" 2>&1 &
    main=$!; pid=$main
    for _ in $(seq 1 200); do grep -q ready "$OUT/bare$i.log" 2>/dev/null && break; sleep 0.05; done
  elif [ "$TARGET" = nginx ]; then
    mkdir -p "$OUT/n$i"
    sed -e "s#{{DIR}}#$OUT/n$i#g; s#{{ECHO}}#$EPORT#; s#{{LISTEN}}#$port#; s#{{ROUTE_COUNT}}#1#" \
        -e "s#{{ROUTES}}#        location /r/ { proxy_pass http://echo; }#" bench/peers/nginx.conf.tmpl > "$OUT/n$i/nginx.conf"
    # shellcheck disable=SC2086 # PREFIX is words on purpose
    taskset -c 1 ${PREFIX:-} nginx -p "$OUT/n$i" -c "$OUT/n$i/nginx.conf" > "$OUT/n$i/log" 2>&1 &
    main=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/r/ready" >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 0.3; pid=$(pgrep -P "$main" | head -1)
  else
    extra=""
    jar=dist/switchyard.jar
    if [ -n "${EXTRA_A:-}${EXTRA_B:-}${JAR_A:-}${JAR_B:-}" ]; then
      if [ $((i % 2)) = 1 ]; then extra=${EXTRA_A:-}; jar=${JAR_A:-$jar}; tag=A; else extra=${EXTRA_B:-}; jar=${JAR_B:-$jar}; tag=B; fi
    fi
    # shellcheck disable=SC2086 # the options and PREFIX are words on purpose
    MALLOC_ARENA_MAX=2 taskset -c 1 ${PREFIX:-} java $OPTS $extra -jar "$jar" data-plane \
      --config "$OUT/config.json" --listen "127.0.0.1:$port" --state-dir "$OUT/state$i" --access-log off > "$OUT/sy$i.log" 2>&1 &
    main=$!; pid=$main
    for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$port/r/ready" >/dev/null 2>&1 && break; sleep 0.05; done
  fi
  load "$port" --warmup 5 --duration 1 > /dev/null
  a0=$(heap_used "$pid"); j0=$(jit_ticks "$pid")
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  json=$(load "$port" --warmup 0 --duration 6)
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  a1=$(heap_used "$pid"); j1=$(jit_ticks "$pid")
  python3 -c 'import json, os, sys
j = json.loads(sys.argv[1]); ops = max(1, sum(j["timeline"])); hz = os.sysconf("SC_CLK_TCK")
u, s = (int(sys.argv[3]) - int(sys.argv[2])) * 1e6 / hz / ops, (int(sys.argv[5]) - int(sys.argv[4])) * 1e6 / hz / ops
a = ""
if sys.argv[8] and sys.argv[9]:
    (ec, eu0, y0), (_, eu1, y1) = [[float(x) for x in v.split()] for v in sys.argv[8:10]]
    a = ", heap allocated per op %.0f B" % (((y1 - y0) * ec + eu1 - eu0) * 1024 / ops)
if sys.argv[10] and sys.argv[11]:
    a += ", C2 compiler %.0f ms" % ((int(sys.argv[11]) - int(sys.argv[10])) * 1e3 / hz)
print("process %s (%s): %.0f ops/s, CPU per op: user %.2f us, system %.2f us, total %.2f us%s" % (sys.argv[6], sys.argv[7], j["per_second"], u, s, u + s, a))' \
    "$json" "$u0" "$u1" "$s0" "$s1" "$i" "$tag" "$a0" "$a1" "$j0" "$j1" | tee -a "$OUT/summary"
  kill "$main" 2>/dev/null; wait "$main" 2>/dev/null
done
done
python3 -c 'import re, statistics, sys, collections
by = collections.defaultdict(list); alloc = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m = re.match(r"process \d+ \((\S+)\): (\d+) ops/s, CPU per op: user ([\d.]+) us, system ([\d.]+) us, total ([\d.]+) us", line)
    if m: by[m.group(1)].append([float(x) for x in m.groups()[1:]])
    a = re.search(r"\((\S+)\):.*heap allocated per op (\d+) B", line)
    if a: alloc[a.group(1)].append(float(a.group(2)))
for tag, rows in by.items():
    med = [statistics.median(c) for c in zip(*rows)]
    a = ", heap allocated per op %.0f B" % statistics.median(alloc[tag]) if alloc[tag] else ""
    print("median (%s, %d processes): %.0f ops/s, CPU per op: user %.2f us, system %.2f us, total %.2f us (fastest process %.2f)%s" % (tag, len(rows), *med, min(r[3] for r in rows), a))' "$OUT/summary"
