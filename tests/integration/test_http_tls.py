"""`synctrace http` over TLS: the plaintext of OpenSSL's SSL_read/SSL_write
(and _ex) fed to the same parser, so HTTPS looks like HTTP. Real programs
on 127.0.0.1: Python's http.server wrapped in its ssl module (the system
libssl, SSL_read_ex/SSL_write_ex) answering curl (libssl through libcurl,
SSL_read/SSL_write), traced on the server, and on the client through
--children (curl starts after synctrace, so its libssl is probed by path).
Counts per route template and status are exact against curl's own report
of each request and the server's access log, and the same as over plain
HTTP; the ciphertext on the sockets under TLS makes no row and no drop.
And node's client over HTTPS (its OpenSSL linked into node, or Debian's
node on libssl.so.3): its rows, SSE streams and WebSocket frames as over
HTTP; the relay's side is test_http.py's test_node_relay_https."""
import collections
import json
import re
import shutil
import signal
import subprocess

import pytest

from conftest import ROOT, Tracer, assert_no_drops, require_installed
from netharness import assert_http_rows, assert_ws, make_cert, trace_client

CURL = shutil.which("curl") or "/usr/bin/curl"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
PYTHON = "/usr/bin/python3"
SERVER = ROOT / "tests" / "fixtures" / "tls_server.py"

# What curl asks for, in order, over one keep-alive run (http.server closes
# the connection after an error, so curl opens new ones: several SSL*s).
PATHS = ["/items/1", "/items/2", "/items/1", "/items/9999", "/?page=2", "/items/3",
         "/nope/", "/items/2?x=1", "/items/1"]
# The files the server has (the others are its 404s).
FILES = ["items/1", "items/2", "items/3"]
ID = re.compile(r"^\d+$")


def require_tls_tools():
    for p in (CURL, OPENSSL, PYTHON):
        if not shutil.which(p):
            require_installed("curl/openssl/python3", f"{p} missing (scripts/deps.sh)")


def template(path):
    """The contract's route template: query dropped, numeric segments :id."""
    path = path.split("?", 1)[0]
    return "/".join(":id" if ID.match(s) else s for s in path.split("/"))


class Server:
    """tls_server.py over a directory of FILES; stop() returns its access
    log as {(op, status): n}."""

    def __init__(self, tmp_path, tls):
        root = tmp_path / "www"
        for f in FILES:
            (root / f).parent.mkdir(parents=True, exist_ok=True)
            (root / f).write_text(f"file {f}\n")
        args = [PYTHON, str(SERVER), str(root)]
        if tls:
            args += map(str, make_cert(tmp_path))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        hello = json.loads(self.proc.stdout.readline() or "{}")
        assert hello, f"server did not start: {self.proc.stderr.read()}"
        self.port, self.pid = hello["port"], hello["pid"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=20)
        log = collections.Counter()
        for m in re.finditer(r'"(\w+) (\S+) HTTP/1\.1" (\d{3}) ', err):
            log[(f"{m[1]} {template(m[2])}", m[3])] += 1
        return log

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def curl_args(scheme, port):
    args = [CURL, "-sk", "--max-time", "30"]
    for p in PATHS:
        args += [f"{scheme}://127.0.0.1:{port}{p}", "-o", "/dev/null",
                 "-w", "%{method} %{url_effective} %{http_code} %{num_connects}\\n"]
    return args


def curl_truth(out):
    """curl's own report: {(op, status): n}, one line per request, and the
    connections it opened."""
    got, conns = collections.Counter(), 0
    for line in out.splitlines():
        method, url, code, connects = line.split()
        got[(f"{method} {template(re.sub(r'^[a-z]+://[^/]+', '', url))}", code)] += 1
        conns += int(connects)
    assert sum(got.values()) == len(PATHS), out
    assert conns > 1, out   # http.server closes after an error: several connections
    return got, conns


def rows(summary, side):
    got = {(o["op"], o["label"]): o for o in summary["ops"] if o.get("side") == side}
    assert not [o for o in summary["ops"] if o.get("side") != side], summary["ops"]
    return got


