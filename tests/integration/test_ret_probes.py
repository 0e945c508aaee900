"""Returns seen by probes on a function's ret instructions, on native code
(--returns=ret-probe; Go and OCaml use them always: test_runtimes.py).

fx_calls times each call inside and around it; on the same C function,
ret probes must give what uretprobes give. fx_rets (tests/fixtures/rets/)
leaves its functions in every way a call can: ret, a tail call (jmp), a
conditional jump out, jumps through a register and through memory (out, and
back into the function), longjmp past it. It says how many calls returned
and how many left otherwise: the first are timed, the others are drops,
never a wrong time."""
import re

import pytest

from conftest import (BUILD, LINK_KINDS, Tracer, Workload, assert_between,
                      assert_latency_between, op, rows, run, traced)

FX_RETS = BUILD / "fixtures" / "rets" / "fx_rets"
RETS = ("rt_tail", "rt_jump", "rt_cond", "rt_indirect")


def start_rets(*args):
    return Workload(*args, binary=FX_RETS)


def traced_rets(command, *tracer_args, calls=300, quits=0):
    """fx_rets under `synctrace COMMAND -p PID ARGS`: (truth, summary, tracer)."""
    w = start_rets("--calls", calls, "--quits", quits)
    t = Tracer(command, "-p", w.pid, "--json", *tracer_args).wait_tracing()
    w.go()
    truth = w.truth()
    w.finish()
    assert t.wait() == 0, t.stderr
    return truth, t.summary(), t


def assert_drops(summary, **want):
    got = {k: v for k, v in summary["drops"].items() if v}
    assert got == {k: v for k, v in want.items() if v}, f"drops {got}, expected {want}"


@pytest.mark.parametrize("returns", ["ret-probe", "uretprobe", "auto"])
@pytest.mark.parametrize("link", LINK_KINDS)
def test_ret_probes_time_a_c_function_as_uretprobes_do(link, returns):
    """Same counts, same bracket, on every link kind, two threads."""
    truth, t = traced("lat", [f"--returns={returns}", "fx_work"],
                      ["--calls", 200, "--threads", 2], link=link)
    o = op(t.summary(), "fx_work")
    assert o["count"] == truth["work"]["count"] == 400
    assert_latency_between(o["latency_ns"], truth["work_inner"], truth["work"])
    assert_drops(t.summary())
    way = "probes on ret instructions" if returns == "ret-probe" else "uretprobes"
    assert f"fx_calls (native program): returns seen by {way}" in t.stderr, t.stderr


def test_ret_probes_keep_each_level_of_a_recursion():
    """At a ret, sp is the entry's: each level finds its own frame."""
    truth, t = traced("lat", ["--returns=ret-probe", "fx_recurse"],
                      ["--calls", 60, "--recurse", 3])
    o = op(t.summary(), "fx_recurse")
    assert o["count"] == truth["calls"]["fx_recurse"]
    assert_latency_between(o["latency_ns"], truth["recurse_levels"],
                           truth["recurse_levels_outer"])
    assert_between("max", o["latency_ns"]["max"], truth["recurse_levels"]["max"],
                   truth["recurse_levels_outer"]["max"], res=0)
    assert_drops(t.summary())


def test_lat_every_way_out_of_a_function():
    """The calls that return are timed, exactly; a tail call, a taken jcc
    out, an indirect jump out (register, memory) is a tail_exit, a not-taken
    jcc and an indirect jump back into the function are nothing; a longjmp
    past a call is a missed_return once the next call enters at its depth."""
    for _ in range(3):
        truth, s, t = traced_rets("lat", "--returns=ret-probe", *RETS)
        for name in RETS:
            o = op(s, name)
            assert o["count"] == truth["returned"][name], \
                f"{name}: traced {o['count']}, returned {truth['returned'][name]}"
            assert_latency_between(o["latency_ns"], truth["lat"][name]["inner"],
                                   truth["lat"][name]["outer"])
        left = truth["left"]
        assert_drops(s, tail_exit=left["rt_tail"] + left["rt_cond"] + left["rt_indirect"],
                     missed_return=left["rt_jump"])


