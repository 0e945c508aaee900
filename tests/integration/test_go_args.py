"""Arguments of Go functions: argN follows Go's register ABI (RAX, RBX, RCX,
RDI, RSI, R8-R11), decided per probed function (a cgo C function in a Go file
keeps C's registers), and str(PTR, LEN) reads a Go string (a pointer and a
length, no NUL) exactly. Entry probes only: every op here is count-only.

fx_go --routes N calls main.route(name, shard, bytes, 1, 2, 3, 4, seq) N
times and prints, per name and per shard, the calls and the bytes, and the
sum of seq (the ninth register, R11)."""
from conftest import rows
from test_runtimes import FX_GO, FX_GOHOST, Fixture, run_traced

ROUTES = 3000


def watch_go(path, *ops, fx_args=()):
    """watch -p on fx_go (or its stripped copy) for a whole --routes run: (summary, truth)."""
    args = ["watch", "-p", "{pid}", "--json"]
    for o in ops:
        args += ["--op", o]
    t, (code, truth, err) = run_traced(Fixture(path, "--routes", ROUTES, "--changes", 10,
                                               "--grows", 1, *fx_args), *args)
    assert code == 0 and truth, f"the traced program died (exit {code}): {err[-800:]}"
    assert t.proc.returncode == 0, t.stderr
    assert truth["calls"]["main.route"] == ROUTES
    return t.summary(), truth


def test_go_register_args_exact():
    """arg2 is the shard (RCX), arg3 the bytes (RDI), arg8 seq (R11): C's
    registers would give the bytes as arg0 and have no arg8 at all."""
    s, truth = watch_go(FX_GO, "by_shard main.route count by=shard:arg2 value=arg3",
                        "seq main.route count value=arg8")
    got = {str(r["label"]): r for r in rows(s, "by_shard")}
    assert set(got) == set(truth["shards"]), (sorted(got), sorted(truth["shards"]))
    for shard, want in truth["shards"].items():
        assert got[shard]["count"] == want["calls"], (shard, got[shard], want)
        assert got[shard]["value"]["sum"] == want["bytes"], (shard, got[shard], want)
    (seq,) = rows(s, "seq")
    assert seq["count"] == ROUTES
    assert seq["value"]["sum"] == truth["route_seq_sum"], (seq["value"], truth["route_seq_sum"])
    assert s["drops"]["read_failed"] == 0, s["drops"]


def test_go_string_label_exact_by_pointer_and_length():
    """Go's string literals lie end to end without a NUL: str(arg0) would run
    into the next ones; str(arg0, arg1) stops at the length."""
    s, truth = watch_go(FX_GO, "r main.route count by=route:str(arg0, arg1) value=arg3")
    got = {r["label"]: r for r in rows(s, "r")}
    assert set(got) == set(truth["routes"]), (sorted(got), sorted(truth["routes"]))
    for name, want in truth["routes"].items():
        assert got[name]["count"] == want["calls"], (name, got[name], want)
        assert got[name]["value"]["sum"] == want["bytes"], (name, got[name], want)
    assert s["drops"]["read_failed"] == 0, s["drops"]


def test_cgo_export_in_go_library_keeps_c_registers():
    """FxGoApply, the C wrapper cgo writes for an exported Go function, is
    called by C: in the same Go file, it takes C's registers (id in RDI, arg0)."""
    n = 2000
    t, (code, truth, err) = run_traced(Fixture(FX_GOHOST, "--calls", n), "watch", "-p",
                                       "{pid}", "--json",
                                       "--op", "apply libfxgo:FxGoApply count value=arg0")
    assert code == 0 and truth, f"the traced program died (exit {code}): {err[-800:]}"
    assert t.proc.returncode == 0, t.stderr
    (row,) = rows(t.summary(), "apply")
    assert row["count"] == truth["calls"]["FxGoApply"] == n
    assert row["value"]["sum"] == n * (n + 1) // 2, row["value"]


def test_go_args_past_the_registers_refused():
    """Nine registers: arg9 of a Go function is a usage error, as arg6 of a C one."""
    for op, want in (("main.route count value=arg9", "past arg8 of a Go function"),
                     ("libfxgo:FxGoApply count value=arg6", "past arg5 of a function")):
        path = FX_GO if op.startswith("main.") else FX_GOHOST
        t, (code, truth, err) = run_traced(Fixture(path, *(["--routes", 10] if path == FX_GO
                                                          else ["--calls", 10])),
                                           "watch", "-p", "{pid}", "--op", f"a {op}")
        assert code == 0, err
        assert t.proc.returncode == 2 and len(t.err_lines) == 1, t.stderr
        assert want in t.err_lines[0], t.err_lines[0]
