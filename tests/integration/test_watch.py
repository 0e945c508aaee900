"""`synctrace watch`, one-call and count-only ops, against fx_ops and fx_calls."""
from conftest import (Tracer, Workload, assert_latency_between, finish_fx_ops, rows, run,
                      start_fx_ops, total)


def watched_fx_ops(mode_args, *ops):
    p = start_fx_ops(*mode_args)
    args = ["watch", "-p", p.pid, "--json", "-i", "0.2"]
    for o in ops:
        args += ["--op", o]
    t = Tracer(*args).wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    return truth, t


def test_errors_values_and_labels_exact():
    truth, t = watched_fx_ops(["labels", 700, 5],
                              "req fxo_request error=ret<0 value=arg1",
                              "by_pid fxo_request count by=pid")
    objs = t.json()
    s = objs[-1]
    assert s["summary"] is True
    (req,) = rows(s, "req")
    assert req["count"] == truth["calls"] == 700
    assert req["errors"] == truth["errors"] > 0           # int -1 read as negative
    assert req["value"]["sum"] == truth["bytes_ok"]         # a failed call's value left out
    assert req["value"]["count"] == 700 - truth["errors"]
    assert req["value"]["min"] >= 100 and req["value"]["max"] <= 1100
    (by_pid,) = rows(s, "by_pid")
    assert by_pid["label"] == truth["pid"] and by_pid["count"] == 700
    assert "latency_ns" not in by_pid                      # count: no latency
    # the intervals are deltas that add up to the summary
    assert sum(r["count"] for o in objs[:-1] for r in rows(o, "req")) == 700
    assert sum(r["errors"] for o in objs[:-1] for r in rows(o, "req")) == truth["errors"]


def test_when_ignores_the_calls_it_rejects():
    truth, t = watched_fx_ops(["labels", 140, 5],
                              "ok fxo_request when=ret>=0 value=arg1 by=str(arg0)",
                              "failed fxo_request count when=ret<0")
    s = t.json()[-1]
    assert total(s, "ok") == truth["calls"] - truth["errors"]
    assert sum(r["value"]["sum"] for r in rows(s, "ok")) == truth["bytes_ok"]
    assert total(s, "failed") == truth["errors"] == 20


def test_cast_keeps_a_32_bit_result_unsigned():
    truth, t = watched_fx_ops(["labels", 70, 5],
                              "unsigned fxo_request count value=(u32)ret",
                              "signed fxo_request count value=ret")
    s = t.json()[-1]
    # without error=, the 10 calls that return -1 count: as 2^32 - 1 with the cast,
    # as 2^64 - 1 without it (values are unsigned; sums have 128 bits and do not wrap)
    assert rows(s, "unsigned")[0]["value"]["sum"] == truth["bytes_ok"] + 10 * 0xFFFFFFFF
    assert rows(s, "signed")[0]["value"]["sum"] == truth["bytes_ok"] + 10 * (2**64 - 1)


def test_one_call_op_latency_within_the_fixtures_timings():
    w = Workload("--calls", 300)
    t = Tracer("watch", "-p", w.pid, "--json", "--op", "work fx_work value=arg0").wait_tracing()
    w.go()
    truth = w.truth()
    w.finish()
    assert t.wait() == 0, t.stderr
    (work,) = rows(t.json()[-1], "work")
    assert work["count"] == truth["work"]["count"] == 300
    assert_latency_between(work["latency_ns"], truth["work_inner"], truth["work"])


def test_ops_parse_error_is_file_line_and_exit_2(tmp_path):
    f = tmp_path / "app.ops"
    f.write_text("# ops\nop push fx_work eror=ret<0\n")
    rc, _, err = run("watch", "--ops", f, "-p", "1")
    assert rc == 2 and f"{f}:2: unknown option 'eror=ret<0'" in err, err
