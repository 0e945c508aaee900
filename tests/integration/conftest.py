"""Shared helpers for integration tests: real BPF, real processes.

Every test here loads BPF and attaches to processes it starts itself. When
BPF cannot be used (not root, no BTF), tests skip, unless
SYNCTRACE_REQUIRE_BPF=1 (CI), which turns the skip into a failure.

A test that traces a file without -p counts every process running that file,
its own and any other on the host: such a test traces a private copy of the
file (`Private`, the `private` fixtures), which only its own processes run.
tests/disturb.py runs the suite among busy other copies to prove it.
"""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("BUILD", "build")
SYNCTRACE = BUILD / "synctrace"
FX_CALLS = BUILD / "fixtures" / "procs" / "fx_calls"
FX_LIB = BUILD / "fixtures" / "procs" / "libfxlib.so"
FX_OPS = BUILD / "fixtures" / "procs" / "fx_ops"
FX_PAIRS = BUILD / "fixtures" / "procs" / "fx_pairs"
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


def require_installed(what, reason):
    """Skip the test when `what` is missing (reason: why, or None when it is
    there), or fail it under SYNCTRACE_REQUIRE_BPF=1 (CI), where a skip would
    hide a missing install."""
    if not reason:
        return
    if os.environ.get("SYNCTRACE_REQUIRE_BPF") == "1":
        pytest.fail(f"{what} required (SYNCTRACE_REQUIRE_BPF=1): {reason}")
    pytest.skip(reason)


def pytest_configure(config):
    config.addinivalue_line("markers", "no_bpf: test does not load BPF")


class Private:
    """A unique temporary directory of private copies of traced files (and of
    ops files naming them), removed at the end. A process started from a copy
    maps the copy, another inode than the system's file: a probe on the copy
    fires in the test's own processes only, whatever else runs on the host."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="synctrace-private-"))
        os.chmod(self.dir, 0o755)           # servers that run as another user read it too

    def copy(self, src, name=None):
        """A copy of the file src (or of its target, if a link: the file a
        process maps), as DIR/name (default: src's own name)."""
        dst = self.dir / (name or Path(src).name)
        shutil.copy2(os.path.realpath(src), dst)
        return dst

    def fx_calls(self):
        """fx_calls and libfxlib.so side by side: the copy's rpath ($ORIGIN)
        loads the library copy."""
        self.copy(FX_LIB)
        return self.copy(FX_CALLS)

    def ops(self, src, paths):
        """A copy of ops file src in which only the binaries change: paths
        maps a binary as src names it (a selector's path, a probe's path or
        short name) to the private copy that replaces it."""
        return write_private_ops(src, self.dir / Path(src).name, paths)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def write_private_ops(src, dst, paths):
    """Write ops file src to dst with each binary of paths replaced, in
    selector lines (`SEL=PATH`) and in probes (`PATH:func`, `usdt:PATH:...`);
    comments and everything else stay as they are. Each binary must occur."""
    used = dict.fromkeys(paths, 0)
    out = []
    for line in Path(src).read_text().splitlines(keepends=True):
        code, hash_, comment = line.partition("#")
        for old, new in paths.items():
            code, n1 = re.subn(rf"^(\s*\w+\s*=\s*){re.escape(old)}(?=\s*$)",
                               lambda m: m.group(1) + str(new), code)
            code, n2 = re.subn(rf"(?<![\w/.\-]){re.escape(old)}:", lambda m: f"{new}:", code)
            used[old] += n1 + n2
        out.append(code + hash_ + comment)
    missing = [k for k, n in used.items() if not n]
    assert not missing, f"{src} names no {missing}"
    Path(dst).write_text("".join(out))
    return dst


@contextlib.contextmanager
def private_dir():
    d = Private()
    try:
        yield d
    finally:
        d.remove()


@pytest.fixture
def private():
    with private_dir() as d:
        yield d


@pytest.fixture(scope="module")
def private_module():
    with private_dir() as d:
        yield d


@pytest.fixture(scope="session")
def private_session():
    with private_dir() as d:
        yield d


def mapped_files(pid):
    """The files pid maps, as /proc/PID/maps names them."""
    with open(f"/proc/{pid}/maps") as f:
        return {parts[5].rstrip("\n") for parts in (l.split(None, 5) for l in f)
                if len(parts) == 6 and parts[5].startswith("/")}


def assert_maps_private(pid, private_copy, system_file):
    """pid maps the private copy, and not the system's file it copies."""
    files = mapped_files(pid)
    system = os.path.realpath(system_file)
    names = (Path(private_copy).name, Path(system).name)
    assert str(private_copy) in files and system not in files, \
        f"pid {pid} should map {private_copy}, not {system}: " \
        f"{sorted(f for f in files if Path(f).name in names)}"


def wait_maps_private(proc, private_copy, system_file, timeout=10):
    """assert_maps_private on a process just started (a short-lived client):
    once its loader has mapped one of the two files."""
    names = {str(private_copy), os.path.realpath(system_file)}
    end = time.monotonic() + timeout
    while not names & mapped_files(proc.pid):
        assert proc.poll() is None, f"pid {proc.pid} exited before it was checked"
        assert time.monotonic() < end, f"pid {proc.pid} mapped neither of {names}"
        time.sleep(0.001)
    assert_maps_private(proc.pid, private_copy, system_file)


class Workload:
    """fx_calls (or a copy of it), started with --wait-go: the tracer attaches before 'go'."""

    def __init__(self, *args, wait_go=True, binary=FX_CALLS):
        cmd = [str(binary), *map(str, args)] + (["--wait-go"] if wait_go else [])
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


def start_fx_ops(*args, binary=FX_OPS):
    """fx_ops (or a copy of it) MODE ARGS, waiting for 'go' (see tests/fixtures/procs/fx_ops.c)."""
    p = subprocess.Popen([str(binary), *map(str, args), "--wait-go"], stdin=subprocess.PIPE,
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


def traced_relay_demo(tracer, relay, seconds=2):
    """Run the sample engine relay (a private copy: 1 server, 3 clients) while
    tracer is attached, stop the tracer; returns each process's own JSON summary."""
    p = subprocess.run([str(relay), "demo", "--port", str(free_port()), "--clients", "3",
                        "--seconds", str(seconds)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert tracer.stop() == 0, tracer.stderr
    return [json.loads(l) for l in p.stderr.splitlines() if l.startswith("{")]


def read_pty(master):
    """All a pseudo-terminal's master side got, until its slave side closed."""
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out


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
