"""`synctrace watch`, one-call and count-only ops, against fx_ops and fx_calls."""
import os

import pytest

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


def one_line_usage_error(args, *needles, timeout=10):
    """Exit 2 and one line on stderr; the timeout only guards against a hang."""
    rc, _, err = run(*args, timeout=timeout)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1, f"exit {rc}: {err!r}"
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"


@pytest.mark.no_bpf
@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/null", "fifo", "directory"])
def test_ops_file_that_is_not_regular_is_refused_at_once(tmp_path, kind):
    path = {"fifo": tmp_path / "fifo.ops", "directory": tmp_path}.get(kind, kind)
    if kind == "fifo":
        os.mkfifo(path)
    one_line_usage_error(["watch", "--ops", path], f"{path}: not a regular file")


@pytest.mark.no_bpf
def test_ops_file_over_1_mib_is_refused(tmp_path):
    f = tmp_path / "big.ops"
    f.write_text("#" * (1 << 20) + "\n")
    one_line_usage_error(["watch", "--ops", f], f"{f}: too big for an ops file")


@pytest.mark.no_bpf
def test_empty_ops_file_says_there_is_nothing_to_watch(tmp_path):
    f = tmp_path / "empty.ops"
    f.write_text("")
    c = tmp_path / "comments.ops"
    c.write_text("# only a comment\n\n")
    one_line_usage_error(["watch", "--ops", f], f"{f}: no op or state declared")
    one_line_usage_error(["watch", "--ops", f, "--ops", c],
                         f"{f}, {c}: no op or state declared")


@pytest.mark.no_bpf
def test_65th_op_of_40000_is_an_error_at_its_line(tmp_path):
    f = tmp_path / "many.ops"
    f.write_text("".join(f"op o{i} f{i}\n" for i in range(1, 40001)))
    one_line_usage_error(["watch", "--ops", f], f"{f}:65: too many ops (at most 64)")
