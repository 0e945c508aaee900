"""`synctrace watch`: string labels and their cap, @ret out-parameters, memory
reads at entry, state machines, events through the ring buffer, USDT ops and
the usdt-sync profile, against fx_ops's own truth."""
import os
import signal
import time

import pytest

from conftest import (FX_OPS, SYNCTRACE, Tracer, assert_between, assert_latency_between,
                      finish_fx_ops, read_pty, rows, run, start_fx_ops)


def watched(mode_args, *ops, extra=()):
    p = start_fx_ops(*mode_args)
    args = ["watch", "-p", p.pid, "--json", *extra]
    for o in ops:
        args += ["--op", o]
    t = Tracer(*args).wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    return truth, t.summary()


def test_string_labels_exact_per_label():
    truth, s = watched(["labels", 700, 5],
                       "req fxo_request by=str(arg0) error=ret<0 value=arg1")
    got = {r["label"]: r for r in rows(s, "req")}
    assert set(got) == set(truth["routes"])
    for route, want in truth["routes"].items():
        assert got[route]["count"] == want["calls"]
        assert got[route]["errors"] == want["errors"]
        assert got[route]["value"]["sum"] == want["bytes_ok"]   # errors' values left out
    (tot,) = [t for t in s["op_totals"] if t["op"] == "req"]
    assert tot["labels"] == 5 and tot["label_overflow"] == 0


def test_labels_over_the_cap_go_to_other_and_are_counted():
    truth, s = watched(["labels", 900, 9], "req fxo_request by=str(arg0)",
                       extra=["--max-labels", "4"])
    got = {r["label"]: r for r in rows(s, "req")}
    assert "other" in got and len(got) == 5
    named = [k for k in got if k != "other"]
    assert all(got[k]["count"] == truth["routes"][k]["calls"] for k in named)
    assert sum(r["count"] for r in got.values()) == truth["calls"] == 900
    (tot,) = [t for t in s["op_totals"] if t["op"] == "req"]
    assert tot["labels"] == 4
    assert tot["label_overflow"] == got["other"]["count"] == \
        sum(truth["routes"][k]["calls"] for k in truth["routes"] if k not in named)


def test_comm_and_pid_labels():
    truth, s = watched(["labels", 50, 2], "by_comm fxo_request count by=comm",
                       "by_pid fxo_request count by=pid")
    assert [(r["label"], r["count"]) for r in rows(s, "by_comm")] == [("fx_ops", 50)]
    assert [(r["label"], r["count"]) for r in rows(s, "by_pid")] == [(truth["pid"], 50)]


def test_at_ret_reads_the_out_parameter_and_entry_reads_see_the_old_value():
    truth, s = watched(["outparam", 300],
                       "lsn fxo_read value=u64(arg1)@ret",
                       "rows fxo_read count value=u32(arg1+8)@ret",
                       "before fxo_read count value=u64(arg1)")
    (lsn,) = rows(s, "lsn")
    assert lsn["count"] == truth["calls"] == 300
    assert lsn["value"]["sum"] == truth["lsn_sum"]
    v = rows(s, "rows")[0]["value"]                # rows 1..50: percentiles within them
    assert (v["min"], v["max"]) == (1, 50) and 1 <= v["p50"] <= v["p999"] <= 50
    assert rows(s, "rows")[0]["value"]["sum"] == truth["rows_sum"]
    # a read without @ret happens at entry: it sees what *out held then
    assert rows(s, "before")[0]["value"]["sum"] == 300 * truth["lsn_before"]


