"""`synctrace http` and `pg`: the command line and its outputs (text, NDJSON,
Prometheus, a recording) against a real server, Python's http.server on
127.0.0.1, driven by curl. The server logs every request it answered (its own
ground truth: path and status); the counts per route template and status must
equal it. The big servers (Node, Go, pg, floods) are tests/integration/test_net_*.
"""
import collections
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import Tracer, free_port, run
from netharness import assert_report_replays

PROMTOOL = "/usr/bin/promtool"
READY = "/ready-probe"      # asked before tracing: not in the truth
LOG_LINE = re.compile(r'"(\w+) (\S+) HTTP/1\.\d" (\d{3}) ')


class PyServer:
    """python3 -m http.server in a scratch directory; its log is the truth."""

    def __init__(self, root, keep_alive=False):
        (root / "items").mkdir()
        (root / "items" / "1234").write_text("item\n")
        (root / "index.html").write_text("hello\n")
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-u", "-m", "http.server", str(self.port), "--bind",
             "127.0.0.1", *(["--protocol", "HTTP/1.1"] if keep_alive else [])], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        self.pid = self.proc.pid
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{READY}", timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("http.server did not start")

    def curl(self, path, n):
        """n requests of path, on one connection each (curl's exit says nothing of the status)."""
        for _ in range(n):
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{self.port}{path}"],
                           check=True, timeout=10)

    def curl_kept(self, path, n):
        """n requests of path on one keep-alive connection (one curl, n URLs)."""
        url = f"http://127.0.0.1:{self.port}{path}"
        subprocess.run(["curl", "-s", *(["-o", "/dev/null", url] * n)], check=True, timeout=10)

    def truth(self):
        """{(method, path, status): count} of the requests the server logged, once it ended."""
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=10)
        seen = collections.Counter()
        for line in err.splitlines():
            m = LOG_LINE.search(line)
            if m and m.group(2) != READY:
                seen[(m.group(1), m.group(2), m.group(3))] += 1
        return seen

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def server(tmp_path):
    s = PyServer(tmp_path)
    yield s
    s.kill()


def rows(obj, op):
    return {r["label"]: r for r in obj["ops"] if r["op"] == op}


@pytest.mark.no_bpf
def test_http_without_p_is_one_line_and_exit_2():
    rc, out, err = run("http")
    assert rc == 2 and out == ""
    assert err.splitlines() == ["synctrace: http needs -p PID (the process whose sockets are read)"]
    rc, _, err = run("pg", "-d", "1")
    assert rc == 2 and "pg needs -p PID" in err


@pytest.mark.no_bpf
@pytest.mark.parametrize("bad", ["0", "4097", "x", "-3", ""])
def test_bad_routes_exit_2(bad):
    rc, out, err = run("http", "-p", "1", "--routes", bad)
    assert rc == 2 and out == ""
    assert "invalid --routes" in err


def test_pid_that_does_not_exist_exits_1():
    dead = subprocess.Popen(["true"])
    dead.wait()
    rc, out, err = run("pg", "-p", dead.pid, "-d", "1")
    assert rc == 1 and out == ""
    assert err.strip() == f"synctrace: pid {dead.pid}: no such process"


def test_bad_net_hooks_is_one_line_and_exit_1(server):
    """SYNCTRACE_NET_HOOKS names the hooks (sockets, syscalls); another value
    is refused before anything loads."""
    env = {**os.environ, "SYNCTRACE_NET_HOOKS": "kprobes"}
    rc, out, err = run("http", "-p", server.pid, "-d", "1", env=env)
    assert rc == 1 and out == ""
    assert err.splitlines() == \
        ['synctrace: SYNCTRACE_NET_HOOKS is "sockets" or "syscalls", not "kprobes"']


