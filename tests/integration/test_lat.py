"""`synctrace lat` against fx_calls, which reports its own exact calls and durations."""
import signal
import time

import pytest

from conftest import (FX_CALLS, LINK_KINDS, Tracer, Workload, assert_between,
                      assert_latency_between, assert_no_drops, op, run, traced)


def traced_workload(tracer_args, *fx_args, link="session"):
    return traced("lat", tracer_args, fx_args, link=link)


def check_latency(o, truth, inner="work_inner", outer="work"):
    """Exact count; p50 and p99 between the fixture's inner and outer timings."""
    inner, outer = truth[inner], truth[outer]
    assert o["count"] == outer["count"], f"expected {outer['count']} calls, traced {o['count']}"
    assert_latency_between(o["latency_ns"], inner, outer)


def test_counts_exact_and_percentiles_within_the_fixtures_timings():
    truth, t = traced_workload(["fx_work"], "--calls", 400)
    s = t.summary()
    check_latency(op(s, "fx_work"), truth)
    assert op(s, "fx_work")["target"].endswith("fx_calls:fx_work")
    assert_no_drops(s)
    assert "pid" in t.stderr and "exited" in t.stderr


def test_two_threads_each_timed_on_their_own():
    truth, t = traced_workload(["fx_work"], "--threads", 2, "--calls", 300)
    check_latency(op(t.summary(), "fx_work"), truth)


@pytest.mark.parametrize("link", LINK_KINDS)
def test_recursion_keeps_the_outer_call_time(link):
    truth, t = traced_workload(["fx_recurse"], "--calls", 60, "--recurse", 3, link=link)
    o = op(t.summary(), "fx_recurse")
    assert o["count"] == truth["calls"]["fx_recurse"]
    # every level, timed by the fixture inside itself and around it: a corrupted
    # outer start would cut the outermost level (the top quarter) to one level's time
    check_latency(o, truth, "recurse_levels", "recurse_levels_outer")
    # the max is kept exactly, so no bucket's width here
    assert_between("max", o["latency_ns"]["max"], truth["recurse_levels"]["max"],
                   truth["recurse_levels_outer"]["max"], res=0)
    assert_no_drops(t.summary())


def test_shared_library_function_by_short_name():
    truth, t = traced_workload(["libfxlib:fxlib_work"], "--lib", "--calls", 300)
    o = op(t.summary(), "fxlib_work")
    check_latency(o, truth)
    assert "libfxlib.so:fxlib_work" in o["target"]


def test_attach_to_running_process_counts_only_calls_after_attach():
    truth, t = traced_workload(["fx_work"], "--pre", 100, "--calls", 200)
    assert op(t.summary(), "fx_work")["count"] == 200


def test_binary_without_pid_traces_processes_started_later(private):
    fx = private.fx_calls()               # other fx_calls on the host are not counted
    t = Tracer("lat", "--json", f"{fx}:fx_work").wait_tracing()
    assert "every process running" in t.stderr
    w = Workload("--calls", 150, "--threads", 2, wait_go=False, binary=fx)
    truth = w.truth()
    w.finish()
    assert t.stop() == 0, t.stderr
    check_latency(op(t.summary(), "fx_work"), truth)


def test_intervals_add_up_to_the_summary():
    truth, t = traced_workload(["-i", "0.1", "fx_work"], "--calls", 600)
    objs = t.json()
    intervals, summary = objs[:-1], objs[-1]
    assert summary["summary"] is True and all("summary" not in o for o in intervals)
    assert len(intervals) >= 3, f"only {len(intervals)} intervals"
    per = [op(o, "fx_work")["count"] for o in intervals]
    assert sum(per) == op(summary, "fx_work")["count"] == 600, per
    # each interval has its own extremes within the run's
    lat = op(summary, "fx_work")["latency_ns"]
    for o in intervals:
        il = op(o, "fx_work")["latency_ns"]
        if op(o, "fx_work")["count"]:
            assert lat["min"] <= il["min"] <= il["max"] <= lat["max"]
    assert_between("max", lat["max"], truth["work_inner"]["max"], truth["work"]["max"], res=0)


def test_target_killed_mid_trace_still_gives_summary():
    w = Workload("--calls", 100000)
    t = Tracer("lat", "-p", w.pid, "--json", "fx_work").wait_tracing()
    w.go()
    time.sleep(1.0)
    w.kill()
    assert t.wait() == 0, t.stderr
    assert op(t.summary(), "fx_work")["count"] > 0


def test_duration_ends_the_run():
    w = Workload("--calls", 100000)
    start = time.monotonic()
    t = Tracer("lat", "-p", w.pid, "-d", "1", "fx_work").wait_tracing()
    w.go()
    assert t.wait(timeout=10) == 0, t.stderr
    took = time.monotonic() - start
    w.kill()
    assert 1.0 <= took < 5.0, took
    assert "summary" in t.out and "fx_work" in t.out


def text_first_byte(pid, symbol_offset):
    """First byte of fx_work in the live process (0xcc while a uprobe sits there)."""
    base = None
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].endswith("/fx_calls") and parts[2] == "00000000":
                base = int(parts[0].split("-")[0], 16)
                break
    assert base is not None
    with open(f"/proc/{pid}/mem", "rb") as m:
        m.seek(base + symbol_offset)
        return m.read(1)[0]


def fx_work_offset():
    import subprocess
    out = subprocess.run(["nm", str(FX_CALLS)], capture_output=True, text=True).stdout
    return next(int(l.split()[0], 16) for l in out.splitlines() if l.endswith(" fx_work"))


def test_nothing_left_attached_after_sigkill():
    w = Workload("--calls", 10)
    off = fx_work_offset()
    assert text_first_byte(w.pid, off) == 0x55          # push %rbp
    t = Tracer("lat", "-p", w.pid, "fx_work").wait_tracing()
    assert text_first_byte(w.pid, off) == 0xCC          # the uprobe's int3
    t.proc.send_signal(signal.SIGKILL)
    t.wait()
    deadline = time.monotonic() + 5
    while text_first_byte(w.pid, off) != 0x55 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text_first_byte(w.pid, off) == 0x55
    w.go()
    truth = w.truth()
    assert w.finish() == 0 and truth["calls"]["fx_work"] == 10


def test_text_output_has_table_and_histogram():
    _, t = traced("lat", ["-u", "fx_work"], ["--calls", 200], json_out=False)
    assert "P99.9" in t.out and "distribution" in t.out and "|*" in t.out
    assert " 200 " in t.out


@pytest.mark.parametrize("link", ["multi", "classic"])
def test_fallback_link_kinds_give_the_same_numbers(link):
    truth, t = traced_workload(["fx_work"], "--calls", 200, "--threads", 2, link=link)
    check_latency(op(t.summary(), "fx_work"), truth)
    assert_no_drops(t.summary())


def test_function_without_binary_is_found_in_a_mapped_library():
    # fxlib_work is not in fx_calls itself: -p finds it in the libfxlib.so the process maps
    truth, t = traced_workload(["fxlib_work"], "--lib", "--calls", 200)
    o = op(t.summary(), "fxlib_work")
    assert o["count"] == truth["work"]["count"] == 200
    assert "libfxlib.so:fxlib_work" in o["target"]


def test_function_nowhere_in_the_process_says_so():
    w = Workload("--calls", 1)
    try:
        rc, _, err = run("lat", "-p", w.pid, "no_such_function_anywhere")
    finally:
        w.kill()
    assert rc == 1 and "nor in a library pid" in err, err
