"""What the toggle part (bench/net_toggle.py) switches and samples: one
server under one ab (the toggle part), or a pair of the same server
pinned together on one CPU (the pair part).

Why a pair: this VM's speed moves by ~20 % within seconds, and each
vCPU's on its own (two servers on two CPUs drift apart by up to ±40 %),
so one server's rate, even between neighbouring windows 2 s apart, is
noisy (±13 % a window). Two servers pinned to the same CPU run at that
CPU's speed at every instant, interleaved by the scheduler, which gives
each half of the CPU (both always have work: their ab's run on the other
CPUs; a window where one had less than SHARE_OFF from half is a problem). Then server A's rate over server B's is B's CPU time per response
over A's, whatever the CPU's speed: tracing A shows as that ratio falling
by what A's responses cost more. Measured here: ±3 % a window.
What the pair cannot show: the cost that lands on both (the tracepoints'
dispatch and filter, which every process's syscalls pay: the toggle part's
floor; and the cache the traced server's programs take from the other),
so it reads the traced process's own cost, the toggle part all of it.
"""
import os
import time
from pathlib import Path

from net_procs import WARMUP, Server, ab, cpu_s
from net_steady import start_load, syscw, window

SHARE_OFF = 0.05        # A's share of the pair's CPU time at most this far from half


class Single:
    """One server and its ab (its threads wherever the scheduler puts them)."""

    def __init__(self, args, kind, conc):
        self.conc, self.loads = conc, []
        self.srv = Server(kind, args.build)
        self.pid = self.srv.pid
        self.worst_share = 0.5

    def warm(self):
        """The server warmed: its rate (req/s) while it was."""
        return ab(self.srv.port, WARMUP, self.conc)[0]

    def start_load(self, n):
        self.loads = [start_load(self.srv, self.conc, n)]

    def sample(self, seconds):
        """(rate, CPU per response, req/s) over the next seconds."""
        w = window(self.srv, seconds)
        return w["rps"], w["cpu_us"], w["rps"]

    def stop_load(self):
        """ab's first complaint if one stopped early, else None."""
        died = [l.stderr.read().strip()[:200] for l in self.loads if l.poll() is not None]
        for l in self.loads:
            if l.poll() is None:
                l.kill()
            l.wait()
        self.loads = []
        return f"ab stopped early: {died[0]}" if died else None

    def servers(self):
        return [self.srv]

    def problems(self):
        return []

    def stop(self):
        for s in self.servers():
            s.stop()

    def kill(self):
        for l in self.loads:
            if l.poll() is None:
                l.kill()
                l.wait()
        for s in self.servers():
            s.kill()


def pin(pid, cpus):
    """Every thread of pid onto cpus (threads it starts later inherit it)."""
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(t.name), cpus)
        except ProcessLookupError:
            pass        # a thread that just ended


class Pair(Single):
    """Servers A (the one traced) and B on the last CPU, their ab's on the others."""

    def __init__(self, args, kind, conc):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            raise RuntimeError("the pair part needs two CPUs")
        self.cpu, self.rest = {cpus[-1]}, set(cpus[:-1])
        super().__init__(args, kind, conc)
        self.b = None
        try:
            self.b = Server(kind, args.build)
            for s in self.servers():
                pin(s.pid, self.cpu)
        except (RuntimeError, OSError):
            self.kill()         # A, already started
            raise

    def warm(self):
        return min(ab(s.port, WARMUP, self.conc)[0] for s in self.servers())

    def start_load(self, n):
        self.loads = [start_load(s, self.conc, n, cpus=self.rest) for s in self.servers()]

    def sample(self, seconds):
        """(A's rate over B's, A's CPU per response over B's, A's req/s); A's
        share of their CPU time furthest from half, kept in worst_share."""
        srvs = self.servers()
        w0 = [(syscw(s.pid), cpu_s(s.pid)) for s in srvs]
        t0 = time.monotonic()
        time.sleep(seconds)
        w1 = [(syscw(s.pid), cpu_s(s.pid)) for s in srvs]
        t = time.monotonic() - t0
        (na, ca), (nb, cb) = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(w0, w1)]
        if na <= 0 or nb <= 0:
            # ab's own words, when it stopped (its stderr: a reset, a timeout)
            raise RuntimeError("a server answered nothing in a window: "
                               f"{self.stop_load() or 'its ab still runs'}")
        share = ca / (ca + cb) if ca + cb > 0 else 0
        if abs(share - 0.5) > abs(self.worst_share - 0.5):
            self.worst_share = share
        return na / nb, (ca / na) / (cb / nb), na / t

    def servers(self):
        return [self.srv] + ([self.b] if self.b else [])

    def problems(self):
        if abs(self.worst_share - 0.5) > SHARE_OFF:
            return [f"A had {self.worst_share * 100:.0f} % of the pair's CPU time in a window "
                    "(one waited on its ab: A/B is not a CPU-time ratio then)"]
        return []