def test_routes_and_statuses_exact_in_json(server):
    t = Tracer("http", "-p", server.pid, "--json", "-i", "0.2").wait_tracing()
    server.curl("/index.html", 7)
    server.curl("/items/1234", 3)                    # 200: a numeric segment is :id
    server.curl("/items/98765?since=4", 4)          # 404, the query dropped
    server.curl("/nope/0123456789abcdef0123", 2)    # 404: long hex is :id
    time.sleep(0.5)
    assert t.stop() == 0, t.stderr
    truth = server.truth()
    assert truth == {("GET", "/index.html", "200"): 7, ("GET", "/items/1234", "200"): 3,
                     ("GET", "/items/98765?since=4", "404"): 4,
                     ("GET", "/nope/0123456789abcdef0123", "404"): 2}
    objs = t.json()
    s = objs[-1]
    assert s["summary"] is True
    index = rows(s, "GET /index.html")
    assert set(index) == {"200"} and index["200"]["count"] == 7
    assert index["200"]["side"] == "server"
    assert index["200"]["errors"] == 0 and index["200"]["client_errors"] == 0
    assert index["200"]["latency_ns"]["count"] == 7
    assert index["200"]["bytes_out"]["sum"] > 7 * len("hello\n")    # headers and body
    items = rows(s, "GET /items/:id")
    assert {k: v["count"] for k, v in items.items()} == {"200": 3, "404": 4}
    assert items["404"]["client_errors"] == 4 and items["404"]["errors"] == 0
    assert {k: v["count"] for k, v in rows(s, "GET /nope/:id").items()} == {"404": 2}
    assert sum(r["count"] for r in s["ops"]) == sum(truth.values())
    assert set(s["drops"]) == {"conns_full", "rows_full", "read_failed", "lost_sync",
                               "pipeline_full", "events_lost"}
    assert not any(s["drops"].values()), s["drops"]
    assert s["net"]["op_overflow"] == 0
    # the intervals are deltas that add up to the summary
    assert sum(r["count"] for o in objs[:-1] for r in o["ops"]) == sum(truth.values())


def test_routes_cap_puts_the_rest_in_other(server):
    t = Tracer("http", "-p", server.pid, "--json", "--routes", "1").wait_tracing()
    server.curl("/index.html", 2)
    server.curl("/items/1234", 3)
    time.sleep(0.3)
    assert t.stop() == 0, t.stderr
    server.truth()
    s = t.summary()
    assert {r["op"]: r["count"] for r in s["ops"]} == {"GET /index.html": 2, "other": 3}
    assert s["net"]["op_overflow"] == 3 and s["net"]["ops"] == 1


def test_routes_cap_on_a_kept_connection(tmp_path):
    """Keep-alive exchanges on one row reuse the connection's last row (no
    lookup): an op past the cap still counts its overflow once an exchange,
    and a status that changes on the connection goes to its own row."""
    srv = PyServer(tmp_path, keep_alive=True)
    try:
        t = Tracer("http", "-p", srv.pid, "--json", "--routes", "1").wait_tracing()
        srv.curl_kept("/index.html", 4)
        srv.curl_kept("/items/1234", 5)
        srv.curl_kept("/items/77", 2)
        srv.curl_kept("/index.html", 3)
        time.sleep(0.3)
        assert t.stop() == 0, t.stderr
        truth = srv.truth()
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
    assert truth == {("GET", "/index.html", "200"): 7, ("GET", "/items/1234", "200"): 5,
                     ("GET", "/items/77", "404"): 2}
    s = t.summary()
    rows = {(r["op"], r["label"]): r["count"] for r in s["ops"]}
    assert rows == {("GET /index.html", "200"): 7, ("other", "200"): 5, ("other", "404"): 2}
    assert s["net"]["op_overflow"] == 7 and s["net"]["ops"] == 1


