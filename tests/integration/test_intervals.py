"""With -i, the intervals add up to the summary exactly, for every counter.

The workload runs before synctrace attaches and after it stops, so calls
land between attach and the first reading and between the last interval and
the summary: the summary must be the zero point to the last reading, the
same reading the last interval ends at."""
import signal
import subprocess
import time

from conftest import FX_CALLS, Tracer, rows


def busy_fx_calls():
    """fx_calls making calls without pause on 2 threads, until killed."""
    return subprocess.Popen([str(FX_CALLS), "--threads", "2", "--calls", "1000000",
                             "--recurse", "1"], stdout=subprocess.DEVNULL)


def trace_busy(*args):
    w = busy_fx_calls()
    try:
        time.sleep(0.2)                    # calls before the zero point
        t = Tracer(*args[:1], "-p", w.pid, "-i", "0.25", "--json", *args[1:]).wait_tracing()
        time.sleep(1.3)
        assert t.stop(signal.SIGINT) == 0, t.stderr
    finally:
        w.kill()
        w.wait()
    objs = t.json()
    assert len(objs) >= 4 and objs[-1].get("summary") is True, t.out
    return objs[:-1], objs[-1]


def by_op(obj):
    return {o["op"]: o for o in obj["ops"]}


def test_count_intervals_sum_to_the_summary():
    intervals, s = trace_busy("count", "fx_*")
    for name, o in by_op(s).items():
        assert o["count"] > 0
        assert sum(by_op(i)[name]["count"] for i in intervals if name in by_op(i)) == \
            o["count"], name


def test_lat_intervals_sum_to_the_summary_bucket_by_bucket():
    intervals, s = trace_busy("lat", "fx_*")
    for name, o in by_op(s).items():
        assert sum(by_op(i)[name]["count"] for i in intervals if name in by_op(i)) == \
            o["count"], name
        buckets = {}
        for i in intervals:
            for lo, hi, n in by_op(i).get(name, {"latency_ns": {"buckets": []}})[
                    "latency_ns"]["buckets"]:
                buckets[(lo, hi)] = buckets.get((lo, hi), 0) + n
        assert buckets == {(lo, hi): n for lo, hi, n in o["latency_ns"]["buckets"]}, name


def test_watch_intervals_sum_to_the_summary():
    intervals, s = trace_busy("watch", "--op", "work fx_work value=arg0 error=ret>1000000",
                              "--op", "deep fx_recurse count by=arg0")
    for name in ("work", "deep"):
        for r in rows(s, name):
            def same(i):
                return [x for x in rows(i, name) if x.get("label") == r.get("label")]
            assert sum(x["count"] for i in intervals for x in same(i)) == r["count"], name
            if name == "work":
                assert sum(x["errors"] for i in intervals for x in same(i)) == r["errors"]
                assert sum(x["value"]["sum"] for i in intervals for x in same(i)) == \
                    r["value"]["sum"]
                assert sum(x["latency_ns"]["count"] for i in intervals for x in same(i)) == \
                    r["latency_ns"]["count"]
