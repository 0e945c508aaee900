#!/usr/bin/env bash
# Install the Debian packages a job needs: `deps.sh demo` what building and
# `make demo` need, `deps.sh test` (the default) that and everything the
# tests start (PostgreSQL, Redis, Node, ...). Idempotent: does nothing (and
# needs no network) when all are present.
set -euo pipefail

DEMO_PKGS=(
	make gcc clang llvm pkg-config  # build; clang -target bpf
	libbpf-dev bpftool libelf-dev zlib1g-dev  # BPF loading, skeletons, ELF
	libjson-c-dev		  # JSON output
	liblzma-dev		  # MiniDebugInfo (.gnu_debugdata is xz)
	libzydis-dev		  # x86-64 decoder: a function's rets, sites uprobes would run wrongly
	libc6-dev binutils	  # the sample engine
	systemtap-sdt-dev	  # sys/sdt.h: the sample engine's USDT probes
	libiberty-dev		  # the C++ and Rust demangler
	libmicrohttpd-dev	  # --prometheus: the /metrics HTTP server
	libsqlite3-dev		  # --record, report, mark (SQLite recordings)
)
TEST_PKGS=(
	libcmocka-dev		  # unit tests
	python3 python3-pytest	  # integration test driver
	bpftrace		  # side-by-side benchmark
	procps util-linux	  # ps, setpriv (non-root tests)
	postgresql-15 postgresql-client-15  # profiles: logical replication, libpq, pgbench
	sqlite3 libsqlite3-dev	  # profiles: sqlite (the CLI, a C client)
	redis-server		  # profiles: redis-replication (tests start their own)
	openssl curl nodejs	  # profiles: openssl, node (TLS servers and clients)
	golang-go ocaml-nox	  # fixtures: Go and OCaml programs (timed at their rets, never by uretprobes)
	libc6-dbg xz-utils	  # split debug: libc's build-id file; MiniDebugInfo fixtures
	syncthing		  # a real Go engine: two instances on 127.0.0.1, and the .gopclntab reader's test
	g++ rustc		  # fixtures: C++ and Rust programs (demangled names)
	prometheus		  # --prometheus: a real server scrapes it; promtool checks contrib/
	chromium		  # the --html report opened headless, network off (test_html.py)
	apache2-utils		  # ab: the keep-alive flood of `synctrace http` (test_http_flood.py)
)
# npm installs the Node fixtures' packages (ws, pg: tests/fixtures/net.mk);
# NodeSource's nodejs ships it (and conflicts with Debian's npm), Debian's does not.
command -v npm >/dev/null 2>&1 || TEST_PKGS+=(npm)

case "${1:-test}" in
demo) PKGS=("${DEMO_PKGS[@]}") ;;
test) PKGS=("${DEMO_PKGS[@]}" "${TEST_PKGS[@]}") ;;
*) echo "usage: deps.sh [demo|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
