"""The PostgreSQL wire-protocol parser (bpf/net_pg.h) through the socket
capture alone (build/tests/net_probe: bpf/net.bpf.c loaded apart from
`synctrace pg`), against real PostgreSQL 15 on 127.0.0.1 and its Unix socket
(tests/integration/pgharness.py). Every count is exact against the clients'
own output: pgbench's processed transactions, psql's errors, notifications and
rows, and the hand-written frontend's truth (pg_rawclient.py: segments cut at
random, pipelined Syncs)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import BUILD, require_installed
from pgharness import (PGBENCH, PSQL, PgCluster, ensure_pg_user, pg_unavailable_reason,
                       pgbench_processed, require_pg)

PROBE = BUILD / "tests" / "net_probe"
RAWCLIENT = Path(__file__).resolve().parent / "pg_rawclient.py"
LIBSSL = Path("/usr/lib/x86_64-linux-gnu/libssl.so.3")
PG_FIFO = 32          # exchanges in flight per connection (bpf/net_pg.h)

ROW = re.compile(r'^(client|server) (\w+) "([^"]*)" "([^"]*)" (.*)$')


class Probe:
    """net_probe following pid (-c: and its children), PG parser only."""

    def __init__(self, pid, *extra):
        if not PROBE.exists():
            pytest.fail(f"{PROBE} missing: make fixtures")
        self.proc = subprocess.Popen([str(PROBE), "-p", str(pid), "-P", "2", *map(str, extra)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        assert "ready" in line, f"net_probe did not start: {line}{self.proc.stderr.read()}"

    def stop(self):
        """{(side, kind, label): {count, errors, rows, lat_n}}, {drop: n}."""
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, f"net_probe exit {self.proc.returncode}: {err}"
        rows, drops = {}, {}
        for line in out.splitlines():
            m = ROW.match(line)
            if m:
                side, kind, _, label, rest = m.groups()
                rows[(side, kind, label)] = {k: int(v) for k, v in
                                             re.findall(r"(\w+)=(\d+)", rest)}
            elif line.startswith("drops "):
                drops = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        return rows, drops


def run_traced(cluster, argv, stdin="", probe_args=(), env=None):
    """argv run from its first instruction under a Probe; (its output, rows, drops)."""
    p = subprocess.Popen(["sh", "-c", 'read x; exec "$@"', "sh", *map(str, argv)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env or cluster.client_env(), text=True)
    try:
        probe = Probe(p.pid, *probe_args)
        out, _ = p.communicate("go\n" + stdin, timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    rows, drops = probe.stop()
    assert p.returncode == 0, f"{argv} exit {p.returncode}:\n{out}"
    return out, rows, drops


def counts(rows, side, kind="pg_query"):
    return {label: r["count"] for (s, k, label), r in rows.items() if s == side and k == kind}


def assert_rows(rows, side, kind, truth, what):
    got = counts(rows, side, kind)
    assert got == truth, f"{what}: expected {kind} {truth}, traced {got}"


def assert_timed(rows):
    """Every pg_query row has one latency per statement."""
    for key, r in rows.items():
        if key[1] == "pg_query":
            assert r["lat_n"] == r["count"], f"{key}: {r['count']} statements, {r['lat_n']} timed"


def assert_no_drops(drops):
    assert drops and not any(drops.values()), f"drops: {drops}"


@pytest.fixture(scope="module")
def cluster():
    require_pg()
    with PgCluster("netpg") as c:
        c.sql("CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL)")
        c.sql("INSERT INTO acct SELECT g, 0 FROM generate_series(1, 1000) g")
        yield c


# One transaction: BEGIN, an INSERT of 3 rows, an UPDATE of 2, a SELECT of 1, COMMIT.
SCRIPT = """\\set k random(1, 999)
BEGIN;
INSERT INTO hist SELECT :k, s FROM generate_series(1, 3) s;
UPDATE acct SET v = v + 1 WHERE id BETWEEN :k AND :k + 1;
SELECT v FROM acct WHERE id = :k;
END;
"""


def bench_truth(t):
    return ({"BEGIN": t, "INSERT": t, "UPDATE": t, "SELECT": t, "COMMIT": t},
            {"INSERT": 3 * t, "UPDATE": 2 * t, "SELECT": t})


@pytest.fixture(scope="module")
def bench_script(cluster, tmp_path_factory):
    cluster.sql("CREATE TABLE hist (k int, s int)")
    path = tmp_path_factory.mktemp("netpg") / "bench.sql"
    path.write_text(SCRIPT)
    return path


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench_client_statements_by_tag(cluster, bench_script, mode):
    out, rows, drops = run_traced(cluster, [PGBENCH, "-n", "-M", mode, "-f", bench_script,
                                            "-t", 150, "-c", 1, "postgres"])
    t = pgbench_processed(out)
    assert t == 150, out
    tags, nrows = bench_truth(t)
    assert_rows(rows, "client", "pg_query", tags, f"pgbench -M {mode}")
    for tag, n in nrows.items():
        got = rows[("client", "pg_query", tag)]["rows"]
        assert got == n, f"{tag}: expected {n} rows, traced {got}"
    assert_timed(rows)
    assert_no_drops(drops)


def test_pgbench_server_side_from_the_postmaster(cluster, bench_script):
    """The backends (children of the postmaster) read the startup packets: side server."""
    probe = Probe(cluster.postmaster_pid, "-c")
    out = cluster.pgbench("-n", "-M", "extended", "-f", bench_script, "-t", 60, "-c", 2)
    rows, drops = probe.stop()
    tags, _ = bench_truth(pgbench_processed(out))
    assert_rows(rows, "server", "pg_query", tags, "the backends of pgbench -c 2")
    assert not counts(rows, "client"), "a backend counted as a client"
    assert_timed(rows)
    assert_no_drops(drops)


def psql_session(cluster, host):
    """psql over host (127.0.0.1 or the socket directory): two unique
    violations, three notifications to itself, a 100,000-row flood, several
    statements in one Query."""
    script = """CREATE TEMP TABLE u (id int PRIMARY KEY);