def test_text_prometheus_and_record(server, tmp_path):
    port = free_port()
    db = tmp_path / "run.db"
    t = Tracer("http", "-p", server.pid, "--prometheus", port, "--record", db).wait_tracing()
    server.curl("/index.html", 5)
    server.curl("/items/77", 2)
    time.sleep(1.5)                 # an export interval (1 s) has drained them
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert t.stop() == 0, t.stderr
    server.truth()
    assert 'synctrace_http_requests_total{side="server",method="GET",route="/index.html",' \
        'status="200"} 5' in page
    assert 'synctrace_http_requests_total{side="server",method="GET",route="/items/:id",' \
        'status="404"} 2' in page
    assert 'synctrace_http_request_duration_seconds_count{side="server",method="GET",' \
        'route="/index.html",status="200"} 5' in page
    check = subprocess.run([PROMTOOL, "check", "metrics"], input=page, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # text: the summary's table
    assert "HTTP server" in t.out
    line = next(l for l in t.out.splitlines() if "GET /index.html" in l)
    assert line.split()[:4] == ["GET", "/index.html", "200", "5"]
    # the recording keeps the socket rows whole: side, 4xx, bytes
    rc, out, err = run("report", db, "--json")
    assert rc == 0, err
    s = json.loads(out.splitlines()[-1])
    got = {(r["op"], r["label"]): r for r in s["ops"]}
    assert {k: r["count"] for k, r in got.items()} == \
        {("GET /index.html", "200"): 5, ("GET /items/:id", "404"): 2}
    assert {k: (r["side"], r["client_errors"], r["bytes_in"]["count"], r["bytes_out"]["count"])
            for k, r in got.items()} == {("GET /index.html", "200"): ("server", 0, 5, 5),
                                         ("GET /items/:id", "404"): ("server", 2, 2, 2)}
    # a recording of schema 1 (before socket rows were kept whole) still reads: its rows
    # are op, label, count, errors and latency
    old = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("VACUUM INTO ?", (str(old),))
    con.close()
    con = sqlite3.connect(old)
    con.executescript("DROP TABLE net_rows; DROP TABLE net_totals;"
                      " UPDATE meta SET value = '1' WHERE key = 'schema'; PRAGMA user_version = 1;")
    con.close()
    rc, out, err = run("report", old, "--json")
    assert rc == 0, err
    s = json.loads(out.splitlines()[-1])
    assert {(r["op"], r["label"]): r["count"] for r in s["ops"]} == \
        {("GET /index.html", "200"): 5, ("GET /items/:id", "404"): 2}
    assert not any("side" in r or "client_errors" in r for r in s["ops"]) and "net" not in s


def test_budget_names_the_routes_that_fit(server):
    # what the maps take with the default 100 routes, as the refusal of a tiny budget says
    rc, out, err = run("http", "-p", server.pid, "-d", "0.1",
                       env=dict(os.environ, SYNCTRACE_MAP_BUDGET_MB="1"))
    assert rc == 2 and out == ""
    m = re.fullmatch(r"synctrace: the socket maps would take ([\d.]+) MiB of kernel memory, "
                     r"over the budget of 1 MiB even with --routes 1 \(SYNCTRACE_MAP_BUDGET_MB "
                     r"sets the budget\)\n", err)
    assert m, err
    budget = int(float(m.group(1))) - 1             # a little less: some routes fit
    env = dict(os.environ, SYNCTRACE_MAP_BUDGET_MB=str(budget))
    rc, out, err = run("http", "-p", server.pid, "-d", "0.1", env=env)
    assert rc == 2 and out == ""
    m = re.fullmatch(r"synctrace: the socket maps would take .* with --routes 100, over the "
                     rf"budget of {budget} MiB: --routes (\d+) fits \(SYNCTRACE_MAP_BUDGET_MB "
                     r"sets the budget\)\n", err)
    assert m, err
    fits = int(m.group(1))
    assert 1 <= fits < 100
    # what it names does fit, and one more does not
    rc, _, err = run("http", "-p", server.pid, "-d", "0.1", "--routes", fits, env=env)
    assert rc == 0, err
    rc, _, err = run("http", "-p", server.pid, "-d", "0.1", "--routes", fits + 1, env=env)
    assert rc == 2 and "fits" in err


def test_slow_exchanges_are_events(server):
    t = Tracer("http", "-p", server.pid, "--json", "--slow", "1us").wait_tracing()
    server.curl("/index.html", 3)
    server.curl("/items/5", 2)
    time.sleep(0.3)
    assert t.stop() == 0, t.stderr
    server.truth()
    s = t.summary()
    ev = s["events"]
    assert ev["slow"] == 5 and ev["lost"] == 0          # every exchange takes over 1 us
    assert [(e["op"], e["label"]) for e in ev["recent"]] == \
        [("GET /index.html", "200")] * 3 + [("GET /items/:id", "404")] * 2
    assert all(e["pid"] == server.pid and e["kind"] == "slow" for e in ev["recent"])


def test_watch_profile_http_draws_the_rows(server):
    t = Tracer("watch", "-p", server.pid, "--profile", "http", "--op",
               "accepts libc:accept4").wait_tracing()
    server.curl("/index.html", 4)
    time.sleep(0.3)
    assert t.stop() == 0, t.stderr
    server.truth()
    out = t.out
    assert "\nOPERATIONS\n" in out and "\nSOCKETS\nHTTP server\n" in out
    line = next(l for l in out.splitlines() if l.startswith("  GET /index.html"))
    assert line.split()[:4] == ["GET", "/index.html", "200", "4"]
    acc = next(l for l in out.splitlines() if l.startswith("  accepts"))
    assert acc.split()[1] == "4"                        # python's accept4, once a request
    rc, _, err = run("watch", "--profile", "http", "-d", "1")
    assert rc == 2 and "need -p PID" in err


def test_watch_profile_http_recorded(server, tmp_path):
    """watch's own rows and its socket rows in one recording: report --json -i
    is the live run again (the socket rows after the ops', with their extras)."""
    db = tmp_path / "watch.db"
    t = Tracer("watch", "-p", server.pid, "--profile", "http", "--op", "accepts libc:accept4",
               "--json", "-i", "0.2", "--record", db).wait_tracing()
    server.curl("/index.html", 3)
    server.curl("/items/5", 2)
    time.sleep(0.5)
    assert t.stop() == 0, t.stderr
    server.truth()
    live = t.json()
    s = assert_report_replays(db, live)[-1]
    assert [(r["op"], r.get("label"), r["count"]) for r in s["ops"]] == \
        [("accepts", None, 5), ("GET /index.html", "200", 3), ("GET /items/:id", "404", 2)]
    assert s["ops"][2]["client_errors"] == 2 and s["ops"][2]["side"] == "server"


def test_pg_rows_exact_against_psql():
    from pgharness import PSQL, PgCluster, require_pg
    require_pg()
    with PgCluster("cli") as pg:
        pg.sql("CREATE TABLE t (id int PRIMARY KEY)")
        psql = subprocess.Popen([str(PSQL), "-X", "-d", "postgres"], env=pg.client_env(),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        t = Tracer("pg", "-p", psql.pid, "--json").wait_tracing()
        script = ("\\set VERBOSITY verbose\n" +
                  "".join(f"INSERT INTO t VALUES ({i});\n" for i in range(4)) +
                  "INSERT INTO t VALUES (2);\nSELECT 1;\nLISTEN ch;\nNOTIFY ch, 'x';\n"
                  "SELECT 2;\n")
        out, _ = psql.communicate(script, timeout=30)
        assert t.wait() == 0, t.stderr                 # psql exited: the summary
    # psql's own account: each tag it printed, the SQLSTATE, the notification
    tags = collections.Counter(l.split()[0] for l in out.splitlines()
                               if re.fullmatch(r"(INSERT \d+ \d+|LISTEN|NOTIFY)", l))
    assert tags == {"INSERT": 4, "LISTEN": 1, "NOTIFY": 1}, out
    assert re.search(r"^ERROR:  23505: duplicate key", out, re.M), out
    assert 'Asynchronous notification "ch"' in out
    s = t.summary()
    q = rows(s, "pg_query")
    assert all(r["side"] == "client" for r in s["ops"])
    assert q["INSERT"]["count"] == 4 and q["INSERT"]["rows"] == 4
    assert q["INSERT"]["errors"] == 0
    assert q["SELECT"]["count"] == 2 and q["SELECT"]["rows"] == 2
    assert q["LISTEN"]["count"] == 1 and q["NOTIFY"]["count"] == 1
    assert sum(r["errors"] for r in q.values()) == 1     # the duplicate key
    assert {k: v["count"] for k, v in rows(s, "pg_error").items()} == {"23505": 1}
    assert {k: v["count"] for k, v in rows(s, "pg_notify").items()} == {"ch": 1}
    assert not any(s["drops"].values()), s["drops"]


TLS_SERVER = """
import http.server, ssl, sys
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
                                        http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("c.pem", "k.pem")
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
httpd.serve_forever()
"""


def test_https_reads_as_http(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    "k.pem", "-out", "c.pem", "-days", "1", "-subj", "/CN=127.0.0.1"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=60)
    (tmp_path / "srv.py").write_text(TLS_SERVER)
    (tmp_path / "index.html").write_text("hello\n")
    port = free_port()
    srv = subprocess.Popen(["/usr/bin/python3", "-u", "srv.py", str(port)], cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):        # up: a refused TLS handshake says so
            if subprocess.run(["curl", "-sk", "-o", "/dev/null",
                               f"https://127.0.0.1:{port}{READY}"]).returncode == 0:
                break
            time.sleep(0.05)
        t = Tracer("http", "-p", srv.pid, "--json", "-v").wait_tracing()
        assert "synctrace: TLS plaintext: 9 probes on " in t.stderr and "libssl" in t.stderr
        for path, n in (("/index.html", 3), ("/missing/42", 2)):
            for _ in range(n):
                subprocess.run(["curl", "-sk", "-o", "/dev/null", f"https://127.0.0.1:{port}{path}"],
                               check=True, timeout=10)
        time.sleep(0.3)
        assert t.stop() == 0, t.stderr
    finally:
        srv.send_signal(signal.SIGINT)
        _, err = srv.communicate(timeout=10)
    truth = collections.Counter((m.group(2), m.group(3)) for m in map(LOG_LINE.search, err.splitlines())
                                if m and m.group(2) != READY)
    assert truth == {("/index.html", "200"): 3, ("/missing/42", "404"): 2}
    s = t.summary()
    got = {(r["op"], r["label"]): r["count"] for r in s["ops"]}
    assert got == {("GET /index.html", "200"): 3, ("GET /missing/:id", "404"): 2}
    assert all(r["side"] == "server" for r in s["ops"])
