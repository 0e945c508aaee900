"""What `watch` reads from a traced process: str(PTR, LEN) on a real C
buffer with a length (node's llhttp URL callback), exact against what node's
own parser saw; and strings and numbers in pages the process has not touched
yet (tests/fixtures/procs/fx_cold.c), which only a sleepable program can
read."""
import http.client
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, ROOT, Tracer, rows, run as run_synctrace

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
    rc, out, _ = run_synctrace("list", "--mangled", NODE, "*Parser5Proxy*6on_url*")
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


# ---- pages the process has not touched yet --------------------------------

FX_COLD = BUILD / "fixtures" / "procs" / "fx_cold"
COLD_CALLS = 200
SLEEPABLE = "reads: sleepable programs"


def watch_cold(*ops, env=None):
    """fx_cold COLD_CALLS under watch -v -p: (summary, truth, stderr). Each call's
    key and number lie in pages the fixture never touched before the call."""
    p = subprocess.Popen([str(FX_COLD), str(COLD_CALLS), "--wait-go"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("ready "), line
    args = ["watch", "-v", "-p", p.pid, "--json"]
    for o in ops:
        args += ["--op", o]
    t = Tracer(*args, env=env).wait_tracing()
    p.stdin.write("go\n")
    p.stdin.close()
    truth = json.loads(p.stdout.readline())
    assert p.wait(timeout=30) == 0
    assert t.wait() == 0, t.stderr
    # the condition the test is about: no call found its pages mapped beforehand
    assert truth["calls"] == COLD_CALLS and truth["mapped_before"] == 0, truth
    return t.summary(), truth, t.stderr


@pytest.mark.parametrize("op,links", [("k cold_lookup count by=str(arg0)", "uprobe_multi"),
                                      ("k cold_lookup count by=str(arg0, arg1)", "uprobe_multi"),
                                      ("k cold_lookup count by=str(arg0)", "classic uprobe")])
def test_string_in_a_page_never_touched_is_read(op, links):
    """A non-sleepable program cannot fault a page in: every read failed.
    The sleepable one faults it in: exact labels, nothing failed; on
    multi-uprobe links and on classic (perf event) ones alike."""
    env = dict(os.environ, **({"SYNCTRACE_NO_MULTI": "1"} if links.startswith("classic")
                              else {}))
    s, truth, err = watch_cold(op, env=env)
    assert SLEEPABLE in err and f" {links} links" in err, err
    got = {r["label"]: r["count"] for r in rows(s, "k")}
    assert got == truth["routes"], (got, truth)
    assert s["drops"]["read_failed"] == 0, s["drops"]


def test_number_in_a_page_never_touched_is_read():
    s, truth, err = watch_cold("v cold_lookup count value=u64(arg2)")
    assert SLEEPABLE in err, err
    (v,) = rows(s, "v")
    assert v["count"] == COLD_CALLS and v["value"]["sum"] == truth["num_sum"], v
    assert s["drops"]["read_failed"] == 0, s["drops"]


def test_reads_that_still_fail_are_counted():
    """What no fault brings in (address 12: arg1, the length, read as a
    pointer) fails and is counted, sleepable or not; without sleepable
    programs (SYNCTRACE_NO_SLEEPABLE=1, as on a kernel without them) the
    untouched pages fail too, each read counted."""
    s, truth, err = watch_cold("bad cold_lookup count value=u64(arg1)")
    assert SLEEPABLE in err, err
    assert rows(s, "bad")[0]["count"] == COLD_CALLS
    assert s["drops"]["read_failed"] == COLD_CALLS, s["drops"]

    s, truth, err = watch_cold("k cold_lookup count by=str(arg0)",
                               env=dict(os.environ, SYNCTRACE_NO_SLEEPABLE="1"))
    assert "reads: non-sleepable programs" in err, err
    assert {r["label"]: r["count"] for r in rows(s, "k")} == {"": COLD_CALLS}
    assert s["drops"]["read_failed"] == COLD_CALLS, s["drops"]
