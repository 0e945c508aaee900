"""Shared helpers for integration tests: real BPF, real processes.

Every test here loads BPF and attaches to processes it starts itself. When
BPF cannot be used (not root, no BTF), tests skip, unless
SYNCTRACE_REQUIRE_BPF=1 (CI), which turns the skip into a failure.
"""
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("BUILD", "build")
SYNCTRACE = BUILD / "synctrace"
FX_CALLS = BUILD / "fixtures" / "procs" / "fx_calls"
FX_LIB = BUILD / "fixtures" / "procs" / "libfxlib.so"
FX_OPS = BUILD / "fixtures" / "procs" / "fx_ops"
RELAY = (BUILD / "examples" / "syncrelay").resolve()


def bpf_unavailable_reason():
    if os.geteuid() != 0:
        return "not root"
    if not Path("/sys/kernel/btf/vmlinux").exists():
        return "kernel has no BTF"
    if not Path("/sys/bus/event_source/devices/uprobe/type").exists():
        return "kernel has no uprobes"
    return None


@pytest.fixture(autouse=True)
def need_bpf(request):
    if request.node.get_closest_marker("no_bpf"):
        return
    reason = bpf_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("SYNCTRACE_REQUIRE_BPF") == "1":
        pytest.fail(f"BPF required (SYNCTRACE_REQUIRE_BPF=1) but unavailable: {reason}")
    pytest.skip(f"BPF unavailable: {reason}")


def pytest_configure(config):
    config.addinivalue_line("markers", "no_bpf: test does not load BPF")


