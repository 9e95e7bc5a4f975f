# Shared by the bench scripts that run one proxy by hand (syscalls.sh, cold.sh, big-table.sh, fleet-changes.sh);
# sourced from the repository's root. Sets BIN and OPTS (the JVM flags of OPTSFILE, default dist/jvm.options, as
# dist/switchyard reads them), defines free_port, and starts the C echo upstream on the load core (core 0):
# EPORT is its port, ECHO_PID its process.
BIN=bench/target/c
[ -x "$BIN/echo" ] || { echo "$0: $BIN/echo missing: run bench/run.sh once (it builds bench/c)" >&2; exit 2; }
OPTS=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${OPTSFILE:-dist/jvm.options}" | tr '\n' ' ')
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
coproc ECHO { exec taskset -c 0 "$BIN/echo" --port 0; }
read -r _ EPORT <&"${ECHO[0]}"
