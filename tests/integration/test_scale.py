"""A glob over a whole library: thousands of sites, some the kernel refuses."""
from conftest import op, traced


def test_every_libc_function_in_one_process():
    truth, t = traced("count", ["--all", "libc:*"], ["--calls", 40], link="multi")
    s = t.summary()
    assert len(s["ops"]) > 1000, len(s["ops"])       # --all: the functions never called too
    # fx_work sleeps once per call (nanosleep -> clock_nanosleep) and reads
    # the clock twice around it and twice inside: exact counts from the
    # fixture's own code
    n = truth["calls"]["fx_work"]
    assert op(s, "nanosleep")["count"] == n
    assert op(s, "clock_nanosleep")["count"] == n
    assert op(s, "clock_gettime")["count"] == 4 * n
    # one line per kind of warning, however many functions it concerns
    warnings = [l for l in t.err_lines if "warning" in l]
    assert len(warnings) <= 2, warnings
