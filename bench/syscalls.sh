#!/usr/bin/env bash
# Per-operation cost of one proxy, Switchyard's data plane or nginx, on the bench's placement (proxy on core 1, the
# C load generator and echo upstream on core 0): CPU per operation (clock ticks of the whole process), syscalls
# per operation (perf tracepoints), TCP segments per operation, the busiest threads. bench/PROFILE.md quotes it.
#
#   bench/syscalls.sh [http] [echo32] [echo1k] [handshake]   Switchyard (dist/switchyard.jar with dist/jvm.options)
#   TARGET=nginx bench/syscalls.sh http                  nginx with the bench's config (bench/peers/nginx.conf.tmpl)
#   TARGET=haproxy bench/syscalls.sh http                HAProxy with the bench's config (bench/peers/haproxy.cfg.tmpl)
# Environment: JAR (another build), EXTRA (more JVM flags), QUOTA=1 (the bench's 40% CPU quota, cgroup v1),
# PERFREC=N (perf record; top N symbols to /tmp/perfrec.TARGET.MODE, PSORT=dso for the user/kernel split; PERFG=1
# records call graphs too and keeps the recording as /tmp/perfrec.TARGET.MODE.data for perf report -i),
# LOAD_EXTRA (more load generator flags: --browser for HTTP requests with a browser's head), STRACE="-e trace=..." (strace to /tmp/strace.TARGET.MODE), JFR=1 (a JFR recording to /tmp/jfr.MODE.jfr).
# Needs bench/target/c (bench/run.sh builds it), perf, and root for the quota.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-dist/switchyard.jar}; EXTRA=${EXTRA:-}
MODES=${*:-http echo32 handshake}
. bench/lib.sh
OUT=$(mktemp -d /tmp/sys.XXXX)
LPORT=$(free_port); SPORT=$(free_port)
cat > "$OUT/sy.json" <<JSON
{"timeouts":{"connect_ms":5000,"read_ms":300000,"send_ms":300000},
 "upstreams":[{"name":"echo","balance":"round_robin","targets":[{"address":"127.0.0.1:$EPORT","weight":1}]}],
 "routes":[{"name":"r9","path_prefix":"/r9","upstream":"echo"}]}
JSON
if [ "${TARGET:-sy}" = nginx ]; then
  R='        location /r9/ { proxy_pass http://echo; }'
  sed -e "s#{{DIR}}#$OUT#g" -e "s#{{ECHO}}#$EPORT#g" -e "s#{{LISTEN}}#$LPORT#g" -e "s#{{ROUTE_COUNT}}#1#" -e "s#{{ROUTES}}#$R#" bench/peers/nginx.conf.tmpl > $OUT/nginx.conf
  taskset -c 1 nginx -p $OUT -c $OUT/nginx.conf > $OUT/log 2>&1 &
  MASTER=$!
  sleep 1; SY=$(pgrep -P $MASTER | head -1)
  trap 'kill $MASTER $ECHO_PID 2>/dev/null; sleep 0.5; rm -rf $OUT' EXIT
elif [ "${TARGET:-sy}" = haproxy ]; then
  echo "/r9/ echo" > $OUT/haproxy-routes.map
  sed -e "s#{{DIR}}#$OUT#g" -e "s#{{ECHO}}#$EPORT#g" -e "s#{{LISTEN}}#$LPORT#g" -e "s#{{ROUTE_COUNT}}#1#" bench/peers/haproxy.cfg.tmpl > $OUT/haproxy.cfg
  taskset -c 1 haproxy -db -f $OUT/haproxy.cfg > $OUT/log 2>&1 &
  SY=$!
  trap 'kill $SY $ECHO_PID 2>/dev/null; sleep 0.5; rm -rf $OUT' EXIT
else
taskset -c 1 java $OPTS $EXTRA -jar "$JAR" data-plane --config "$OUT/sy.json" --access-log off \
  --listen "127.0.0.1:$LPORT" --status "127.0.0.1:$SPORT" --state-dir "$OUT/state" --node-id sys > "$OUT/log" 2>&1 &
SY=$!
trap 'kill $SY $ECHO_PID 2>/dev/null; rm -rf $OUT' EXIT
fi
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$LPORT/r9/ready" >/dev/null 2>&1 && break; sleep 0.1; done
load() { taskset -c 0 $BIN/loadgen --port "$LPORT" ${LOAD_EXTRA:-} "$@"; }
load --mode http --path /r9/hello --conns 64 --warmup 0 --duration 4 >/dev/null
load --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0 --duration 4 >/dev/null
load --mode handshake --path /r9/ws --conns 16 --warmup 0 --duration 3 >/dev/null
if [ -n "${QUOTA:-}" ]; then
  G=/sys/fs/cgroup/cpu/systest; mkdir -p $G; echo -1 > $G/cpu.cfs_quota_us; echo 2500 > $G/cpu.cfs_period_us; echo 1000 > $G/cpu.cfs_quota_us
  echo $SY > $G/cgroup.procs
