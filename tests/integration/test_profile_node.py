"""profiles/node.ops against a real Node.js HTTPS "sync" server and client
(tests/fixtures/profiles/node_sync_*.js) on 127.0.0.1: HTTP messages, TLS
cleartext bytes and stream bytes, exact against what the processes report
themselves; each SSL_read / SSL_write and what node made of it (data, would
block, close, failure) from node's own log of them (NODE_DEBUG_NATIVE=tls).
This node (NodeSource v20) links OpenSSL, libuv and llhttp statically: the
profile probes /usr/bin/node itself.

Also profiles/openssl.ops (libssl.so.3), which this node does not use: curl
(SSL_read / SSL_write) against a Python ssl server (SSL_read_ex /
SSL_write_ex, tests/fixtures/profiles/tls_sync_server.py), and a non-blocking
Python client and server that count what each call came to
(tests/fixtures/profiles/tls_nonblock.py): would-block results are not
errors, failures are.

With -p, the shipped profiles (--profile node, --profile openssl) on the
system's files. Without -p a profile counts every process running the file
it names: those tests run and trace private copies (node; libssl.so.3,
loaded through LD_LIBRARY_PATH), with copies of the profiles naming them."""
import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import (ROOT, Tracer, assert_maps_private, assert_no_drops, rows,
                      run as run_synctrace, wait_maps_private)

PROFILE = ROOT / "profiles" / "node.ops"
OPENSSL_PROFILE = ROOT / "profiles" / "openssl.ops"
FIXTURES = ROOT / "tests" / "fixtures" / "profiles"
NODE = Path("/usr/bin/node")
CURL = Path("/usr/bin/curl")
LIBSSL = Path("/usr/lib/x86_64-linux-gnu/libssl.so.3")


def snapshot_bytes():
    """A snapshot the socket buffers cannot hold while the client reads
    nothing, so the server's write of it waits (uv_write2): twice what the
    server's send buffer (at most tcp_wmem's max) and the client's receive
    buffer (tcp_rmem's default: it grows only as the client reads) take
    together. 4 MB fitted in them now and then here (tcp_wmem max 4 MiB)."""
    wmem_max = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    rmem_default = int(Path("/proc/sys/net/ipv4/tcp_rmem").read_text().split()[1])
    return max(4_000_000, 2 * (wmem_max + rmem_default))


PUSHES, SNAPSHOT = 30, snapshot_bytes()   # the snapshot overflows the socket buffers
UV_NAMED_PIPE, UV_TCP = 7, 12            # uv_handle_type: the libuv ops' labels
CURL_BODIES = [1000, 50_000, 300_000, 7, 65_536]

def assert_value_sums(cases):
    """cases: (what, row, truth). Each row's value sum == truth: bytes are
    what the successful calls returned (a call that failed or would have
    blocked adds no value), and the value count is the other calls."""
    for what, r, truth in cases:
        assert r["value"]["sum"] == truth, (what, r["value"], truth)
        assert r["value"]["count"] == r["count"] - r.get("errors", 0) - \
            r.get("would_block", 0), (what, r)


def assert_calls(what, r, truth):
    """A TLS row against the process's own account of those calls:
    {calls, would_block, closes, failures, bytes}. errors are the failures
    and the peer's closes (a read returning 0), never a call that would
    have blocked."""
    got = {"calls": r["count"], "would_block": r.get("would_block", 0), "errors": r["errors"]}
    want = {"calls": truth["calls"], "would_block": truth["would_block"],
            "errors": truth["closes"] + truth["failures"]}
    assert got == want, f"{what}: traced {got}, the process says {want} ({truth})"
    if "bytes" in truth:
        assert_value_sums([(what, r, truth["bytes"])])


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", d / "key.pem", "-out", d / "cert.pem"],
                   check=True, capture_output=True, timeout=30)
    return d / "key.pem", d / "cert.pem"


def row(s, name, label):
    found = [o for o in rows(s, name) if o.get("label") == label]
    assert len(found) == 1, f"{name} [{label}]: {rows(s, name)}"
    return found[0]


def show(s, labels=None):
    for o in s["ops"]:
        if labels is None or o.get("label") in labels:
            print("  ", json.dumps({k: o[k] for k in ("op", "label", "count", "errors",
                                                       "would_block", "value", "inflight")
                                    if k in o}))


# ---- profiles/node.ops ----