class Workload:
    """fx_calls, started with --wait-go: the tracer attaches before 'go'."""

    def __init__(self, *args, wait_go=True):
        cmd = [str(FX_CALLS), *map(str, args)] + (["--wait-go"] if wait_go else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.pid = self.proc.pid
        if wait_go:
            line = self.proc.stdout.readline()
            assert line.startswith("ready "), f"fixture said {line!r}"

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def truth(self, timeout=60):
        """The fixture's own JSON line (waits for the workload to finish)."""
        line = self.proc.stdout.readline()
        assert line, "fixture printed no ground truth"
        return json.loads(line)

    def finish(self, timeout=30):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def start_fx_ops(*args):
    """fx_ops MODE ARGS, waiting for 'go' (see tests/fixtures/procs/fx_ops.c)."""
    p = subprocess.Popen([str(FX_OPS), *map(str, args), "--wait-go"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().startswith("ready ")
    return p


def finish_fx_ops(p):
    """Send 'go', read the fixture's truth line, let it exit."""
    p.stdin.write("go\n")
    p.stdin.flush()
    truth = json.loads(p.stdout.readline())
    p.stdin.close()
    p.wait()
    return truth


class Tracer:
    """A running synctrace; stderr is collected by a thread."""

    def __init__(self, *args, env=None, preexec=None):
        self.cmd = [str(SYNCTRACE), *map(str, args)]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, preexec_fn=preexec)
        self.err_lines = []
        self.tracing = threading.Event()
        self.out = None
        self._t = threading.Thread(target=self._read_err, daemon=True)
        self._t.start()

    def _read_err(self):
        for line in self.proc.stderr:
            self.err_lines.append(line.rstrip("\n"))
            if line.startswith("Tracing"):
                self.tracing.set()
        self.tracing.set()

    def wait_tracing(self, timeout=20):
        assert self.tracing.wait(timeout), f"no 'Tracing' line within {timeout}s"
        assert any(l.startswith("Tracing") for l in self.err_lines), \
            f"synctrace did not start: {self.err_lines}"
        return self

    def stop(self, sig=signal.SIGINT, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout=30):
        # stderr belongs to the reader thread; only stdout is read here
        out = []
        reader = threading.Thread(target=lambda: out.append(self.proc.stdout.read()),
                                  daemon=True)
        reader.start()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        reader.join(timeout=10)
        self._t.join(timeout=10)
        self.out = out[0] if out else ""
        return self.proc.returncode

    @property
    def stderr(self):
        return "\n".join(self.err_lines)

    def json(self):
        return [json.loads(l) for l in self.out.splitlines() if l.strip()]

    def summary(self):
        objs = self.json()
        assert objs and objs[-1].get("summary") is True, f"no summary in {self.out!r}"
        return objs[-1]


# The three ways calls are timed: session links (default on 6.13+),
# uprobe_multi with a task-storage stack, classic links with the same stack.
LINK_KINDS = {
    "session": ({}, "uprobe session"),
    "multi": ({"SYNCTRACE_NO_SESSION": "1"}, "uprobe_multi"),
    "classic": ({"SYNCTRACE_NO_MULTI": "1"}, "classic uprobe"),
}


def traced(command, tracer_args, fx_args, link="session", json_out=True):
    """Start fx_calls, attach `synctrace COMMAND -p PID`, run the workload and
    let the fixture exit, which ends the run. Returns (truth, tracer)."""
    env_add, kind = LINK_KINDS[link]
    w = Workload(*fx_args)
    args = ["-p", w.pid, "-v"] + (["--json"] if json_out else []) + list(tracer_args)
    t = Tracer(command, *args, env=dict(os.environ, **env_add)).wait_tracing()
    assert f" {kind} links" in t.stderr, t.stderr
    w.go()
    truth = w.truth()
    w.finish()
    assert t.wait() == 0, t.stderr          # the -p process exited: summary, exit 0
    return truth, t


def free_port():
    """A loopback TCP port nobody listens on right now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def traced_relay_demo(tracer, seconds=2):
    """Run the sample engine (1 server, 3 clients) while tracer is attached,
    stop the tracer; returns each process's own JSON summary."""
    p = subprocess.run([str(RELAY), "demo", "--port", str(free_port()), "--clients", "3",
                        "--seconds", str(seconds)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert tracer.stop() == 0, tracer.stderr
    return [json.loads(l) for l in p.stderr.splitlines() if l.startswith("{")]


def run(*args, timeout=30, **kw):
    """Run synctrace to completion: (returncode, stdout, stderr)."""
    p = subprocess.run([str(SYNCTRACE), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, **kw)
    return p.returncode, p.stdout, p.stderr


def op(summary, name):
    for o in summary["ops"]:
        if o["op"] == name:
            return o
    raise AssertionError(f"op {name} not in {[o['op'] for o in summary['ops']]}")


def rows(obj, name):
    """A watch object's rows of op name (one per label)."""
    return [o for o in obj["ops"] if o["op"] == name]


def total(obj, name):
    """Calls of op name over all its labels."""
    return sum(o["count"] for o in rows(obj, name))


def labels(obj, name):
    """{label: count} of op name."""
    return {o.get("label"): o["count"] for o in rows(obj, name)}


def totals(obj, name):
    """The op_totals entry of op name."""
    (t,) = [o for o in obj["op_totals"] if o["op"] == name]
    return t


def assert_close(name, traced, truth, tol=0.08):
    err = abs(traced - truth) / truth
    assert err <= tol, f"{name}: traced {traced} vs fixture {truth} ({err:.1%} > {tol:.0%})"


# A log-linear bucket is at most 1/16 of its lower bound wide (maps/hist_bucket.h),
# and a percentile is read inside the bucket of the value at its rank.
HIST_RES = 1 / 16


def assert_between(name, traced, inner, outer, res=HIST_RES):
    """traced within [inner, outer], widened by res for histogram estimates.

    The fixtures time every call twice: inside the points a probe fires at
    (inner) and around them (outer). Each traced call lies between its two
    times, and so the k-th smallest traced call lies between the k-th smallest
    of each: a bound that holds even when a thread is preempted in a trap,
    yet is tight (a few us apart) when nothing disturbs it."""
    lo, hi = inner * (1 - res), outer * (1 + res)
    assert lo <= traced <= hi, \
        f"{name}: traced {traced} outside fixture's [{inner}, {outer}] ±{res:.2%}"


def assert_latency_between(lat, inner, outer, pcts=("p50", "p99")):
    """Percentiles of a traced latency_ns against the fixture's inner and outer truth."""
    for p in pcts:
        assert_between(p, lat[p], inner[p], outer[p])


def assert_no_drops(summary):
    bad = {k: v for k, v in summary["drops"].items() if v}
    assert not bad, f"unexpected drops {bad}"
