"""`synctrace list`: functions with sizes and USDT probes."""
import re

from conftest import FX_CALLS, Workload, run


def test_list_binary_functions_and_usdt():
    rc, out, err = run("list", FX_CALLS, "fx*")
    assert rc == 0, err
    assert re.search(r"func\s+fx_work\s+size [1-9]\d*", out)
    assert re.search(r"func\s+fx_recurse\s+size [1-9]\d*", out)
    assert re.search(r"usdt\s+fx:work_done\s+args 1\s+semaphore yes", out)
    assert "main" not in out.split()                  # filtered by the pattern


def test_list_pid_library_by_short_name():
    w = Workload("--calls", 1)
    try:
        rc, out, err = run("list", "-p", w.pid, "libfxlib")
        assert rc == 0, err
        assert "libfxlib.so" in out.splitlines()[0]
        assert re.search(r"func\s+fxlib_work\s+size", out)
        rc, out, err = run("list", "-p", w.pid, "fx*_work")   # a pattern over every object
        assert rc == 0, err
        assert "fx_work" in out and "fxlib_work" in out
    finally:
        w.kill()


def test_list_missing_binary():
    rc, out, err = run("list", "/nonexistent")
    assert rc == 1 and "not found" in err
