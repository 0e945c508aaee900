"""profiles/libpq.ops against real libpq clients of a real PostgreSQL 15
server on 127.0.0.1 (tests/integration/pgharness.py): pgbench in its three
query modes (simple, extended, prepared), counts exact against pgbench's own
transaction count times the statements of its script, and a ctypes client
of its own (PQexec*, PQprepare, failing statements) that prints its truth.

With -p the shipped profile traces the system's libpq in that process only.
Without -p it would count every libpq user on the host: that test gives
pgbench a private copy of libpq (LD_LIBRARY_PATH) and traces the copy, with
a copy of the profile naming it."""
import json
import os
import subprocess
import sys

import pytest

from conftest import (ROOT, Tracer, assert_no_drops, labels, rows, total, totals,
                      wait_maps_private)
from pgharness import (LIBPQ, PGBENCH, PgCluster, bench_script, create_table,
                       pg_unavailable_reason, pgbench_failed, pgbench_processed, preload,
                       require_pg)

PROFILE = ROOT / "profiles" / "libpq.ops"
SHIPPED = ["--profile", "libpq"]

N = 2000
CLIENTS, PER_CLIENT = 2, 100
T = CLIENTS * PER_CLIENT
STATEMENTS = 5        # BEGIN, INSERT, UPDATE, DELETE, END (bench_script(1, 1, 1))
PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_FATAL_ERROR = 1, 2, 7
STR_MAX = 63          # str() labels: the first 63 bytes

# A process that maps libpq, says "ready", waits for "go", then runs its
# argv: `-p` resolves `libpq` in the maps of this very process, and the probes
# stay on it through exec, so the program is traced from its first call.
LAUNCHER = f"""
import ctypes, os, sys
ctypes.CDLL("{LIBPQ}")
print("ready", flush=True)
sys.stdin.readline()
os.execv(sys.argv[1], sys.argv[1:])
"""

# A libpq client that prints its own truth: K good and E failing PQexec, P
# PQexecParams, one PQprepare and R PQexecPrepared, PQresultStatus once per
# result.
CLIENT = f"""
import ctypes, json, sys
pq = ctypes.CDLL("{LIBPQ}")
pq.PQconnectdb.restype = ctypes.c_void_p
pq.PQconnectdb.argtypes = [ctypes.c_char_p]
for f in ("PQexec", "PQexecParams", "PQprepare", "PQexecPrepared"):
    getattr(pq, f).restype = ctypes.c_void_p
pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
pq.PQexecParams.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
pq.PQprepare.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                         ctypes.c_void_p]
pq.PQexecPrepared.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                              ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
pq.PQresultStatus.argtypes = [ctypes.c_void_p]
pq.PQclear.argtypes = [ctypes.c_void_p]
pq.PQstatus.argtypes = [ctypes.c_void_p]
pq.PQfinish.argtypes = [ctypes.c_void_p]
conninfo, K, E, P, R = sys.argv[1].encode(), *map(int, sys.argv[2:6])
print("ready", flush=True)
sys.stdin.readline()
statuses = {{}}
def done(res):
    st = pq.PQresultStatus(res)
    statuses[st] = statuses.get(st, 0) + 1
    pq.PQclear(res)
conn = pq.PQconnectdb(conninfo)
assert pq.PQstatus(conn) == 0, "connection failed"
for i in range(K):
    done(pq.PQexec(conn, b"SELECT 1"))
for i in range(E):
    done(pq.PQexec(conn, b"SELECT 1/0"))
arr = ctypes.c_char_p * 1
for i in range(P):
    done(pq.PQexecParams(conn, b"SELECT $1::int + 1", 1, None, arr(str(i).encode()),
                         None, None, 0))
done(pq.PQprepare(conn, b"twice", b"SELECT $1::int * 2", 1, None))
for i in range(R):
    done(pq.PQexecPrepared(conn, b"twice", 1, arr(str(i).encode()), None, None, 0))
pq.PQfinish(conn)
print(json.dumps({{"statuses": statuses, "exec": K + E + P + R, "prepare": 1}}), flush=True)
"""


