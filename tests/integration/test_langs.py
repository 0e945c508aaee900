"""C++ and Rust (legacy and v0 mangling) names: demangled in `list`, matched by
targets in `lat`, `count` and `watch`.

The fixtures (tests/fixtures/langs/) print their own truth: how many times each
function ran, and sync::push's duration inside and around each call. What
their names demangle to is binutils' (nm, and c++filt, which reads Rust too),
never written here."""
import json
import re
import subprocess

import pytest

from conftest import (BUILD, Tracer, Workload, assert_latency_between, assert_no_drops, op,
                      run)

LANGS = BUILD / "fixtures" / "langs"
FX_CPP = LANGS / "fx_cpp"
FX_RS = {"legacy": LANGS / "fx_rs_legacy", "v0": LANGS / "fx_rs_v0"}
CALLS = 200


def binutils_names(path):
    """{mangled: (c++filt -i, c++filt)} for path's defined functions."""
    out = subprocess.run(["nm", "--defined-only", str(path)], capture_output=True, text=True,
                         check=True).stdout
    raw = sorted({f[2] for f in (l.split() for l in out.splitlines())
                  if len(f) == 3 and f[1] in "tTwW"})
    short, verbose = (subprocess.run(["c++filt", *opt], input="\n".join(raw), text=True,
                                     capture_output=True, check=True).stdout.splitlines()
                      for opt in (["-i"], []))
    return dict(zip(raw, zip(short, verbose)))


def without_return_type(filt):
    """A name as c++filt prints it, without a template function's return type
    ("int sync::twice<int>(int)"): as synctrace shows it."""
    return re.sub(r"^[\w:*&<> ]*? (?=\w+::)", "", filt)


def mangled_of(path, prefix):
    """The mangled names of path's functions whose name starts with prefix."""
    return sorted(m for m, (short, _) in binutils_names(path).items()
                  if without_return_type(short).startswith(prefix))


def traced(binary, command, *targets, extra=()):
    """Start binary --wait-go, attach `synctrace COMMAND -p PID --json TARGETS`,
    run it to the end: (truth, summary)."""
    w = Workload("--calls", CALLS, binary=binary)
    t = Tracer(command, "-p", w.pid, "--json", *extra, *targets).wait_tracing()
    w.go()
    truth = w.truth()
    w.finish()
    assert t.wait() == 0, t.stderr
    return truth, t.summary()


def counts(summary):
    return {o["op"]: o["count"] for o in summary["ops"]}


# --- list --------------------------------------------------------------------

def test_list_cxx_demangled_each_overload_a_row():
    want = mangled_of(FX_CPP, "sync::")
    assert len(want) == 5, want                  # 2 overloads, 2 instances, push
    rc, out, err = run("list", "--json", FX_CPP, "sync::*")
    assert rc == 0, err
    (obj,) = [json.loads(l) for l in out.splitlines()]
    rows = obj["functions"]
    assert sorted(r["mangled"] for r in rows) == want
    names = binutils_names(FX_CPP)
    for r in rows:
        assert r["name"] == without_return_type(names[r["mangled"]][0]), r
    assert len({r["name"] for r in rows}) == 5
    # text: one row each, demangled; --mangled: as the file spells them
    rc, out, err = run("list", FX_CPP, "sync::Engine::apply")
    assert rc == 0, err
    funcs = [l for l in out.splitlines() if l.startswith("  func")]
    assert len(funcs) == 2 and all("sync::Engine::apply(" in l for l in funcs), out
    rc, out, err = run("list", "--mangled", FX_CPP, "sync::Engine::apply")
    assert rc == 0, err
    assert sorted(l.split()[1] for l in out.splitlines() if l.startswith("  func")) == \
        mangled_of(FX_CPP, "sync::Engine::apply")


@pytest.mark.parametrize("mangling", ["legacy", "v0"])
def test_list_rust_demangled_monomorphisations_apart(mangling):
    path = FX_RS[mangling]
    want = mangled_of(path, "main::sync::")
    assert len(want) == 3, want                  # push, apply twice
    rc, out, err = run("list", "--json", path, "sync::*")
    assert rc == 0, err
    rows = [r for r in json.loads(out)["functions"]
            if r["name"].startswith("main::")]
    assert sorted(r["mangled"] for r in rows) == want
    names = binutils_names(path)
    shown = {r["mangled"]: r["name"] for r in rows}
    for m in want:
        short, verbose = names[m]
        if mangling == "v0":                    # generic arguments tell them apart
            assert shown[m] == short
        elif short == "main::sync::apply":      # alike but for the hash: with it
            assert shown[m] == verbose and re.fullmatch(r"main::sync::apply::h[0-9a-f]{16}",
                                                         shown[m])
        else:
            assert shown[m] == short == "main::sync::push"
    assert len(set(shown.values())) == 3


