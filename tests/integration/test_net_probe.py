"""The socket parsers of bpf/net.bpf.c, alone (tests/tools/net_probe loads the
BPF object and dumps its rows): a real HTTP/1.1 server and client on
127.0.0.1 (tests/tools/net_fx.py) whose messages are split across writes,
pipelined, chunked, SSE and WebSocket; every row must equal the client's own
count, on the server's side and on the client's."""
import json
import re
import signal
import subprocess
import time

from conftest import BUILD, ROOT, free_port

PROBE = BUILD / "tests" / "net_probe"
FX = ROOT / "tests" / "tools" / "net_fx.py"
PY = "/usr/bin/python3"
ROW = re.compile(r'^(server|client) http "([^"]*)" "([^"]*)" (.*)$')


def start_probe(pid, *args):
    p = subprocess.Popen([str(PROBE), "-p", str(pid), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    assert "ready" in line, line + p.stderr.read()
    return p


def stop_probe(p):
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    rows, drops, totals = {}, {}, {}
    for line in out.splitlines():
        m = ROW.match(line)
        if m:
            fields = dict(kv.split("=", 1) for kv in m.group(4).split() if "=" in kv)
            rows[(m.group(1), m.group(2), m.group(3))] = fields
        elif line.startswith("drops "):
            drops = dict(kv.split("=") for kv in line.split()[1:])
        elif line.startswith("totals "):
            totals = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    return rows, drops, totals


def run(side, mode="client"):
    port = free_port()
    srv = subprocess.Popen([PY, str(FX), "server", str(port)], stdout=subprocess.PIPE, text=True)
    cli = None
    try:
        assert srv.stdout.readline().strip() == "ready"
        cli = subprocess.Popen([PY, str(FX), mode, str(port)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        probe = start_probe(srv.pid if side == "server" else cli.pid)
        out, _ = cli.communicate("go\n", timeout=60)
        assert cli.returncode == 0
        time.sleep(0.3)	# the server's last close
        rows, drops, totals = stop_probe(probe)
    finally:
        srv.kill()
        srv.wait()
        if cli and cli.poll() is None:
            cli.kill()
    return json.loads(out), rows, drops, totals


def check(side):
    truth, rows, drops, _ = run(side)
    assert all(v == "0" for v in drops.values()), drops
    want = {}
    for key, n in truth["rows"].items():
        method, template, status = key.split(" ")
        want[(side, method + " " + template, status)] = n
    assert {k: int(v["count"]) for k, v in rows.items()} == want
    for (s, op, status), v in rows.items():
        code = int(status)
        assert int(v["errors"]) == (int(v["count"]) if code >= 500 else 0)
        assert int(v["client_errors"]) == (int(v["count"]) if 400 <= code < 500 else 0)
        assert int(v["lat_n"]) == int(v["count"])
    sse = rows[(side, "GET /stream", "200")]
    opened, closed, events = (int(x) for x in sse["sse"].split("/"))
    assert (opened, closed, events) == (truth["sse_streams"], truth["sse_streams"],
                                        truth["sse_events"])
    # a first event for each stream that had one; every stream's duration
    assert int(sse["first_n"]) == truth["sse_streams_with_events"]
    assert int(sse["dur_n"]) == truth["sse_streams"]
    ws = rows[(side, "GET /ws", "101")]
    assert ws["ws"] == "1/1"
    names = ["cont", "text", "binary", "close", "ping", "pong"]
    got_in = dict(zip(names, (int(x) for x in ws["in"].split(","))))
    got_out = dict(zip(names, (int(x) for x in ws["out"].split(","))))
    # the process reads what the server sent when it is the client, and the other way round
    sent_by_server, sent_by_client = truth["ws_in"], truth["ws_out"]
    if side == "server":
        want_in, want_out = sent_by_client, sent_by_server
    else:
        want_in, want_out = sent_by_server, sent_by_client
    assert {k: v for k, v in got_in.items() if v} == want_in
    assert {k: v for k, v in got_out.items() if v} == want_out


def test_server_side_rows_equal_the_clients_counts():
    check("server")


def test_client_side_rows_equal_the_clients_counts():
    check("client")


def test_a_process_that_ends_closes_its_streams():
    """No close(2): the sockets close with the process; its SSE stream is
    closed and its connection forgotten all the same."""
    truth, rows, drops, totals = run("client", "client_exit")
    assert all(v == "0" for v in drops.values()), drops
    sse = rows[("client", "GET /stream", str(truth["status"]))]
    assert sse["sse"] == "1/1/%d" % truth["sse_events"]
    assert int(sse["dur_n"]) == 1
    assert totals["opened"] == totals["closed"] == 1


def test_switched_off_and_filter_only_programs_count_nothing():
    """bench/net_toggle.py's two switches: net_probe -T counts the run it
    was switched on for and not the one before (off); -F (the floor: the
    programs stop after their filter) counts nothing, on the very same
    server, at the same time."""
    port = free_port()
    srv = subprocess.Popen([PY, str(FX), "server", str(port)], stdout=subprocess.PIPE, text=True)
    probes = []
    try:
        assert srv.stdout.readline().strip() == "ready"
        floor = start_probe(srv.pid, "-F")
        probes.append(floor)
        sw = subprocess.Popen([str(PROBE), "-p", str(srv.pid), "-T"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        probes.append(sw)
        assert "ready" in sw.stderr.readline()

        def switch(state):
            sw.stdin.write(state + "\n")
            sw.stdin.flush()
            assert sw.stderr.readline().strip() == state

        def client():
            cli = subprocess.run([PY, str(FX), "client", str(port)], input="go\n",
                                 capture_output=True, text=True, timeout=60)
            assert cli.returncode == 0, cli.stderr
            time.sleep(0.3)	# the server's last close
            return json.loads(cli.stdout)

        switch("off")
        client()
        switch("on")
        truth = client()
        rows, drops, totals = stop_probe(sw)
        frows, fdrops, ftotals = stop_probe(floor)
        probes = []
    finally:
        for p in probes:
            p.kill()
            p.wait()
        srv.kill()
        srv.wait()
    want = {}
    for key, n in truth["rows"].items():
        method, template, status = key.split(" ")
        want[("server", method + " " + template, status)] = n
    assert {k: int(v["count"]) for k, v in rows.items()} == want
    assert all(v == "0" for v in drops.values()), drops
    assert frows == {} and ftotals["opened"] == 0, (frows, ftotals)
    assert all(v == "0" for v in fdrops.values()), fdrops
