"""A -p process in a container or chroot cannot make synctrace open or probe a
host file: the files it maps are opened as mapped, paths are looked up inside
its root, and what does not match the mapping is refused.

fx_contain (tests/fixtures/procs/fx_contain.c) builds each scene itself: a
private mount namespace whose library is shadowed by a link to a host file, a
chroot with a link pointing out of it, a deleted library. It counts its own
calls of the library it loaded.
"""
import os
import shutil
import subprocess
import threading

import pytest

from conftest import BUILD, FX_LIB, SYNCTRACE, Tracer, run

FX_CONTAIN = BUILD / "fixtures" / "procs" / "fx_contain"
SHADOW = "/etc/shadow"

# map_files (the mapping itself) needs CAP_SYS_ADMIN; without it the path is
# looked up in the process's root and checked against the mapping
NO_SYS_ADMIN = "+bpf,+perfmon,+sys_ptrace"


class Contained:
    """fx_contain STEPS...: waits for 'ready', then calls on request."""

    def __init__(self, *steps):
        self.proc = subprocess.Popen([str(FX_CONTAIN), *map(str, steps)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.pid = self.proc.pid
        line = self.proc.stdout.readline()
        assert line.startswith("ready "), f"fx_contain said {line!r}"
        self.server = int(line.split()[1])

    def call(self, n):
        self.proc.stdin.write(f"call {n}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == f"called {n}\n"
        return n

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def one_line_error(result, *needles):
    rc, out, err = result
    assert rc == 1, f"exit {rc}, wanted 1: {err!r} {out[:300]!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synctrace: "), lines
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"
    return lines[0]


def with_caps(caps, *args):
    """synctrace ARGS with exactly caps (uid 0, the bounding set cut to them)."""
    return ["setpriv", f"--bounding-set=-all,{caps}", f"--inh-caps=-all,{caps}",
            str(SYNCTRACE), *map(str, args)]


def capped(caps, *args, timeout=30):
    p = subprocess.run(with_caps(caps, *args), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class CappedTracer(Tracer):
    """A Tracer whose synctrace runs with exactly caps (Tracer's own start, another argv)."""

    def __init__(self, caps, *args):
        self.cmd = with_caps(caps, *args)
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.err_lines = []
        self.tracing = threading.Event()
        self.out = None
        self._t = threading.Thread(target=self._read_err, daemon=True)
        self._t.start()


def count_json(tracer_args, work, calls, caps=None):
    """count -p ... --json while work calls its library; the summary's ops."""
    args = ["count", "-p", work.pid, "--json", *tracer_args]
    t = (CappedTracer(caps, *args) if caps else Tracer(*args)).wait_tracing()
    work.call(calls)
    assert t.stop() == 0, t.stderr
    return t.summary()["ops"], t.stderr


# ---- a private mount namespace: the library it maps is shadowed ----

@pytest.fixture
def host_lib(tmp_path):
    """A library only the host side names: a link target that is not the mapping."""
    d = tmp_path / "host"
    d.mkdir()
    lib = d / "libhostonly.so"
    shutil.copy(FX_LIB, lib)
    return lib


def shadowed(tmp_path, target):
    """In its own mount namespace: libevil.so loaded from a tmpfs, then that
    tmpfs shadowed by another whose libevil.so links to target."""
    d = tmp_path / "ns"
    d.mkdir()
    lib = d / "libevil.so"
    return Contained("--tmpfs", d, "--copy", FX_LIB, lib, "--load", lib,
                     "--tmpfs", d, "--symlink", target, lib), lib


def test_list_of_a_shadowed_library_lists_the_mapped_file(tmp_path):
    w, lib = shadowed(tmp_path, SHADOW)
    try:
        for name in ("libevil", str(lib)):
            rc, out, err = run("list", "-p", w.pid, name)
            assert rc == 0, err
            lines = out.splitlines()
            assert lines[0] == str(lib), lines[:2]
            assert any(l.split()[:2] == ["func", "fxlib_work"] for l in lines), out
            assert SHADOW not in out + err
    finally:
        w.kill()


def test_count_in_a_shadowed_library_probes_the_mapped_file(tmp_path, host_lib):
    w, lib = shadowed(tmp_path, host_lib)
    try:
        ops, err = count_json(["libevil:fxlib_*"], w, 7)
        assert [(o["target"], o["count"]) for o in ops] == [(f"{lib}:fxlib_work", 7)], ops
        assert str(host_lib) not in err
    finally:
        w.kill()


def test_without_map_files_only_what_matches_the_mapping_is_opened(tmp_path, host_lib):
    """Without CAP_SYS_ADMIN: the shadowed library's path leads to another file,
    refused; an intact library's path leads to it, traced exactly."""
    intact = tmp_path / "libintact.so"
    shutil.copy(FX_LIB, intact)
    d, lib = tmp_path / "ns2", tmp_path / "ns2" / "libevil.so"
    d.mkdir()
    w = Contained("--tmpfs", d, "--copy", FX_LIB, lib, "--load", lib, "--tmpfs", d,
                  "--symlink", host_lib, lib, "--load", intact)
    try:
        for args in (["count", "-p", w.pid, "-d", "5", "libevil:fxlib_*"],
                     ["list", "-p", w.pid, "libevil"]):
            line = one_line_error(capped(NO_SYS_ADMIN, *args), str(lib),
                                  "no longer the file it maps")
            assert str(host_lib) not in line
        ops, err = count_json(["libintact:fxlib_work"], w, 5, caps=NO_SYS_ADMIN)
        assert [(o["target"], o["count"]) for o in ops] == [(f"{intact}:fxlib_work", 5)], ops
    finally:
        w.kill()


# ---- a chroot: links out of it lead nowhere ----

def jailed(tmp_path, host_lib):
    """Chrooted into jail/, having loaded jail/app/libfoo.so; jail/app/libevil.so
    links to host_lib, which the jail does not have."""
    jail = tmp_path / "jail"
    (jail / "app").mkdir(parents=True)
    shutil.copy(FX_LIB, jail / "app" / "libfoo.so")
    os.symlink(host_lib, jail / "app" / "libevil.so")
    return Contained("--load", jail / "app" / "libfoo.so", "--chroot", jail), jail


def test_chrooted_library_is_named_as_the_process_names_it(tmp_path, host_lib):
    w, jail = jailed(tmp_path, host_lib)
    try:
        ops, _ = count_json(["libfoo:fxlib_work"], w, 5)
        assert [(o["target"], o["count"]) for o in ops] == [("/app/libfoo.so:fxlib_work", 5)]
        rc, out, err = run("list", "-p", w.pid, "fxlib_*")
        assert rc == 0, err
        assert [l for l in out.splitlines() if not l.startswith(" ")] == ["/app/libfoo.so"]
    finally:
        w.kill()


def test_paths_out_of_a_chroot_are_not_found(tmp_path, host_lib):
    w, _ = jailed(tmp_path, host_lib)
    try:
        for name in ("/app/libevil.so", str(host_lib)):
            rc, out, err = run("list", "-p", w.pid, name)
            one_line_error((rc, out, err), f"'{name}' not found in pid {w.pid}")
            assert out == ""
            one_line_error(run("count", "-p", w.pid, "-d", "5", f"{name}:fxlib_work"),
                           f"'{name}' not found in pid {w.pid}")
            one_line_error(run("watch", "-p", w.pid, "-d", "5", "--op",
                               f"w {name}:fxlib_work count"), f"'{name}' not found")
    finally:
        w.kill()


# ---- a deleted library is named by its path ----

def test_deleted_library_is_named_by_its_path(tmp_path):
    lib = tmp_path / "libdel.so"
    w = Contained("--copy", FX_LIB, lib, "--load", lib, "--unlink", lib)
    shown = f"{lib} (deleted)"
    try:
        ops, _ = count_json(["libdel:fxlib_work"], w, 3)
        assert [(o["target"], o["count"]) for o in ops] == [(f"{shown}:fxlib_work", 3)]
        line = one_line_error(run("count", "-p", w.pid, "libdel:no_such_fn"),
                              "libdel.so (deleted): symbol 'no_such_fn' not found")
        assert "map_files" not in line
        rc, out, err = run("list", "-p", w.pid, "libdel")
        assert rc == 0 and out.splitlines()[0] == shown, (out, err)
    finally:
        w.kill()
