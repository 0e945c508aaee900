#!/usr/bin/env bash
# The demo: trace the bundled sample sync engine (examples/syncrelay: a
# relay server and three clients on loopback) for ~10 s, without -p, so
# every process running the binary is traced: the `watch` dashboard of its
# ops (examples/syncrelay.ops: plain functions and its USDT contract) every
# 2 s, then the latency histograms of `lat`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$(realpath "$BUILD/examples/syncrelay")
SECS=${DEMO_SECONDS:-10}
PORT=${DEMO_PORT:-17070}
OUT=$BUILD/demo
DB=$OUT/demo.db
PAGE=$OUT/demo.html

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (BPF needs CAP_BPF and CAP_PERFMON)" >&2
	exit 1
fi

mkdir -p "$OUT"
rm -f "$DB" "$DB-wal" "$DB-shm" "$PAGE"	# a recording is never written over
LOG=$(mktemp)
WLOG=$(mktemp)
LAT_OUT=$(mktemp)
OPS=$(mktemp --suffix=.ops)
trap 'rm -f "$LOG" "$WLOG" "$LAT_OUT" "$OPS"' EXIT
# the ops file names the binary relative to the project root; BUILD may differ
sed "s|^relay=.*|relay=$BIN|" examples/syncrelay.ops >"$OPS"

# Wait until the tracer (pid $2) printed its Tracing line in log $1: from
# then on every probe is attached. Shows the log; fails if it never came.
wait_tracing() {
	for _ in $(seq 200); do
		grep -q '^Tracing' "$1" && break
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	cat "$1" >&2
	grep -q '^Tracing' "$1" || { wait "$2"; exit 1; }
}

echo "== synctrace lat on $BIN: server and clients, ${SECS}s" >&2
"$BUILD/synctrace" lat -d "$((SECS + 1))" \
	"$BIN:relay_handle_*" "$BIN:apply_change" "$BIN:resolve_conflict" \
	"$BIN:client_push" "$BIN:client_pull" "$BIN:client_apply_remote" >"$LAT_OUT" 2>"$LOG" &
TRACER=$!
wait_tracing "$LOG" "$TRACER"

echo "== synctrace watch --ops examples/syncrelay.ops: the dashboard every 2 s (recorded)" >&2
"$BUILD/synctrace" watch --ops "$OPS" -i 2 -d "$((SECS + 1))" --record "$DB" --html "$PAGE" \
	2>"$WLOG" &
WATCHER=$!
wait_tracing "$WLOG" "$WATCHER"

echo "== starting the relay: 1 server, 3 clients, ${SECS}s" >&2
"$BIN" demo --port "$PORT" --clients 3 --seconds "$SECS" 2>/dev/null
wait "$WATCHER"
wait "$TRACER"
echo "== synctrace lat: the same run's latency histograms" >&2
cat "$LAT_OUT"
echo "== kept: the watch run's recording $DB (synctrace report $DB)" >&2
echo "==       and its HTML report $PAGE (open it in a browser; it needs no network)" >&2
