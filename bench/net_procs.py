"""The processes bench/net_cost runs and reads: the servers, the tracers
(`synctrace http`, tests/tools/net_probe, bench/netfloor), ab, and what the
kernel and /proc say about them (CPU time, BPF program run time)."""
import ctypes
import json
import os
import platform
import re
import signal
import subprocess
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AB = "/usr/bin/ab"
NODE = "/usr/bin/node"
URL_PATH = "/items/42"
OP = "GET /items/:id"
WARMUP = 3000           # requests a fresh server answers before it is measured


def cpu_s(pid):
    """CPU time of all pid's threads in seconds, from the scheduler's ns
    (/proc/PID/task/TID/schedstat; /proc/PID/stat's ticks are 10 ms)."""
    ns = 0
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            ns += int((t / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass	# a thread that just ended
    return ns / 1e9


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def tracepoint_progs():
    """BPF programs of tracing kinds loaded now (others' tracers: each
    syscall tracepoint program runs on every process's syscalls)."""
    try:
        out = subprocess.run(["bpftool", "prog", "list"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    return sum(1 for l in out.splitlines()
               if re.match(r"^\d+: (tracepoint|raw_tracepoint|tracing)\b", l))


def readline(proc, timeout, what):
    """One line of proc's stdout within timeout seconds (else kill it)."""
    out = []
    t = threading.Thread(target=lambda: out.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    if not out or not out[0]:
        proc.kill()
        raise RuntimeError(f"{what}: no line within {timeout}s")
    return out[0]


class Server:
    """The Node relay or the C server on 127.0.0.1; stop() returns the
    requests it answered, by its own count."""

    def __init__(self, kind, build):
        self.kind = kind
        if kind == "node":
            cmd = [NODE, str(ROOT / "tests/fixtures/net/relay.js")]
        else:
            cmd = [str(build / "bench" / "http_server")]
        env = dict(os.environ, NODE_PATH=str(build / "fixtures/net/node_modules"))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        hello = json.loads(readline(self.proc, 20, f"{kind} server"))
        self.port, self.pid = hello["port"], hello["pid"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        if self.proc.returncode != 0:
            raise RuntimeError(f"{self.kind} server: exit {self.proc.returncode}: {err}")
        truth = json.loads(out.splitlines()[-1])
        if self.kind == "node":
            return sum(r["count"] for k, r in truth["rows"].items()
                       if k.startswith(OP + " "))
        return truth["requests"]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def hooks_floor():
    """netfloor's kind for the hooks synctrace picks here (loader/net_session.c,
    net_hooks_pick): sock where the kernel has the socket tracepoints."""
    if os.environ.get("SYNCTRACE_NET_HOOKS") == "syscalls":
        return "tp"
    return "sock" if Path("/sys/kernel/tracing/events/sock/sock_send_length").exists() else "tp"


class Tracer:
    """`synctrace http -p PID --json` (or build/bench/netfloor -p PID: floor),
    started and waited for until its 'Tracing' line; stop() sends SIGINT and
    returns its summary's counts (the floor's: its hits)."""

    def __init__(self, args, pid, floor=None):
        if floor:
            cmd = [str(args.build / "bench" / "netfloor"), "-p", str(pid), floor]
        elif args.probe:
            cmd = [str(args.probe), "-p", str(pid)]
        else:
            cmd = [str(args.synctrace), "http", "-p", str(pid), "--json"]
        self.floor, self.probe = floor, not floor and args.probe
        ready = "net_probe: ready" if self.probe else "Tracing"
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.err = []
        started = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.err.append(line)
                if line.startswith(ready):
                    started.set()
            started.set()

        self.reader = threading.Thread(target=drain, daemon=True)
        self.reader.start()
        if not started.wait(60) or not any(l.startswith(ready) for l in self.err):
            self.kill()
            raise RuntimeError(f"{cmd[0]} did not start: {''.join(self.err).strip()}")

    def stop(self):
        """{side: count of OP rows}, the other rows, and the non-zero drops."""
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=60)
        self.reader.join(5)
        if self.proc.returncode != 0:
            raise RuntimeError(f"synctrace http: exit {self.proc.returncode}: "
                               f"{''.join(self.err).strip()}")
        if self.probe:
            return probe_counts(out)
        objs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        if self.floor:
            return objs[-1]["hits"]
        if not objs or objs[-1].get("summary") is not True:
            raise RuntimeError(f"synctrace http: no summary in {out[-300:]!r}")
        s = objs[-1]
        counts, others = {}, 0
        for o in s.get("ops", []):
            if o.get("op") == OP:
                counts[o.get("side")] = counts.get(o.get("side"), 0) + o["count"]
            else:
                others += o["count"]
        drops = {k: v for k, v in s.get("drops", {}).items() if v}
        return counts, others, drops

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


SYS_BPF, BPF_ENABLE_STATS, BPF_STATS_RUN_TIME = 321, 32, 0   # x86_64


def bpf_enable_stats():
    """BPF_ENABLE_STATS: the kernel times every BPF program's runs while the
    returned fd is open (all programs on the machine; closed, or at our
    exit, it stops: nothing is left switched on, unlike the sysctl)."""
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(16)
    attr[0] = BPF_STATS_RUN_TIME
    fd = libc.syscall(ctypes.c_long(SYS_BPF), ctypes.c_int(BPF_ENABLE_STATS), attr,
                      ctypes.c_uint(len(attr)))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "BPF_ENABLE_STATS")
    return fd


def prog_stats(pid):
    """(run_time_ns, run_cnt) summed over the BPF programs process pid holds."""
    t = c = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) != "anon_inode:bpf-prog":
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
        except OSError:
            continue
        f = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
        t += int(f.get("run_time_ns", 0))
        c += int(f.get("run_cnt", 0))
    return t, c


def probe_counts(out):
    """net_probe's dump (tests/tools/net_probe.c) read as Tracer.stop() answers."""
    counts, others, drops = {}, 0, {}
    for line in out.splitlines():
        m = re.match(r'^(server|client) (\S+) "(.*)" "(.*)" count=(\d+)', line)
        if m and m.group(3) == OP:
            counts[m.group(1)] = counts.get(m.group(1), 0) + int(m.group(5))
        elif m:
            others += int(m.group(5))
        elif line.startswith("drops"):
            drops = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line) if int(v)}
    return counts, others, drops


def ab(port, n, c):
    """ab -k to completion: (requests/s, complete, failed)."""
    p = subprocess.run([AB, "-q", "-k", "-n", str(n), "-c", str(c), "-s", "30",
                        f"http://127.0.0.1:{port}{URL_PATH}"],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"ab: exit {p.returncode}: {p.stderr.strip()}")
    num = lambda k: float(re.search(rf"^{k}:\s+([\d.]+)", p.stdout, re.M).group(1))
    return num("Requests per second"), int(num("Complete requests")), \
        int(num("Failed requests"))
