#!/usr/bin/env bash
# The demo: trace the bundled sample sync engine (examples/syncrelay: a
# relay server and three clients on loopback) for ~10 s, without -p, so
# every process running the binary is traced, then print the histograms.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$(realpath "$BUILD/examples/syncrelay")
SECS=${DEMO_SECONDS:-10}
PORT=${DEMO_PORT:-17070}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (BPF needs CAP_BPF and CAP_PERFMON)" >&2
	exit 1
fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "== synctrace lat on $BIN: server and clients, ${SECS}s" >&2
"$BUILD/synctrace" lat -d "$((SECS + 1))" \
	"$BIN:relay_handle_*" "$BIN:apply_change" "$BIN:resolve_conflict" \
	"$BIN:client_push" "$BIN:client_pull" "$BIN:client_apply_remote" 2>"$LOG" &
TRACER=$!
# wait for the Tracing line: from then on every probe is attached
for _ in $(seq 200); do
	grep -q '^Tracing' "$LOG" && break
	kill -0 "$TRACER" 2>/dev/null || break
	sleep 0.05
done
cat "$LOG" >&2
grep -q '^Tracing' "$LOG" || { wait "$TRACER"; exit 1; }

echo "== starting the relay: 1 server, 3 clients, ${SECS}s" >&2
"$BIN" demo --port "$PORT" --clients 3 --seconds "$SECS"
wait "$TRACER"
