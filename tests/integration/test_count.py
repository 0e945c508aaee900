"""`synctrace count` on functions and USDT probes."""

from conftest import FX_CALLS, Tracer, Workload, finish_fx_ops, op, run, start_fx_ops, traced


def test_count_functions_exact_with_rate_per_interval():
    truth, t = traced("count", ["-i", "0.5", "fx_*"], ["--calls", 300, "--recurse", 2],
                      link="multi")          # count needs entries only: no sessions
    s = t.summary()
    assert op(s, "fx_work")["count"] == truth["calls"]["fx_work"] == 300
    assert op(s, "fx_recurse")["count"] == truth["calls"]["fx_recurse"] == 900
    assert all("latency_ns" not in o for o in s["ops"])
    intervals = t.json()[:-1]
    assert sum(op(o, "fx_work")["count"] for o in intervals) == 300
    assert any(op(o, "fx_work")["rate_per_s"] > 0 for o in intervals)


def test_usdt_probe_hits_exact():
    truth, t = traced("count", ["usdt:fx:work_done"], ["--calls", 250, "--threads", 2],
                      link="multi")
    assert op(t.summary(), "fx:work_done")["count"] == truth["calls"]["work_done"] == 500


def test_usdt_semaphore_raised_only_while_attached():
    alone = Workload("--calls", 20)
    alone.go()
    assert alone.truth()["calls"]["guarded"] == 0     # nobody tracing: probe skipped
    alone.finish()

    truth, t = traced("count", ["usdt:fx:guarded"], ["--calls", 120], link="multi")
    assert truth["calls"]["guarded"] == 120            # the kernel raised the semaphore
    assert op(t.summary(), "fx:guarded")["count"] == 120


def test_usdt_in_binary_without_pid(private):
    fx = private.fx_calls()               # other fx_calls on the host are not counted
    t = Tracer("count", "--json", f"usdt:{fx}:fx:work_done").wait_tracing()
    w = Workload("--calls", 40, wait_go=False, binary=fx)
    w.truth()
    w.finish()
    assert t.stop() == 0
    assert op(t.summary(), "fx:work_done")["count"] == 40


def test_lat_on_usdt_is_a_usage_error():
    rc, out, err = run("lat", f"usdt:{FX_CALLS}:fx:work_done")
    assert rc == 2
    assert "point, not a call" in err and "synctrace watch --op" in err and "->" in err
    assert len(err.strip().splitlines()) == 1


def test_rows_with_no_calls_are_hidden_unless_all():
    # --recurse 0: fx_recurse is never called
    truth, t = traced("count", ["fx_*"], ["--calls", 30], link="multi")
    assert [o["op"] for o in t.summary()["ops"]] == ["fx_work"]
    truth, t = traced("count", ["--all", "fx_*"], ["--calls", 30], link="multi")
    s = t.summary()
    assert sorted(o["op"] for o in s["ops"]) == ["fx_recurse", "fx_work"]
    assert op(s, "fx_recurse")["count"] == 0
    truth, t = traced("count", ["fx_*"], ["--calls", 30], link="multi", json_out=False)
    assert "fx_recurse" not in t.out
    assert "1 row with no calls hidden: --all shows them" in t.out


def test_top_keeps_the_rows_with_the_most_calls():
    truth, t = traced("count", ["--top", "1", "fx_*"], ["--calls", 20, "--recurse", 2],
                      link="multi")
    s = t.summary()
    assert [o["op"] for o in s["ops"]] == ["fx_recurse"]
    assert op(s, "fx_recurse")["count"] == truth["calls"]["fx_recurse"] == 60


def test_lat_sort_orders_rows_by_p99():
    truth, t = traced("lat", ["--sort", "p99", "fx_*"], ["--calls", 40, "--recurse", 1])
    p99s = [o["latency_ns"]["p99"] for o in t.summary()["ops"]]
    assert len(p99s) == 2 and p99s == sorted(p99s, reverse=True)


def test_children_counts_the_tree_and_nothing_else():
    # the child receives; another process of the same binary does too, outside the tree
    other = start_fx_ops("procs", 100)
    p = start_fx_ops("procs", 150)
    t = Tracer("count", "-p", p.pid, "--children", "--json", "fxo_recv", "fxo_emit"
               ).wait_tracing()
    assert f"in pid {p.pid} and its descendants" in t.stderr
    finish_fx_ops(other)
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    s = t.summary()
    assert op(s, "fxo_recv")["count"] == truth["received"] == 150      # the child's
    assert op(s, "fxo_emit")["count"] == truth["emitted"] == 150       # the parent's


def test_lat_children_times_the_tree():
    p = start_fx_ops("procs", 120)
    t = Tracer("lat", "-p", p.pid, "--children", "--json", "fxo_recv").wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    assert op(t.summary(), "fxo_recv")["count"] == truth["received"] == 120
    # without --children the child is not traced: nothing
    p = start_fx_ops("procs", 30)
    t = Tracer("lat", "-p", p.pid, "--json", "--all", "fxo_recv").wait_tracing()
    finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    assert op(t.summary(), "fxo_recv")["count"] == 0


def test_children_needs_a_pid():
    rc, out, err = run("count", "--children", f"{FX_CALLS}:fx_work")
    assert rc == 2 and "--children needs -p PID" in err
