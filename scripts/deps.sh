#!/usr/bin/env bash
# Install every Debian package that building, the demo and the tests need.
# Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail

PKGS=(
	make gcc clang llvm pkg-config  # build; clang -target bpf
	libbpf-dev bpftool libelf-dev zlib1g-dev  # BPF loading, skeletons, ELF
	libjson-c-dev		  # JSON output
	libcmocka-dev		  # unit tests
	systemtap-sdt-dev	  # sys/sdt.h for USDT fixtures
	libc6-dev binutils	  # fixtures (objcopy, strip)
	python3 python3-pytest	  # integration test driver
	bpftrace		  # side-by-side benchmark
	procps util-linux	  # ps, setpriv (non-root tests)
	postgresql-15 postgresql-client-15  # profiles: logical replication, libpq, pgbench
	sqlite3 libsqlite3-dev	  # profiles: sqlite (the CLI, a C client)
	redis-server		  # profiles: redis-replication (tests start their own)
	openssl curl nodejs	  # profiles: openssl, node (TLS servers and clients)
)

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
