#!/usr/bin/env bash
# What the JIT threw away when real traffic met the shipped process after its start-up warm-up: dist/switchyard.jar
# with dist/jvm.options plus -XX:+LogCompilation on core 1, then, once it answers, traffic of the shapes a real
# configuration and its clients send (from core 0; HTTP with bare and with browser-sized heads), and the uncommon traps hit in compiled io.switchyard / io.netty code
# from the first answer on (bench/traps.py). Each such trap throws compiled code away at a real client's request, and
# the process serves slower code until the JIT, on the serving core, has compiled it again: the warm-up's traffic
# should have taken that branch first. The count does not depend on the machine's speed, unlike a cold timeline.
# Also prints what C2 compiled before ready, by package (where the warm-up spent the compiler).
#
#   bench/traps.sh                 SHAPE=bench: the bench's ten routes /r0/ .. /r9/ (one segment, no hosts)
#   SHAPE=site bench/traps.sh      also routes by exact and wildcard host, a root route, a two-segment prefix with
#                                  strip_prefix, preserve_host, an origin policy, merge_slashes off; requests for each
#   SHAPE=big bench/traps.sh       the ten routes and 100,000 more (/b0/ .. /b99999/), as bench/big-table.sh's table
#   JAR=... OPTSFILE=... EXTRA=... as bench/cold.sh. The whole log stays in /tmp/traps.jit.log.
# Needs bench/target/c (bench/run.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-dist/switchyard.jar}; EXTRA=${EXTRA:-}; SHAPE=${SHAPE:-bench}
. bench/lib.sh
OUT=$(mktemp -d /tmp/traps.XXXX)
LPORT=$(free_port); SPORT=$(free_port)
R10=$(for i in $(seq 0 9); do printf '%s{"name":"r%d","path_prefix":"/r%d/","upstream":"echo"}' "$([ "$i" -gt 0 ] && echo ,)" "$i" "$i"; done)
case "$SHAPE" in
  bench) MORE="" ;;
  big) MORE=$(python3 -c 'print("".join(",{\"name\":\"b%d\",\"path_prefix\":\"/b%d/\",\"upstream\":\"echo\"}" % (i, i) for i in range(100000)))') ;;
  site) MORE=',{"name":"site","hosts":["www.example.test"],"path_prefix":"/","upstream":"echo"}
    ,{"name":"api","hosts":["www.example.test"],"path_prefix":"/api/v1/","upstream":"echo","strip_prefix":true}
    ,{"name":"tenants","hosts":["*.example.test"],"path_prefix":"/ws","upstream":"echo","preserve_host":true,
      "origin":{"allow":["https://*.example.test"],"credentials":true}}
    ,{"name":"legacy","path_prefix":"/legacy/app","upstream":"echo","merge_slashes":false}' ;;
  *) echo "SHAPE: bench, site or big" >&2; exit 2 ;;
esac
cat > "$OUT/sy.json" <<JSON
{"timeouts":{"connect_ms":5000,"read_ms":300000,"send_ms":300000},
 "upstreams":[{"name":"echo","balance":"round_robin","targets":[{"address":"127.0.0.1:$EPORT","weight":1}]}],
 "routes":[$R10$MORE]}
JSON
taskset -c 1 java $OPTS $EXTRA -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile="$OUT/jit.log" \
  -jar "$JAR" data-plane --config "$OUT/sy.json" --access-log off \
  --listen "127.0.0.1:$LPORT" --status "127.0.0.1:$SPORT" --state-dir "$OUT/state" --node-id traps > "$OUT/log" 2>&1 &
SY=$!
trap 'kill $SY $ECHO_PID 2>/dev/null; wait $SY 2>/dev/null; cp $OUT/jit.log /tmp/traps.jit.log 2>/dev/null; cp $OUT/log /tmp/traps.log; rm -rf $OUT' EXIT
# Readiness as a port check (no request: the first request is the traffic's own).
for _ in $(seq 1 3000); do
  python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$LPORT)))" 2>/dev/null && break
  sleep 0.02
done
# Seconds since the JVM started, as the log's stamps count them.
SINCE=$(awk -v hz="$(getconf CLK_TCK)" -v up="$(cut -d' ' -f1 /proc/uptime)" '{ print up - $22 / hz }' "/proc/$SY/stat")
echo "ready after ${SINCE} s ($SHAPE)"
taskset -c 0 $BIN/loadgen --port "$LPORT" --mode http --path /r9/hello --conns 64 --warmup 0 --duration 3 >/dev/null
taskset -c 0 python3 - "$LPORT" "$SHAPE" <<'PY'
import base64, os, socket, sys
port, shape = int(sys.argv[1]), sys.argv[2]
reqs = [("127.0.0.1:%d" % port, "/r3/a/b/c", ""), ("localhost", "/r0", ""), ("127.0.0.1", "/r1/?q=1", ""),
        ("127.0.0.1", "/none/x", ""), ("127.0.0.1", "/r2/x/../y", "")]
if shape == "site":
    reqs += [("www.example.test", "/", ""), ("WWW.Example.Test.", "/index.html", ""), ("www.example.test", "/api/v1/users/7", ""),
             ("www.example.test", "/api/v2/x", ""), ("a.example.test", "/ws/feed", "Origin: https://a.example.test\r\n"),
             ("b.example.test", "/other", ""), ("127.0.0.1", "/legacy/app//x", ""), ("www.example.test", "/r4/deep/er/path", "")]
for rnd in range(300):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    for host, path, extra in reqs:
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path, host, extra)).encode())
        length, chunked = 0, False
        status = f.readline()
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.lower() == "content-length":
                length = int(v)
            if k.lower() == "transfer-encoding":
                chunked = True
        if chunked:
            while True:
                n = int(f.readline().split(b";")[0], 16); f.read(n + 2)
                if n == 0:
                    break
        else:
            f.read(length)
    s.close()
    if shape == "site" and rnd % 10 == 0:
        s = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET /ws/live HTTP/1.1\r\nHost: c.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Origin: https://c.example.test\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        s.recv(4096)
        s.sendall(bytes([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]))
        s.recv(4096)
        s.close()
PY
taskset -c 0 $BIN/loadgen --port "$LPORT" --mode echo --path /r9/ws --size 32 --conns 64 --warmup 0 --duration 2 >/dev/null
taskset -c 0 $BIN/loadgen --port "$LPORT" --mode handshake --path /r9/ws --conns 16 --warmup 0 --duration 2 >/dev/null
taskset -c 0 $BIN/loadgen --port "$LPORT" --mode http --path /r9/hello --conns 64 --warmup 0 --duration 2 >/dev/null
taskset -c 0 $BIN/loadgen --port "$LPORT" --mode http --path /r9/hello --browser --conns 64 --warmup 0 --duration 2 >/dev/null
sleep 1
# The JVM writes the compilers' part of the log as it exits.
kill $SY; wait $SY 2>/dev/null || true
grep "warm-up done" "$OUT/log" | sed 's/.*start-up/start-up/' | cut -c1-160
python3 bench/traps.py --c2 "$OUT/jit.log" "$SINCE"
python3 bench/traps.py "$OUT/jit.log" "$SINCE"
