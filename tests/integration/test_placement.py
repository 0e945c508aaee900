"""Probe placement (loader/placement.h): entry probes moved off a
single-stepped first instruction to the entry block's first emulated one.

fx_place (tests/fixtures/placement/) has one assembly function per class of
prologue and says how often it called each, with which arguments, and how
long each call took inside and around. Placement must change no count, no
latency bracket and no argument read, on every class, with placement on and
off; list -v says where each probe goes; a real program's libc calls count
the same with a probe moved as with one at +0, in one run."""
import json
import os
import re
import subprocess

import pytest

from conftest import (BUILD, LINK_KINDS, Tracer, Workload, assert_latency_between,
                      labels, op, run)
from test_split_debug import FX as FX_DEBUG, Waiting, libc_debug_file

FX_PLACE = BUILD / "fixtures" / "placement" / "fx_place"
FUNCS = ("pl_push", "pl_testjcc", "pl_movpush", "pl_endbr", "pl_subcall", "pl_subonly",
         "pl_loop", "pl_table", "pl_args", "pl_clobber", "pl_shared_a", "pl_hint",
         "pl_shared_b")
# The instruction each function's entry probe moves to for a count (None: it stays at
# +0), as the assembly says; its offset is read from objdump, not written here.
MOVES_TO = {"pl_push": None, "pl_testjcc": "je", "pl_movpush": "push", "pl_endbr": "push",
            "pl_subcall": "call", "pl_subonly": None, "pl_loop": None, "pl_table": None,
            "pl_args": "push", "pl_clobber": "push", "pl_shared_a": None, "pl_hint": None,
            "pl_shared_b": "jmp"}
# A return armed at the entry (lat) keeps these at +0: what they skip moves rsp.
LAT_STAYS = {"pl_subcall"}


def objdump_offsets():
    """{function: {mnemonic: offset of its first occurrence}} from objdump -d."""
    out = subprocess.run(["objdump", "-d", "-w", str(FX_PLACE)], capture_output=True,
                         text=True, check=True).stdout
    funcs, cur, start = {}, None, 0
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) <(\w+)>:$", line)
        if m:
            cur, start = m.group(2), int(m.group(1), 16)
            funcs[cur] = {}
            continue
        m = re.match(r"^\s+([0-9a-f]+):\t[0-9a-f ]+\t(\S+)", line)
        if m and cur in FUNCS:
            funcs[cur].setdefault(m.group(2), int(m.group(1), 16) - start)
    return funcs


def expected_offsets():
    offs = objdump_offsets()
    count = {f: offs[f][m] if m else 0 for f, m in MOVES_TO.items()}
    lat = {f: 0 if f in LAT_STAYS else o for f, o in count.items()}
    return count, lat


def placement_env(on):
    env = dict(os.environ)
    env.pop("SYNCTRACE_NO_PLACEMENT", None)
    if not on:
        env["SYNCTRACE_NO_PLACEMENT"] = "1"
    return env


def traced_place(command, *args, on=True, link="session", calls=120):
    """fx_place under `synctrace COMMAND -p PID -v --json ARGS`: (truth, summary, tracer)."""
    env = placement_env(on)
    env.update(LINK_KINDS[link][0])
    w = Workload("--calls", calls, binary=FX_PLACE)
    try:
        t = Tracer(command, "-p", w.pid, "-v", "--json", *args, env=env).wait_tracing()
        w.go()
        truth = w.truth()
    finally:
        w.finish()
    assert t.wait() == 0, t.stderr
    return truth, t.summary(), t


def moved(stderr):
    m = re.search(r"placement: (\d+) of (\d+) (?:entry )?probes moved", stderr)
    assert m, stderr
    return int(m.group(1))


