"""Real HTTP servers and clients for the `synctrace http` and `pg` tests
(tests/fixtures/net/, built by tests/fixtures/net.mk).

Each program prints its own ground truth: a relay (Node, Go or Python) its
requests per "METHOD /route STATUS" with an inner latency bracket when it gets
SIGTERM, the client its requests with an outer bracket, its SSE events and
WebSocket frames. The tests compare synctrace's rows with both, and
check_agreement() proves the programs agree with each other (and with the
client's plan) without synctrace.

    with Relay("node") as r:
        client = run_client(r.port, "http,sse")
        server = r.stop()
"""
import json
import math
import os
import select
import shutil
import signal
import subprocess
from pathlib import Path

from conftest import BUILD, HIST_RES, ROOT, Tracer, require_installed, run

NET_SRC = ROOT / "tests" / "fixtures" / "net"
NET_BUILD = BUILD / "fixtures" / "net"
NODE_MODULES = NET_BUILD / "node_modules"
NODE = shutil.which("node") or "/usr/bin/node"
PYTHON = "/usr/bin/python3"
AB = "/usr/bin/ab"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

RELAYS = {
    "node": lambda tls: [NODE, NET_SRC / "relay.js"] + (["--tls", *tls] if tls else []),
    "go": lambda tls: [NET_BUILD / "relay_go"],
    "python": lambda tls: [PYTHON, NET_SRC / "relay.py"],
}


def require_net(ab=False):
    """Skip (or, under SYNCTRACE_REQUIRE_BPF=1, fail) without the programs."""
    for p in [NODE, NODE_MODULES / ".installed", NET_BUILD / "relay_go", PYTHON] + \
            ([AB] if ab else []):
        if not Path(p).exists():
            require_installed("net fixtures", f"{p} missing (make fixtures; scripts/deps.sh)")


def node_env():
    return dict(os.environ, NODE_PATH=str(NODE_MODULES))


def readline(proc, timeout, what):
    """One line of proc's stdout within timeout seconds."""
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    assert r, f"{what}: nothing on stdout within {timeout}s"
    line = proc.stdout.readline()
    assert line, f"{what} exited (rc {proc.poll()}): {proc.stderr.read() if proc.stderr else ''}"
    return line


def make_cert(d):
    """A self-signed certificate for 127.0.0.1 in directory d: (key, cert)."""
    key, cert = Path(d) / "key.pem", Path(d) / "cert.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return key, cert


class Relay:
    """A relay listening on 127.0.0.1 (kind: node, go, python; tls: (key, cert),
    Node only; args: more of its options, e.g. node's --pg PORT). stop() sends
    SIGTERM and returns its truth."""

    def __init__(self, kind, tls=None, args=()):
        self.proc = subprocess.Popen([str(a) for a in RELAYS[kind](tls)] + list(args),
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=node_env())
        hello = json.loads(readline(self.proc, 20, f"{kind} relay"))
        self.port, self.pid = hello["port"], hello["pid"]
        assert self.pid == self.proc.pid

    def stop(self, timeout=20):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        return json.loads(out.splitlines()[-1])

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