def test_list_mangled_and_unknown_names():
    rc, out, err = run("list", "--mangled", FX_RS["legacy"], "sync::push")
    assert rc == 0, err
    assert [l.split()[1] for l in out.splitlines() if l.startswith("  func")] == \
        mangled_of(FX_RS["legacy"], "main::sync::push")
    rc, out, err = run("list", FX_CPP, "sync::nothing*")
    assert rc == 1 and "no function or USDT probe matches 'sync::nothing*'" in err, err


# --- lat and count ------------------------------------------------------------

def check_push(summary, truth, name):
    """sync::push exact, its latency inside the fixture's bracket."""
    assert [o["op"] for o in summary["ops"]] == [name]
    o = op(summary, name)
    assert o["count"] == truth["calls"]["push"] == CALLS, \
        f"expected {truth['calls']['push']} calls, traced {o['count']}"
    assert_latency_between(o["latency_ns"], truth["push_inner"], truth["push"])
    assert_no_drops(summary)


def test_lat_cxx_push_exact_within_bracket():
    truth, s = traced(FX_CPP, "lat", "sync::push")
    (m,) = mangled_of(FX_CPP, "sync::push")
    check_push(s, truth, binutils_names(FX_CPP)[m][0])


@pytest.mark.parametrize("mangling", ["legacy", "v0"])
def test_lat_rust_push_exact_within_bracket(mangling):
    truth, s = traced(FX_RS[mangling], "lat", "sync::push")
    check_push(s, truth, "main::sync::push")


def test_count_cxx_overloads_and_instances_each_exact():
    truth, s = traced(FX_CPP, "count", "sync::Engine::apply*", "sync::twice")
    c = counts(s)
    assert len(c) == 4, c
    (apply_int,) = [n for n in c if n.startswith("sync::Engine::apply(int)")]
    (apply_str,) = [n for n in c if n.startswith("sync::Engine::apply(") and n != apply_int]
    assert "basic_string" in apply_str
    assert c[apply_int] == truth["calls"]["apply(int)"] == 2 * CALLS
    assert c[apply_str] == truth["calls"]["apply(string)"] == 3 * CALLS
    assert c["sync::twice<int>(int)"] == truth["calls"]["twice<int>"] == 4 * CALLS
    assert c["sync::twice<double>(double)"] == truth["calls"]["twice<double>"] == 5 * CALLS


def test_count_rust_legacy_monomorphisations_exact():
    truth, s = traced(FX_RS["legacy"], "count", "sync::apply")
    c = counts(s)
    hashes = {binutils_names(FX_RS["legacy"])[m][1] for m in
              mangled_of(FX_RS["legacy"], "main::sync::apply")}
    assert set(c) == hashes and len(hashes) == 2, (c, hashes)
    # which hash is which type only the compiler knows: the two counts, exact
    assert sorted(c.values()) == sorted([truth["calls"]["apply<u64>"],
                                         truth["calls"]["apply<&str>"]]) == [2 * CALLS, 3 * CALLS]


def test_count_rust_v0_instances_exact():
    truth, s = traced(FX_RS["v0"], "count", "main::sync::apply*")
    assert counts(s) == {"main::sync::apply::<u64>": truth["calls"]["apply<u64>"],
                         "main::sync::apply::<&str>": truth["calls"]["apply<&str>"]}
    assert truth["calls"]["apply<u64>"] == 2 * CALLS


def test_count_without_pid_on_private_copy(private):
    fx = private.copy(FX_RS["v0"])                # no other process runs the copy
    t = Tracer("count", "--json", f"{fx}:sync::push").wait_tracing()
    w = Workload("--calls", 50, wait_go=False, binary=fx)
    truth = w.truth()
    w.finish()
    assert t.stop() == 0, t.stderr
    assert truth["calls"]["push"] == 50
    assert counts(t.summary()) == {"main::sync::push": 50}


def test_watch_op_on_demangled_name_exact():
    truth, s = traced(FX_CPP, "watch", extra=["--op", "pushes sync::push count"])
    assert sum(o["count"] for o in s["ops"] if o["op"] == "pushes") == \
        truth["calls"]["push"] == CALLS


def test_bare_name_does_not_look_inside_scopes():
    w = Workload("--calls", 1, binary=FX_CPP)
    try:
        t = Tracer("count", "-p", w.pid, "push")
        assert t.wait() == 1
        assert "symbol 'push' not found (did you mean sync::push?)" in t.stderr, t.stderr
    finally:
        w.kill()
