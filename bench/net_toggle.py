"""The toggle and pair parts of bench/net_cost: one server under one steady
ab -k load (or a pair, bench/net_pair.py), its tracing switched on and off
every few seconds, each traced window compared with the untraced windows
on both sides of it.

Why: this VM's speed moves in plateaus of several seconds (a relay's rate
measured every 0.25 s: 21 % standard deviation; correlation 0.85 at 0.5 s,
0.66 at 2 s, 0 at 16 s), so two windows compare well only when they are
close in time. Starting `synctrace http` takes ~0.7 s of verification and
stopping it ~0.7 s more, which puts the steady part's windows ~20 s apart.
Here build/tests/net_probe -T loads and verifies bpf/net.bpf.c's programs
once (the very programs `synctrace http -p PID` runs) and attaches
(~10 ms) or detaches (~0.35 s) the syscall tracepoint programs on command:
the windows are 2 s apart.

The sequence is U M U M U ..., every M window between two untraced U
windows; the M windows are, in turns, traced, the floor (a second
net_probe -T -F: the same programs on the same tracepoints, stopping after
their filter: what any tracer there costs) and untraced (A/A: what a ratio
of 1 reads as), with the same commands and waits around them (an "off"
that finds them off answers at once: the wait is padded to the same
length). A slot's ratio is M over the geometric mean of its two U
neighbours, so a steady drift cancels too. The rate is the server's write
calls per second (/proc/PID/io syscw: one write or writev a response);
beside it, the server's CPU time per response, the same way.
What the traced windows lose is everything tracing takes from the server:
the tracepoints' dispatch on its syscalls, the programs' filter and work.
Not in it: synctrace's user space (its drain, ~0 % of a CPU at -i 1:
the throughput part's column).
"""
import math
import signal
import subprocess
import time

from net_pair import Pair, Single
from net_procs import probe_counts
from net_rounds import geo_se, med, quartiles

GAP_S = 1.0             # between windows: a detach (0.35 s idle, ~0.6 s under load) and settling
SLOTS_PER_LOAD = 20     # ab runs this many slots, then starts afresh (it keeps every request)


class Switch:
    """net_probe -p PID -T: the programs loaded once, switched by command."""

    def __init__(self, args, pid, floor=False):
        cmd = [str(args.build / "tests" / "net_probe"), "-p", str(pid), "-T"]
        self.proc = subprocess.Popen(cmd + (["-F"] if floor else []), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     bufsize=1)
        line = self.proc.stderr.readline()
        if not line.startswith("net_probe: ready"):
            self.kill()
            raise RuntimeError(f"net_probe -T did not start: {line.strip()}")

    def set(self, state):
        self.proc.stdin.write(state + "\n")
        self.proc.stdin.flush()
        got = self.proc.stderr.readline().strip()
        if got != state:
            raise RuntimeError(f"net_probe -T: asked {state}, answered {got!r}")

    def stop(self):
        """Its rows as Tracer.stop() gives them."""
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        if self.proc.returncode != 0:
            raise RuntimeError(f"net_probe -T: exit {self.proc.returncode}: {err.strip()}")
        return probe_counts(out)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def gap(switch, state, slow):
    """The switch set to state, then a wait: GAP_S in all from the call
    (a switch that took longer is noted in slow, the longest kept)."""
    t0 = time.monotonic()
    switch.set(state)
    took = time.monotonic() - t0
    if took > GAP_S:
        slow[state] = max(slow.get(state, 0), took)
    time.sleep(max(0, GAP_S - took))


MIDDLES = ["traced", "floor", "untraced"]