fi
EV=$(for s in epoll_ctl epoll_wait epoll_pwait epoll_pwait2 read write recvfrom sendto readv writev getsockopt setsockopt getsockname getpeername accept4 close connect socket timerfd_settime futex madvise mmap munmap; do printf 'syscalls:sys_enter_%s,' $s; done)
for m in $MODES; do
  case $m in
    http) args="--mode http --path /r9/hello --conns 64";;
    echo32) args="--mode echo --path /r9/ws --conns 64 --size 32";;
    echo1k) args="--mode echo --path /r9/ws --conns 64 --size 1024";;
    handshake) args="--mode handshake --path /r9/ws --conns 16";;
  esac
  read -r U0 S0 < <(awk '{print $14, $15}' /proc/$SY/stat)
  R0=$(cat /proc/$SY/task/*/schedstat | awk "{s+=\$1} END {printf \"%d\", s}")
  for t in /proc/$SY/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat) $(cat $t/comm | tr ' ' _)"; done > $OUT/th0.$m
  nstat -n >/dev/null
  if [ -n "${STRACE:-}" ]; then (timeout 3 strace ${STRACE} -f -p $SY -o $OUT/strace.$m || true) & fi
  if [ -n "${PERFREC:-}" ]; then (perf record -q ${PERFG:+-g} -e cpu-clock -F 5000 -p $SY -o $OUT/rec.$m -- sleep 4 >/dev/null 2>&1 || true) & fi
  if [ -n "${JFR:-}" ]; then
    sed -e '/name="jdk.ExecutionSample"/,/<\/event>/s/<setting name="period"[^>]*>[^<]*</<setting name="period">1 ms</' "$(dirname "$(readlink -f "$(command -v java)")")/../lib/jfr/profile.jfc" > $OUT/dense.jfc
    jcmd $SY JFR.start name=$m settings=$OUT/dense.jfc filename=/tmp/jfr.$m.jfr >/dev/null
  fi
  perf stat -x, -e "${EV}page-faults,context-switches,cpu-migrations,task-clock" -p $SY -o $OUT/perf.$m -- sleep 5 &
  P=$!
  E0=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$ECHO_PID/status)
  /usr/bin/time -f '%w' -o $OUT/loadcs.$m taskset -c 0 $BIN/loadgen --port "$LPORT" ${LOAD_EXTRA:-} $args --warmup 0 --duration 5 > $OUT/$m.json
  E1=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$ECHO_PID/status)
  wait $P || true
  [ -n "${JFR:-}" ] && jcmd $SY JFR.stop name=$m >/dev/null
  nstat -z TcpOutSegs TcpExtDelayedACKs TcpExtTCPHPAcks TcpExtTCPPureAcks 2>/dev/null | awk '/^Tcp/ {print $1, $2}' > $OUT/nstat.$m
  read -r U1 S1 < <(awk '{print $14, $15}' /proc/$SY/stat)
  R1=$(cat /proc/$SY/task/*/schedstat | awk "{s+=\$1} END {printf \"%d\", s}")
  for t in /proc/$SY/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat) $(cat $t/comm | tr ' ' _)"; done > $OUT/th1.$m
  join <(sort $OUT/th0.$m) <(sort $OUT/th1.$m) | awk '{d=$4-$2; if (d>0) print "   thread", $3, d}' | sort -k3 -n -r | head -6
  OPS=$(sed -e 's/.*"ops":\([0-9]*\).*/\1/' $OUT/$m.json)
  echo "== $m ops=$OPS cpu/op(us)=$(( (U1-U0+S1-S0)*10000000/OPS ))  user=$(( (U1-U0)*10000000/OPS )) sys=$(( (S1-S0)*10000000/OPS )) schedstat_ns/op=$(( (R1-R0)/OPS ))"
  awk -F, -v ops=$OPS '/syscalls|faults|switches|migrations|task-clock/ {split($3,a,":"); n=a[2]; sub("sys_enter_","",n); if ($1>0) printf "  %-16s %8.2f\n", n, $1/ops}' $OUT/perf.$m
  [ -n "${STRACE:-}" ] && cp $OUT/strace.$m /tmp/strace.${TARGET:-sy}.$m
  if [ -n "${PERFREC:-}" ]; then sleep 1; [ "${TARGET:-sy}" = sy ] && jcmd $SY Compiler.perfmap >/dev/null; perf report -i $OUT/rec.$m --sort ${PSORT:-dso,sym} --stdio -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -${PERFREC} > /tmp/perfrec.${TARGET:-sy}.$m || true; [ -n "${PERFG:-}" ] && cp $OUT/rec.$m /tmp/perfrec.${TARGET:-sy}.$m.data; fi
  awk -v ops=$OPS '{printf "  %-20s %8.2f\n", $1, $2/ops}' $OUT/nstat.$m
  # How often the peers on the load core went to sleep per operation (each such sleep costs a wake-up in a send).
  awk -v ops=$OPS -v e=$((E1-E0)) -v l="$(tail -1 $OUT/loadcs.$m)" 'BEGIN {printf "  %-20s %8.2f\n  %-20s %8.2f\n", "echo sleeps/op", e/ops, "loadgen sleeps/op", l/ops}' 
done
