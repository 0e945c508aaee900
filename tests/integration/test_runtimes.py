"""Go and OCaml programs: return probes are refused (a uretprobe's replaced
return address crashes both runtimes), entry probes count exactly.

The fixtures (tests/fixtures/runtimes/) print their own truth. The refusal
tests run them in the mode where a return probe kills them (Go with the
collector on, OCaml with a small minor heap): if synctrace attached anyway,
the program would crash, and the test would say so."""
import json
import re
import subprocess

from conftest import BUILD, Tracer, rows, totals

RT = BUILD / "fixtures" / "runtimes"
FX_GO = RT / "fx_go"
FX_GOHOST = RT / "fx_gohost"
LIBFXGO = RT / "libfxgo.so"
FX_OCAML = RT / "fx_ocaml"
FX_OCAML_STRIPPED = RT / "fx_ocaml_stripped"
OCAML_APPLY = "camlFx_ocaml__apply_*"
GO_LEAVES = ("main.queued", "main.leaf", "main.applied")

RUNS = 3        # every check several times: a crash is not always at the first call


class Fixture:
    """A fixture started with --wait-go: it prints 'ready PID', then waits for 'go'."""

    def __init__(self, path, *args):
        self.proc = subprocess.Popen([str(path), *map(str, args), "--wait-go"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        line = self.proc.stdout.readline()
        assert line.startswith("ready "), f"{path.name} said {line!r}"

    def finish(self, timeout=60):
        """Send 'go'; (exit code, truth or None, stderr) once it exits."""
        try:
            out, err = self.proc.communicate("go\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        truth = next((json.loads(l) for l in out.splitlines() if l.startswith("{")), None)
        return self.proc.returncode, truth, err


def run_traced(fixture, *tracer_args):
    """synctrace ARGS... (with -p PID, "{pid}" in ARGS) on a fixture waiting
    for 'go', then the fixture's run. A tracer that did not refuse stays
    attached while the fixture runs, as a user's would. Returns the tracer
    (ended) and the fixture's (exit code, truth, stderr)."""
    args = [str(a).replace("{pid}", str(fixture.pid)) for a in tracer_args]
    t = Tracer(*args)
    t.tracing.wait(20)                  # "Tracing", or stderr closed: it exited
    result = fixture.finish()
    t.stop(timeout=30)
    return t, result


def assert_refused(t, what, path, kind, what_re=None):
    """Exit 2 and one line: "synctrace: WHAT: PATH is KIND, and a return probe..."."""
    rc, lines = t.proc.returncode, t.err_lines
    assert rc == 2, f"expected exit 2, got {rc}: {t.stderr}"
    assert len(lines) == 1, f"expected one line, got {lines}"
    head = f"synctrace: {what_re or re.escape(what)}: " + \
        re.escape(f"{path} is {kind}, and a return probe would crash it")
    assert re.match(head, lines[0]), lines[0]


def assert_ran_clean(result, key, n):
    code, truth, err = result
    assert code == 0 and truth, f"the traced program died (exit {code}): {err[-800:]}"
    assert truth["calls"][key] == n, truth


def counted(summary, name):
    (row,) = [o for o in summary["ops"] if o["op"] == name]
    return row["count"]


def count_run(fixture, *targets):
    """count -p on a fixture for its whole run: (summary, truth)."""
    t, (code, truth, err) = run_traced(fixture, "count", "-p", "{pid}", "--json", *targets)
    assert code == 0 and truth, f"the traced program died (exit {code}): {err[-800:]}"
    assert t.proc.returncode == 0, t.stderr
    return t.summary(), truth


# --- Go ---------------------------------------------------------------------

def test_lat_on_go_function_refused_program_unharmed():
    for i in range(RUNS):
        func = ("main.apply", "main.leaf")[i % 2]   # a leaf dies too (SIGILL)
        t, result = run_traced(Fixture(FX_GO, "--gc", "--changes", 3000),
                               "lat", "-p", "{pid}", func)
        assert_refused(t, f"lat on {func}", FX_GO, "a Go program")
        assert t.err_lines[0].endswith(
            "(Go moves stacks); use count, or a watch op that needs no return "
            "(count, or A -> B paired by key at entries)"), t.err_lines[0]
        assert_ran_clean(result, "main.apply", 3000)


def test_lat_on_go_binary_without_pid_refused():
    t = Tracer("lat", f"{FX_GO}:main.a*")
    assert t.wait(timeout=30) == 2
    assert_refused(t, None, FX_GO, "a Go program", r"lat on main\.appl(y|ied)")


def test_watch_ops_waiting_for_go_returns_refused():
    ops = ["apply main.apply",                                   # one call
           "apply main.apply count error=ret<0",                 # count, but ret
           "lag main.queued(arg0) -> main.applied(arg0@ret)"]    # an end at return
    for op in ops:
        t, result = run_traced(Fixture(FX_GO, "--gc", "--changes", 3000),
                               "watch", "-p", "{pid}", "--op", op)
        what = "main.applied" if "->" in op else "main.apply"
        prefix = "--op:1: op 'lag'" if "->" in op else "--op:1: op 'apply'"
        assert_refused(t, f"{prefix}: {what}", FX_GO, "a Go program")
        assert "make the op need no return: count (without ret), or A -> B paired by key" \
            in t.stderr
        assert_ran_clean(result, "main.apply", 3000)


def test_count_on_go_leaves_exact():
    """Leaves with small frames have no stack check: each call enters once."""
    for gc in (False, True, False):
        summary, truth = count_run(Fixture(FX_GO, *(["--gc"] if gc else [])), *GO_LEAVES)
        for name in GO_LEAVES:
            assert counted(summary, name) == truth["calls"][name], \
                f"{name}: traced {counted(summary, name)}, fixture {truth['calls'][name]}"


def test_count_on_go_counts_prologue_reruns():
    """A function with a stack check is entered again after its prologue calls
    morestack: when the call grows the stack (the fixture sees each: its
    frame moved), and when the goroutine was asked to yield just then (the
    fixture cannot see those). So count >= calls + growths; every call of
    main.grow grows its new goroutine's stack; main.apply never grows one."""
    for _ in range(RUNS):
        summary, truth = count_run(Fixture(FX_GO, "--grows", 300), "main.grow", "main.apply")
        moved = truth["moved"]
        assert moved["main.grow"] == truth["calls"]["main.grow"] == 300, moved
        assert moved["main.apply"] == 0, moved
        for name in ("main.grow", "main.apply"):
            n, want = counted(summary, name), truth["calls"][name] + moved[name]
            assert n >= want, f"{name}: traced {n} < {want} calls and stack growths"
        assert counted(summary, "main.grow") >= 600


def test_paired_op_at_go_entries_works():
    for _ in range(RUNS):
        fx = Fixture(FX_GO, "--gc", "--changes", 2000)
        t, result = run_traced(fx, "watch", "-p", "{pid}", "--json",
                               "--op", "lag main.queued(arg3) -> main.applied(arg3)",
                               "--op", "fields main.leaf count")
        assert t.proc.returncode == 0, t.stderr
        assert_ran_clean(result, "main.applied", 2000)
        s = t.summary()
        (lag,) = rows(s, "lag")
        assert lag["count"] == 2000 and lag["unmatched"] == 0 and lag["inflight"] == 0, lag
        assert lag["latency_ns"]["p50"] > 0
        assert totals(s, "lag")["restarts"] == 0
        (fields,) = rows(s, "fields")
        assert fields["count"] == result[1]["calls"]["main.leaf"] == 2000 * 8


def test_go_library_in_c_program_refused_per_file():
    """A C program linking a stripped Go c-shared library: the library's
    functions are Go (refused for lat, counted exactly), the program's own are
    native (lat works, and the program is unharmed)."""
    for _ in range(RUNS):
        t, result = run_traced(Fixture(FX_GOHOST, "--gc", "--calls", 3000),
                               "lat", "-p", "{pid}", "libfxgo:FxGoApply")
        assert_refused(t, "lat on FxGoApply", LIBFXGO, "a Go library")
        assert_ran_clean(result, "FxGoApply", 3000)

        t, result = run_traced(Fixture(FX_GOHOST, "--gc", "--calls", 3000),
                               "lat", "-p", "{pid}", "--json", "host_tick")
        assert t.proc.returncode == 0, t.stderr
        assert_ran_clean(result, "host_tick", 3000)
        assert counted(t.summary(), "host_tick") == 3000

        summary, truth = count_run(Fixture(FX_GOHOST, "--gc", "--calls", 3000),
                                   "libfxgo:FxGoApply", "host_tick")
        assert counted(summary, "FxGoApply") == truth["calls"]["FxGoApply"] == 3000
        assert counted(summary, "host_tick") == 3000


# --- OCaml ------------------------------------------------------------------

def test_lat_and_one_call_op_on_ocaml_refused_program_unharmed():
    for path in (FX_OCAML, FX_OCAML_STRIPPED, FX_OCAML):
        t, result = run_traced(Fixture(path, "--calls", 3000),
                               "lat", "-p", "{pid}", OCAML_APPLY)
        assert_refused(t, None, path, "an OCaml program", r"lat on camlFx_ocaml__apply_\d+")
        assert "(OCaml walks its stack by return addresses); use count" in t.stderr
        assert_ran_clean(result, "apply", 3000)

        t, result = run_traced(Fixture(path, "--calls", 3000),
                               "watch", "-p", "{pid}", "--op", f"apply {OCAML_APPLY}")
        assert t.proc.returncode == 2 and len(t.err_lines) == 1, t.stderr
        assert "is an OCaml program, and a return probe would crash it" in t.stderr
        assert_ran_clean(result, "apply", 3000)


def test_count_on_ocaml_exact():
    for path in (FX_OCAML, FX_OCAML_STRIPPED, FX_OCAML):
        summary, truth = count_run(Fixture(path, "--calls", 3000), OCAML_APPLY)
        (row,) = summary["ops"]
        assert row["count"] == truth["calls"]["apply"] == 3000
