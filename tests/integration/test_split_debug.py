"""Symbols from separate debug files (tests/fixtures/debug.mk): a stripped
fx_split whose static functions only a .gnu_debuglink file, a build-id file
or its MiniDebugInfo names, counted exactly against the fixture's own truth;
libc's static _int_malloc from Debian's libc6-dbg; and, with -p, the lookup
inside the process's root (a private mount namespace that alone sees the
debug files)."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, Private, Tracer, op, run

FX = BUILD / "fixtures" / "debug"
STATICS = ("split_apply", "split_hash", "split_run")


def build_id(path):
    """The build-id readelf reads in path, as 'xx/rest'."""
    out = subprocess.run(["readelf", "-n", str(path)], capture_output=True, text=True,
                         check=True).stdout
    (hexid,) = [l.split(":", 1)[1].strip() for l in out.splitlines() if "Build ID:" in l]
    return f"{hexid[:2]}/{hexid[2:]}"


def place(dst, src):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return dst


def layout(priv, variant):
    """The stripped program of variant in priv/bin, its debug file where that
    variant's lookup finds it (priv/dbg is the debug root). Returns the
    program and the way list -v must name."""
    bindir, dbg = priv.dir / "bin", priv.dir / "dbg"
    dbg.mkdir()
    if variant == "beside":
        place(bindir / "fx_split.debug", FX / "fx_split.debug")
    elif variant == "dotdebug":
        place(bindir / ".debug" / "fx_split.debug", FX / "fx_split.debug")
    elif variant == "debug-root":
        place(dbg / str(bindir).lstrip("/") / "fx_split.debug", FX / "fx_split.debug")
    elif variant == "build-id":
        prog = place(bindir / "fx_split_bid", FX / "fx_split_bid_stripped")
        place(dbg / ".build-id" / (build_id(prog) + ".debug"), FX / "fx_split_bid.debug")
        return prog, "build-id"
    elif variant == "minidebuginfo":
        return place(bindir / "fx_split_mini", FX / "fx_split_mini"), "minidebuginfo"
    elif variant == "bad-crc":
        place(bindir / "fx_split.debug", FX / "fx_split.debug.badcrc")
    return place(bindir / "fx_split_link", FX / "fx_split_link"), "debuglink"


def debug_env(priv):
    return dict(os.environ, SYNCTRACE_DEBUG_ROOT=str(priv.dir / "dbg"))


def run_fixture(prog, *args):
    p = subprocess.run([str(prog), *map(str, args)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


VARIANTS = ["beside", "dotdebug", "debug-root", "build-id", "minidebuginfo"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_static_functions_of_a_stripped_program_count_exactly(private, variant):
    prog, way = layout(private, variant)
    env = debug_env(private)
    t = Tracer("count", "--json", f"{prog}:split_*", env=env).wait_tracing()
    truth = run_fixture(prog, "--calls", 321)
    assert t.stop() == 0, t.stderr
    s = t.summary()
    for name in STATICS:
        traced, want = op(s, name)["count"], truth["calls"][name]
        assert traced == want, f"{variant}: {name}: expected {want} calls, traced {traced}"


@pytest.mark.no_bpf
@pytest.mark.parametrize("variant", VARIANTS)
def test_list_v_names_the_source_of_each_function(private, variant):
    prog, way = layout(private, variant)
    rc, out, err = run("list", "-v", prog, env=debug_env(private))
    assert rc == 0, err
    lines = out.splitlines()
    for name in STATICS:
        (line,) = [l for l in lines if l.split()[1:2] == [name]]
        assert line.endswith(f"from {way}"), line
    (api,) = [l for l in lines if " fx_split_api " in l]
    assert api.endswith("from dynsym"), api          # exported: the file's own table
    debug = [l for l in lines if l.startswith("  debug ")]
    assert len(debug) == 1 and debug[0].startswith("  debug symbols from "), debug
    rc, out, _ = run("list", "--json", prog, "split_apply", env=debug_env(private))
    assert rc == 0 and json.loads(out)["functions"][0]["source"] == way


@pytest.mark.no_bpf
def test_debug_file_with_a_wrong_crc_is_refused_and_says_why(private):
    prog, _ = layout(private, "bad-crc")
    env = debug_env(private)
    rc, out, err = run("count", f"{prog}:split_apply", env=env)
    assert rc != 0
    assert "symbol 'split_apply' not found (its debug file was refused: see list -v)" in err
    assert len(err.strip().splitlines()) == 1, err
    rc, out, err = run("list", "-v", prog, env=env)
    assert rc == 0, err
    assert f"  debug skipped {private.dir}/bin/fx_split.debug: CRC " in out, out
    assert "split_apply" not in out


def libc_debug_file():
    libc = Path(os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6"))
    dbg = Path("/usr/lib/debug/.build-id") / (build_id(libc) + ".debug")
    assert dbg.exists(), f"{dbg} missing: libc6-dbg (scripts/deps.sh) must match {libc}"
    return libc, dbg


class Waiting:
    """A fixture started with --wait-go (maybe through a wrapper command)."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(list(map(str, cmd)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("ready "), f"fixture said {line!r}"
        self.pid = int(line.split()[1])

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        truth = json.loads(self.proc.stdout.readline())
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0
        return truth

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_libc_static_int_malloc_from_libc6_dbg_counts_exactly():
    libc, dbg = libc_debug_file()
    rc, out, err = run("list", "-v", libc, "_int_malloc")
    assert rc == 0, err
    assert f"  debug symbols from {dbg} (build-id)" in out, out
    assert out.rstrip().endswith("from build-id"), out
    # every malloc above the tcache's sizes runs _int_malloc once
    w = Waiting([str(FX / "fx_split"), "--wait-go", "--calls", 1, "--mallocs", 2345])
    try:
        t = Tracer("count", "--json", "-p", w.pid, "libc:_int_malloc").wait_tracing()
        truth = w.go()
    finally:
        w.kill()
    assert t.wait() == 0, t.stderr
    traced = op(t.summary(), "_int_malloc")["count"]
    assert traced == truth["mallocs"] == 2345, \
        f"expected {truth['mallocs']} calls of _int_malloc, traced {traced}"


