"""What `watch` reads from a traced process: str(PTR, LEN) on a real C
buffer with a length (node's llhttp URL callback), exact against what node's
own parser saw."""
import http.client
import json
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, Tracer, rows, run as run_synctrace

NODE = Path("/usr/bin/node")
URL_SERVER = ROOT / "tests" / "fixtures" / "profiles" / "node_http_urls.js"
# Requests per URL; the last is longer than a label (63 bytes): cut to 63.
URLS = {"/push": 5, "/pull?since=42": 3, "/index/a%20b": 2, "/files/" + "x" * 80: 1}


def on_url_callback():
    """node's on_url callback of llhttp, Parser::Proxy<..., &Parser::on_url>::Raw(parser,
    at, length), by its mangled name (one symbol; llhttp__on_url itself takes an end
    pointer, not a length). Skips where node does not link llhttp (Debian's own)."""
    if not NODE.exists():
        pytest.skip("no /usr/bin/node")
    rc, out, _ = run_synctrace("list", NODE, "*Parser5Proxy*6on_url*")
    names = [l.split()[1] for l in out.splitlines() if l.strip().startswith("func")]
    if rc != 0 or len(names) != 1:
        pytest.skip(f"{NODE} has no one llhttp on_url callback: {names}")
    return names[0]


def test_str_with_length_reads_the_url_exactly():
    """by=str(arg1, arg2) labels by the URL itself; str(arg1) reads on into
    the request line's protocol and headers, which the same buffer holds."""
    cb = on_url_callback()
    srv = subprocess.Popen([str(NODE), str(URL_SERVER)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    try:
        ready, pid, port = srv.stdout.readline().split()
        assert ready == "ready"
        t = Tracer("watch", "-p", pid, "--json",
                   "--op", f"url {NODE}:{cb} count by=url:str(arg1, arg2)",
                   "--op", f"nul {NODE}:{cb} count by=str(arg1)").wait_tracing()
        for url, n in URLS.items():
            for _ in range(n):
                c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
                c.request("GET", url)
                assert c.getresponse().read() == b"ok"
                c.close()
        srv.stdin.close()
        truth = json.loads(srv.stdout.readline())
        assert srv.wait(timeout=10) == 0
    finally:
        if srv.poll() is None:
            srv.kill()
    assert t.wait() == 0, t.stderr
    s = t.summary()
    assert truth["urls"] == URLS, truth
    got = {r["label"]: r["count"] for r in rows(s, "url")}
    assert got == {u[:63]: n for u, n in URLS.items()}, got
    assert s["drops"]["read_failed"] == 0, s["drops"]
    # to the first NUL: the URL, then what follows it in node's buffer
    over = {r["label"]: r["count"] for r in rows(s, "nul")}
    for url, n in URLS.items():
        if len(url) < 63:
            (label,) = [k for k in over if k.startswith(url + " HTTP/1.1")]
            assert over[label] == n, (url, over)
