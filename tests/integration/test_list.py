"""`synctrace list`: functions with sizes and USDT probes, as text or NDJSON.
Ground truth from binutils (nm, readelf) over the same files."""
import json
import re
import subprocess

from conftest import BUILD, FX_CALLS, FX_LIB, Workload, run

FX_NOTES = BUILD / "fixtures" / "procs" / "fx_notes"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"


def nm_sizes(path):
    """{function: size} of path's defined text symbols, as nm sees them."""
    out = subprocess.run(["nm", "-S", "--defined-only", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return {f[3]: int(f[1], 16) for f in (l.split() for l in out.splitlines())
            if len(f) == 4 and f[2] in "tT"}


def usdt_sites(path):
    """{(provider, name): [sites, semaphore?, args]} from readelf's notes."""
    out = subprocess.run(["readelf", "-n", str(path)], capture_output=True, text=True,
                         check=True).stdout
    probes = {}
    for m in re.finditer(r"Provider: (\S+)\s+Name: (\S+)\s+Location: \S+, Base: \S+, "
                         r"Semaphore: (\S+)\s+Arguments: ?(.*)", out):
        p = probes.setdefault((m[1], m[2]), [0, False, len(m[4].split())])
        p[0] += 1
        p[1] |= int(m[3], 16) != 0
    return probes


def headers(out):
    return [l for l in out.splitlines() if not l.startswith(" ")]


def test_list_binary_functions_and_usdt():
    rc, out, err = run("list", FX_CALLS, "fx*")
    assert rc == 0, err
    assert re.search(r"func\s+fx_work\s+size [1-9]\d*", out)
    assert re.search(r"func\s+fx_recurse\s+size [1-9]\d*", out)
    assert re.search(r"usdt\s+fx:work_done\s+args 1\s+semaphore yes\s+sites 1", out)
    assert "main" not in out.split()                  # filtered by the pattern


def test_list_one_line_per_usdt_probe_with_its_sites():
    truth = usdt_sites(FX_NOTES)
    assert truth[("fxsites", "twice")][0] == 2        # the fixture's premise
    rc, out, err = run("list", FX_NOTES, "fxsites:*")
    assert rc == 0, err
    lines = [l.split() for l in out.splitlines() if l.startswith("  usdt")]
    assert lines == [["usdt", "fxsites:twice", "args", "1", "semaphore", "no", "sites", "2"]]


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


def test_list_pid_shows_only_objects_with_a_match():
    w = Workload("--calls", 1)
    try:
        rc, out, err = run("list", "-p", w.pid, "fx_work")
        assert rc == 0, err
        assert headers(out) == [str(FX_CALLS.resolve())], out
        rc, out, err = run("list", "-p", w.pid, "fxlib_*")
        assert rc == 0, err
        assert headers(out) == [str(FX_LIB.resolve())], out
    finally:
        w.kill()


def test_list_nothing_matching_is_one_error_line():
    w = Workload("--calls", 1)
    try:
        for args, what in ((["-p", w.pid, "no_such_fn_*"], f"pid {w.pid}"),
                           ([FX_CALLS, "no_such_fn_*"], str(FX_CALLS))):
            rc, out, err = run("list", *args)
            assert rc == 1 and out == "", (rc, out)
            assert err.strip().splitlines() == [
                f"synctrace: {what}: no function or USDT probe matches 'no_such_fn_*'"]
    finally:
        w.kill()


def test_list_json_matches_the_files():
    rc, out, err = run("list", "--json", FX_CALLS, "fx*")
    assert rc == 0, err
    (obj,) = [json.loads(l) for l in out.splitlines()]
    sizes = nm_sizes(FX_CALLS)
    assert obj["path"] == str(FX_CALLS)
    assert obj["functions"] == [
        {"name": n, "mangled": n, "version": None, "default_version": False, "size": sizes[n],
         "ifunc": False, "source": "symtab"}
        for n in ("fx_recurse", "fx_work")]
    assert obj["usdt"] == [
        {"provider": p, "name": n, "args": args, "semaphore": sema, "sites": sites}
        for (p, n), (sites, sema, args) in sorted(usdt_sites(FX_CALLS).items())]


def test_list_json_versions_and_ifuncs():
    dyn = subprocess.run(["readelf", "--dyn-syms", "-W", LIBC], capture_output=True, text=True,
                         check=True).stdout
    truth = sorted((m[3], m[2] == "@@", int(m[1]), True if " IFUNC " in m[0] else False)
                   for m in re.finditer(r".*: [0-9a-f]+\s+(\d+) \w+\s+\w+\s+\w+\s+\d+ "
                                        r"memcpy(@@?)(\S+)", dyn))
    assert len(truth) == 2, truth
    rc, out, err = run("list", "--json", LIBC, "memcpy")
    assert rc == 0, err
    (obj,) = [json.loads(l) for l in out.splitlines()]
    got = sorted((f["version"], f["default_version"], f["size"], f["ifunc"])
                 for f in obj["functions"])
    assert got == truth


def test_list_json_of_a_process_one_object_per_file():
    w = Workload("--calls", 1)
    try:
        rc, out, err = run("list", "-p", w.pid, "--json", "fx*")
        assert rc == 0, err
        objs = [json.loads(l) for l in out.splitlines()]
        assert [o["path"] for o in objs] == [str(FX_CALLS.resolve()), str(FX_LIB.resolve())]
        assert [f["name"] for f in objs[1]["functions"]] == ["fxlib_work"]
        assert objs[1]["usdt"] == []
    finally:
        w.kill()


def test_list_missing_binary():
    rc, out, err = run("list", "/nonexistent")
    assert rc == 1 and "not found" in err


def test_list_verbose_names_the_table_of_each_function():
    rc, out, err = run("list", "-v", FX_CALLS, "fx*")
    assert rc == 0, err
    funcs = [l.split() for l in out.splitlines() if l.lstrip().startswith("func")]
    assert [f[1] for f in funcs] == ["fx_recurse", "fx_work"]
    assert all(f[-2:] == ["from", "symtab"] for f in funcs), funcs
