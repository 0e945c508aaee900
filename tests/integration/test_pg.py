"""`synctrace pg` against a real PostgreSQL 15 (a private cluster on
127.0.0.1, tests/integration/pgharness.py): pgbench over TCP in the simple,
extended and prepared protocols, traced on the client and on the server
(the postmaster and its backends), and a Node client on npm `pg` (pure
JavaScript) with failing statements and LISTEN/NOTIFY. Statement counts by
command tag equal the workloads' own, errors by SQLSTATE and notifications
by channel are exact, latency inside the workloads' own brackets."""
import subprocess

import pytest

from conftest import HIST_RES, Tracer, assert_no_drops
from netharness import Client, assert_report_replays, require_net
from pgharness import PGBENCH, PgCluster, pgbench_processed, require_pg

CLIENTS, PER_CLIENT = 2, 50


@pytest.fixture(scope="module")
def cluster():
    require_pg()
    require_net()
    with PgCluster("net") as c:
        c.pgbench("-i", "-s", "1", "-q")
        c.sql("CREATE TABLE net_items (id int PRIMARY KEY, v text)")
        yield c


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    """pgbench's own TPC-B-like script (--show-script), run with -f: the
    statements per transaction are the script's, and pgbench asks nothing
    else (a builtin script would first count pgbench_branches)."""
    p = subprocess.run([PGBENCH, "--show-script=tpcb-like"], capture_output=True, text=True,
                       check=True, timeout=30)
    path = tmp_path_factory.mktemp("pgbench") / "tpcb-like.sql"
    path.write_text(p.stderr)
    return path


def script_tags(path):
    """{command tag: statements per transaction} of a pgbench script: each
    statement's first word; END answers COMMIT."""
    tags = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith(("\\", "--")):
            tag = line.split()[0].rstrip(";").upper()
            tag = "COMMIT" if tag == "END" else tag
            tags[tag] = tags.get(tag, 0) + 1
    return tags


def pg_rows(summary, op, side):
    return {o["label"]: o for o in summary["ops"] if o["op"] == op and o.get("side") == side}


def pgbench_cmd(script, mode, log_prefix):
    return [PGBENCH, "-n", "-f", script, "-M", mode, "-c", CLIENTS, "-j", 1, "-t", PER_CLIENT,
            "-l", "--log-prefix", log_prefix, "postgres"]


def txn_max_ns(log_prefix):
    """The longest transaction in pgbench's own log (-l: the 3rd field, us)."""
    lines = [l for f in log_prefix.parent.glob(log_prefix.name + ".*")
             for l in f.read_text().splitlines()]
    assert len(lines) == CLIENTS * PER_CLIENT
    return (max(int(l.split()[2]) for l in lines) + 1) * 1000


def assert_pgbench_rows(summary, side, script, processed, max_ns=None):
    q = pg_rows(summary, "pg_query", side)
    want = {tag: n * processed for tag, n in script_tags(script).items()}
    assert {t: q[t]["count"] for t in want if t in q} == want, sorted(q)
    for t in want:
        assert q[t]["errors"] == 0
        if max_ns:      # a statement runs inside its transaction
            assert 0 < q[t]["latency_ns"]["max"] <= max_ns * (1 + HIST_RES), (t, q[t])
    for t in want:      # each statement's key names one row: "UPDATE 1", "SELECT 1"
        assert q[t]["rows"] == (0 if t in ("BEGIN", "COMMIT") else want[t]), (t, q[t])
    assert not pg_rows(summary, "pg_error", side)


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench_client(cluster, script, mode, tmp_path):
    """pgbench traced from its start (a shell that waits, then execs it)."""
    log = tmp_path / "pgb"
    p = subprocess.Popen(["sh", "-c", 'read go; exec "$0" "$@"',
                          *map(str, pgbench_cmd(script, mode, log))],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=cluster.client_env(), cwd=tmp_path)
    t = Tracer("pg", "-p", p.pid, "--json")
    try:
        t.wait_tracing()
        out, err = p.communicate("go\n", timeout=120)
        assert p.returncode == 0, out + err
        assert t.stop() == 0, t.stderr
    finally:
        for proc in (p, t.proc):
            if proc.poll() is None:
                proc.kill()
    processed = pgbench_processed(out + err)
    assert processed == CLIENTS * PER_CLIENT
    s = t.summary()
    assert_pgbench_rows(s, "client", script, processed, txn_max_ns(log))
    assert not pg_rows(s, "pg_query", "server")
    assert_no_drops(s)


def test_pgbench_server(cluster, script, tmp_path):
    """The same from the server: the postmaster and the backends it forks."""
    t = Tracer("pg", "-p", cluster.postmaster_pid, "--children", "--json")
    try:
        t.wait_tracing()
        out = cluster.pgbench(*pgbench_cmd(script, "simple", tmp_path / "pgb")[1:-1])
        assert t.stop() == 0, t.stderr
    finally:
        if t.proc.poll() is None:
            t.proc.kill()
    processed = pgbench_processed(out)
    s = t.summary()
    assert_pgbench_rows(s, "server", script, processed, txn_max_ns(tmp_path / "pgb"))
    assert_no_drops(s)


def trace_node_pg(cluster, *args):
    """pg_client.js traced by `synctrace pg -p CLIENT --json ARGS`: (the
    client's truth, checked against the database; the tracer, stopped)."""
    cluster.sql("TRUNCATE net_items")
    c = Client(cluster.port, script="pg_client.js")
    t = Tracer("pg", "-p", c.pid, "--json", *args)
    try:
        t.wait_tracing()
        c.go()
        truth = c.truth()
        assert t.stop() == 0, t.stderr
    finally:
        c.kill()
        if t.proc.poll() is None:
            t.proc.kill()
    assert_node_pg_truth(cluster, truth)
    return truth, t