def check_states(truth, st, names):
    assert st["pid"] == truth["pid"]
    assert st["calls"] == truth["calls"]
    assert st["current"] == names[truth["final"]]
    got = {(t["from"], t["to"]): t["count"] for t in st["transitions"]}
    want = {(names[int(k.split("->")[0])], names[int(k.split("->")[1])]): v
            for k, v in truth["transitions"].items()}
    assert got == want
    assert len(st["recent"]) == truth["nr_transitions"]
    seq = [names[v] for i, v in enumerate(truth["sequence"])
           if i == 0 or v != truth["sequence"][i - 1]]
    assert [r["from"] for r in st["recent"]] + [st["recent"][-1]["to"]] == seq
    # between the fixture's clock reads around the calls that bound each dwell:
    # exact (both clocks are CLOCK_MONOTONIC), microseconds wide unless preempted
    for v, ns in truth["time_ns"].items():
        lo, hi = truth["time_ns_lo"][v], truth["time_ns_hi"][v]
        assert lo <= ns <= hi, (v, lo, ns, hi)                  # the fixture's own clock too
        assert_between(f"time in {names[int(v)]}", st["time_in_ns"][names[int(v)]], lo, hi,
                       res=0)


@pytest.mark.parametrize("probe, names_opt", [
    ("fxo_set_state(arg0)", "names=idle,busy,sync,done"),
    ("usdt:synctrace:state(arg1)", "names=idle,busy,sync,done"),
    ("fxo_set_state(arg0)", "names=done:3,sync:2,busy:1,idle:0"),   # values given, any order
])
def test_state_machine_transitions_and_time_in_state(probe, names_opt):
    names = ["idle", "busy", "sync", "done"]
    p = start_fx_ops("states")
    t = Tracer("watch", "-p", p.pid, "--json",
               "--op", f"state phase {probe} {names_opt}").wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    (st,) = t.summary()["states"]
    assert st["machine"] == "phase"
    check_states(truth, st, names)
    if probe.startswith("usdt:"):
        assert truth["usdt_state_fired"] == truth["calls"]   # semaphore raised


def test_error_flood_lost_events_are_counted_never_silent():
    p = start_fx_ops("flood", 300000)
    t = Tracer("watch", "-p", p.pid, "--json", "--op", "f fxo_fail error=ret<0").wait_tracing()
    os.kill(t.proc.pid, signal.SIGSTOP)      # nobody reads the ring buffer: it fills
    try:
        truth = finish_fx_ops(p)
    finally:
        os.kill(t.proc.pid, signal.SIGCONT)
    assert t.wait() == 0, t.stderr
    s = t.summary()
    (f,) = rows(s, "f")
    assert f["count"] == f["errors"] == truth["errors"] == 300000
    ev = s["events"]
    assert ev["lost"] > 0 and ev["lost"] == s["drops"]["events_lost"]
    assert ev["errors"] + ev["lost"] == truth["errors"]
    assert len(ev["recent"]) == 5                       # the last 5 of each kind
    assert all(e["kind"] == "error" and e["ret"] == truth["ret"] and e["pid"] == truth["pid"]
               and e["error_value"] == truth["ret"] for e in ev["recent"])


def test_slow_calls_are_events_with_their_latency():
    p = start_fx_ops("threads", 200)
    t = Tracer("watch", "-p", p.pid, "--json", "--slow", "1ms",
               "--op", "rt fxo_submit(arg0) -> fxo_ack(arg0)").wait_tracing()
    finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    s = t.summary()
    ev = s["events"]
    assert 0 < ev["slow"] < 200 and ev["errors"] == 0 and ev["lost"] == 0
    assert all(e["kind"] == "slow" and e["latency_ns"] >= 1_000_000 for e in ev["recent"])
    (rt,) = rows(s, "rt")
    # the log-linear histogram puts the same calls above 1 ms, within a bucket
    assert rt["latency_ns"]["p50"] < 1_000_000 * 1.07 or ev["slow"] >= 100


def test_usdt_sync_profile_pairs_op_start_with_op_done():
    p = start_fx_ops("usdt", 300)
    t = Tracer("watch", "-p", p.pid, "--json", "--profile", "usdt-sync").wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    s = t.summary()
    (sync,) = rows(s, "sync")
    assert sync["label"] == "job" and sync["count"] == truth["jobs"] == 300
    assert sync["errors"] == truth["errors"] == 60
    (tot,) = [t for t in s["op_totals"] if t["op"] == "sync"]
    assert tot["unmatched"] == 0 and tot["restarts"] == 0 and sync["inflight"] == 0
    (conf,) = rows(s, "conflicts")
    assert conf["label"] == "job" and conf["count"] == truth["fired"]["conflict"] == 60
    assert truth["semaphore"]["op_start"] > 0      # attached: the kernel raised it
    assert_latency_between(sync["latency_ns"], truth["latency_lo"], truth["latency_hi"])