def toggle_server(args, kind, conc, pair=False):
    """{middle: [(rate ratio, CPU-per-response ratio), ...]}, the U rates, problems.
    pair: the windows read A's rate over B's (bench/net_pair.py), A traced."""
    ratios = {m: [] for m in MIDDLES}
    urates, problems, slow = [], [], {}
    subj = (Pair if pair else Single)(args, kind, conc)
    sws = {}
    try:
        warm = subj.warm()
        sws = {"traced": Switch(args, subj.pid), "floor": Switch(args, subj.pid, floor=True)}
        for sw in sws.values():
            sw.set("off")
        slot, slots = 0, len(MIDDLES) * args.windows
        while slot < slots:
            slot_s = 2 * args.toggle_window + 2 * GAP_S
            subj.start_load(int(max(warm, 50000) * SLOTS_PER_LOAD * slot_s * 2))
            time.sleep(1)
            before = subj.sample(args.toggle_window)
            for _ in range(min(SLOTS_PER_LOAD, slots - slot)):
                mid_kind = MIDDLES[slot % len(MIDDLES)]
                # untraced: the traced switch told "off" (already): the same waits
                sw = sws.get(mid_kind, sws["traced"])
                gap(sw, "off" if mid_kind == "untraced" else "on", slow)
                mid = subj.sample(args.toggle_window)
                gap(sw, "off", slow)
                after = subj.sample(args.toggle_window)
                ratios[mid_kind].append(tuple(m / math.sqrt(b * a)
                                              for m, b, a in zip(mid[:2], before, after)))
                urates.append(before[2])
                before = after
                slot += 1
            died = subj.stop_load()
            if died:
                problems.append(died)
        problems += [f"switching {k} took up to {v:.2f} s (over the gap)"
                     for k, v in slow.items()] + subj.problems()
        counts, others, drops = sws.pop("traced").stop()
        if not counts.get("server"):
            problems.append(f"the traced windows counted nothing: {counts}")
        # switched on mid-exchange, a connection's first response finds no request
        drops.pop("lost_sync", None)
        if others or drops:
            problems.append(f"other rows {others}, drops {drops}")
        counts, others, drops = sws.pop("floor").stop()
        if counts or others:
            problems.append(f"the floor counted {counts} (+{others})")
        subj.stop()
    finally:
        for sw in sws.values():
            sw.kill()
        subj.kill()
    return ratios, urates, problems


def report_toggle(results, conc, args, server_text, pair=False):
    what = ("A's requests/s over B's, two servers pinned to one CPU, A's tracing"
            if pair else "Requests/s of one server, its tracing")
    print(f"### {what} switched on and off "
          f"({args.windows} windows of {args.toggle_window:g} s of each kind, each between "
          f"two untraced ones, {GAP_S:g} s apart)\n")
    print(f"| server | ab -c{' (each)' if pair else ''} | middle window | "
          "× its untraced neighbours, median | lost | "
          "lost, middle half | geometric mean ± standard error | lost, 95 % upper bound | "
          "CPU per response, × neighbours (geometric mean ± SE) | "
          f"req/s{' of A' if pair else ''}, untraced windows | "
          "problems |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    texts = {"untraced": "untraced (A/A: the noise)",
             "floor": "floor (`net_probe -T -F`: the same tracepoints, filter only"
                      + (": B pays it too, so ~1 here)" if pair else ")"),
             "traced": "traced (`net_probe -T`: bpf/net.bpf.c, -p PID)"}
    for k in args.servers:
        ratios, urates, probs = results[k]
        for m in ("untraced", "floor", "traced"):
            rs = [r for r, _ in ratios[m]]
            cs = [c for _, c in ratios[m]]
            if rs:
                lo, hi = quartiles(rs)
                g, se = geo_se(rs)
                cg, cse = geo_se(cs)
                cells = [f"{med(rs):.3f}", f"{(1 - med(rs)) * 100:.1f} %",
                         f"{(1 - hi) * 100:.1f}…{(1 - lo) * 100:.1f} %",
                         f"{g:.3f} ± {g * se:.3f}",
                         f"{(1 - g * math.exp(-1.96 * se)) * 100:.1f} %",
                         f"{cg:.3f} ± {cg * cse:.3f}"]
            else:
                cells = ["—"] * 6
            print(f"| {server_text[k]} | {conc[k]} | {texts[m]} | {' | '.join(cells)} | "
                  f"{med(urates):,.0f} | {'; '.join(probs) if probs else 'none'} |")
    print()