def test_node_pg(cluster):
    """npm pg (JavaScript, no libpq): statements by tag with their rows, the
    failing ones by SQLSTATE, notifications by channel."""
    truth, t = trace_node_pg(cluster)
    s = t.summary()
    q = pg_rows(s, "pg_query", "client")
    tags = truth["tags"]
    assert {k: q[k]["count"] for k in tags if k in q} == {k: v["count"] for k, v in tags.items()}
    for k, v in tags.items():
        assert q[k]["errors"] == 0
        assert 0 < q[k]["latency_ns"]["max"] <= v["lat_ns"][-1] * (1 + HIST_RES), (k, q[k])
        if k in ("INSERT", "SELECT", "UPDATE"):
            assert q[k]["rows"] == v["rows"], (k, q[k], v)
    failed = sum(truth["errors"].values())
    assert sum(r["errors"] for r in q.values()) == failed
    assert all(r["errors"] == r["count"] for k, r in q.items() if k not in tags)
    assert {k: r["count"] for k, r in pg_rows(s, "pg_error", "client").items()} == truth["errors"]
    assert {k: r["count"] for k, r in pg_rows(s, "pg_notify", "client").items()} == \
        truth["notifications"]
    assert_no_drops(s)


def test_node_pg_recorded(cluster, tmp_path):
    """--record keeps the pg rows whole: `report --json -i` of the recording
    is the live run again (statements with the rows their command tags
    counted, SQLSTATEs, notifications), and its summary is the client's truth."""
    db = tmp_path / "pg.db"
    truth, t = trace_node_pg(cluster, "-i", "0.3", "--record", db)
    live = t.json()
    s = assert_report_replays(db, live)[-1]
    q = pg_rows(s, "pg_query", "client")
    assert {k: q[k]["count"] for k in truth["tags"]} == \
        {k: v["count"] for k, v in truth["tags"].items()}
    for k in set(truth["tags"]) & {"INSERT", "SELECT", "UPDATE"}:
        assert q[k]["rows"] == truth["tags"][k]["rows"], (k, q[k], truth["tags"][k])
    assert {k: r["count"] for k, r in pg_rows(s, "pg_error", "client").items()} == truth["errors"]
    assert {k: r["count"] for k, r in pg_rows(s, "pg_notify", "client").items()} == \
        truth["notifications"]


def assert_node_pg_truth(cluster, truth):
    """The Node client's truth agrees with its plan and with the server."""
    plan = truth["plan"]
    assert truth["tags"]["INSERT"]["count"] == truth["tags"]["INSERT"]["rows"] == plan["inserts"]
    assert truth["errors"] == {"23505": plan["duplicates"]}
    assert truth["notifications"] == plan["notify"]
    assert cluster.one("SELECT count(*) FROM net_items") == str(plan["inserts"])


@pytest.mark.no_bpf
def test_workloads_alone(cluster, script, tmp_path):
    """Without synctrace: the Node client's truth agrees with the server, and
    pgbench runs one INSERT per transaction it counts (pgbench_history)."""
    cluster.sql("TRUNCATE net_items")
    c = Client(cluster.port, script="pg_client.js")
    try:
        c.go()
        assert_node_pg_truth(cluster, c.truth())
    finally:
        c.kill()
    before = int(cluster.one("SELECT count(*) FROM pgbench_history"))
    out = cluster.pgbench(*pgbench_cmd(script, "extended", tmp_path / "pgb")[1:-1])
    after = int(cluster.one("SELECT count(*) FROM pgbench_history"))
    assert after - before == pgbench_processed(out) == CLIENTS * PER_CLIENT
    assert script_tags(script) == {"BEGIN": 1, "UPDATE": 3, "SELECT": 1, "INSERT": 1,
                                   "COMMIT": 1}


def test_node_relay_with_postgres(cluster):
    """The whole operator's view of a Node relay that keeps its changes in
    PostgreSQL (docs/profiles/node-relay.md): `http` and `pg` on the same
    process at once, its routes exact as without a database, and its own
    statements (INSERT and NOTIFY per push, SELECT per pull) and the
    notifications it LISTENs to exact against the relay's own count."""
    from netharness import Relay, assert_http_rows, check_agreement, run_client
    with Relay("node", args=["--pg", str(cluster.port)]) as r:
        th = Tracer("http", "-p", r.pid, "--json")
        tp = Tracer("pg", "-p", r.pid, "--json")
        try:
            th.wait_tracing()
            tp.wait_tracing()
            client = run_client(r.port, "http,sse")
            server = r.stop()
            assert th.stop() == 0, th.stderr
            assert tp.stop() == 0, tp.stderr
        finally:
            for t in (th, tp):
                if t.proc.poll() is None:
                    t.proc.kill()
    check_agreement(client, server, "http,sse")
    assert_http_rows(th.summary(), "server", client, server)
    s = tp.summary()
    truth = server["pg"]
    assert truth["INSERT"] == server["rows"]["POST /sync/push 200"]["count"] > 0
    assert truth["SELECT"] == server["rows"]["GET /sync/pull 200"]["count"] > 0
    q = pg_rows(s, "pg_query", "client")
    assert {k: q[k]["count"] for k in q} == {k: truth[k] for k in ("INSERT", "SELECT", "NOTIFY")}
    assert q["INSERT"]["rows"] == truth["INSERT"]
    assert all(r["errors"] == 0 for r in q.values())
    assert {k: r["count"] for k, r in pg_rows(s, "pg_notify", "client").items()} == \
        {"relay_changes": truth["heard"]}
    assert truth["heard"] == truth["NOTIFY"]
    assert not pg_rows(s, "pg_error", "client")
    assert_no_drops(s)
