#!/usr/bin/env bash
# One command for the whole benchmark (issue 12): installs the peers if missing, builds the C load
# generator and echo upstream (bench/c, gcc -O2), the bench runner and dist/switchyard.jar if it is
# missing, runs every scenario against direct, nginx, HAProxy, Caddy and Switchyard (3 rounds,
# alternating, medians) and regenerates docs/benchmarks.md, docs/benchmarks.png and
# docs/bench-results/latest.json. Scenarios: echo 32 B / 1 KiB / 16 KiB, HTTP keep-alive, handshakes,
# cold HTTP, idle tunnels, 100,000 routes against 10 (routes), a configuration change every 100 ms
# (swap: Switchyard through its control plane, nginx by reload). Every proxy runs in the same CPU quota
# (cgroup v1, 40% of its core; --proxy-quota 0 for none) so that the load core outruns the fastest twice;
# without cgroup v1 the run says so and cells the load cannot outrun stay invalid. Needs root for the quota.
# About 18 minutes on the quiet 2-core bench machine: cells that other programs disturbed are re-run, and work
# that would end past the budget is skipped (the report says so).
#
#   bench/run.sh                                   # the full run
#   bench/run.sh --rounds 1 --targets direct,nginx # quick look (any runner option, see Runner.Settings)
#   bench/run.sh --rounds 1 --targets direct,switchyard,nginx --scenarios http,routes,swap   # the scale and change cells alone
#   bench/run.sh --tune                            # JVM settings for Switchyard alone -> bench/JVM-TUNING.md
#
# Environment:
#   SWITCHYARD_JAVA_OPTS   JVM flags for Switchyard (default: dist/jvm.options when present, else -Xms256m -Xmx512m -XX:+UseParallelGC
#                          -XX:-AlwaysPreTouch -Dorg.slf4j.simpleLogger.log.switchyard.access=warn)
#   BENCH_PROXY_CPUS / BENCH_LOAD_CPUS   taskset lists (default 1 and 0)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

need=()
command -v nginx   >/dev/null || need+=(nginx-light)
command -v haproxy >/dev/null || need+=(haproxy)
command -v caddy   >/dev/null || need+=(caddy)
command -v gcc     >/dev/null || need+=(gcc libc6-dev)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "run.sh: installing ${need[*]} from Debian"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  # The packages' own services must not start: the bench starts each peer itself, pinned.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
# A Debian install may have started the distribution's own instances; they would steal the proxy core.
for svc in nginx haproxy caddy; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done

CPUS=$(nproc --all)
PROXY_CPUS=${BENCH_PROXY_CPUS:-1}
LOAD_CPUS=${BENCH_LOAD_CPUS:-0}
if [ "$CPUS" -lt 2 ]; then
  echo "run.sh: needs at least 2 cores (proxy and load on separate cores); this machine has $CPUS" >&2
  exit 2
fi
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mkdir -p bench/target/c
for tool in loadgen echo changer; do
  gcc -O2 -Wall -Wextra -Werror -o "bench/target/c/$tool" "bench/c/$tool.c"
done
OFFLINE=""; [ -d "$HOME/.m2/repository/io/netty" ] && OFFLINE="-o"
mvn -q $OFFLINE -f bench/pom.xml package -DskipTests || mvn -q -f bench/pom.xml package -DskipTests
if [ ! -f dist/switchyard.jar ]; then
  echo "run.sh: dist/switchyard.jar missing, building it (mvn -q -DskipTests package)"
  mvn -q $OFFLINE -DskipTests package || echo "run.sh: could not build dist/switchyard.jar; Switchyard's column will be empty" >&2
fi

# Access log off like the peers' configs (nginx access_log off, HAProxy/Caddy log nothing per request).
# The shipped settings (dist/jvm.options, what `sh dist/switchyard` runs with) when the build has them; the bench's
# earlier flags otherwise.
if [ -z "${SWITCHYARD_JAVA_OPTS:-}" ] && [ -f dist/jvm.options ]; then
  JVM_OPTS="$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' dist/jvm.options | tr '\n' ' ')-Dorg.slf4j.simpleLogger.log.switchyard.access=warn"
  export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
else
  JVM_OPTS=${SWITCHYARD_JAVA_OPTS:--Xms256m -Xmx512m -XX:+UseParallelGC -XX:-AlwaysPreTouch -Dorg.slf4j.simpleLogger.log.switchyard.access=warn}
fi
mkdir -p docs/bench-results
CMD=run; LOG=docs/bench-results/run.log
if [ "${1:-}" = "--tune" ]; then shift; CMD=tune; LOG=docs/bench-results/jvm-tuning.log; fi
# The runner only starts processes and reads /proc; it sits on the load core with the C tools.
taskset -c "$LOAD_CPUS" java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -jar bench/target/switchyard-bench.jar "$CMD" --repo "$REPO" \
  --proxy-cpus "$PROXY_CPUS" --load-cpus "$LOAD_CPUS" --switchyard-jvm "$JVM_OPTS" "$@" \
  2>&1 | tee "$LOG"