class Client:
    """client.js (or pg_client.js: script=) started with --wait-go; go() lets it
    run, truth() waits for its ground truth."""

    def __init__(self, port, *args, script="client.js"):
        self.proc = subprocess.Popen([NODE, str(NET_SRC / script), "--port", str(port), *args,
                                      "--wait-go"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=node_env())
        assert readline(self.proc, 20, script).startswith("ready ")
        self.pid = self.proc.pid

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def truth(self, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        return json.loads(out.splitlines()[-1])

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_client(port, parts, tls=False, timeout=60):
    """client.js to completion: its truth."""
    c = Client(port, "--parts", parts, *(["--tls"] if tls else []))
    try:
        c.go()
        return c.truth(timeout)
    finally:
        c.kill()


def trace_client(parts, tls=None):
    """client.js traced by `synctrace http -p CLIENT --json` against the Node
    relay, untraced (tls: (key, cert) for HTTPS): (client truth, relay
    truth, synctrace's summary), the two programs' agreement checked."""
    require_net()
    with Relay("node", tls=tls) as r:
        c = Client(r.port, "--parts", parts, *(["--tls"] if tls else []))
        t = Tracer("http", "-p", c.pid, "--json")
        try:
            t.wait_tracing()
            c.go()
            client = c.truth()
            server = r.stop()
            assert t.stop() == 0, t.stderr
        finally:
            c.kill()
            if t.proc.poll() is None:
                t.proc.kill()
    check_agreement(client, server, parts)
    return client, server, t.summary()


def split_key(key):
    """"GET /items/:id 404" -> ("GET /items/:id", "404")."""
    op, label = key.rsplit(" ", 1)
    return op, label


def planned_rows(plan, parts):
    """The rows client.js's plan makes, by arithmetic on the plan alone."""
    rows = {}

    def add(key, n):
        if n:
            rows[key] = rows.get(key, 0) + n
    if "http" in parts:
        add("POST /sync/push 200", plan["push_ok"] + plan["fresh"])
        add("POST /sync/push 400", plan["push_bad"])
        add("POST /sync/push 500", plan["push_fail"])
        add("GET /sync/pull 200", plan["pull"])
        add("GET /items/:id 200", plan["items_num"] + plan["items_uuid"] + plan["items_hex"])
        add("GET /items/:id 404", plan["items_missing"])
        add("GET /nope 404", plan["nope"])
    if "pipeline" in parts:
        add("GET /items/:id 200", 2)
        add("GET /items/:id 404", 1)
    if "sse" in parts:
        add("GET /stream 200", len(plan["sse_replay"]))
        add("POST /sync/push 200", plan["sse_live"])
    if "ws" in parts:
        add("GET /ws 101", 1)
    return rows


def check_agreement(client, server, parts):
    """The client, the relay and the plan tell the same counts (no synctrace)."""
    counts = lambda t: {k: v["count"] for k, v in t["rows"].items()}
    assert counts(client) == planned_rows(client["plan"], parts)
    assert counts(server) == counts(client)
    if "sse" in parts:
        plan = client["plan"]
        events = [k + plan["sse_live"] for k in plan["sse_replay"]]
        assert [s["events"] for s in client["sse"]] == events
        assert sorted(server["sse"]["per_stream"]) == sorted(events)
        assert server["sse"]["opened"] == server["sse"]["closed"] == len(events)
    if "ws" in parts:
        w, s = client["ws"], server["ws"]
        assert (w["frames_out"], w["frames_in"]) == (s["frames_in"], s["frames_out"])
        assert (w["bytes_out"], w["bytes_in"]) == (s["bytes_in"], s["bytes_out"])
        assert w["frames_out"]["text"] == client["plan"]["ws_text"]


# -- synctrace's rows against the truth ---------------------------------------------

def net_rows(summary, side):
    """{(op, label): row} of one side in a --json summary."""
    return {(o["op"], o["label"]): o for o in summary["ops"] if o.get("side") == side}


def rank(sorted_ns, q, shift):
    """The value at the nearest rank of quantile q, moved by shift ranks (clamped):
    synctrace's percentile may read a neighbouring rank."""
    n = len(sorted_ns)
    k = min(max(math.ceil(q * n) - 1 + shift, 0), n - 1)
    return sorted_ns[k]


def assert_latency(name, lat, outer, inner=None, res=HIST_RES):
    """A traced latency_ns inside the brackets: each exchange's traced latency
    is at most the client's outer time of it and (server side) at least the
    relay's inner time of it, so the k-th smallest is between theirs."""
    assert lat["count"] == len(outer), (name, lat, len(outer))
    assert 0 < lat["max"] <= outer[-1] * (1 + res), (name, lat["max"], outer[-1])
    for q in ("p50", "p99"):
        hi = rank(outer, float(q[1:]) / 100, +1) * (1 + res)
        lo = rank(inner, float(q[1:]) / 100, -1) * (1 - res) if inner else 0
        assert lo <= lat[q] <= hi, f"{name} {q}: traced {lat[q]} outside [{lo}, {hi}]"
    if inner:
        assert lat["max"] >= inner[-1] * (1 - res), (name, lat["max"], inner[-1])


def assert_http_rows(summary, side, client, server=None):
    """Every row of one side: exact counts per op and status, errors (5xx) and
    client_errors (4xx) apart, latency inside the brackets."""
    got = net_rows(summary, side)
    want = {split_key(k): v for k, v in client["rows"].items()}
    assert {k: r["count"] for k, r in got.items()} == {k: v["count"] for k, v in want.items()}
    for k, r in got.items():
        status = int(k[1])
        assert r["errors"] == (r["count"] if status >= 500 else 0), (k, r)
        assert r["client_errors"] == (r["count"] if 400 <= status < 500 else 0), (k, r)
        inner = server["rows"][" ".join(k)]["lat_ns"] if server else None
        assert_latency(" ".join(k), r["latency_ns"], want[k]["lat_ns"], inner)
    return got


def assert_sse(row, client, server=None):
    """An SSE row: streams opened and closed, events, time to the first event
    at most the client's (from before its request to its first event)."""
    events = sum(s["events"] for s in client["sse"])
    sse = row["sse"]
    assert (sse["opened"], sse["closed"], sse["open"], sse["events"]) == \
        (len(client["sse"]), len(client["sse"]), 0, events), sse
    if server:
        assert sse["events"] == server["sse"]["events"]
    first = sorted(s["first_event_ns"] for s in client["sse"])
    assert sse["first_event_ns"]["count"] == len(first)
    for q in ("p50", "p99"):    # no exact max is kept for it: percentiles only
        hi = rank(first, float(q[1:]) / 100, +1) * (1 + HIST_RES)
        assert sse["first_event_ns"][q] <= hi, (q, sse["first_event_ns"], first)
    # from the request, as the client waits: never before the stream's head was sent
    head = row["latency_ns"]
    assert sse["first_event_ns"]["p99"] >= head["p50"] * (1 - HIST_RES) > 0, (sse, head)


def assert_ws(row, frames_in, frames_out, bytes_in, bytes_out):
    """A WebSocket row: one connection opened and closed, frames by opcode and
    payload bytes in each direction."""
    ws = row["ws"]
    nonzero = lambda d: {k: v for k, v in d.items() if v}
    assert (ws["opened"], ws["closed"], ws["open"]) == (1, 1, 0), ws
    assert nonzero(ws["opcodes_in"]) == nonzero(frames_in), ws
    assert nonzero(ws["opcodes_out"]) == nonzero(frames_out), ws
    assert (ws["frames_in"], ws["frames_out"]) == \
        (sum(frames_in.values()), sum(frames_out.values())), ws
    assert (ws["bytes_in"], ws["bytes_out"]) == (bytes_in, bytes_out), ws


def untimed(obj):
    """A frame without its wall time (the live summary is stamped a moment
    after the last interval; the stored one carries that interval's time)."""
    return {k: v for k, v in obj.items() if k != "time"}


def assert_report_replays(db, live):
    """`report DB --json -i` gives the live run's frames again, every
    interval and the summary (wall times aside); the stored frames."""
    rc, out, err = run("report", db, "--json", "-i")
    assert rc == 0, err
    stored = [json.loads(l) for l in out.splitlines() if l.strip()]
    assert [untimed(o) for o in stored] == [untimed(o) for o in live]
    return stored
