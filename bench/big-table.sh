#!/usr/bin/env bash
# A data plane serving N prefix routes (default 100,000) from a config file, the shipped JVM settings plus a GC log:
# RSS once it answers, 10 s of HTTP keep-alive, then two fixed-rate cells (10,000 req/s, p50/p99) to the last route,
# the last GC lines and how many collections the two cells had (the whole log is left in /tmp/big.gc.log). JIT=1 also
# counts the JIT's compilations in the two cells and how many compiled (C2) methods were thrown away ("made not
# entrant") when the 10 s load ended (its 64 connections closed with requests in flight); the process's output with
# -XX:+PrintCompilation is left in /tmp/big.out.log.
#
#   bench/big-table.sh                     N=10 bench/big-table.sh   EXTRA=-Xmn32m bench/big-table.sh   JIT=1 bench/big-table.sh
# Needs bench/target/c (bench/run.sh builds it) and dist/switchyard.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-dist/switchyard.jar}; EXTRA=${EXTRA:-}; N=${N:-100000}
[ -n "${JIT:-}" ] && EXTRA="$EXTRA -XX:+PrintCompilation"
. bench/lib.sh
OUT=$(mktemp -d /tmp/big.XXXX)
LPORT=$(free_port); SPORT=$(free_port)
python3 -c "
import json
print(json.dumps({'timeouts':{'connect_ms':5000,'read_ms':300000,'send_ms':300000},'upstreams':[{'name':'echo','balance':'round_robin','targets':[{'address':'127.0.0.1:$EPORT','weight':1}]}],'routes':[{'name':'r%d'%i,'path_prefix':'/r%d/'%i,'upstream':'echo'} for i in range($N)]}))" > $OUT/sy.json
taskset -c 1 java $OPTS $EXTRA -Xlog:gc:file=$OUT/gc.log -jar "$JAR" data-plane --config "$OUT/sy.json" --access-log off \
  --listen "127.0.0.1:$LPORT" --status "127.0.0.1:$SPORT" --state-dir "$OUT/state" --node-id big > "$OUT/log" 2>&1 &
SY=$!
trap 'kill $SY $ECHO_PID 2>/dev/null; cp $OUT/gc.log /tmp/big.gc.log; [ -n "${JIT:-}" ] && cp $OUT/log /tmp/big.out.log; rm -rf $OUT' EXIT
# Compilations (PrintCompilation's lines) from line $1 of the process's output; with "c2-dropped", only C2 methods made not entrant.
compiled() { sed -n "$1,\$p" $OUT/log | jit_count - "${2:-}"; }
LAST=/r$((N-1))
for _ in $(seq 1 1500); do curl -fs "http://127.0.0.1:$LPORT$LAST/ready" >/dev/null 2>&1 && break; sleep 0.05; done
echo "RSS $(grep VmRSS /proc/$SY/status)"
taskset -c 0 $BIN/loadgen --port $LPORT --mode http --path $LAST/hello --conns 64 --warmup 0 --duration 10 > /dev/null &
sleep 9.5; L0=$(grep -c "" $OUT/log)
wait $!; sleep 0.5
[ -n "${JIT:-}" ] && echo "C2 methods thrown away when the load ended: $(compiled $((L0+1)) c2-dropped)"
M=$(grep -c "" $OUT/gc.log); L1=$(grep -c "" $OUT/log)
for i in 1 2; do
taskset -c 0 $BIN/loadgen --port $LPORT --mode http --path $LAST/hello --conns 64 --warmup 0.5 --duration 3 --rate 10000 | grep -o '"p50_us":[0-9.]*\|"p99_us":[0-9.]*' | tr '\n' ' '; echo
done
sed -n "$((M+1)),\$p" $OUT/gc.log | tail -5
echo "GCs during p99 cells: $(sed -n "$((M+1)),\$p" $OUT/gc.log | grep -c Pause)"
[ -n "${JIT:-}" ] && echo "compilations during p99 cells: $(compiled $((L1+1)))"
true