def check_rows(summary, side, truth, conns):
    """The rows, and the connections followed: curl's, each once (the
    ciphertext socket under a TLS connection is not one)."""
    got = rows(summary, side)
    net = summary["net"]
    assert (net["conns_opened"], net["conns_closed"]) == (conns, conns), net
    assert {k: r["count"] for k, r in got.items()} == dict(truth)
    for (op, status), r in got.items():
        assert r["errors"] == 0 and r["client_errors"] == \
            (r["count"] if status.startswith("4") else 0), (op, status, r)
    assert_no_drops(summary)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_python_server(tmp_path, scheme):
    """The server traced: http.server's rows, over TLS as over plain HTTP."""
    require_tls_tools()
    srv = Server(tmp_path, scheme == "https")
    t = None
    try:
        t = Tracer("http", "-p", srv.pid, "--json")
        t.wait_tracing()
        out = subprocess.run(curl_args(scheme, srv.port), capture_output=True, text=True,
                             timeout=60, check=True).stdout
        log = srv.stop()
        assert t.stop() == 0, t.stderr
    finally:
        srv.kill()
        if t and t.proc.poll() is None:
            t.proc.kill()
    truth, conns = curl_truth(out)
    assert log == truth
    check_rows(t.summary(), "server", truth, conns)


def test_curl_client_children(tmp_path):
    """curl traced through --children of a shell that starts it once synctrace
    runs: its libssl, mapped only then, is probed by path."""
    require_tls_tools()
    srv = Server(tmp_path, True)
    sh = t = None
    try:
        sh = subprocess.Popen(["/bin/sh", "-c", 'read go && "$@"', "sh",
                               *curl_args("https", srv.port)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        t = Tracer("http", "-p", sh.pid, "--children", "--json")
        t.wait_tracing()
        out, _ = sh.communicate("go\n", timeout=60)
        assert sh.returncode == 0
        log = srv.stop()
        assert t.stop() == 0, t.stderr
    finally:
        srv.kill()
        for p in (sh, t and t.proc):
            if p and p.poll() is None:
                p.kill()
    truth, conns = curl_truth(out)
    assert log == truth
    check_rows(t.summary(), "client", truth, conns)


def test_node_client_https(tmp_path):
    """node's https client traced (the relay not): every row on the client
    side, SSE streams opened and closed (SSL_free ends them) with their
    events, WebSocket frames both ways, as the client counted them."""
    client, server, s = trace_client("http,pipeline,sse,ws", tls=make_cert(tmp_path))
    got = assert_http_rows(s, "client", client)
    assert not [o for o in s["ops"] if o.get("side") != "client"], s["ops"]
    sse = got[("GET /stream", "200")]["sse"]
    n = len(client["sse"])
    assert (sse["opened"], sse["closed"], sse["open"], sse["events"]) == \
        (n, n, 0, sum(x["events"] for x in client["sse"])), sse
    w = client["ws"]
    assert_ws(got[("GET /ws", "101")], w["frames_in"], w["frames_out"], w["bytes_in"],
              w["bytes_out"])
    assert_no_drops(s)


def test_watch_profile_https_beside_ops(tmp_path):
    """watch --profile http beside an op: the dashboard's socket rows come
    from TLS plaintext too, the same as `http`'s."""
    require_tls_tools()
    srv = Server(tmp_path, True)
    t = None
    try:
        t = Tracer("watch", "-p", srv.pid, "--profile", "http", "--op", "accepts libc:accept4",
                   "--json")
        t.wait_tracing()
        out = subprocess.run(curl_args("https", srv.port), capture_output=True, text=True,
                             timeout=60, check=True).stdout
        log = srv.stop()
        assert t.stop() == 0, t.stderr
    finally:
        srv.kill()
        if t and t.proc.poll() is None:
            t.proc.kill()
    truth, conns = curl_truth(out)
    assert log == truth
    s = t.summary()
    got = {(o["op"], o["label"]): o["count"] for o in s["ops"] if o.get("side") == "server"}
    assert got == dict(truth)
    assert [o["count"] for o in s["ops"] if o["op"] == "accepts"] == [conns]