def test_with_p_debug_files_are_looked_up_in_the_process_root(private):
    """Only the traced process sees the build-id tree (bind-mounted over
    /usr/lib/debug in its own mount namespace): found through /proc/PID/root."""
    prog, _ = layout(private, "build-id")
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) missing")
    rc, _, err = run("count", f"{prog}:split_apply")     # our own root has no such file
    assert rc != 0 and "symbol 'split_apply' not found" in err, err
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount --bind "$1" /usr/lib/debug && exec "$2" --wait-go --calls 77',
            "sh", str(private.dir / "dbg"), str(prog)]
    w = Waiting(wrap)
    try:
        rc, out, err = run("list", "-v", "-p", w.pid, "split_apply")
        assert rc == 0, err
        assert f"  debug symbols from /usr/lib/debug/.build-id/{build_id(prog)}.debug " \
               "(build-id)" in out, out
        t = Tracer("count", "--json", "-p", w.pid, "split_*").wait_tracing()
        truth = w.go()
    finally:
        w.kill()
    assert t.wait() == 0, t.stderr
    s = t.summary()
    for name in STATICS:
        traced, want = op(s, name)["count"], truth["calls"][name]
        assert traced == want, f"{name}: expected {want} calls, traced {traced}"


@pytest.mark.no_bpf
def test_a_function_starting_with_avx512_is_refused():
    """libc6-dbg names glibc's AVX-512 variants (__strchr_evex starts with
    vpbroadcastb %esi,%ymm17); a uprobe there makes every call return a wrong
    pointer. Refused before anything attaches, whatever the CPU. (With probe
    placement on, the probe moves past it: test_placement.py.)"""
    libc_debug_file()
    rc, out, err = run("count", "--placement=off", "libc:__strchr_evex")
    assert rc == 1, err
    assert err.strip() == "synctrace: cannot attach uprobes: __strchr_evex in " \
        f"{os.path.realpath('/lib/x86_64-linux-gnu/libc.so.6')} starts with an AVX-512 (EVEX) " \
        "instruction, which uprobes execute wrongly: the program would compute wrong results", err


def test_a_glob_over_avx512_variants_leaves_them_out_and_the_program_intact():
    """printf finds its '%'s with strchrnul, __strchrnul_evex on an AVX-512
    CPU: probed, the fixture's own truth line came out as its format string.
    (At +0: placement would move the probe past it, test_placement.py.)"""
    libc_debug_file()
    w = Waiting([str(FX / "fx_split"), "--wait-go", "--calls", 9])
    try:
        t = Tracer("count", "--placement=off", "--json", "-p", w.pid, "libc:__strchr*",
                   "split_*").wait_tracing()
        truth = w.go()          # a JSON line, and right
    finally:
        w.kill()
    assert t.wait() == 0, t.stderr
    assert truth["calls"]["split_apply"] == 9
    assert op(t.summary(), "split_apply")["count"] == 9
    warn = [l for l in t.err_lines if "cannot probe" in l]
    assert len(warn) == 1 and "not traced" in warn[0], t.err_lines
    assert all(o["op"] not in ("__strchr_evex", "__strchrnul_evex") for o in t.summary()["ops"])