def skip_unless_static_node():
    """node.ops is for a node that links OpenSSL, libuv and llhttp into its
    executable (NodeSource, nodejs.org builds). Debian's own nodejs (18.x)
    links them as shared libraries: there the profile cannot resolve."""
    if not NODE.exists():
        pytest.skip("no /usr/bin/node")
    rc, out, _ = run_synctrace("list", NODE, "SSL_read")
    if rc != 0 or "SSL_read" not in out:
        pytest.skip(f"{NODE} does not link OpenSSL statically (not a NodeSource build?): "
                    "profiles/node.ops does not apply")


def start_node(log, *args):
    """node with its TLS log (NODE_DEBUG_NATIVE=tls) in the file log."""
    with open(log, "w") as err:
        p = subprocess.Popen([str(NODE), *map(str, args), "--wait-go"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=err, text=True,
                             env=dict(os.environ, NODE_DEBUG_NATIVE="tls"))
    line = p.stdout.readline()
    assert line.startswith("ready "), line
    return p


def node_tls_truth(log):
    """Each SSL_read and SSL_write of a node process, from its own log
    (src/crypto/crypto_tls.cc, NODE_DEBUG_NATIVE=tls): "Read N bytes of
    cleartext output" after each SSL_read, "Writing L bytes, written = N"
    after each SSL_write, and "Got SSL error (E)" right after the call when
    SSL_get_error said it failed (SSL_ERROR_SSL, _SYSCALL). Otherwise a -1
    is a call that would block (node retries it later) and a read of 0 the
    peer's close_notify. Returns {"read"|"write": {calls, bytes,
    would_block, closes, failures}}."""
    calls = []              # [kind, ret, failed], in order
    last = {}               # TLSWrap id -> its last call
    for line in Path(log).read_text().splitlines():
        m = re.match(r"TLSWrap \w+ \((\d+)\) (.*)", line)
        if not m:
            continue
        wrap, msg = m.groups()
        r = re.match(r"Read (-?\d+) bytes of cleartext output$", msg) or \
            re.match(r"Writing \d+ bytes, written = (-?\d+)$", msg)
        if r:
            last[wrap] = ["read" if msg.startswith("Read") else "write", int(r.group(1)), False]
            calls.append(last[wrap])
        elif msg.startswith("Got SSL error"):
            assert wrap in last, f"{log}: an SSL error before any call: {line}"
            last[wrap][2] = True
    truth = {k: {"calls": 0, "bytes": 0, "would_block": 0, "closes": 0, "failures": 0}
             for k in ("read", "write")}
    for kind, ret, failed in calls:
        t = truth[kind]
        t["calls"] += 1
        if failed:
            t["failures"] += 1
        elif ret > 0:
            t["bytes"] += ret
        elif ret == 0:
            t["closes"] += 1
        else:
            t["would_block"] += 1
    return truth


def go(p):
    p.stdin.write("go\n")
    p.stdin.flush()


@pytest.fixture(scope="module")
def run(cert, tmp_path_factory):
    """Server and client each wait for 'go'; one synctrace -p attaches to
    each, so every row of a tracer belongs to its process. Returns
    {"server"|"client": (summary, truth, bytes it wrote to stdout after go,
    its TLS calls: node_tls_truth)}."""
    skip_unless_static_node()
    key, crt = cert
    logs = tmp_path_factory.mktemp("node")
    srv = start_node(logs / "server.log", FIXTURES / "node_sync_server.js", key, crt)
    cli = None
    try:
        t_srv = Tracer("watch", "-p", srv.pid, "--json", "--profile", "node").wait_tracing()
        go(srv)
        port_line = srv.stdout.readline()
        port = json.loads(port_line)["port"]
        cli = start_node(logs / "client.log", FIXTURES / "node_sync_client.js", port, PUSHES,
                         SNAPSHOT)
        t_cli = Tracer("watch", "-p", cli.pid, "--json", "--profile", "node").wait_tracing()
        go(cli)
        cli_line = cli.stdout.readline()
        client = json.loads(cli_line)
        cli.stdin.close()
        assert cli.wait(timeout=10) == 0
        srv.stdin.close()
        srv_line = srv.stdout.readline()
        server = json.loads(srv_line)
        assert srv.wait(timeout=10) == 0
    finally:
        for p in (srv, cli):
            if p and p.poll() is None:
                p.kill()
    assert t_srv.wait() == 0 and t_cli.wait() == 0, t_srv.stderr + t_cli.stderr
    out = {"server": (t_srv.summary(), server, len(port_line) + len(srv_line),
                      node_tls_truth(logs / "server.log")),
           "client": (t_cli.summary(), client, len(cli_line),
                      node_tls_truth(logs / "client.log"))}
    print()
    for who, (s, truth, piped, tls) in out.items():
        print(f"{who} truth:", json.dumps(truth), f"stdout bytes {piped}")
        print(f"{who} TLS calls:", json.dumps(tls))
        show(s)
    return out


@pytest.fixture(scope="session")
def private_node(private_session):
    """A private copy of node (95 MB: once a session), and the profile naming it."""
    skip_unless_static_node()
    copy = private_session.copy(NODE)
    return copy, private_session.ops(PROFILE, {str(NODE): copy})


def test_node_without_pid_traces_a_node_started_later(private_node):
    """Without -p, node's ~67k functions are resolved once and every node
    process is traced, one started after attaching included (here: every
    process running a private copy, so no other node is counted). (How long
    that takes is measured by bench/overhead, not asserted here.)"""
    node, ops = private_node
    t = Tracer("watch", "--json", "--ops", ops).wait_tracing()
    p = subprocess.Popen([str(node), "-e", "process.stdout.write('x'.repeat(1000))"],
                         stdout=subprocess.PIPE)
    try:
        wait_maps_private(p, node, NODE)
        out = p.communicate(timeout=30)[0]
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0 and len(out) == 1000
    assert t.stop() == 0, t.stderr
    # the node started after synctrace wrote its 1000 bytes into a pipe (and
    # no other node did: the bytes are its own)
    w = row(t.summary(), "node_stream_write", UV_NAMED_PIPE)
    assert w["count"] >= 1 and w["value"]["sum"] == len(out), w


def test_node_http_messages_exact(run):
    for who in ("server", "client"):
        s, truth, _, _ = run[who]
        assert_no_drops(s)
        n = truth["requests"] if who == "server" else truth["responses"]
        assert n == PUSHES + 1
        # requests parsed by the server, responses parsed by the client
        assert row(s, "node_http_message", truth["pid"])["count"] == n
        body = row(s, "node_http_body", truth["pid"])
        assert body["count"] == n and body["inflight"] == 0 and body["timeouts"] == 0
        (tot,) = [o for o in s["op_totals"] if o["op"] == "node_http_body"]
        assert tot["unmatched"] == 0 and tot["restarts"] == 0
    assert run["server"][1]["body_bytes"] == run["client"][1]["body_bytes"]


def test_node_tls_calls_exact(run):
    """Every SSL_read and SSL_write of both processes, as node logged them:
    calls, would-block results (node's read loop ends each batch on one; the
    client's first request waits in SSL_write for the handshake), errors
    (none: healthy traffic) and bytes."""
    for who in ("server", "client"):
        s, truth, _, tls = run[who]
        assert tls["read"]["failures"] == tls["write"]["failures"] == 0, tls
        assert tls["read"]["would_block"] > 0, tls
        assert_calls(f"{who} node_tls_read", row(s, "node_tls_read", truth["pid"]), tls["read"])
        assert_calls(f"{who} node_tls_write", row(s, "node_tls_write", truth["pid"]),
                     tls["write"])
    assert run["client"][3]["write"]["would_block"] > 0, run["client"][3]


def test_node_uv_calls_seen(run):
    """libuv writes of both processes are seen, none an error: a write into
    a full socket (UV_EAGAIN) is would_block, with no bytes. The client
    stalls on the snapshot, so the server's write of it has to be queued
    (uv_write2)."""
    for who in ("server", "client"):
        s, _, _, _ = run[who]
        for name in ("node_uv_try_write", "node_stream_write"):
            for label in (UV_TCP, UV_NAMED_PIPE):
                r = row(s, name, label)
                assert r["count"] > 0 and r["errors"] == 0, (who, name, r)
                assert r["value"]["count"] == r["count"] - r["would_block"], (who, name, r)
        # every uv_try_write goes through uv__try_write
        assert row(s, "node_stream_write", UV_TCP)["count"] >= \
            row(s, "node_uv_try_write", UV_TCP)["count"]
    s = run["server"][0]
    w = row(s, "node_uv_write", UV_TCP)
    assert w["count"] >= 1 and w["errors"] == 0


def test_node_pipe_bytes_exact(run):
    """Bytes node wrote into its stdout pipe after 'go' == what we read."""
    for who in ("server", "client"):
        s, _, piped, _ = run[who]
        for name in ("node_uv_try_write", "node_stream_write"):
            r = row(s, name, UV_NAMED_PIPE)
            assert r["errors"] == 0 and r["value"]["sum"] == piped, (who, name, r, piped)


def test_node_tls_cleartext_bytes_exact(run):
    """SSL_read / SSL_write value sums == the bytes each TLS socket reports
    (socket.bytesRead / bytesWritten: application data)."""
    (_, server, _, _), (_, client, _, _) = run["server"], run["client"]
    assert server["tls_read"] == client["tls_written"]
    assert server["tls_written"] == client["tls_read"]
    cases = []
    for who in ("server", "client"):
        s, truth, _, _ = run[who]
        cases.append((f"{who} node_tls_read", row(s, "node_tls_read", truth["pid"]),
                      truth["tls_read"]))
        cases.append((f"{who} node_tls_write", row(s, "node_tls_write", truth["pid"]),
                      truth["tls_written"]))
    assert_value_sums(cases)


def test_node_socket_bytes_exact(run):
    """uv__try_write value sums on TCP streams == the bytes of the TCP socket
    under TLS (records, handshake included), as the server counts them: what
    it wrote, and what it read from the client."""
    server = run["server"][1]
    assert_value_sums([
        ("server node_stream_write", row(run["server"][0], "node_stream_write", UV_TCP),
         server["tcp_written"]),
        ("client node_stream_write", row(run["client"][0], "node_stream_write", UV_TCP),
         server["tcp_read"])])


def test_node_tls_failure_is_an_error(cert, tmp_path):
    """A client speaking plain HTTP to the server's TLS port: that SSL_read
    fails (SSL_ERROR_SSL), one error, as node logged it and counted it
    (tlsClientError). Then a healthy HTTPS request (curl): the server's
    reads that find nothing are would_block; curl's close_notify is a read
    of 0, an error too (the peer's close), as node logged it."""
    skip_unless_static_node()
    if not CURL.exists():
        pytest.skip("no /usr/bin/curl")
    key, crt = cert
    log = tmp_path / "server.log"
    srv = start_node(log, FIXTURES / "node_sync_server.js", key, crt)
    try:
        t = Tracer("watch", "-p", srv.pid, "--json", "--profile", "node").wait_tracing()
        go(srv)
        port = json.loads(srv.stdout.readline())["port"]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                while c.recv(65536):        # until the server drops it
                    pass
            except ConnectionResetError:
                pass
        r = subprocess.run([str(CURL), "-sSk", "-o", "/dev/null", "-w", "%{http_code}",
                            f"https://127.0.0.1:{port}/snapshot?bytes=100000"],
                           capture_output=True, text=True, timeout=30)
        assert r.stdout == "200", r
        srv.stdin.close()
        server = json.loads(srv.stdout.readline())
        assert srv.wait(timeout=10) == 0
    finally:
        if srv.poll() is None:
            srv.kill()
    assert t.wait() == 0, t.stderr
    s, tls = t.summary(), node_tls_truth(log)
    print("\nserver truth:", json.dumps(server))
    print("server TLS calls:", json.dumps(tls))
    show(s)
    assert_no_drops(s)
    assert server["tls_client_errors"] == tls["read"]["failures"] == 1, (server, tls)
    assert tls["read"]["would_block"] > 0 and tls["read"]["bytes"] == server["tls_read"], tls
    assert_calls("node_tls_read", row(s, "node_tls_read", server["pid"]), tls["read"])
    assert_calls("node_tls_write", row(s, "node_tls_write", server["pid"]), tls["write"])


# ---- profiles/openssl.ops: libssl.so.3, curl and Python ----

def tls_exchange(cert, d, env=None, on_server=None, on_curl=None):
    """The Python server, then one curl pushing CURL_BODIES over one
    connection, both with env. on_server(process) runs once the server
    listens, on_curl(process) as soon as curl started. Returns (server
    truth, curl truth)."""
    key, crt = cert
    srv = subprocess.Popen(["/usr/bin/python3", str(FIXTURES / "tls_sync_server.py"), str(crt),
                            str(key)], stdout=subprocess.PIPE, text=True, env=env)
    c = None
    try:
        port = json.loads(srv.stdout.readline())["port"]
        if on_server:
            on_server(srv)
        trace = d / "curl.trace"
        cmd = [str(CURL), "--trace-ascii", str(trace)]
        for i, n in enumerate(CURL_BODIES):
            body = d / f"body{i}"
            body.write_bytes(bytes([97 + i]) * n)
            cmd += (["--next"] if i else []) + [
                "-sSk", "--http1.1", "-H", "Expect:", "--data-binary", f"@{body}",
                "-o", "/dev/null", "-w", "%{http_code}\\n", f"https://127.0.0.1:{port}/push/{i}"]
        c = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
        if on_curl:
            on_curl(c)
        out, err = c.communicate(timeout=30)
        assert c.returncode == 0, err
        assert out.split() == ["200"] * len(CURL_BODIES)
        server = json.loads(srv.stdout.readline())
        assert srv.wait(timeout=10) == 0
    finally:
        for p in (srv, c):
            if p and p.poll() is None:
                p.kill()
    # curl's own account of the application bytes it sent and received
    # (--trace-ascii: "=> Send header, 157 bytes", "<= Recv data, 25 bytes"...)
    sent = recv = 0
    for m in re.finditer(r"^(=> Send|<= Recv) (header|data), (\d+) bytes", trace.read_text(),
                         re.M):
        if m.group(1) == "=> Send":
            sent += int(m.group(3))
        else:
            recv += int(m.group(3))
    return server, {"pid": c.pid, "written": sent, "read": recv}


@pytest.fixture(scope="module")
def tls_run(cert, tmp_path_factory, private_module):
    """synctrace without -p on a private copy of libssl (every process using
    it), then the Python server and curl, both loading that copy
    (LD_LIBRARY_PATH). Returns (summary, server truth, curl truth)."""
    if not CURL.exists():
        pytest.skip("no /usr/bin/curl")
    d = tmp_path_factory.mktemp("bodies")
    lib = private_module.copy(LIBSSL, name=LIBSSL.name)     # the name its users ask for
    ops = private_module.ops(OPENSSL_PROFILE, {"libssl": lib})
    env = dict(os.environ, LD_LIBRARY_PATH=str(lib.parent))
    t = Tracer("watch", "--json", "--ops", ops).wait_tracing()
    try:
        server, curl = tls_exchange(cert, d, env,
                                    on_server=lambda p: assert_maps_private(p.pid, lib, LIBSSL),
                                    on_curl=lambda p: wait_maps_private(p, lib, LIBSSL))
    finally:
        rc = t.stop()
    assert rc == 0, t.stderr
    s = t.summary()
    # the users of the copy: the server and curl, nobody else
    assert {o["label"] for o in s["ops"]} == {server["pid"], curl["pid"]}, \
        f"server {server['pid']}, curl {curl['pid']}: {s['ops']}"
    print("\nserver truth:", json.dumps(server))
    print("curl truth:", json.dumps(curl))
    show(s)
    return s, server, curl


def check_python_server(s, server):
    """The server's rows against its own truth."""
    assert_no_drops(s)
    assert server["requests"] == len(CURL_BODIES) and server["body_bytes"] == sum(CURL_BODIES)
    # a blocking server: nothing would block; its last read is curl's close
    assert server["closes"] == 1
    assert_calls("server ssl_read_ex", row(s, "ssl_read_ex", server["pid"]),
                 {"calls": server["recv_calls"], "would_block": 0, "closes": server["closes"],
                  "failures": 0, "bytes": server["read"]})
    assert server["send_calls"] == len(CURL_BODIES)
    assert_calls("server ssl_write_ex", row(s, "ssl_write_ex", server["pid"]),
                 {"calls": server["send_calls"], "would_block": 0, "closes": 0, "failures": 0,
                  "bytes": server["written"]})
    assert_calls("server ssl_handshake", row(s, "ssl_handshake", server["pid"]),
                 {"calls": 1, "would_block": 0, "closes": 0, "failures": 0})
    # Python uses the _ex calls only
    assert not [o for o in s["ops"] if o["label"] == server["pid"] and
                o["op"] in ("ssl_read", "ssl_write")]


def test_openssl_python_server_ex_exact(tls_run):
    """SSL_read_ex / SSL_write_ex: calls == the server's recv()/send() calls,
    value sums == the bytes it read and wrote (its own count)."""
    s, server, curl = tls_run
    check_python_server(s, server)


def test_openssl_shipped_profile_with_pid_exact(cert, tmp_path):
    """The shipped profile (--profile openssl) with -p the Python server, on
    the system's libssl: the same exact counts, of that process only."""
    if not CURL.exists():
        pytest.skip("no /usr/bin/curl")
    tracer = []
    server, _ = tls_exchange(cert, tmp_path, on_server=lambda p: tracer.append(
        Tracer("watch", "-p", p.pid, "--json", "--profile", "openssl").wait_tracing()))
    (t,) = tracer
    assert t.wait() == 0, t.stderr                  # the server exited: summary
    s = t.summary()
    assert {o["label"] for o in s["ops"]} == {server["pid"]}, s["ops"]
    check_python_server(s, server)


def test_openssl_curl_writes_exact(tls_run):
    """curl's SSL_write value sum == what curl says it sent (request
    headers and bodies) == what the server read; one handshake, none of
    its calls an error: curl's non-blocking handshake returns -1 when it
    has to wait for the server (would_block)."""
    s, server, curl = tls_run
    wr = row(s, "ssl_write", curl["pid"])
    assert curl["written"] == server["read"]
    assert wr["errors"] == 0
    assert_value_sums([("curl ssl_write", wr, curl["written"])])
    hs = row(s, "ssl_handshake", curl["pid"])
    assert hs["errors"] == 0 and hs["count"] - hs["would_block"] == 1, hs


def test_openssl_curl_reads_exact(tls_run):
    """curl's SSL_read value sum == the response bytes curl reports ==
    what the server wrote. curl reads a non-blocking socket: its reads that
    find nothing return -1 (SSL_ERROR_WANT_READ): would_block, no error, no
    bytes (curl saw no failure: every request got its 200)."""
    s, server, curl = tls_run
    rd = row(s, "ssl_read", curl["pid"])
    assert curl["read"] == server["written"]
    assert rd["errors"] == 0 and rd["would_block"] > 0, rd
    assert_value_sums([("curl ssl_read", rd, curl["read"])])


@pytest.mark.parametrize("end", ["close", "eof", "reset"])
def test_openssl_nonblocking_exact(cert, end):
    """A non-blocking client and server in one Python process
    (tests/fixtures/profiles/tls_nonblock.py), traced with the shipped
    profile (-p): each of its SSL_do_handshake, SSL_read_ex and
    SSL_write_ex calls as the process counted it from SSL_get_error.
    would_block == its WANT_READ and WANT_WRITE results, errors == its
    failures and closes: the client's close_notify (close: a read of 0), an
    EOF without close_notify (eof) or a reset (reset), each a failed read
    of the server after reads that would block; bytes exact."""
    key, crt = cert
    p = subprocess.Popen(["/usr/bin/python3", str(FIXTURES / "tls_nonblock.py"), str(crt),
                          str(key), end, "--wait-go"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    t = None
    try:
        line = p.stdout.readline()
        assert line.startswith("ready "), line
        t = Tracer("watch", "-p", p.pid, "--json", "--profile", "openssl").wait_tracing()
        p.stdin.write("go\n")
        p.stdin.flush()
        truth = json.loads(p.stdout.readline())
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
    assert t.wait() == 0, t.stderr                  # the process exited: summary
    s = t.summary()
    print("\ntruth:", json.dumps(truth))
    show(s)
    assert_no_drops(s)
    hs, rd, wr = truth["handshake"], truth["read"], truth["write"]
    assert hs["want_read"] > 0 and rd["want_read"] > 0 and wr["want_write"] > 0, truth
    assert (rd["close"], rd["fail"]) == ((1, 0) if end == "close" else (0, 1)), truth
    assert hs["fail"] == wr["fail"] == 0, truth
    for op, c in (("ssl_handshake", hs), ("ssl_read_ex", rd), ("ssl_write_ex", wr)):
        want = {"calls": c["calls"], "would_block": c["want_read"] + c["want_write"],
                "closes": c.get("close", 0), "failures": c["fail"]}
        if "bytes" in c:
            want["bytes"] = c["bytes"]
        assert_calls(op, row(s, op, truth["pid"]), want)
    assert {o["op"] for o in s["ops"]} == {"ssl_handshake", "ssl_read_ex", "ssl_write_ex"}
