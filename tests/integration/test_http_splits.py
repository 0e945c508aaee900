"""The HTTP parser on every split of its bytes (tests/tools/net_probe loads
bpf/net.bpf.c alone): tests/tools/http_splits.py exchanges each of its
request/response pairs once per byte position each message is cut at, once
one byte a syscall and once pipelined, and prints what it exchanged. The
fast paths of bpf/net_http_walk.h take a status line, a header name or a
line's rest whole when the bytes are held; split, the byte machine takes
them: every row must equal the client's count all the same, with its exact
bytes and SSE events, and nothing lost."""
import json
import subprocess

import pytest

from conftest import BUILD, ROOT, free_port
from test_net_probe import start_probe, stop_probe

PROBE = BUILD / "tests" / "net_probe"
FX = ROOT / "tests" / "tools" / "http_splits.py"
PY = "/usr/bin/python3"


def run(side, io):
    port = free_port()
    srv = subprocess.Popen([PY, str(FX), "server", str(port), io], stdout=subprocess.PIPE,
                           text=True)
    cli = probe = None
    try:
        assert srv.stdout.readline().strip() == "ready"
        cli = subprocess.Popen([PY, str(FX), "client", str(port), io], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        probe = start_probe(srv.pid if side == "server" else cli.pid, "-P", "1")
        out, _ = cli.communicate("go\n", timeout=120)
        assert cli.returncode == 0, f"http_splits client exit {cli.returncode}"
        srv.wait(timeout=30)
        assert srv.returncode == 0, f"http_splits server exit {srv.returncode}"
        rows, drops, _ = stop_probe(probe)
        probe = None
    finally:
        for p in (srv, cli, probe):
            if p and p.poll() is None:
                p.kill()
                p.wait()
    return json.loads(out)["rows"], rows, drops


@pytest.mark.parametrize("side,io", [("server", "plain"), ("client", "plain"),
                                     ("server", "msg"), ("client", "msg"),
                                     ("server", "vec"), ("client", "vec")])
def test_every_split_gives_the_clients_rows(side, io):
    """io msg: sendmsg/recvmsg_into with two iovecs a call (the msghdr read
    at the syscall's return, the iovec walk, recvmsg's EOF); vec: writev and
    readv with tens of iovecs of 0-3 bytes a call (the iovecs read in
    batches)."""
    truth, rows, drops = run(side, io)
    assert all(v == "0" for v in drops.values()), f"drops: {drops}"
    got = {f"{op} {label}": int(v["count"]) for (_, op, label), v in rows.items()}
    want = {k: t["count"] for k, t in truth.items()}
    assert got == want, f"expected rows {want}, traced {got}"
    for key, t in truth.items():
        op, label = key.rsplit(" ", 1)
        r = rows[(side, op, label)]
        # the process read the request when it is the server, the response when the client
        got_req, got_resp = ((int(r["bytes_in"]), int(r["bytes_out"])) if side == "server"
                             else (int(r["bytes_out"]), int(r["bytes_in"])))
        if t["req_bytes"] is not None:
            assert (got_req, got_resp) == (t["req_bytes"], t["resp_bytes"]), \
                f"{key}: expected request/response bytes {t['req_bytes']}/{t['resp_bytes']}, " \
                f"traced {got_req}/{got_resp}"
        assert int(r["lat_n"]) == t["count"], f"{key}: {t['count']} exchanges, {r['lat_n']} timed"
        want_sse = "%d/%d/%d" % tuple(t["sse"]) if t["sse"] else None
        assert r.get("sse") == want_sse, f"{key}: expected sse {want_sse}, traced {r.get('sse')}"