INSERT INTO u VALUES (1);
INSERT INTO u VALUES (1);
INSERT INTO u VALUES (2), (3);
BEGIN; INSERT INTO u VALUES (2); ROLLBACK;
SELECT generate_series(1, 100000);
LISTEN chan_a;
NOTIFY chan_a, 'x'; NOTIFY chan_a, 'y';
SELECT pg_notify('chan_a', 'z');
"""
    out, rows, drops = run_traced(cluster, [PSQL, "-X", "-h", host, "-d", "postgres", "-A",
                                            "-t", "-c", "SELECT 1; SELECT 2; DELETE FROM acct "
                                            "WHERE id < 0", "-f", "-"], script)
    assert out.count("duplicate key value violates unique constraint") == 2, out
    assert out.count('Asynchronous notification "chan_a"') == 3, out
    flood = [l for l in out.splitlines() if l.isdigit()]
    assert len(flood) == 2 + 100000 + 0, f"{len(flood)} rows printed"
    return rows, drops


@pytest.mark.parametrize("over", ["tcp", "unix"])
def test_psql_errors_notifications_flood(cluster, over):
    rows, drops = psql_session(cluster, "127.0.0.1" if over == "tcp" else cluster.sockdir)
    assert_rows(rows, "client", "pg_query",
                {"SELECT": 4, "DELETE": 1, "CREATE": 1, "INSERT": 2, "ERROR": 2, "BEGIN": 1,
                 "ROLLBACK": 1, "LISTEN": 1, "NOTIFY": 2}, f"psql over {over}")
    assert rows[("client", "pg_query", "SELECT")]["rows"] == 1 + 1 + 100000 + 1
    assert rows[("client", "pg_query", "INSERT")]["rows"] == 3
    assert rows[("client", "pg_query", "ERROR")]["errors"] == 2
    assert_rows(rows, "client", "pg_error", {"23505": 2}, "unique violations")
    assert_rows(rows, "client", "pg_notify", {"chan_a": 3}, "notifications")
    assert_timed(rows)
    assert_no_drops(drops)


def truth_as_rows(truth):
    return truth["tags"], truth["states"], {k[:31]: v for k, v in truth["notes"].items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_segments_cut_anywhere(cluster, seed):
    """Headers, tags, SQLSTATEs and channels split across 1-13 byte reads and writes."""
    out, rows, drops = run_traced(cluster, [sys.executable, RAWCLIENT, "127.0.0.1", cluster.port,
                                            "split", seed])
    truth = json.loads(out.splitlines()[-1])
    tags, states, notes = truth_as_rows(truth)
    assert_rows(rows, "client", "pg_query", tags, f"seed {seed}")
    for tag, n in truth["rows"].items():
        assert rows[("client", "pg_query", tag)]["rows"] == n, f"{tag} rows"
    assert_rows(rows, "client", "pg_error", states, f"seed {seed}")
    assert_rows(rows, "client", "pg_notify", notes, f"seed {seed}")
    assert_timed(rows)
    assert_no_drops(drops)


@pytest.mark.parametrize("n", [PG_FIFO - 2, PG_FIFO + 10])
def test_pipelined_syncs_pair_in_order(cluster, n):
    """n Syncs in flight: all paired up to the fifo; past it, each exchange
    is a pipeline_full drop and not timed (its error still counted)."""
    out, rows, drops = run_traced(cluster, [sys.executable, RAWCLIENT, "127.0.0.1", cluster.port,
                                            "pipeline", n])
    truth = json.loads(out.splitlines()[-1])
    kept = min(n, PG_FIFO)
    fails = sum(1 for i in range(kept) if i % 5 == 4)
    assert truth["tags"] == {"SELECT": n - n // 5, "ERROR": n // 5}, truth
    assert_rows(rows, "client", "pg_query", {"SELECT": kept - fails, "ERROR": fails},
                f"{n} in flight")
    assert_rows(rows, "client", "pg_error", {"22012": n // 5}, f"{n} in flight")
    assert_timed(rows)
    assert drops["pipeline_full"] == n - kept, drops
    assert drops["lost_sync"] == 0, drops


def test_server_attached_mid_connection(cluster):
    """A backend traced after its session began: the side comes from the
    message types; the statements that start after the attach count."""
    p = subprocess.Popen([str(PSQL), "-X", "-A", "-t", "-d", "postgres"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=cluster.client_env(), text=True, bufsize=1)
    try:
        p.stdin.write("SELECT pg_backend_pid();\n")
        backend = int(p.stdout.readline())
        probe = Probe(backend)
        p.stdin.write("SELECT 1;\nSELECT generate_series(1, 20000);\n"
                      "UPDATE acct SET v = v WHERE id <= 10;\nINSERT INTO acct VALUES (1, 0);\n"
                      "SELECT 'done';\n")
        while "done" not in p.stdout.readline():
            pass
        rows, drops = probe.stop()
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert_rows(rows, "server", "pg_query", {"SELECT": 3, "UPDATE": 1, "ERROR": 1},
                "a backend met mid-way")
    assert rows[("server", "pg_query", "SELECT")]["rows"] == 1 + 20000 + 1
    assert rows[("server", "pg_query", "UPDATE")]["rows"] == 10
    assert_rows(rows, "server", "pg_error", {"23505": 1}, "a backend met mid-way")
    assert_no_drops(drops)


def test_tls_plaintext_from_libssl(cluster, tmp_path):
    """sslmode=require: the socket carries an SSLRequest, then ciphertext (the
    parser stops at the server's 'S'); SSL_read/SSL_write carry the protocol."""
    require_installed("openssl", None if shutil.which("openssl") else "openssl not installed")
    require_installed("libssl3", None if LIBSSL.exists() else f"{LIBSSL} not installed")
    user = ensure_pg_user()
    certs = Path(tempfile.mkdtemp(prefix="synctrace-pgtls-"))
    try:
        os.chmod(certs, 0o755)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        certs / "key.pem", "-out", certs / "cert.pem", "-days", "1", "-subj",
                        "/CN=localhost"], check=True, capture_output=True)
        for f in ("key.pem", "cert.pem"):
            os.chown(certs / f, user.pw_uid, user.pw_gid)
            os.chmod(certs / f, 0o600)
        with PgCluster("netpgtls", settings={"ssl": "on",
                                             "ssl_cert_file": f"'{certs / 'cert.pem'}'",
                                             "ssl_key_file": f"'{certs / 'key.pem'}'"}) as c:
            env = dict(c.client_env(), PGSSLMODE="require")
            out, rows, drops = run_traced(
                c, [PSQL, "-X", "-A", "-t", "-d", "postgres", "-c", "SHOW ssl", "-c",
                    "INSERT INTO nosuch VALUES (1)", "-c", "SELECT generate_series(1, 5000)"],
                probe_args=("-t", LIBSSL), env=env)
    finally:
        shutil.rmtree(certs, ignore_errors=True)
    assert out.splitlines()[0] == "on", out
    assert_rows(rows, "client", "pg_query", {"SHOW": 1, "SELECT": 1, "ERROR": 1}, "over TLS")
    assert rows[("client", "pg_query", "SELECT")]["rows"] == 5000
    assert_rows(rows, "client", "pg_error", {"42P01": 1}, "over TLS")
    assert_no_drops(drops)
