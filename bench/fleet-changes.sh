#!/usr/bin/env bash
# A fleet node under a configuration change every 100 ms, outside the bench: a control plane (SCHED_IDLE, database in
# /dev/shm) and the node on core 1 (the node's state directory in /dev/shm too), the C echo upstream and load on core 0.
# After 5 s of echo and 5 s of changes (the fleet path warms up), 10 s of echo at a fixed 10,000 msg/s with a change
# every 100 ms from bench/c/changer: prints the changer's result, the load's p99 and the CPU of each busy node thread;
# then p99 without changes (twice), and with the control plane stopped (SIGSTOP).
#
#   bench/fleet-changes.sh
#   RENICE=19 bench/fleet-changes.sh     every node thread but the event loops reniced to 19 first
#   FIFO=1 bench/fleet-changes.sh        the event loops at SCHED_FIFO priority 10 (needs root)
#   SLICE=NS bench/fleet-changes.sh      the event loops' scheduler slice set to NS ns (Linux 6.12+, bench/slice.py)
#   IDLE='regex' bench/fleet-changes.sh  node threads whose name matches (event loops excepted) at SCHED_IDLE
#   PERFSCHED=FILE bench/fleet-changes.sh  4 s of the scheduler's switches and wake-ups (perf sched record)
#   NOJIT=1 bench/fleet-changes.sh       the node's compilers stopped (a compiler directive) before the measured cells
#   SLOWCALLS=FILE bench/fleet-changes.sh  4 s of the control plane's and node's system calls over 0.3 ms (perf trace)
#   CPUPROF=FILE bench/fleet-changes.sh  4 s of call stacks sampled on the node's core (perf record)
#   JAR=PATH bench/fleet-changes.sh      another build (default dist/switchyard.jar)
#   IONICE=-10 bench/fleet-changes.sh    the event loops reniced (a negative value needs root)
#   CP_CPUS=0 bench/fleet-changes.sh     the control plane and the changer on that core instead of the node's
#   NODE_EXTRA=... bench/fleet-changes.sh  more JVM flags for the node (e.g. -XX:+LogCompilation, for bench/traps.py)
# Needs bench/target/c (bench/run.sh builds it), dist/switchyard.jar, chrt and /dev/shm.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/fleet.XXXX)
. bench/lib.sh
CP_CPUS=${CP_CPUS:-1}
AP=$(free_port); LP=$(free_port); SP=$(free_port)
mkdir -p /dev/shm/fleetx; rm -rf /dev/shm/fleetx/*
taskset -c $CP_CPUS chrt --idle 0 java $OPTS -Dswitchyard.warmup=0 -jar ${JAR:-dist/switchyard.jar} control-plane --admin 127.0.0.1:$AP --db /dev/shm/fleetx/cp.db > $OUT/cp.log 2>&1 &
CP=$!
trap 'kill $CP $NODE $ECHO_PID 2>/dev/null; rm -rf /dev/shm/fleetx' EXIT
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:$AP/api/v1/snapshots/current >/dev/null 2>&1 && break; sleep 0.1; done
python3 -c "
import json
print(json.dumps({'timeouts':{'connect_ms':5000,'read_ms':300000,'send_ms':300000},'upstreams':[{'name':'echo','balance':'round_robin','targets':[{'address':'127.0.0.1:$EPORT','weight':1}]}],'routes':[{'name':'r%d'%i,'path_prefix':'/r%d'%i,'upstream':'echo'} for i in range(10)]+[{'name':'swap','path_prefix':'/swap/0','upstream':'echo'}]}))" > $OUT/doc.json
curl -fs -X PUT -H 'Content-Type: application/json' --data-binary @$OUT/doc.json http://127.0.0.1:$AP/api/v1/config >/dev/null
taskset -c 1 java $OPTS ${NODE_EXTRA:-} -jar ${JAR:-dist/switchyard.jar} data-plane --control-plane http://127.0.0.1:$AP --listen 127.0.0.1:$LP --status 127.0.0.1:$SP --state-dir /dev/shm/fleetx/state --node-id fx --access-log off > $OUT/node.log 2>&1 &
NODE=$!
for _ in $(seq 1 600); do curl -fs http://127.0.0.1:$LP/r9/ready >/dev/null 2>&1 && break; sleep 0.1; done
taskset -c 0 $BIN/loadgen --port $LP --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0 --duration 5 >/dev/null
if [ -n "${RENICE:-}" ]; then
  for t in /proc/$NODE/task/*; do c=$(cat $t/comm); case "$c" in switchyard-io*) ;; *) renice -n ${RENICE} -p $(basename $t) >/dev/null; echo "reniced $c";; esac; done
fi
if [ -n "${IONICE:-}" ]; then
  for t in /proc/$NODE/task/*; do c=$(cat $t/comm); case "$c" in switchyard-io*) renice -n "$IONICE" -p $(basename $t) >/dev/null; echo "nice $IONICE $c";; esac; done
fi
if [ -n "${IDLE:-}" ]; then
  for t in /proc/$NODE/task/*; do c=$(cat $t/comm); case "$c" in switchyard-io*) ;; *) if [[ "$c" =~ $IDLE ]]; then chrt -i -p 0 $(basename $t); echo "idle $c"; fi;; esac; done
fi
if [ -n "${SLICE:-}" ]; then
  for t in /proc/$NODE/task/*; do c=$(cat $t/comm); case "$c" in switchyard-io*) python3 bench/slice.py "$SLICE" $(basename $t); echo "slice $SLICE ns $c";; esac; done
fi
if [ -n "${FIFO:-}" ]; then
  for t in /proc/$NODE/task/*; do c=$(cat $t/comm); case "$c" in switchyard-io*) chrt -f -p 10 $(basename $t); echo "fifo $c";; esac; done
fi
# changes before JFR, to warm the fleet path a little
taskset -c $CP_CPUS chrt --idle 0 $BIN/changer --mode put --port $AP --every-ms 100 --duration ${WARMCHANGES:-5} --start 1 > $OUT/ch0.json
if [ -n "${NOJIT:-}" ]; then
  echo '[{ match: "*.*", Exclude: true }]' > $OUT/nojit.json
  jcmd $NODE Compiler.directives_add $OUT/nojit.json >/dev/null && echo "no compilation from here on"
fi
read -r U0 S0 < <(awk '{print $14, $15}' /proc/$NODE/stat)
for t in /proc/$NODE/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat) $(cat $t/comm | tr ' ' _)"; done | sort > $OUT/th0
taskset -c 0 $BIN/loadgen --port $LP --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0 --duration 10 --rate 10000 > $OUT/l.json &
L=$!
if [ -n "${PERFSCHED:-}" ]; then perf sched record -o "$PERFSCHED" -- sleep 4 >/dev/null 2>&1 & fi
if [ -n "${CPUPROF:-}" ]; then perf record -q -o "$CPUPROF" -C 1 -g -F 4999 -- sleep 4 >/dev/null 2>&1 & fi
if [ -n "${SLOWCALLS:-}" ]; then timeout 4 perf trace --duration 0.3 -p $CP,$NODE -o "$SLOWCALLS" >/dev/null 2>&1 & fi
taskset -c $CP_CPUS chrt --idle 0 $BIN/changer --mode put --port $AP --every-ms 100 --duration 10 --start 100 > $OUT/ch.json
wait $L
for t in /proc/$NODE/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat) $(cat $t/comm | tr ' ' _)"; done | sort > $OUT/th1
join $OUT/th0 $OUT/th1 | awk '{d=$4-$2; if (d>0) print "   thread", $3, d}' | sort -k3 -n -r | head -8
read -r U1 S1 < <(awk '{print $14, $15}' /proc/$NODE/stat)
cat $OUT/ch.json; grep -o '"p99_us":[0-9.]*' $OUT/l.json
echo "no changes, control plane up: $(taskset -c 0 $BIN/loadgen --port $LP --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0.5 --duration 5 --rate 10000 | grep -o '"p99_us":[0-9.]*')"
echo "again: $(taskset -c 0 $BIN/loadgen --port $LP --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0.5 --duration 5 --rate 10000 | grep -o '"p99_us":[0-9.]*')"
if [ -n "${PERFSCHED:-}" ]; then perf sched record -o "$PERFSCHED.2" -- sleep 4 >/dev/null 2>&1 & fi
echo "changes again, the echo path just warm: $( (taskset -c $CP_CPUS chrt --idle 0 $BIN/changer --mode put --port $AP --every-ms 100 --duration 10 --start 300 >/dev/null &) ; taskset -c 0 $BIN/loadgen --port $LP --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0 --duration 10 --rate 10000 | grep -o '"p99_us":[0-9.]*')"
kill -STOP $CP
echo "control plane stopped (SIGSTOP): $(taskset -c 0 $BIN/loadgen --port $LP --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0.5 --duration 5 --rate 10000 | grep -o '"p99_us":[0-9.]*')"
kill -CONT $CP
echo "node ticks during 10 s: user $((U1-U0)) sys $((S1-S0))"
