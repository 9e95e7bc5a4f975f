#!/usr/bin/env bash
# Profiles Switchyard's data plane with JFR on a pinned, warmed JVM (bench/PROFILE.md):
# the data plane on the proxy core, the C echo upstream and load generator on the load core,
# 15 s of warm-up on every path, then one 20 s recording per scenario (32 B echo, HTTP keep-alive).
# Needs bench/target/c (bench/run.sh builds it) and dist/switchyard.jar.
#
#   bench/profile.sh [OUTDIR]        recordings and text summaries into OUTDIR (default /tmp/switchyard-profile)
#   SCENARIOS="handshake" bench/profile.sh   other scenarios (echo32, http, handshake; default "echo32 http")
#   ACCESS_LOG=stdout bench/profile.sh       with the access log on (default off, as the bench runs every proxy)
#
# SWITCHYARD_JAVA_OPTS overrides the JVM flags (default: the bench's).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/switchyard-profile}
PROXY_CPUS=${BENCH_PROXY_CPUS:-1}
LOAD_CPUS=${BENCH_LOAD_CPUS:-0}
JVM_OPTS=${SWITCHYARD_JAVA_OPTS:--Xms256m -Xmx512m -XX:+UseParallelGC -XX:-AlwaysPreTouch -Dorg.slf4j.simpleLogger.log.switchyard.access=warn}
JFR_VIEW=${JFR_VIEW:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr}   # "jfr view" needs JDK 21+; it reads JDK 17 recordings
mkdir -p "$OUT"
# JFR's "profile" settings with denser sampling: Java frames every 1 ms, threads in native code every 5 ms.
sed -e '/name="jdk.ExecutionSample"/,/<\/event>/s/<setting name="period"[^>]*>[^<]*</<setting name="period">1 ms</' \
    -e '/name="jdk.NativeMethodSample"/,/<\/event>/s/<setting name="period"[^>]*>[^<]*</<setting name="period">5 ms</' \
    "$(dirname "$(readlink -f "$(command -v java)")")/../lib/jfr/profile.jfc" > "$OUT/dense.jfc"
ulimit -n 20000 2>/dev/null || true
BIN=bench/target/c
[ -x $BIN/loadgen ] || { echo "profile.sh: $BIN/loadgen missing: run bench/run.sh once (it builds bench/c)" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
coproc ECHO { exec taskset -c "$LOAD_CPUS" $BIN/echo --port 0; }
read -r _ EPORT <&"${ECHO[0]}"
LPORT=$(free_port); SPORT=$(free_port)
cp dist/switchyard.jar "$OUT/switchyard.jar"
cat > "$OUT/switchyard.json" <<JSON
{"timeouts":{"connect_ms":5000,"read_ms":300000,"send_ms":300000},
 "upstreams":[{"name":"echo","balance":"round_robin","targets":[{"address":"127.0.0.1:$EPORT","weight":1}]}],
 "routes":[$(for i in $(seq 0 9); do printf '%s{"name":"r%d","path_prefix":"/r%d","upstream":"echo"}' "$([ "$i" -gt 0 ] && echo ,)" "$i" "$i"; done)]}
JSON
# shellcheck disable=SC2086
taskset -c "$PROXY_CPUS" java $JVM_OPTS -XX:+FlightRecorder -jar "$OUT/switchyard.jar" data-plane --config "$OUT/switchyard.json" \
  --listen "127.0.0.1:$LPORT" --status "127.0.0.1:$SPORT" --state-dir "$OUT/state" --node-id profile --access-log "${ACCESS_LOG:-off}" > "$OUT/switchyard.log" 2>&1 &
SY=$!
cleanup() { kill "$SY" 2>/dev/null || true; kill "$ECHO_PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$LPORT/r9/ready" >/dev/null 2>&1 && break; sleep 0.1; done
load() { taskset -c "$LOAD_CPUS" $BIN/loadgen --port "$LPORT" "$@"; }
echo "profile.sh: warming up (15 s)"
load --mode http --path /r9/hello --conns 64 --warmup 0 --duration 6 >/dev/null
load --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0 --duration 6 >/dev/null
load --mode handshake --path /r9/ws --conns 16 --warmup 0 --duration 3 >/dev/null
# User and system CPU ticks of the data plane (all threads): system time is the kernel's share (syscalls, TCP).
ticks() { awk '{print $14, $15}' "/proc/$SY/stat"; }
for sc in ${SCENARIOS:-echo32 http}; do
  read -r U0 S0 < <(ticks)
  jcmd "$SY" JFR.start name="$sc" settings="$OUT/dense.jfc" filename="$OUT/$sc.jfr" >/dev/null
  case "$sc" in
    echo32) load --mode echo --path /r9/ws --conns 64 --size 32 --warmup 0 --duration 20 > "$OUT/$sc.load.json" ;;
    handshake) load --mode handshake --path /r9/ws --conns 16 --warmup 0 --duration 20 > "$OUT/$sc.load.json" ;;
    *) load --mode http --path /r9/hello --conns 64 --warmup 0 --duration 20 > "$OUT/$sc.load.json" ;;
  esac
  jcmd "$SY" JFR.stop name="$sc" >/dev/null
  read -r U1 S1 < <(ticks)
  OPS=$(sed -e 's/.*"ops":\([0-9]*\).*/\1/' "$OUT/$sc.load.json")
  HZ=$(getconf CLK_TCK)
  awk -v u=$((U1 - U0)) -v s=$((S1 - S0)) -v ops="$OPS" -v hz="$HZ" 'BEGIN {
    printf "ops %d in 20 s (%.0f/s); data plane CPU per op: user %.1f us, system %.1f us (%.0f%% system)\n",
      ops, ops / 20, u / hz * 1e6 / ops, s / hz * 1e6 / ops, 100 * s / (u + s) }' > "$OUT/$sc.cpu.txt"
  python3 bench/jfr_top.py "$OUT/$sc.jfr" "$JFR_VIEW" > "$OUT/$sc.top.txt" 2>&1 || true
  "$JFR_VIEW" view --width 220 hot-methods "$OUT/$sc.jfr" > "$OUT/$sc.hot-methods.txt" 2>&1 || true
  "$JFR_VIEW" view --width 220 allocation-by-site "$OUT/$sc.jfr" > "$OUT/$sc.alloc-by-site.txt" 2>&1 || true
  "$JFR_VIEW" view --width 220 native-methods "$OUT/$sc.jfr" > "$OUT/$sc.native-methods.txt" 2>&1 || true
  "$JFR_VIEW" print --events jdk.ExecutionSample --stack-depth 12 "$OUT/$sc.jfr" > "$OUT/$sc.samples.txt" 2>&1 || true
  "$JFR_VIEW" view --width 220 allocation-by-class "$OUT/$sc.jfr" > "$OUT/$sc.alloc-by-class.txt" 2>&1 || true
  jfr summary "$OUT/$sc.jfr" > "$OUT/$sc.summary.txt"
  echo "profile.sh: $sc: $(cat "$OUT/$sc.cpu.txt")"
