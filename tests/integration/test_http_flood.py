"""A flood against the Node relay under `synctrace http`: Debian's ab sends
50,000 keep-alive requests on 200 connections (HTTP/1.0 with Connection:
keep-alive). Every request is counted, under its route and status, and no
connection state is lost (every loss would be counted in drops)."""
import re
import subprocess

import pytest

from conftest import Tracer, assert_no_drops
from netharness import AB, Relay, net_rows, require_net

N, C = 50_000, 200


def ab(port, n, c):
    """ab -k to completion: its own counts (Complete, Failed, Keep-Alive requests)."""
    p = subprocess.run([AB, "-q", "-k", "-n", str(n), "-c", str(c), "-s", "30",
                        f"http://127.0.0.1:{port}/items/42"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    got = {k: int(re.search(rf"^{k}:\s+(\d+)", p.stdout, re.M).group(1))
           for k in ("Complete requests", "Failed requests", "Keep-Alive requests")}
    return got


@pytest.mark.no_bpf
def test_ab_alone():
    """Without synctrace: ab and the relay count the same requests, on C
    connections kept alive (no BPF: proves the fixture)."""
    require_net(ab=True)
    with Relay("node") as r:
        got = ab(r.port, 5000, C)
        server = r.stop()
    assert got == {"Complete requests": 5000, "Failed requests": 0, "Keep-Alive requests": 5000}
    assert server["rows"]["GET /items/:id 200"]["count"] == 5000
    assert server["connections"] == C


def test_flood():
    require_net(ab=True)
    with Relay("node") as r:
        t = Tracer("http", "-p", r.pid, "--json")
        try:
            t.wait_tracing()
            got = ab(r.port, N, C)
            server = r.stop()
            assert t.stop() == 0, t.stderr
        finally:
            if t.proc.poll() is None:
                t.proc.kill()
    assert got == {"Complete requests": N, "Failed requests": 0, "Keep-Alive requests": N}
    assert server["connections"] == C
    assert {k: r["count"] for k, r in net_rows(t.summary(), "server").items()} == \
        {("GET /items/:id", "200"): N}
    assert_no_drops(t.summary())
