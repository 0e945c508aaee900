"""--prometheus: Debian's real Prometheus server scrapes synctrace while it traces fx_ops.

The fixture prints its own exact counts; Prometheus' HTTP API must return
them (the raw counters and increase()), histogram_quantile() must agree with
synctrace's own p95 within the exposed bucket, and promtool must find a
scrape clean. Other tests: scrapes never reset anything, the address is
loopback unless one is given, and bad values are usage errors.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import (ROOT, Tracer, free_port, require_installed, rows, run, start_fx_ops)

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
REQ = "req fxo_request error=ret<0 value=arg1"
ROUTE = "route fxo_request count by=str(arg0)"


def need_prometheus():
    missing = [p for p in (PROMETHEUS, PROMTOOL) if not os.access(p, os.X_OK)]
    require_installed("prometheus", missing and f"{missing} not installed (Debian prometheus)")


def get(url, method="GET", timeout=10):
    """(status, body) of one HTTP request."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(what, pred, timeout=30, step=0.2):
    """pred()'s first true value; the timeout only guards against a hang."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def samples(page, name):
    """{labels text: value} of one series name in an exposition page."""
    out = {}
    for line in page.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, _, value = line.rpartition(" ")
            out[key[len(name):]] = float(value)
    return out


class PromServer:
    """A real Prometheus on loopback scraping synctrace every second."""

    def __init__(self, tmp_path, target_port):
        self.port = free_port()
        cfg = tmp_path / "prometheus.yml"
        cfg.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: synctrace\n    scrape_interval: 1s\n"
            "    scrape_timeout: 1s\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.log = open(tmp_path / "prometheus.log", "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for("prometheus ready",
                 lambda: self.proc.poll() is None and self._ready() or self._dead())

    def _ready(self):
        try:
            return get(self.url + "/-/ready", timeout=2)[0] == 200
        except OSError:
            return False

    def _dead(self):
        assert self.proc.poll() is None, f"prometheus exited {self.proc.returncode}"
        return False

    def query(self, expr, at=None):
        """The instant vector of expr: [(labels, value)]."""
        args = {"query": expr}
        if at is not None:
            args["time"] = f"{at:.3f}"
        status, body = get(self.url + "/api/v1/query?" + urllib.parse.urlencode(args))
        assert status == 200, body
        data = json.loads(body)["data"]
        assert data["resultType"] == "vector", data
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def value(self, expr, at=None):
        res = self.query(expr, at)
        assert len(res) == 1, f"{expr}: {res}"
        return res[0][1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def le_width_around(page, name_labels, q):
    """The width of the exposed bucket that holds q (seconds)."""
    les = sorted(float(k.split('le="')[1].rstrip('"}')) for k in
                 samples(page, "synctrace_op_latency_seconds_bucket")
                 if name_labels in k and "+Inf" not in k)
    for lo, hi in zip([0.0] + les, les):
        if lo < q <= hi:
            return hi - lo
    raise AssertionError(f"{q} outside the exposed buckets {les}")


def test_real_prometheus_sees_exact_counts_and_synctrace_p95(tmp_path):
    need_prometheus()
    fx = start_fx_ops("labels", 700, 5, "--hold")
    port = free_port()
    t = Tracer("watch", "-p", fx.pid, "--json", "--prometheus", port,
               "--op", REQ, "--op", ROUTE).wait_tracing()
    prom = PromServer(tmp_path, port)
    try:
        # two scrapes of req at 0 before the first call: increase() starts from 0
        wait_for("two scrapes before the workload", lambda: prom.query(
            'count_over_time(synctrace_op_calls_total{op="req"}[5m]) >= 2'))
        assert prom.value('synctrace_op_calls_total{op="req"}') == 0
        fx.stdin.write("go\n")
        fx.stdin.flush()
        truth = json.loads(fx.stdout.readline())
        done = time.time()
        # a scrape of an interval drained after the workload's last call
        wait_for("a scrape after the workload", lambda: prom.query(
            f"synctrace_last_interval_timestamp_seconds > {done:.3f}"))
        page = get(f"http://127.0.0.1:{port}/metrics")[1]

        assert prom.value('synctrace_op_calls_total{op="req"}') == truth["calls"] == 700
        assert prom.value('synctrace_op_errors_total{op="req"}') == truth["errors"] > 0
        by_route = {m["label"]: v for m, v in
                    prom.query('synctrace_op_calls_total{op="route"}')}
        assert by_route == {r: float(v["calls"]) for r, v in truth["routes"].items()}
        # increase() at the last sample's own time: no extrapolation either side
        last = prom.value('timestamp(synctrace_op_calls_total{op="req"})')
        assert prom.value('increase(synctrace_op_calls_total{op="req"}[10m])', at=last) == 700
        assert prom.value('increase(synctrace_op_errors_total{op="req"}[10m])',
                          at=last) == truth["errors"]
        assert prom.value('synctrace_op_value_sum{op="req"}') == truth["bytes_ok"]
        q95 = prom.value('histogram_quantile(0.95, synctrace_op_latency_seconds_bucket'
                         '{op="req"})')

        check = subprocess.run([PROMTOOL, "check", "metrics"], input=page, text=True,
                               capture_output=True, timeout=30)
        assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), \
            check.stdout + check.stderr
    finally:
        prom.stop()
        assert t.stop() == 0, t.stderr
        fx.stdin.close()
        fx.wait()
    (req,) = rows(t.summary(), "req")
    p95 = req["latency_ns"]["p95"] / 1e9
    width = le_width_around(page, 'op="req"', q95)
    assert abs(q95 - p95) <= width, \
        f"histogram_quantile p95 {q95} vs synctrace's {p95}: more than a bucket ({width}) apart"


def listening(pid, port):
    """The local IPv4 addresses pid's sockets listen on at port (/proc/PID/net/tcp)."""
    out = []
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, p = local.split(":")
        if state == "0A" and int(p, 16) == port:
            out.append(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return out


@pytest.mark.parametrize("where", ["default", "any"])
def test_scrapes_never_reset_and_the_address_is_loopback_unless_asked(where):
    fx = start_fx_ops("labels", 140, 5, "--hold")
    port = free_port()
    arg = str(port) if where == "default" else f"0.0.0.0:{port}"
    t = Tracer("watch", "-p", fx.pid, "--prometheus", arg, "--op", REQ).wait_tracing()
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        assert listening(t.proc.pid, port) == \
            (["127.0.0.1"] if where == "default" else ["0.0.0.0"])
        fx.stdin.write("go\n")
        fx.stdin.flush()
        truth = json.loads(fx.stdout.readline())
        first = wait_for("the calls on /metrics", lambda: (lambda p: p if samples(
            p, "synctrace_op_calls_total").get('{op="req"}') == truth["calls"] else None)(
            get(url)[1]))
        n = samples(first, "synctrace_intervals_total")[""]
        # a later interval, scraped again: still every call, nothing reset
        second = wait_for("a later interval", lambda: (lambda p: p if samples(
            p, "synctrace_intervals_total")[""] > n else None)(get(url)[1]))
        for name in ("synctrace_op_calls_total", "synctrace_op_errors_total",
                     "synctrace_op_latency_seconds_count"):
            assert samples(second, name) == samples(first, name), name
        assert samples(second, "synctrace_op_calls_total")['{op="req"}'] == 140
        assert get(url.replace("/metrics", "/other"))[0] == 404
        assert get(url, method="POST")[0] == 405
    finally:
        assert t.stop() == 0, t.stderr
        fx.stdin.close()
        fx.wait()


@pytest.mark.parametrize("value", ["abc", "0", "65536", "9464x", "", ":9464", "127.0.0.1:",
                                   "localhost:9464", "1.2.3:9464", "::1:9464",
                                   "127.0.0.1:99999999999"])
def test_bad_prometheus_value_is_one_line_and_exit_2(value):
    fx = start_fx_ops("labels", 7, 1)
    try:
        rc, _, err = run("watch", "-p", fx.pid, "--prometheus", value, "--op", REQ, timeout=10)
    finally:
        fx.kill()
        fx.wait()
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and "--prometheus" in lines[0], f"exit {rc}: {err!r}"


def test_port_in_use_is_one_line_exit_1_before_attaching():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        fx = start_fx_ops("labels", 7, 1)
        try:
            rc, _, err = run("count", "-p", fx.pid, "--prometheus", port, "fxo_request",
                             timeout=10)
        finally:
            fx.kill()
            fx.wait()
    lines = err.strip().splitlines()
    assert rc == 1 and len(lines) == 1, f"exit {rc}: {err!r}"
    assert f"--prometheus {port}: cannot listen: Address already in use" in lines[0], lines


def grafana_vars(expr):
    """A dashboard query with Grafana's variables as Prometheus would get them."""
    return re.sub(r"\$(\w+)", "x", expr.replace("$__rate_interval", "5m"))


@pytest.mark.no_bpf
def test_contrib_rules_and_dashboard_are_valid(tmp_path):
    need_prometheus()
    contrib = ROOT / "contrib"
    for args in (["check", "rules", "synctrace-alerts.yml"],
                 ["test", "rules", "synctrace-alerts.test.yml"]):
        check = subprocess.run([PROMTOOL, *args], cwd=contrib, capture_output=True,
                               text=True, timeout=60)
        assert check.returncode == 0 and "SUCCESS" in check.stdout, \
            check.stdout + check.stderr
    dash = json.loads((contrib / "grafana-synctrace.json").read_text())
    exprs = [tg["expr"] for p in dash["panels"] for tg in p.get("targets", [])]
    assert exprs and all("synctrace_" in e for e in exprs)
    # every query parses: promtool has no PromQL check of its own, so each is
    # checked as a recording rule
    rules = tmp_path / "dash.yml"
    rules.write_text("groups:\n  - name: dashboard\n    rules:\n" + "".join(
        f"      - record: dashboard:q{i}\n        expr: {json.dumps(grafana_vars(e))}\n"
        for i, e in enumerate(exprs)))
    check = subprocess.run([PROMTOOL, "check", "rules", rules], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr + rules.read_text()


@pytest.mark.no_bpf
def test_contrib_systemd_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze not installed (the unit is only checked where it is)")
    from conftest import SYNCTRACE
    unit = (ROOT / "contrib" / "synctrace@.service").read_text()
    assert "--prometheus ${SYNCTRACE_PROMETHEUS}" in unit and "watch --profile %i" in unit
    # the installed path, here the binary just built
    inst = tmp_path / "synctrace@usdt-sync.service"
    inst.write_text(unit.replace("/usr/local/bin/synctrace", str(SYNCTRACE)))
    check = subprocess.run([analyze, "verify", inst], capture_output=True, text=True,
                           timeout=60)
    assert check.returncode == 0 and not check.stderr.strip(), check.stdout + check.stderr