def test_unknown_profile_lists_the_known_ones():
    rc, _, err = run("watch", "-p", "1", "--profile", "no-such-engine")
    assert rc == 2 and "no profile 'no-such-engine' (there are: " in err and "usdt-sync" in err, err
    rc, _, err = run("watch", "-p", "1", "--profile", "../etc/passwd")
    assert rc == 2 and "bad profile name" in err, err


def test_usdt_argument_past_the_probe_is_a_usage_error():
    p = start_fx_ops("usdt", 1)
    rc, _, err = run("watch", "-p", p.pid, "--op", "x usdt:synctrace:conflict count value=arg5")
    finish_fx_ops(p)
    assert rc == 2 and "--op:1: op 'x': usdt:synctrace:conflict: the probe has 2 arguments, " \
        "arg5 asked for" in err, err


def test_dashboard_sections_when_not_a_terminal():
    p = start_fx_ops("states")
    t = Tracer("watch", "-p", p.pid, "--op", "calls fxo_set_state by=arg0 value=arg0 error=arg0==2",
               "--op", "state phase fxo_set_state(arg0) names=idle,busy,sync,done").wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    out = t.out
    assert "\033[" not in out                              # no redraw codes in a pipe
    for section in ("STATE", "OPERATIONS", "DATA VOLUME", "LATENCY",
                    "RECENT ERRORS / SLOW CALLS", "DROPS"):
        assert f"\n{section}" in out, out
    assert "summary of the whole run" in out
    ops = out.split("\nOPERATIONS")[-1].split("\nDATA VOLUME")[0]   # the summary's
    words = {l.split()[0] + l.split()[1]: l.split() for l in ops.splitlines()
             if l.startswith("  calls [")}
    assert words["calls[1]"][2] == "3" and words["calls[1]"][4] == "0"   # count, errors
    assert words["calls[2]"][2] == "1" and words["calls[2]"][4] == "1"
    (phase,) = [l.split() for l in out.splitlines() if l.startswith("  phase ")]
    assert phase[1:5] == [str(truth["pid"]), "done", "6", str(truth["nr_transitions"])]
    assert "error" in out.split("RECENT ERRORS")[1]


def test_dashboard_redraws_in_place_on_a_terminal():
    import pty
    import subprocess
    p = start_fx_ops("states")
    master, slave = pty.openpty()
    t = subprocess.Popen([str(SYNCTRACE), "watch", "-p", str(p.pid), "-i", "0.2",
                          "--op", "calls fxo_set_state"], stdout=slave, stderr=subprocess.PIPE,
                         text=True)
    os.close(slave)
    assert t.stderr.readline().startswith("Tracing")
    finish_fx_ops(p)
    assert t.wait(timeout=30) == 0
    out = read_pty(master)
    frames = out.split(b"\033[H\033[2J")
    assert len(frames) >= 3, out                  # each interval redrew the screen
    assert b"summary of the whole run" in frames[-1] and b"calls" in frames[-1]


def test_the_final_state_stops_when_its_process_exits(private):
    fx_ops = private.copy(FX_OPS)          # other fx_ops on the host are not traced
    t = Tracer("watch", "--json",
               "--op", f"state phase {fx_ops}:fxo_set_state(arg0) names=idle,busy,sync,done"
               ).wait_tracing()
    truth = finish_fx_ops(start_fx_ops("states", binary=fx_ops))   # it has exited here
    time.sleep(0.8)
    assert t.stop() == 0, t.stderr
    (st,) = t.summary()["states"]
    assert st["pid"] == truth["pid"] and st["current"] == "done"
    # from its last call to its exit: milliseconds, not the 0.8 s synctrace kept running
    assert st["time_in_ns"]["done"] < 200_000_000, st
