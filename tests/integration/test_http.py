"""`synctrace http` against real servers and clients on 127.0.0.1
(tests/fixtures/net/, see netharness.py): a Node.js sync relay (push, a
chunked pull, items by id, an SSE stream, a WebSocket echo) over HTTP and
HTTPS, the same routes on Go's net/http and Python's http.server, and the
client's own side. Counts per route template and status are exact against
the programs' own; latency lies inside the client's outer and the relay's
inner bracket; SSE events and WebSocket frames exact."""

import json
import os
import subprocess

import pytest

from conftest import Tracer, assert_no_drops, run
from netharness import (NET_SRC, PYTHON, Relay, assert_http_rows, assert_report_replays,
                        assert_sse, assert_ws, check_agreement, make_cert, net_rows, planned_rows,
                        readline, require_net, run_client, trace_client)

ALL = "http,pipeline,sse,ws"


def trace_relay(kind, parts, *args, tls=None, relay_args=(), env=None):
    """Trace a relay with `synctrace http -p PID --json ARGS` while the client
    runs: (client truth, relay truth, synctrace's summary)."""
    return trace_relay_t(kind, parts, *args, tls=tls, relay_args=relay_args, env=env)[:3]


def trace_relay_t(kind, parts, *args, tls=None, relay_args=(), env=None):
    """trace_relay's, and the Tracer (its stderr)."""
    require_net()
    with Relay(kind, tls=tls, args=relay_args) as r:
        t = Tracer("http", "-p", r.pid, "--json", *args, env=env)
        try:
            t.wait_tracing()
            client = run_client(r.port, parts, tls=tls is not None)
            server = r.stop()
            assert t.stop() == 0, t.stderr
        finally:
            if t.proc.poll() is None:
                t.proc.kill()
    check_agreement(client, server, parts)      # traced, the programs behave the same
    return client, server, t.summary(), t


def assert_node_relay(client, server, s):
    rows = assert_http_rows(s, "server", client, server)
    assert not net_rows(s, "client"), "the relay calls nobody"
    assert_sse(rows[("GET /stream", "200")], client, server)
    w = server["ws"]
    assert_ws(rows[("GET /ws", "101")], w["frames_in"], w["frames_out"], w["bytes_in"],
              w["bytes_out"])
    for k, r in rows.items():                   # only streams carry sse or ws counts
        assert bool(r.get("sse", {}).get("opened")) == (k[0] == "GET /stream"), (k, r)
        assert bool(r.get("ws", {}).get("opened")) == (k[0] == "GET /ws"), (k, r)
    assert_no_drops(s)


def test_node_relay():
    assert_node_relay(*trace_relay("node", ALL))


def hooks_line(t):
    """What `-v` says feeds the parsers."""
    return next(l for l in t.err_lines if l.startswith("synctrace: the bytes come from"))


def test_node_relay_syscall_hooks():
    """Where the kernel has no socket tracepoints (before 6.3), the syscall
    exits feed the parsers: SYNCTRACE_NET_HOOKS=syscalls asks for them on
    this one, and every row is as exact."""
    client, server, s, t = trace_relay_t("node", ALL, "-v",
                                         env={**os.environ, "SYNCTRACE_NET_HOOKS": "syscalls"})
    assert hooks_line(t).endswith("the syscall exits")
    assert_node_relay(client, server, s)


