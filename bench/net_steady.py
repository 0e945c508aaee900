"""The steady part of bench/net_cost: one server under one steady ab -k load,
with the tracer attached and detached in turns, so that both sides of every
comparison are the same process (its JIT warmed, its heap grown) at the
same load, seconds apart.

Each round measures one window of every configuration, back to back, in an
order that rotates from round to round: untraced, untraced again (A/A: what
a difference of zero looks like), the floor (`netfloor -p SERVER`: programs
on the same tracepoints that only compare the tgid: what any tracer there
costs), `synctrace http -p IDLE` (the programs on, the server filtered out)
and `synctrace http -p SERVER`. A window starts once the tracer printed
its ready line (its load and verification are over) and a settle time has
passed, and ends before it is stopped. The rate is the server's responses
per second in the window: its write calls (/proc/PID/io syscw; both servers
write each response in one write or writev, checked over the whole part
against the server's own count), its CPU per request from schedstat.
"""
import os
import subprocess
import time
from pathlib import Path

from net_procs import AB, URL_PATH, WARMUP, Server, Tracer, ab, cpu_s, hooks_floor
from net_rounds import geo_se, guarded, med, quartiles, rotated

STEADY_CONFIGS = ["untraced", "untraced A/A", "floor traced", "other", "traced"]
SETTLE_S = 0.5          # after the tracer is ready, before the window


def syscw(pid):
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    raise RuntimeError(f"no syscw in /proc/{pid}/io")


def window(srv, seconds):
    """(responses/s, server CPU µs per response) over the next seconds."""
    w0, c0, t0 = syscw(srv.pid), cpu_s(srv.pid), time.monotonic()
    time.sleep(seconds)
    w1, c1, t1 = syscw(srv.pid), cpu_s(srv.pid), time.monotonic()
    n = w1 - w0
    if n <= 0:
        raise RuntimeError("the server answered nothing in a window (ab stopped?)")
    return {"rps": n / (t1 - t0), "cpu_us": (c1 - c0) / n * 1e6, "responses": n}


def one_window(args, srv, cfg, idle_pid):
    """A window of cfg, its tracer started before and stopped after."""
    res = {"problems": []}
    tr = None
    try:
        if cfg.startswith("untraced"):
            time.sleep(SETTLE_S)
            res.update(window(srv, args.window))
            return res
        tr = Tracer(args, srv.pid if cfg.endswith("traced") else idle_pid,
                    floor=hooks_floor() if cfg.startswith("floor") else None)
        time.sleep(SETTLE_S)
        res.update(window(srv, args.window))
        if tr.floor:
            hits = tr.stop()
            if hits < res["responses"]:
                res["problems"].append(f"floor saw {hits} syscalls")
        else:
            counts, others, drops = tr.stop()
            # the tracer ran before and after the window: it saw at least its responses
            seen = counts.get("server", 0)
            ok = (seen >= res["responses"]) if cfg == "traced" else not counts
            if not ok or others or drops:
                res["problems"].append(f"traced {counts} (+{others} other, drops {drops}), "
                                       f"window {res['responses']}")
        tr = None
    finally:
        if tr:
            tr.kill()
    return res


def start_load(srv, conc, n, cpus=None):
    """ab -k on srv in the background (on cpus alone, if given)."""
    return subprocess.Popen([AB, "-q", "-k", "-n", str(n), "-c", str(conc), "-s", "30",
                             f"http://127.0.0.1:{srv.port}{URL_PATH}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)


def steady_server(args, kind, conc, idle_pid):
    """Every round's windows for one server: {cfg: [window, ...]}, and problems.
    ab runs a round at a time (it keeps a record of every request: -n is
    three times what the round needs at the warm-up's rate, or at 50,000/s
    if more: a warm-up is slower than the server warmed)."""
    runs = {cfg: [] for cfg in STEADY_CONFIGS}
    problems = []
    srv = Server(kind, args.build)
    load = None
    round_s = len(STEADY_CONFIGS) * (args.window + SETTLE_S + 3)
    try:
        rate = ab(srv.port, WARMUP, conc)[0]
        w0 = syscw(srv.pid)
        for r in range(args.windows):
            load = start_load(srv, conc, int(max(rate, 50000) * round_s * 3))
            time.sleep(1)
            for cfg in rotated(STEADY_CONFIGS, r):
                runs[cfg].append(guarded(one_window, args, srv, cfg, idle_pid))
            if load.poll() is not None:
                problems.append(f"ab stopped early: {load.stderr.read().strip()[:200]}")
            load.kill()
            load.wait()
            load = None
        time.sleep(0.5)         # the last responses in flight
        writes = syscw(srv.pid) - w0
        served = srv.stop() - WARMUP
        # a write a response (a killed ab's last exchanges aside)
        if abs(writes - served) > max(0.01 * served, 2 * conc * args.windows):
            problems.append(f"{writes} writes for {served} responses")
    finally:
        if load and load.poll() is None:
            load.kill()
            load.wait()
        srv.kill()
    return runs, problems


def report_steady(results, conc, args, config_text, server_text):
    print(f"### Requests/s of one server under a steady ab -k, the tracer attached and "
          f"detached in turns ({args.windows} rounds of {args.window:g} s windows, "
          f"GET {URL_PATH})\n")
    print("| server | ab -c | configuration | req/s | range | × untraced, paired | lost | "
          "lost, middle half of rounds | × untraced, geometric mean ± standard error | "
          "server CPU µs/req | × CPU/req, paired | problems |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for k in args.servers:
        runs, probs_all = results[k]
        base = runs["untraced"]
        for cfg in STEADY_CONFIGS:
            rs = runs[cfg]
            ok = [(b, x) for b, x in zip(base, rs) if "rps" in b and "rps" in x]
            rps = [x["rps"] for x in rs if "rps" in x]
            ratios = [x["rps"] / b["rps"] for b, x in ok]
            cpu = [x["cpu_us"] / b["cpu_us"] for b, x in ok]
            probs = sorted({p for x in rs for p in x["problems"]} |
                           (set(probs_all) if cfg == "untraced" else set()))
            first = cfg == "untraced"
            lo, hi = quartiles(ratios) if ratios else (float("nan"),) * 2
            print(f"| {server_text[k]} | {conc[k]} | {config_text[cfg]} | "
                  f"{med(rps):,.0f} | "
                  f"{(f'{min(rps):,.0f}–{max(rps):,.0f}') if rps else '—'} | "
                  f"{'—' if first else f'{med(ratios):.3f}'} | "
                  f"{'—' if first else f'{(1 - med(ratios)) * 100:.1f} %'} | "
                  f"{'—' if first else f'{(1 - hi) * 100:.1f}…{(1 - lo) * 100:.1f} %'} | "
                  f"{'—' if first or not ratios else '%.3f ± %.3f' % geo_se(ratios)} | "
                  f"{med([x['cpu_us'] for x in rs if 'cpu_us' in x]):.1f} | "
                  f"{'—' if first else f'{med(cpu):.3f}'} | "
                  f"{'; '.join(probs) if probs else 'none'} |")
    print()
