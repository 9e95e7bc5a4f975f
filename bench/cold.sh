#!/usr/bin/env bash
# Cold start of the shipped process as the bench sees it: dist/switchyard.jar with dist/jvm.options (start-up
# warm-up included) on core 1, the bench's 40% CPU quota put on once it answers, then 10 s of HTTP keep-alive from
# the C load generator (core 0): prints start-up time, RSS 1 s after ready, the cold timeline (requests per
# second), how many JIT compilations the cold 10 s still paid for (from -XX:+PrintCompilation; the lines are left
# in /tmp/cold.after), and a steady figure right after. bench/JVM-TUNING.md quotes it.
#
#   bench/cold.sh                                     the shipped settings
#   EXTRA=-Dswitchyard.warmup=0 bench/cold.sh         another setting (JAR for another build, OPTSFILE for other options)
#   AT_ONCE=1 bench/cold.sh                           the load from the first answer on, as bench/run.sh's cold cell (by
#                                                     default it starts 2 s later, after the RSS sample)
#   CURL_FLAGS=--http2 bench/cold.sh                  the readiness check asks as bench/run.sh's does (the JDK's
#                                                     HttpClient: an h2c upgrade offer, Content-Length: 0 on a GET)
# Needs bench/target/c (bench/run.sh builds it) and root for the quota (cgroup v1).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-dist/switchyard.jar}; EXTRA=${EXTRA:-}
. bench/lib.sh
OUT=$(mktemp -d /tmp/cold.XXXX)
LPORT=$(free_port); SPORT=$(free_port)
cat > "$OUT/sy.json" <<JSON
{"timeouts":{"connect_ms":5000,"read_ms":300000,"send_ms":300000},
 "upstreams":[{"name":"echo","balance":"round_robin","targets":[{"address":"127.0.0.1:$EPORT","weight":1}]}],
 "routes":[$(for i in $(seq 0 9); do printf '%s{"name":"r%d","path_prefix":"/r%d/","upstream":"echo"}' "$([ "$i" -gt 0 ] && echo ,)" "$i" "$i"; done)]}
JSON
T0=$(date +%s%N)
taskset -c 1 java $OPTS $EXTRA -XX:+PrintCompilation -jar "$JAR" data-plane --config "$OUT/sy.json" --access-log off \
  --listen "127.0.0.1:$LPORT" --status "127.0.0.1:$SPORT" --state-dir "$OUT/state" --node-id cold > "$OUT/log" 2>&1 &
SY=$!
trap 'kill $SY $ECHO_PID 2>/dev/null; cp $OUT/log /tmp/cold.log; rm -rf $OUT' EXIT
for _ in $(seq 1 3000); do curl ${CURL_FLAGS:-} -fs "http://127.0.0.1:$LPORT/r9/ready" >/dev/null 2>&1 && break; sleep 0.02; done
T1=$(date +%s%N)
if [ -n "${AT_ONCE:-}" ]; then echo "ready after $(( (T1-T0)/1000000 )) ms"
else sleep 1; echo "ready after $(( (T1-T0)/1000000 )) ms; RSS 1 s later: $(grep VmRSS /proc/$SY/status)"; fi
G=/sys/fs/cgroup/cpu/systest; mkdir -p $G; echo -1 > $G/cpu.cfs_quota_us; echo 2500 > $G/cpu.cfs_period_us; echo ${QUOTA_US:-1000} > $G/cpu.cfs_quota_us
echo $SY > $G/cgroup.procs
[ -n "${AT_ONCE:-}" ] || sleep 1
MARK=$(grep -c "" $OUT/log)
taskset -c 0 $BIN/loadgen --port "$LPORT" --mode http --path /r9/hello --conns 64 --warmup 0 --duration 10 > $OUT/cold.json
echo "cold: $(grep -o '"timeline":\[[^]]*\]' $OUT/cold.json) $(grep -o '"per_second":[0-9.]*' $OUT/cold.json)"
MARK2=$(grep -c "" $OUT/log)
sed -n "$((MARK+1)),${MARK2}p" $OUT/log > /tmp/cold.after
echo "compilations in the cold 10 s: $(grep -c '' /tmp/cold.after); C2 (tier 4): $(jit_count /tmp/cold.after c2); made not entrant: $(grep -c 'made not entrant' /tmp/cold.after)"
taskset -c 0 $BIN/loadgen --port "$LPORT" --mode http --path /r9/hello --conns 64 --warmup 2 --duration 5 > $OUT/steady.json
echo "steady: $(grep -o '"per_second":[0-9.]*' $OUT/steady.json)"