def test_fd_replaced_unseen():
    """A client's fd comes to name another connection with no close(2)
    (dup2 over it; tests/fixtures/net/fd_swap.py): the socket tracepoints
    tell the two sockets apart, so the new connection's answer is its own
    exchange (GET /sync/pull), not the answer to the request the old one
    left unanswered (GET /items/:id), and the old one counts as closed. A
    peek at the answer (recv MSG_PEEK) is not read twice."""
    require_net()
    with Relay("python") as r:
        c = subprocess.Popen([PYTHON, str(NET_SRC / "fd_swap.py"), "--port", str(r.port)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        t = None
        try:
            pid = int(readline(c, 20, "fd_swap.py").split()[1])
            t = Tracer("http", "-p", pid, "--json", "-v")
            t.wait_tracing()
            c.stdin.write("go\n")
            c.stdin.flush()
            out, err = c.communicate(timeout=30)
            assert c.returncode == 0, err
            assert t.wait(30) == 0, t.stderr
        finally:
            if c.poll() is None:
                c.kill()
            if t and t.proc.poll() is None:
                t.proc.kill()
    assert json.loads(out.splitlines()[-1]) == {"pull_status": 200}
    assert hooks_line(t).endswith("the socket tracepoints")
    s = t.summary()
    assert {k: r["count"] for k, r in net_rows(s, "client").items()} == \
        {("GET /sync/pull", "200"): 1}
    assert (s["net"]["conns_opened"], s["net"]["conns_closed"]) == (2, 2)
    assert_no_drops(s)


def test_node_relay_https(tmp_path):
    """TLS plaintext from node's SSL_read/SSL_write: HTTPS looks like HTTP."""
    assert_node_relay(*trace_relay("node", ALL, tls=make_cert(tmp_path)))


def test_node_relay_recorded(tmp_path):
    """--record keeps a socket row whole: `report --json -i` of the recording
    is the live run again, every interval and the summary, 4xx, bytes, SSE
    and WebSocket included; and that summary is the programs' truth."""
    require_net()
    db = tmp_path / "relay.db"
    with Relay("node") as r:
        t = Tracer("http", "-p", r.pid, "--json", "-i", "0.3", "--record", db)
        try:
            t.wait_tracing()
            client = run_client(r.port, ALL)
            server = r.stop()
            assert t.stop() == 0, t.stderr
        finally:
            if t.proc.poll() is None:
                t.proc.kill()
    check_agreement(client, server, ALL)
    live = t.json()
    assert len(live) >= 2 and live[-1]["summary"] is True
    s = assert_report_replays(db, live)[-1]
    assert_node_relay(client, server, s)
    assert s["net"]["conns_opened"] > 0
    # the text report has the streams' lines, as the live summary's table
    rc, out, err = run("report", db)
    assert rc == 0, err
    sse = next(l for l in out.splitlines() if l.strip().startswith("SSE GET /stream:"))
    assert f"{len(client['sse'])} opened" in sse, sse
    assert any(l.strip().startswith("WS  GET /ws: 0 open, 1 opened") for l in out.splitlines())


@pytest.mark.parametrize("kind", ["node", "go", "python"])
def test_language_blind(kind):
    """The same routes and counts on Node, Go's net/http and Python's
    http.server; the Node relay also tells the bytes its connections read and
    wrote, which are the exchanges' (no streams here)."""
    client, server, s = trace_relay(kind, "http,pipeline")
    rows = assert_http_rows(s, "server", client, server)
    if "bytes_read" in server:
        assert sum(r["bytes_in"]["sum"] for r in rows.values()) == server["bytes_read"]
        assert sum(r["bytes_out"]["sum"] for r in rows.values()) == server["bytes_written"]
    assert_no_drops(s)


def test_high_fds():
    """A -p process's fds from NET_FD_DIRECT (1024, bpf/net_stream.h) up have
    no slot of their own: their connections are hashed (net_conns). Python's
    relay with 1,100 fds held first talks on fds above them: every count
    exact."""
    client, server, s = trace_relay("python", "http,pipeline", relay_args=("--high-fds", "1100"))
    assert_http_rows(s, "server", client, server)
    assert_no_drops(s)


def test_client_side():
    """The client traced, the relay not: the same rows on the client side,
    the SSE events it read, the WebSocket frames it sent and got."""
    client, server, s = trace_client(ALL)
    rows = assert_http_rows(s, "client", client)
    assert not net_rows(s, "server"), "the client answers nobody"
    assert_sse(rows[("GET /stream", "200")], client)
    w = client["ws"]
    assert_ws(rows[("GET /ws", "101")], w["frames_in"], w["frames_out"], w["bytes_in"],
              w["bytes_out"])
    assert_no_drops(s)


def test_routes_cap():
    """--routes 2: two ops keep their names, the others' exchanges go to
    `other`, each still under its status; nothing is lost."""
    client, server, s = trace_relay("node", "http", "--routes", "2")
    rows = net_rows(s, "server")
    named = {op for op, _ in rows if op != "other"}
    assert len(named) == 2, rows.keys()
    want = planned_rows(client["plan"], "http")
    by_status = lambda pairs: {st: sum(n for k, n in pairs if k.endswith(" " + st))
                               for st in {k.rsplit(" ", 1)[1] for k, _ in pairs}}
    for (op, label), r in rows.items():
        if op != "other":
            assert r["count"] == want[f"{op} {label}"], (op, label, r["count"])
    assert by_status([(f"{op} {label}", r["count"]) for (op, label), r in rows.items()]) == \
        by_status(list(want.items()))
