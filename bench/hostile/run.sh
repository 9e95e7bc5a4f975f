#!/usr/bin/env bash
# Hostile-input comparison: sends the cases of bench/hostile/cases.py (about 80 raw requests, every class
# of edge-hardening attack) to nginx, HAProxy and Switchyard, each in front of the same recording upstream
# (bench/hostile/upstream.py, which parses every request itself and logs what it parsed), and regenerates
# the generated section of docs/hostile-input.md.
#
#   bench/hostile/run.sh                 # everything (about two and a half minutes); builds dist/switchyard.jar
#                                        # (mvn -q -DskipTests package) when it is missing or older than the sources
#   bench/hostile/run.sh --rebuild       # rebuild dist/switchyard.jar first in any case
#   bench/hostile/run.sh --only 1,2,40   # a quick look at some cases; the doc is left alone
#   HOSTILE_JSON=/tmp/r.json bench/hostile/run.sh   # also every result, with what each upstream parsed
#
# Free ports (bound on port 0 first), everything in a temporary directory, every process stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
HERE=$REPO/bench/hostile
STARTED=$(date +%s.%N)

REBUILD=0
ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild) REBUILD=1 ;;
    --only) ONLY=(--only "$2"); shift ;;
    *) echo "run.sh: unknown option $1 (expected: --rebuild, --only N,N)" >&2; exit 2 ;;
  esac
  shift
done

NGINX=${NGINX:-/usr/sbin/nginx}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
for b in "$NGINX" "$HAPROXY" python3 java; do
  command -v "$b" >/dev/null || { echo "run.sh: $b not found" >&2; exit 2; }
done
# Rebuild when asked, when the jar is missing, or when a source or pom is newer than it (a stale jar would
# write someone else's numbers into the doc).
if [ "$REBUILD" = 0 ] && [ -f dist/switchyard.jar ] && \
   [ -n "$(find shared data-plane launcher pom.xml -newer dist/switchyard.jar \( -name '*.java' -o -name 'pom.xml' -o -path '*/resources/*' \) -print -quit 2>/dev/null)" ]; then
  REBUILD=1
fi
if [ "$REBUILD" = 1 ] || [ ! -f dist/switchyard.jar ]; then
  echo "run.sh: building dist/switchyard.jar (mvn -q -DskipTests package)"
  OFFLINE=""; [ -d "$HOME/.m2/repository/io/netty" ] && OFFLINE="-o"
  mvn -q $OFFLINE -DskipTests package || mvn -q -DskipTests package
fi

TMP=$(mktemp -d /tmp/switchyard-hostile.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # give each a moment to stop on SIGTERM, then make sure
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ten free ports at once: three listeners, six upstream listeners, one control port.
read -r -a P <<<"$(python3 - <<'EOF'
import socket
socks = []
for _ in range(11):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
)"
NGINX_PORT=${P[0]} HAPROXY_PORT=${P[1]} SY_PORT=${P[2]} SY_STATUS=${P[3]}
NG_PUB=${P[4]} NG_ADM=${P[5]} HA_PUB=${P[6]} HA_ADM=${P[7]} SY_PUB=${P[8]} SY_ADM=${P[9]} CONTROL=${P[10]}

mkdir -p "$TMP/logs" "$TMP/nginx" "$TMP/state"
python3 -u "$HERE/upstream.py" --logdir "$TMP/logs" --control "$CONTROL" \
  nginx-pub="$NG_PUB" nginx-adm="$NG_ADM" haproxy-pub="$HA_PUB" haproxy-adm="$HA_ADM" \
  switchyard-pub="$SY_PUB" switchyard-adm="$SY_ADM" >"$TMP/upstream.log" 2>&1 &
PIDS+=($!)

# nginx as the field guide's seeds configure it: proxy_pass, HTTP/1.1 upstream, the WebSocket map idiom,
# Host/X-Real-IP/X-Forwarded-For (scenario 5), one location per route.
sed -e "s#{{DIR}}#$TMP/nginx#g" -e "s#{{LISTEN}}#$NGINX_PORT#g" -e "s#{{PUB}}#$NG_PUB#g" -e "s#{{ADM}}#$NG_ADM#g" \
  "$HERE/nginx.conf.tmpl" >"$TMP/nginx/nginx.conf"
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx.out" 2>&1 &
PIDS+=($!)

# HAProxy with its defaults: mode http, two backends chosen by path_beg.
sed -e "s#{{LISTEN}}#$HAPROXY_PORT#g" -e "s#{{PUB}}#$HA_PUB#g" -e "s#{{ADM}}#$HA_ADM#g" \
  "$HERE/haproxy.cfg.tmpl" >"$TMP/haproxy.cfg"
"$HAPROXY" -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.out" 2>&1 &
PIDS+=($!)

# Switchyard: the same two routes, the client's Host passed on (as nginx's Host $host).
sed -e "s#{{PUB}}#$SY_PUB#g" -e "s#{{ADM}}#$SY_ADM#g" "$HERE/switchyard.json.tmpl" >"$TMP/switchyard.json"
java -Xms64m -Xmx256m -jar dist/switchyard.jar data-plane --config "$TMP/switchyard.json" \
  --listen "127.0.0.1:$SY_PORT" --status "127.0.0.1:$SY_STATUS" --state-dir "$TMP/state" >"$TMP/switchyard.out" 2>&1 &
PIDS+=($!)

wait_port() { # name port
  for _ in $(seq 1 150); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=1).close()" "$2" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "run.sh: $1 did not listen on $2; its output:" >&2
  cat "$TMP"/*.out "$TMP/nginx/error.log" 2>/dev/null | tail -20 >&2
  exit 1
}
wait_port upstream "$CONTROL"
wait_port nginx "$NGINX_PORT"
wait_port haproxy "$HAPROXY_PORT"
wait_port switchyard "$SY_PORT"
# Switchyard answers 503 until its snapshot is applied: wait for /ready.
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:%s/ready' % sys.argv[1], timeout=1)" "$SY_STATUS" 2>/dev/null; then break; fi
  sleep 0.2
done

NGINX_V=$("$NGINX" -v 2>&1 | sed 's#.*/##')
HAPROXY_V=$("$HAPROXY" -v | awk 'NR == 1 {print $3}')
# The last commit that changed what goes into the jar.
SY_V=$(git -C "$REPO" log -1 --format=%h -- shared data-plane launcher pom.xml)
python3 -u "$HERE/probe.py" --logdir "$TMP/logs" --control "$CONTROL" --doc "$REPO/docs/hostile-input.md" \
  --started "$STARTED" ${HOSTILE_JSON:+--json "$HOSTILE_JSON"} --version "nginx $NGINX_V" --version "HAProxy $HAPROXY_V" --version "Switchyard $SY_V" \
  "${ONLY[@]}" nginx="$NGINX_PORT" HAProxy="$HAPROXY_PORT" Switchyard="$SY_PORT" &
# In the background and waited for, so that a SIGTERM or SIGINT to this script stops everything at once.
PROBE=$!
PIDS+=("$PROBE")
wait "$PROBE"
echo "run.sh: done in $(python3 -c "import sys,time; print(round(time.time()-float(sys.argv[1])))" "$STARTED") s"
