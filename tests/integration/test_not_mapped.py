"""-p with targets or profiles whose files the process does not map: one warning
per such file (naming its probes), and a failure when it maps none of them,
instead of tracing nothing in silence. With --children, a file mapped by a
descendant counts, and one mapped by none of the tree is a warning only."""
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, FX_LIB, Tracer, Workload, run, total
from test_contain import Contained, one_line_error

LIBZ = "/lib/x86_64-linux-gnu/libz.so.1"    # fx_calls and fx_contain do not map it
FX_NOTES = BUILD / "fixtures" / "procs" / "fx_notes"
SQLITE3 = Path("/usr/bin/sqlite3")
REDIS = Path("/usr/bin/redis-server")


def warnings(tracer):
    return [l for l in tracer.err_lines if l.startswith("synctrace: warning:")]


def wait_mapped(pid, name, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in Path(f"/proc/{pid}/maps").read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} never mapped {name}")


@pytest.mark.skipif(not SQLITE3.exists() or not REDIS.exists(),
                    reason="needs the sqlite3 CLI and redis-server")
def test_watch_profile_of_another_program_fails():
    p = subprocess.Popen([str(SQLITE3), ":memory:"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    try:
        wait_mapped(p.pid, "libsqlite3")
        one_line_error(run("watch", "-p", p.pid, "--profile", "redis-replication", "-d", "5"),
                       f"pid {p.pid} maps none of the files to probe", str(REDIS))
    finally:
        p.kill()
        p.wait()


def test_count_warns_once_per_file_not_mapped_and_counts_the_rest():
    w = Workload("--calls", 6)
    try:
        t = Tracer("count", "-p", w.pid, "--json", "fx_work", f"{LIBZ}:inflate",
                   f"{LIBZ}:deflate", f"usdt:{FX_NOTES}:fxsites:twice").wait_tracing()
        w.go()
        truth = w.truth()
        w.finish()
        assert t.wait() == 0, t.stderr
    finally:
        w.kill()
    warn = warnings(t)
    assert len(warn) == 2, warn
    assert f"pid {w.pid} does not map {LIBZ} (inflate, deflate)" in warn[0], warn
    assert f"pid {w.pid} does not map {FX_NOTES.resolve()} (fxsites:twice)" in warn[1], warn
    counts = {o["op"]: o["count"] for o in t.summary()["ops"]}
    assert counts["fx_work"] == truth["calls"]["fx_work"] == 6, counts


def test_lat_with_no_file_mapped_fails():
    w = Workload("--calls", 1)
    try:
        one_line_error(run("lat", "-p", w.pid, "-d", "5", f"{LIBZ}:inflate"),
                       f"pid {w.pid} maps none of the files to probe ({LIBZ})")
    finally:
        w.kill()


def test_children_a_descendant_mapping_the_file_is_enough():
    # the parent waits for its child, which loads libfxlib and calls it
    w = Contained("--fork", "--load", FX_LIB)
    lib = str(FX_LIB.resolve())
    try:
        one_line_error(run("watch", "-p", w.pid, "-d", "5", "--op", f"w {lib}:fxlib_work count"),
                       f"pid {w.pid} maps none of the files to probe ({lib})")
        one_line_error(run("watch", "-p", w.pid, "--children", "-d", "5",
                           "--op", f"z {LIBZ}:inflate count"),
                       f"neither pid {w.pid} nor its descendants map any file", LIBZ)
        t = Tracer("watch", "-p", w.pid, "--children", "--json", "--op",
                   f"w {lib}:fxlib_work count", "--op", f"z {LIBZ}:inflate count").wait_tracing()
        w.call(4)
        assert t.stop() == 0, t.stderr
        warn = warnings(t)
        assert len(warn) == 1 and f"no process of pid {w.pid}'s tree maps {LIBZ} (inflate)" \
            in warn[0], warn
        assert total(t.summary(), "w") == 4
    finally:
        w.kill()