done

# Syscalls per operation (perf tracepoints, no JFR running), Switchyard against nginx on the same
# echo upstream: which calls a data plane makes per message is most of its cost on this kernel.
SYSCALLS="sendto recvfrom write writev read readv epoll_wait epoll_pwait epoll_pwait2 epoll_ctl timerfd_settime"
count_syscalls() {  # PID LABEL PORT PATH MODE SIZE
  local ev="" sc u0 s0 u1 s1
  for sc in $SYSCALLS; do ev="$ev,syscalls:sys_enter_$sc"; done
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$1/stat")
  perf stat -x, -e "${ev#,}" -p "$1" -o "$OUT/$2.perf.csv" -- \
    taskset -c "$LOAD_CPUS" $BIN/loadgen --port "$3" --path "$4" --mode "$5" --size "$6" --conns 64 --warmup 0 --duration 5 \
    > "$OUT/$2.perf-load.json"
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$1/stat")
  local ops; ops=$(sed -e 's/.*"ops":\([0-9]*\).*/\1/' "$OUT/$2.perf-load.json")
  awk -F, -v ops="$ops" -v label="$2" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" '
      /sys_enter/ { n = $3; sub("syscalls:sys_enter_", "", n); if ($1 + 0 > 0) line = line sprintf(" %s %.3f", n, $1 / ops) }
      END { printf "%s: %d ops; CPU per op (whole process, tracepoints on): user %.1f us, system %.1f us; syscalls per op:%s\n",
            label, ops, u / hz * 1e6 / ops, s / hz * 1e6 / ops, line }' "$OUT/$2.perf.csv" | tee -a "$OUT/syscalls.txt"
}
if command -v perf >/dev/null && perf stat -e syscalls:sys_enter_sendto -- true >/dev/null 2>&1; then
  : > "$OUT/syscalls.txt"
  count_syscalls "$SY" switchyard-echo32 "$LPORT" /r9/ws echo 32
  count_syscalls "$SY" switchyard-http "$LPORT" /r9/hello http 0
  if command -v nginx >/dev/null; then
    NPORT=$(free_port)
    mkdir -p "$OUT/nginx"
    sed -e "s#{{DIR}}#$OUT/nginx#g; s#{{ECHO}}#$EPORT#; s#{{LISTEN}}#$NPORT#; s#{{ROUTE_COUNT}}#1#" \
        -e "s#{{ROUTES}}#        location /r9/ { proxy_pass http://echo; }#" bench/peers/nginx.conf.tmpl > "$OUT/nginx/nginx.conf"
    taskset -c "$PROXY_CPUS" nginx -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" > "$OUT/nginx/log" 2>&1 &
    NG=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$NPORT/r9/ready" >/dev/null 2>&1 && break; sleep 0.1; done
    WORKER=$(pgrep -P "$NG" | head -1)
    count_syscalls "$WORKER" nginx-echo32 "$NPORT" /r9/ws echo 32
    count_syscalls "$WORKER" nginx-http "$NPORT" /r9/hello http 0
    kill "$NG" 2>/dev/null || true
  fi
fi
echo "profile.sh: recordings and views in $OUT"
