"""Bad input: one clear line on stderr, a non-zero exit, nothing attached."""
import os
import time
import subprocess

import pytest

from conftest import BUILD, FX_CALLS, SYNCTRACE, Workload, run

FX_NOTES = BUILD / "fixtures" / "procs" / "fx_notes"


def one_line_error(result, want_rc, *needles):
    rc, _, err = result
    assert rc == want_rc, f"exit {rc}, wanted {want_rc}: {err!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {lines}"
    assert lines[0].startswith("synctrace: ") or lines[0].startswith("synctrace "), lines[0]
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_no_such_pid():
    one_line_error(run("lat", "-p", dead_pid(), "fx_work"), 1, "no such process")


def test_unknown_symbol_suggests_the_closest():
    one_line_error(run("lat", f"{FX_CALLS}:fx_wrok"), 1,
                   "symbol 'fx_wrok' not found", "did you mean fx_work?")


def test_unknown_symbol_in_pid():
    w = Workload("--calls", 1)
    try:
        one_line_error(run("count", "-p", w.pid, "fx_recurze"), 1, "did you mean fx_recurse?")
    finally:
        w.kill()


def test_glob_without_match():
    one_line_error(run("count", f"{FX_CALLS}:nothing_here_*"), 1,
                   "no function matches 'nothing_here_*'")


def test_binary_not_found():
    one_line_error(run("lat", "/nonexistent/relayd:push"), 1, "'/nonexistent/relayd' not found")
    one_line_error(run("lat", "libdoesnotexist:f"), 1, "'libdoesnotexist' not found")


def test_library_not_mapped_by_pid():
    w = Workload("--calls", 1)
    try:
        one_line_error(run("lat", "-p", w.pid, "libsqlite3:sqlite3_step"), 1,
                       "not found in pid")
    finally:
        w.kill()


@pytest.mark.parametrize("target", ["bin:", ":sym", "usdt:onlyone", "usdt:a:", "a b", ""])
def test_malformed_target_is_a_usage_error(target):
    one_line_error(run("count", target), 2)


def test_symbol_without_binary_or_pid_is_a_usage_error():
    one_line_error(run("lat", "fx_work"), 2, "names no binary")


def test_corrupt_elf(tmp_path):
    bad = tmp_path / "corrupt"
    data = FX_CALLS.read_bytes()
    bad.write_bytes(data[:64] + b"\xff" * 200)
    bad.chmod(0o755)
    one_line_error(run("lat", f"{bad}:fx_work"), 1, "not a valid ELF file")
    text = tmp_path / "text"
    text.write_text("#!/bin/sh\necho hi\n")
    one_line_error(run("count", f"{text}:main"), 1, "not a valid ELF file")


@pytest.mark.no_bpf
@pytest.mark.parametrize("args", [[], ["frobnicate"], ["lat"], ["lat", "-i", "0", "x:y"],
                                  ["lat", "-i", "abc", "x:y"], ["count", "-p", "-5", "f"],
                                  ["lat", "--bogus", "x:y"], ["list"]])
def test_bad_command_line_exits_2(args):
    rc, out, err = run(*args)
    assert rc == 2, (args, rc, err)
    assert err.strip(), "no message"


@pytest.mark.no_bpf
def test_not_root_is_told_what_to_do():
    if os.geteuid() != 0:
        rc, _, err = run("lat", f"{FX_CALLS}:fx_work")
    else:  # drop to nobody with no capabilities
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--inh-caps=-all", str(SYNCTRACE), "lat", f"{FX_CALLS}:fx_work"],
                           capture_output=True, text=True, timeout=30)
        rc, err = p.returncode, p.stderr
    one_line_error((rc, "", err), 1, "need root", "CAP_BPF")


def test_without_cap_sys_ptrace_the_error_says_so():
    """CAP_BPF and CAP_PERFMON load and attach; reading another process's maps
    and files (here: a root process with every capability) needs CAP_SYS_PTRACE."""
    caps = "+bpf,+perfmon"
    w = Workload("--calls", 1)
    try:
        for args in (["lat", "-p", w.pid, "fx_work"], ["count", "-p", w.pid, "libfxlib:fxlib_work"],
                     ["watch", "-p", w.pid, "--op", "w fx_work count"], ["list", "-p", w.pid]):
            p = subprocess.run(["setpriv", f"--bounding-set=-all,{caps}", f"--inh-caps=-all,{caps}",
                                str(SYNCTRACE), *map(str, args)],
                               capture_output=True, text=True, timeout=30)
            one_line_error((p.returncode, "", p.stderr), 1, f"pid {w.pid}", "permission denied",
                           "CAP_SYS_PTRACE")
    finally:
        w.kill()


def test_usdt_note_the_kernel_refuses_names_the_probe():
    """fxodd:hit's semaphore is at an odd offset, which uprobes refuse."""
    path = str(FX_NOTES.resolve())
    for args in (["count", "-d", "5", f"usdt:{FX_NOTES}:fxodd:hit"],
                 ["watch", "-d", "5", "--op", f"h usdt:{FX_NOTES}:fxodd:hit count"]):
        one_line_error(run(*args), 1, "USDT probe fxodd:hit in " + path, "Invalid argument")


def test_target_exits_before_attach_is_reported():
    w = Workload("--calls", 1)
    pid = w.pid
    w.kill()
    one_line_error(run("count", "-p", pid, "fx_work"), 1, "no such process")


def test_thread_id_names_its_process():
    w = Workload("--calls", 3000, "--threads", 2)
    try:
        w.go()
        deadline = time.monotonic() + 5
        tids = []
        while not tids and time.monotonic() < deadline:
            tids = [int(t) for t in os.listdir(f"/proc/{w.pid}/task") if int(t) != w.pid]
            time.sleep(0.05)
        assert tids, "fixture started no threads"
        one_line_error(run("count", "-p", tids[0], "fx_work"), 2,
                       f"is a thread of pid {w.pid}", f"use -p {w.pid}")
    finally:
        w.kill()


def test_usdt_target_without_binary_shows_the_form_that_works():
    one_line_error(run("count", "usdt:fx:work_done"), 2,
                   "use usdt:BINARY:PROVIDER:NAME, or -p PID")


def test_interval_has_a_floor_and_pids_are_digits():
    rc, _, err = run("count", "-i", "1e-9", f"{FX_CALLS}:fx_work")
    assert rc == 2 and "expected seconds >= 0.01" in err, err
    for bad in (" 12", "+12", "0x12", "12 "):
        rc, _, err = run("count", "-p", bad, "fx_work")
        assert rc == 2 and "invalid PID" in err, (bad, err)


def test_usage_is_what_help_says_it_is():
    for flag in ("--usage", "--help"):
        rc, out, err = run(flag)
        assert rc == 0 and out.startswith("Usage: synctrace COMMAND"), (flag, out, err)


def test_ops_over_the_memory_budget_are_refused_before_loading():
    w = Workload("--calls", 5)
    try:
        # one op with latency and value histograms (~16 KiB a label): 65536 labels pass 512 MiB
        one_line_error(run("watch", "-p", w.pid, "--max-labels", "65536", "--op",
                           "w fx_work value=arg0 by=arg0"), 2,
                       "over the budget of 512 MiB", "--max-labels 3", "fits")
        # a smaller budget refuses a lat glob: a histogram per function per CPU
        one_line_error(run("lat", "-p", w.pid, "libc:pthread_*",
                           env=dict(os.environ, SYNCTRACE_MAP_BUDGET_MB="1")), 2,
                       "lat on", "functions would take", "over the budget of 1 MiB")
    finally:
        w.kill()