def test_list_v_says_where_each_entry_probe_goes():
    count, lat = expected_offsets()
    rc, out, err = run("list", "-v", "--json", FX_PLACE, "pl_*")
    assert rc == 0, err
    got = {f["name"]: f for f in json.loads(out)["functions"]}
    for name in FUNCS:
        f = got[name]
        assert (f["entry_offset"], f["entry_offset_lat"]) == (count[name], lat[name]), \
            f"{name}: list -v says +{f['entry_offset']} (lat +{f['entry_offset_lat']}: " \
            f"{f['placement']}), the assembly +{count[name]} (lat +{lat[name]})"
    rc, out, err = run("list", "-v", FX_PLACE, "pl_endbr")
    assert rc == 0 and f"entry +{count['pl_endbr']} (push, moved past endbr64); from symtab" \
        in out, out
    rc, out, err = run("list", "-v", FX_PLACE, "pl_subcall")
    assert f"lat +0 (what comes before the call at +{count['pl_subcall']} moves rsp);" in out, out


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
@pytest.mark.parametrize("link", ["multi", "classic"])
def test_count_is_exact_on_every_prologue_class(on, link):
    truth, s, t = traced_place("count", "pl_*", on=on, link=link)
    for name in FUNCS:
        assert op(s, name)["count"] == truth["calls"][name], \
            f"{name}: counted {op(s, name)['count']}, called {truth['calls'][name]}"
    count, _ = expected_offsets()
    want = sum(1 for o in count.values() if o) if on else 0
    assert moved(t.stderr) == want, t.stderr


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
@pytest.mark.parametrize("link", list(LINK_KINDS))
def test_lat_is_exact_and_bracketed_on_every_prologue_class(on, link):
    """lat arms a uretprobe at the entry probe: pl_subcall's must stay at +0,
    where rsp still points at the return address, or no call returns."""
    truth, s, t = traced_place("lat", "pl_*", on=on, link=link)
    for name in FUNCS:
        o = op(s, name)
        assert o["count"] == truth["calls"][name], \
            f"{name}: timed {o['count']} calls, made {truth['calls'][name]}"
        if name != "pl_subonly":
            lat = truth["lat"][name]
            assert_latency_between(o["latency_ns"], lat["inner"], lat["outer"])
    _, lat = expected_offsets()
    assert moved(t.stderr) == (sum(1 for o in lat.values() if o) if on else 0), t.stderr
    assert not any(s["drops"].values()), s["drops"]


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_lat_with_ret_probes_keys_calls_by_the_entry_stack(on):
    """Ret probes pair a ret with its entry by the stack pointer: a moved entry
    must see the entry's rsp. (pl_shared_b has no ret: it cannot be timed so.)"""
    truth, s, t = traced_place("lat", "--returns=ret-probe", "pl_*", on=on)
    for name in FUNCS[:-1]:
        assert op(s, name)["count"] == truth["calls"][name], \
            f"{name}: timed {op(s, name)['count']} calls, made {truth['calls'][name]}"
    # pl_shared_b's calls reach pl_shared_a's ret without its entry
    assert {k: v for k, v in s["drops"].items() if v} == \
        {"unmatched_return": truth["calls"]["pl_shared_b"]}, s["drops"]


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_watch_reads_arguments_where_they_still_are(on):
    """An op reading arg0 moves past `mov %rdi,%rbx` (pl_args), not past
    `xor %edi,%edi` (pl_clobber); a latency op stays off pl_subcall's push of
    rsp, a count moves."""
    truth, s, t = traced_place(
        "watch", "--op", "args pl_args by=arg0 count", "--op", "clob pl_clobber by=arg0 count",
        "--op", "clob_n pl_clobber count", "--op", "sub_lat pl_subcall",
        "--op", "sub_n pl_subcall count", on=on)
    want = {str(k): v for k, v in truth["values"].items()}
    for name in ("args", "clob"):
        got = {str(k): v for k, v in labels(s, name).items()}
        assert got == want, f"{name}: labels {got}, the fixture passed {want}"
    for name, fn in (("clob_n", "pl_clobber"), ("sub_lat", "pl_subcall"),
                     ("sub_n", "pl_subcall")):
        got = sum(o["count"] for o in s["ops"] if o["op"] == name)
        assert got == truth["calls"][fn], f"{name}: {got} calls, {truth['calls'][fn]} made"
    # args, clob_n and sub_n move; clob (xor writes rdi) and sub_lat (sub moves rsp) stay
    assert moved(t.stderr) == (3 if on else 0), t.stderr