@pytest.fixture(scope="module")
def cluster():
    require_pg()
    with PgCluster("libpq") as c:
        create_table(c, "postgres")
        yield c


def pgbench_args(cluster, script, mode):
    return [str(PGBENCH), "-n", "-f", str(script), "-M", mode, "-c", str(CLIENTS), "-j", "1",
            "-t", str(PER_CLIENT), "-D", "k=0", "-D", f"tpc={PER_CLIENT}", "-D", f"n={N}",
            "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "postgres"]


def fresh_rows(cluster):
    cluster.sql("TRUNCATE st_rows")
    preload(cluster, "postgres", N)


def run_pgbench_traced(cluster, tmp_path, mode, use_pid, private):
    """pgbench traced with -p its pid (from its first libpq call), with the
    shipped profile, or without -p, running and tracing a private copy of
    libpq. Returns (pgbench output, summary)."""
    fresh_rows(cluster)
    script = tmp_path / "txn.sql"
    script.write_text(bench_script(1, 1, 1))
    args = pgbench_args(cluster, script, mode)
    if use_pid:
        p = subprocess.Popen([sys.executable, "-c", LAUNCHER, *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert p.stdout.readline().strip() == "ready"
            t = Tracer("watch", "-p", p.pid, *SHIPPED, "--json").wait_tracing()
            p.stdin.write("go\n")
            p.stdin.close()
            out = p.stdout.read()
            assert p.wait(timeout=60) == 0, out
        finally:
            if p.poll() is None:
                p.kill()
        assert t.wait() == 0, t.stderr           # pgbench exited: summary
    else:
        lib = private.copy(LIBPQ, name=LIBPQ.name)     # libpq.so.5, the name pgbench asks for
        ops = private.ops(PROFILE, {"libpq": lib})
        t = Tracer("watch", "--ops", ops, "--json").wait_tracing()
        try:
            p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, env=dict(os.environ, LD_LIBRARY_PATH=str(lib.parent)))
            try:
                wait_maps_private(p, lib, LIBPQ)
                out = p.communicate(timeout=60)[0]
            finally:
                if p.poll() is None:
                    p.kill()
        finally:
            rc = t.stop()
        assert p.returncode == 0, out
        assert rc == 0, t.stderr
    return out, t.summary()


def test_profile_resolves():
    if pg_unavailable_reason():
        pytest.skip(pg_unavailable_reason())
    t = Tracer("watch", *SHIPPED, "-d", "0.1").wait_tracing()
    assert t.wait() == 0, t.stderr
    assert "Tracing 7 ops" in t.stderr, t.stderr


@pytest.mark.parametrize("mode,use_pid", [("simple", True), ("extended", True),
                                          ("prepared", True), ("prepared", False)])
def test_pgbench_exact(cluster, tmp_path, mode, use_pid, private):
    out, s = run_pgbench_traced(cluster, tmp_path, mode, use_pid, private)
    processed = pgbench_processed(out)
    assert processed == T and pgbench_failed(out) == 0, out
    print(mode, "pid" if use_pid else "path", json.dumps(s["ops"]))
    assert_no_drops(s)
    commands = processed * STATEMENTS
    # PQprepare of each statement, once per client connection (-M prepared)
    prepares = CLIENTS * STATEMENTS if mode == "prepared" else 0
    connections = CLIENTS + 1         # pgbench's own first connection, then one per client

    assert total(s, "pq_connect") == connections
    (q,) = rows(s, "pq_query")
    assert q["count"] == commands + prepares       # PQprepare sends with PQsendPrepare
    assert q["inflight"] == 0 and q["timeouts"] == 0
    assert totals(s, "pq_query")["restarts"] == 0
    # the PQgetResult calls that end no command all return NULL (the one after
    # each command, one in each connection's PQconnectPoll, PQprepare's drain
    # before its send): when=ret!=0 leaves them out, so nothing is unmatched
    assert totals(s, "pq_query")["unmatched"] == 0
    # the labelled ops see the other kinds' results too: unmatched=ignore
    for name in ("pq_query_params", "pq_query_prepared"):
        assert totals(s, name)["unmatched"] == 0, name
    assert labels(s, "pq_results") == {PGRES_COMMAND_OK: commands + prepares}
    assert sum(r.get("errors", 0) for r in rows(s, "pq_results")) == 0
    assert total(s, "pq_exec") == 0                # pgbench never calls PQexec*

    params, prepared = labels(s, "pq_query_params"), labels(s, "pq_query_prepared")
    if mode == "simple":
        assert params == {} and prepared == {} and total(s, "pq_prepare") == 0
    elif mode == "extended":
        assert prepared == {} and total(s, "pq_prepare") == 0
        # one label per statement of the script: its text, $n for :variables
        assert sorted(params.values()) == [processed] * STATEMENTS
        assert sorted(l.split()[0] for l in params) == ["BEGIN;", "DELETE", "END;", "INSERT",
                                                       "UPDATE"]
        assert all(len(l) <= STR_MAX and "$1" in l for l in params if l.split()[0] in
                   ("INSERT", "UPDATE", "DELETE"))
        assert totals(s, "pq_query_params")["label_overflow"] == 0
    else:
        assert params == {}
        # one label per prepared statement name, each executed once per transaction
        assert sorted(prepared.values()) == [processed] * STATEMENTS
        assert labels(s, "pq_prepare") == {name: CLIENTS for name in prepared}
    # every latency is a real round trip to the server
    for name in ("pq_connect", "pq_query", "pq_query_params", "pq_query_prepared"):
        for r in rows(s, name):
            assert 0 < r["latency_ns"]["p50"] <= r["latency_ns"]["max"] < 5e9, (name, r)


def test_ctypes_client_exec_prepare_errors(cluster):
    K, E, P, R = 40, 7, 20, 30
    p = subprocess.Popen([sys.executable, "-c", CLIENT, cluster.conninfo(), str(K), str(E),
                          str(P), str(R)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        t = Tracer("watch", "-p", p.pid, *SHIPPED, "--json").wait_tracing()
        p.stdin.write("go\n")
        p.stdin.close()
        truth = json.loads(p.stdout.readline())
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
    assert t.wait() == 0, t.stderr
    s = t.summary()
    print("client truth:", truth)
    print("synctrace:", json.dumps(s["ops"]))
    assert_no_drops(s)
    statuses = {int(k): v for k, v in truth["statuses"].items()}
    assert statuses == {PGRES_TUPLES_OK: K + P + R, PGRES_FATAL_ERROR: E, PGRES_COMMAND_OK: 1}

    assert total(s, "pq_connect") == 1
    assert total(s, "pq_exec") == truth["exec"] == K + E + P + R
    assert labels(s, "pq_prepare") == {"twice": 1}
    assert labels(s, "pq_results") == statuses
    (err,) = [r for r in rows(s, "pq_results") if r["label"] == PGRES_FATAL_ERROR]
    assert err["errors"] == E and sum(r["errors"] for r in rows(s, "pq_results")) == E
    assert s["events"]["errors"] == E
    # PQexec, PQexecParams, PQexecPrepared and PQprepare send through the
    # PQsend* functions: every command is a pq_query
    (q,) = rows(s, "pq_query")
    assert q["count"] == K + E + P + R + 1 and q["inflight"] == 0
    assert labels(s, "pq_query_params") == {"SELECT $1::int + 1": P}
    assert labels(s, "pq_query_prepared") == {"twice": R}
    # each PQexec*/PQprepare drains before its send and reads a NULL after its
    # result: NULL results end nothing (when=ret!=0)
    assert totals(s, "pq_query")["unmatched"] == 0
    assert totals(s, "pq_query_params")["unmatched"] == 0       # unmatched=ignore
    assert totals(s, "pq_query_prepared")["unmatched"] == 0
