"""`--record FILE.db`, `synctrace report` and `synctrace mark`: real BPF, real
processes. A recording replayed must be the live run again: every interval
as it was printed, and a summary merged from the stored buckets equal to
the live summary; a kill -9 must leave every committed interval readable."""
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import (FX_OPS, Tracer, finish_fx_ops, rows, run, start_fx_ops, total)

REQ = "req fxo_request error=ret<0 value=arg1 by=str(arg0)"


def ndjson(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def report(*args):
    rc, out, err = run("report", *map(str, args))
    assert rc == 0, err
    return ndjson(out)


def untimed(obj):
    """A frame without its wall time (the live summary is stamped a moment
    after the last interval; the stored one carries that interval's time)."""
    return {k: v for k, v in obj.items() if k != "time"}


def wall(obj):
    """An NDJSON frame's end time as seconds since the epoch."""
    return datetime.datetime.strptime(obj["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture
def runtime_dir(tmp_path, monkeypatch):
    """Running recordings announced in a directory of the test's own."""
    d = tmp_path / "run"
    monkeypatch.setenv("SYNCTRACE_RUNTIME_DIR", str(d))
    return d


def test_watch_recording_replays_the_live_run_exactly(tmp_path, runtime_dir):
    db = tmp_path / "run.db"
    p = start_fx_ops("labels", 3000, 5)
    t = Tracer("watch", "-p", p.pid, "--op", REQ, "--slow", "1us", "--json", "-i", "0.2",
               "--record", db).wait_tracing()
    time.sleep(0.5)
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    live = t.json()
    assert len(live) >= 3 and live[-1]["summary"] is True
    # while it ran, `mark` could find it; once over, its runtime file is gone
    assert not list(runtime_dir.glob("*.record"))
    stored = report(db, "--json", "-i")
    assert [untimed(o) for o in stored] == [untimed(o) for o in live]
    s = stored[-1]
    assert total(s, "req") == truth["calls"] == 3000
    assert sum(r["errors"] for r in rows(s, "req")) == truth["errors"]
    for route, want in truth["routes"].items():
        (r,) = [r for r in rows(s, "req") if r["label"] == route]
        assert r["count"] == want["calls"] and r["value"]["sum"] == want["bytes_ok"]
    # without -i only the summary is printed
    assert [untimed(o) for o in report(db, "--json")] == [untimed(live[-1])]
    # the run is kept: its command line and the binary probed, with its build-id
    con = sqlite3.connect(db)
    assert [a for (a,) in con.execute("SELECT arg FROM args ORDER BY i")][1:4] == \
        ["watch", "-p", str(p.pid)]
    ((path, build_id),) = con.execute("SELECT path, build_id FROM binaries")
    assert path == str(FX_OPS.resolve())
    note = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    assert build_id and f"Build ID: {build_id}" in note
    assert con.execute("PRAGMA user_version").fetchone() == (2,)


@pytest.mark.parametrize("command", ["lat", "count"])
def test_lat_and_count_recordings_replay_exactly(tmp_path, command):
    db = tmp_path / "run.db"
    p = start_fx_ops("labels", 2000, 3)
    t = Tracer(command, "-p", p.pid, "fxo_request", "--json", "-i", "0.2", "--record",
               db).wait_tracing()
    time.sleep(0.3)
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    live = t.json()
    stored = report(db, "--json", "-i")
    assert [untimed(o) for o in stored] == [untimed(o) for o in live]
    (fn,) = stored[-1]["ops"]
    assert fn["count"] == truth["calls"] == 2000
    if command == "lat":                            # the buckets themselves, exactly
        assert sum(b[2] for b in fn["latency_ns"]["buckets"]) == 2000
    # the text report is the live run's summary table
    rc, text, err = run("report", db)
    assert rc == 0 and "== summary:" in text and " 2000 " in text, err


def test_kill_9_keeps_every_committed_interval(tmp_path, runtime_dir):
    db = tmp_path / "run.db"
    p = start_fx_ops("labels", 10_000_000, 5)       # far more than it gets to make
    t = Tracer("watch", "-p", p.pid, "--op", REQ, "--json", "-i", "0.2", "--record",
               db).wait_tracing()
    p.stdin.write("go\n")
    p.stdin.flush()
    time.sleep(1.5)
    t.proc.send_signal(signal.SIGKILL)              # mid-interval: 1.5 s is 7.5 intervals
    t.wait()
    p.kill()
    p.wait()
    live = t.json()                                 # each interval printed, then recorded
    assert len(live) >= 4 and not any(o.get("summary") for o in live)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    stored = report(db, "--json", "-i")
    intervals, summary = stored[:-1], stored[-1]
    # stdout goes first: at most the last printed interval was not yet committed
    assert len(live) - 1 <= len(intervals) <= len(live)
    assert [untimed(o) for o in intervals] == [untimed(o) for o in live[:len(intervals)]]
    assert summary["summary"] is True
    assert total(summary, "req") == sum(total(o, "req") for o in intervals) > 0
    for o in summary["ops"]:
        assert o["count"] == sum(r["count"] for i in intervals for r in i["ops"]
                                 if r["label"] == o["label"])
    # a killed synctrace's runtime file names no running recording
    rc, _, err = run("mark", "late", env=dict(os.environ))
    assert rc == 1 and "no recording is being written" in err


def test_since_and_until_select_exact_intervals(tmp_path):
    db = tmp_path / "run.db"
    p = start_fx_ops("labels", 10_000_000, 4)
    t = Tracer("watch", "-p", p.pid, "--op", REQ, "--json", "-i", "0.2", "--record",
               db).wait_tracing()
    p.stdin.write("go\n")
    p.stdin.flush()
    time.sleep(1.3)
    assert t.stop() == 0, t.stderr
    p.kill()
    p.wait()
    live = t.json()[:-1]
    assert len(live) >= 5
    # boundaries halfway between two intervals' ends select exactly those between
    mid = [(wall(a) + wall(b)) / 2 for a, b in zip(live, live[1:])]
    since, until = mid[0], mid[3]                   # intervals 1, 2, 3
    for args in (["--since", f"@{since:.6f}", "--until", f"@{until:.6f}"],
                 ["--since", datetime.datetime.fromtimestamp(since, datetime.timezone.utc)
                  .strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "--until", datetime.datetime.fromtimestamp(until, datetime.timezone.utc)
                  .strftime("%Y-%m-%dT%H:%M:%S.%fZ")]):
        got = report(db, "--json", "-i", *args)
        assert [untimed(o) for o in got[:-1]] == [untimed(o) for o in live[1:4]]
        assert total(got[-1], "req") == sum(total(o, "req") for o in live[1:4])
    got = report(db, "--json", "--since", f"@{mid[-1]:.6f}")
    assert total(got[-1], "req") == total(live[-1], "req")
    # a range no interval ended in: an empty summary
    got = report(db, "--json", "--until", "@1")
    assert got[-1]["summary"] is True and total(got[-1], "req") == 0
    # --op and --label keep only those rows
    got = report(db, "--json", "--label", "/r/2")
    assert {r["label"] for r in got[-1]["ops"]} == {"/r/2"}
    assert total(got[-1], "req") == sum(r["count"] for o in live for r in rows(o, "req")
                                        if r["label"] == "/r/2")
    assert report(db, "--json", "--op", "nosuch")[-1]["ops"] == []


def test_phases_split_two_workloads(tmp_path, private, runtime_dir):
    db = tmp_path / "run.db"
    fx_ops = private.copy(FX_OPS)                  # other fx_ops on the host are not traced
    t = Tracer("watch", "--op", f"req {fx_ops}:fxo_request by=str(arg0)", "--json",
               "--record", db).wait_tracing()      # no -i: drained every second
    rc, _, err = run("mark", "warmup")             # finds the one running recording
    assert rc == 0 and f"in {db}" in err, err
    first = finish_fx_ops(start_fx_ops("labels", 300, 3, binary=fx_ops))
    time.sleep(2.5)                                # its calls are in intervals that ended
    rc, _, err = run("mark", "--db", db, "stress")
    assert rc == 0, err
    time.sleep(0.3)
    second = finish_fx_ops(start_fx_ops("labels", 700, 4, binary=fx_ops))
    time.sleep(1.2)
    assert t.stop() == 0, t.stderr
    live = t.summary()
    assert total(live, "req") == first["calls"] + second["calls"] == 1000
    warm = report(db, "--json", "--phase", "warmup")[-1]
    stress = report(db, "--json", "--phase", "stress")[-1]
    assert total(warm, "req") == 300 and len(rows(warm, "req")) == 3
    assert total(stress, "req") == 700
    assert {r["label"]: r["count"] for r in rows(stress, "req")} == \
        {k: v["calls"] for k, v in second["routes"].items()}
    whole = report(db, "--json")[-1]
    assert untimed(whole) == untimed(live)
    rc, _, err = run("report", db, "--phase", "nosuch")
    assert rc == 1 and err.count("\n") == 1 and "no phase 'nosuch' (phases: warmup, stress)" in err


def test_bad_inputs_say_one_line(tmp_path, runtime_dir):
    db = tmp_path / "run.db"
    p = start_fx_ops("labels", 100, 2)
    t = Tracer("watch", "-p", p.pid, "--op", REQ, "--record", db, "--json").wait_tracing()
    finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    # a recording is never overwritten
    rc, out, err = run("count", "-p", os.getpid(), "-d", "0.05", "libc:malloc", "--record", db)
    assert rc != 0 and "File exists" in err
    cases = [
        (["report", tmp_path / "none.db"], 1, "none.db"),
        (["report", __file__], 1, "not a synctrace recording"),
        (["report", db, "--since", "yesterday-ish"], 2, "invalid --since"),
        (["report", db, "--until", "2026-13-01 00:00:00"], 2, "invalid --until"),
        (["report", db, "--since", "@20", "--until", "@10"], 2, "before --since"),
        (["report"], 2, "which recording"),
        (["mark"], 2, "which phase"),
        (["mark", "two words"], 2, "invalid phase name"),
        (["mark", "x"], 1, "no recording is being written"),
        (["mark", "--db", tmp_path / "none.db", "x"], 1, "none.db"),
    ]
    for args, code, text in cases:
        rc, out, err = run(*args)
        assert rc == code and text in err, (args, rc, err)
        assert len(err.strip().splitlines()) == 1 or code == 2, (args, err)
    # a schema newer than this synctrace reads: refused with one line
    newer = tmp_path / "newer.db"
    newer.write_bytes(db.read_bytes())
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    rc, out, err = run("report", newer)
    assert rc == 1 and "schema 99" in err and err.count("\n") == 1, err
    # a damaged histogram is an error, never a crash
    con = sqlite3.connect(db)
    con.execute("UPDATE rows SET val_bins = x'0102'")
    con.commit()
    con.close()
    rc, out, err = run("report", db)
    assert rc == 1 and "damaged" in err and err.count("\n") == 1, err


def test_report_judges_and_draws_a_recording(tmp_path, runtime_dir):
    """report --assert judges the stored summary (exit 3 with the reason when
    broken) and report --html draws the same numbers as the recording."""
    db, page = tmp_path / "run.db", tmp_path / "run.html"
    p = start_fx_ops("labels", 1000, 5)
    t = Tracer("watch", "-p", p.pid, "--op", REQ, "-i", "0.2", "--record", db).wait_tracing()
    time.sleep(0.3)
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    n = truth["calls"]
    rc, out, err = run("report", db, "--assert", f"req.count=={n}", "--html", page)
    assert rc == 0, err
    rc, out, err = run("report", db, "--assert", f"req.count=={n + 1}")
    assert rc == 3
    assert [l for l in err.splitlines() if "assert failed" in l] == \
        [f"synctrace: assert failed: req.count = {n}, not == {n + 1}"]
    html = page.read_text()
    start = html.index('id="synctrace-data">') + len('id="synctrace-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert total(data["summary"], "req") == n
    rc, out, err = run("report", db, "--assert-each")
    assert rc == 2 and "--assert-each needs an --assert" in err