def test_placement_off_by_option_and_environment():
    truth, s, t = traced_place("count", "--placement=off", "pl_endbr", on=True)
    assert op(s, "pl_endbr")["count"] == truth["calls"]["pl_endbr"]
    assert moved(t.stderr) == 0 and "(off)" in t.stderr, t.stderr
    env = placement_env(False)
    rc, out, err = run("count", "--placement=sideways", "pl_endbr", env=env)
    assert rc == 2 and "invalid --placement 'sideways'" in err, err
    rc, out, err = run("list", "-v", FX_PLACE, "pl_endbr", env=env)
    assert rc == 0 and "entry +" not in out, out


# A real program calling libc: dash, its loop of builtins (printf, test, arithmetic).
DASH_LOOP = ('read go; i=0; while [ $i -lt 300 ]; do printf "%s %d %x\\n" word $i $i; '
             'v=$(( (i * 7) % 13 )); case "w$v" in w1*) : ;; *) : ;; esac; i=$((i+1)); done')


def test_real_program_counts_libc_calls_alike_with_probes_moved_and_not(private):
    """Two tracers on one dash run, one with placement and one without: every
    libc function that ran counts the same in both."""
    dash = private.copy("/bin/dash", "dash")
    p = subprocess.Popen([str(dash), "-c", DASH_LOOP], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    try:
        tracers = [Tracer("count", "-p", p.pid, "-v", "--json", "libc:*",
                          env=placement_env(on)) for on in (True, False)]
        for t in tracers:
            t.wait_tracing(timeout=60)
        p.stdin.write("go\n")
        p.stdin.flush()
        p.stdin.close()
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
    summaries = []
    for t in tracers:
        assert t.wait(timeout=60) == 0, t.stderr
        summaries.append({o["op"]: o["count"] for o in t.summary()["ops"]})
    assert moved(tracers[0].stderr) > 100, tracers[0].stderr
    assert moved(tracers[1].stderr) == 0, tracers[1].stderr
    on, off = summaries
    ran = {k for k, v in off.items() if v}
    assert len(ran) > 20, f"only {sorted(ran)} ran"
    # a function whose first instruction the kernel cannot probe (AVX-512: strchr's)
    # is traced only with its probe moved past it
    refused = set(re.findall(r"not traced: (\S+) \(the kernel cannot probe it\)",
                             tracers[1].stderr))
    diff = {k: (on.get(k, 0), off.get(k, 0)) for k in set(on) | set(off)
            if on.get(k, 0) != off.get(k, 0) and k not in refused}
    assert not diff, f"libc calls (placement on, off) differ: {diff}"


def test_a_probe_moved_past_an_avx512_first_instruction_leaves_the_program_intact():
    """__strchrnul_evex starts with vpbroadcastb, which uprobes run wrongly (the
    guard refuses it at +0: test_split_debug.py). Moved past it, the probe sits
    on an emulated jump and the EVEX instruction runs natively: printf, which
    finds its '%'s with strchrnul, still prints the fixture's truth right."""
    libc_debug_file()
    rc, out, err = run("list", "-v", "libc", "__strchrnul_evex")
    assert rc == 0 and re.search(r"entry \+\d+ \(\w+, moved past vpbroadcastb", out), out
    w = Waiting([str(FX_DEBUG / "fx_split"), "--wait-go", "--calls", 9])
    try:
        t = Tracer("count", "--json", "--all", "-v", "-p", w.pid, "libc:__strchr*",
                   "split_*", env=placement_env(True)).wait_tracing()
        truth = w.go()          # a JSON line, and right
    finally:
        w.kill()
    assert t.wait() == 0, t.stderr
    assert truth["calls"]["split_apply"] == 9
    assert op(t.summary(), "split_apply")["count"] == 9
    assert not [l for l in t.err_lines if "cannot probe" in l], t.err_lines
    names = {o["op"] for o in t.summary()["ops"]}
    assert {"__strchr_evex", "__strchrnul_evex"} <= names, names
    if "avx512bw" in open("/proc/cpuinfo").read():     # glibc picks the EVEX variant
        assert op(t.summary(), "__strchrnul_evex")["count"] > 0, t.summary()["ops"]
