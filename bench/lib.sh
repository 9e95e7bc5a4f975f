# Shared by the bench scripts that run one proxy by hand (syscalls.sh, cold.sh, big-table.sh, fleet-changes.sh);
# sourced from the repository's root. Sets BIN and OPTS (the JVM flags of OPTSFILE, default dist/jvm.options, as
# dist/switchyard reads them), defines free_port, and starts the C echo upstream on the load core (core 0):
# EPORT is its port, ECHO_PID its process.
BIN=bench/target/c
[ -x "$BIN/echo" ] || { echo "$0: $BIN/echo missing: run bench/run.sh once (it builds bench/c)" >&2; exit 2; }
OPTS=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${OPTSFILE:-dist/jvm.options}" | tr '\n' ' ')
# Counts -XX:+PrintCompilation lines in a file (or stdin with -): all compilations, "c2" those at tier 4, "c2-dropped"
# tier-4 methods made not entrant (compiled code the JIT threw away). The tier is the first one-digit field after the
# compile id (flags such as % ! s come between).
jit_count() {
  awk -v what="${2:-}" '$1 ~ /^[0-9]+$/ { lvl = ($3 ~ /^[0-9]$/) ? $3 : (($4 ~ /^[0-9]$/) ? $4 : $5)
    if (what == "") n++; else if (lvl == 4 && (what == "c2" ? !/made (not entrant|zombie)/ : /made not entrant/)) n++ }
    END { print n + 0 }' "$1"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
coproc ECHO { exec taskset -c 0 "$BIN/echo" --port 0; }
read -r _ EPORT <&"${ECHO[0]}"