def test_a_thread_that_exits_inside_a_call_is_a_missed_return():
    """rt_quit ends its thread with pthread_exit: its ret never comes, and
    the thread's open call goes with it, counted."""
    w = start_rets("--calls", 1, "--quits", 7)
    t = Tracer("lat", "-p", w.pid, "--json", "--returns=ret-probe", "rt_quit").wait_tracing()
    w.go()
    truth = w.truth()
    w.finish()
    assert t.wait() == 0, t.stderr
    s = t.summary()
    assert truth["quits"] == 7
    assert not s["ops"], s["ops"]       # no call returned: its row is hidden
    assert_drops(s, missed_return=7)

    truth, s, t = traced_rets("watch", "--returns=ret-probe", "--op", "quit rt_quit",
                              calls=1, quits=7)
    assert not rows(s, "quit") and s["drops"]["missed_return"] == 7, (s["ops"], s["drops"])


def test_watch_ops_every_way_out_of_a_function():
    """The same through ops that wait for the return (the one-call kind)."""
    ops = [a for n in RETS for a in ("--op", f"{n} {n} error=ret<0")]
    truth, s, t = traced_rets("watch", "--returns=ret-probe", *ops)
    for name in RETS:
        (row,) = rows(s, name)
        assert row["count"] == truth["returned"][name], row
        assert row["errors"] == 0
        assert_latency_between(row["latency_ns"], truth["lat"][name]["inner"],
                               truth["lat"][name]["outer"])
    left = truth["left"]
    bad = {k: v for k, v in s["drops"].items()
           if v and k not in ("tail_exit", "missed_return")}
    assert not bad, bad
    assert s["drops"]["tail_exit"] == left["rt_tail"] + left["rt_cond"] + left["rt_indirect"]
    assert s["drops"]["missed_return"] == left["rt_jump"]


def test_functions_that_cannot_be_timed_at_a_ret():
    """Alone: one line, exit 1. Among a glob's matches: a warning each, and
    the others are traced."""
    rc, out, err = run("lat", "--returns=ret-probe", f"{FX_RETS}:rt_never")
    assert rc == 1 and err == (f"synctrace: cannot time rt_never in {FX_RETS}: it has no ret: "
                               "it never returns\n"), err
    rc, out, err = run("lat", "--returns=ret-probe", f"{FX_RETS}:rt_relay")
    assert rc == 1 and err.count("\n") == 1, err
    assert re.match(r"synctrace: cannot time rt_relay in .*: it has no ret: it leaves only by "
                    r"jumps to other code", err), err
    rc, out, err = run("watch", "--returns=ret-probe", "--op", f"x {FX_RETS}:rt_never")
    assert rc == 1 and err == (f"synctrace: --op:1: op 'x': cannot time rt_never in {FX_RETS}:"
                               " it has no ret: it never returns\n"), err

    w = start_rets("--calls", 30)
    t = Tracer("lat", "-p", w.pid, "--json", "-v", "--returns=ret-probe",
               "rt_[a-z]*").wait_tracing()
    w.go()
    truth = w.truth()
    w.finish()
    assert t.wait() == 0, t.stderr
    assert any(l.startswith("synctrace: warning: cannot time rt_") for l in t.err_lines), \
        t.stderr
    s = t.summary()
    names = {o["op"] for o in s["ops"]}
    assert "rt_never" not in names and "rt_relay" not in names and "rt_cond" in names, names
    assert op(s, "rt_cond")["count"] == truth["returned"]["rt_cond"]
    assert re.search(r"fx_rets \(native program\): returns seen by probes on ret instructions "
                     r"and jumps out: \d+ functions, \d+ exit sites", t.stderr), t.stderr


def test_returns_option_is_checked():
    rc, out, err = run("lat", "--returns=ret", f"{FX_RETS}:rt_cond")
    assert rc == 2 and "invalid --returns 'ret': expected auto, uretprobe or ret-probe" in err
    rc, out, err = run("watch", "--returns", "sometimes", "--op", f"x {FX_RETS}:rt_cond")
    assert rc == 2 and "invalid --returns 'sometimes'" in err
