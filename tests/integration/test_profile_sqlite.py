"""profiles/sqlite.ops against real libsqlite3 clients: the sqlite3 CLI
running a script, and tests/fixtures/profiles/fx_sqlite (a C client that
prints its own truth). Counts must be exact.

With -p the shipped profile traces the system's libsqlite3 in that process.
The test without -p runs the shell on a private copy of libsqlite3
(LD_LIBRARY_PATH) and traces the copy: no other SQLite user is counted."""
import json
import os
import subprocess
from pathlib import Path

from conftest import BUILD, ROOT, Tracer, assert_no_drops, rows, wait_maps_private

PROFILE = ROOT / "profiles" / "sqlite.ops"
FX_SQLITE = BUILD / "fixtures" / "profiles" / "fx_sqlite"
SQLITE3 = Path("/usr/bin/sqlite3")
LIBSQLITE3 = Path("/usr/lib/x86_64-linux-gnu/libsqlite3.so.0")
SHIPPED = ["--profile", "sqlite"]

STR_MAX = 63          # str() labels: the first 63 bytes (README, "by=")
SQLITE_ROW, SQLITE_DONE, SQLITE_ERROR, SQLITE_CONSTRAINT = 100, 101, 1, 19


def by_label(summary, name):
    return {o.get("label"): o for o in rows(summary, name)}


def watch(pid):
    return Tracer("watch", "-p", pid, "--json", *SHIPPED).wait_tracing()


def test_profile_resolves():
    """Every probe of the profile resolves against the system libsqlite3."""
    t = Tracer("watch", *SHIPPED, "-d", "0.1").wait_tracing()
    assert t.wait() == 0, t.stderr
    assert "Tracing 4 ops" in t.stderr, t.stderr


def test_c_client_counts_exact(tmp_path):
    inserts, dupes, bad = 400, 7, 3
    p = subprocess.Popen([str(FX_SQLITE), str(tmp_path), str(inserts), str(dupes), str(bad),
                          "--wait-go"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().startswith("ready ")
        t = watch(p.pid)
        p.stdin.write("go\n")
        p.stdin.flush()
        truth = json.loads(p.stdout.readline())
        p.stdin.close()
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
    assert t.wait() == 0, t.stderr
    s = t.summary()
    print("fx_sqlite truth:", json.dumps(truth))
    print("synctrace:", json.dumps(s["ops"]))
    assert_no_drops(s)

    # the fixture's own tally of sqlite3_step results
    assert truth["rc"] == {str(SQLITE_CONSTRAINT): dupes, str(SQLITE_ROW): inserts,
                           str(SQLITE_DONE): inserts + 1, "1555": 1}
    (step,) = rows(s, "sqlite_step")
    assert step["label"] == p.pid
    assert step["count"] == truth["steps"] == 2 * inserts + dupes + 2
    # error=ret<100: the primary codes; 1555 (extended codes on) is not < 100
    assert step["errors"] == truth["rc"][str(SQLITE_CONSTRAINT)] == dupes
    rc = by_label(s, "sqlite_step_rc")
    assert {str(k): v["count"] for k, v in rc.items()} == truth["rc"]

    (prep,) = rows(s, "sqlite_prepare")
    assert prep["label"] == p.pid
    assert prep["count"] == truth["prepare"] == inserts + 1 + bad + 1 + 1
    assert prep["errors"] == truth["prepare_errors"] == bad

    (opn,) = rows(s, "sqlite_open")
    assert opn["label"] == truth["opened"][:STR_MAX] and opn["count"] == truth["opens"] == 1
    assert opn["errors"] == 0

    # latency: the kernel's entry-to-return time sits inside the fixture's
    # own clock_gettime() bracket around each call
    lat, own = step["latency_ns"], truth["step_ns"]
    assert lat["count"] == own["count"]
    assert lat["p50"] <= own["p50"] * 1.08 and lat["p50"] >= own["p50"] * 0.5, (lat, own)


def test_cli_script_counts_exact(tmp_path):
    """The sqlite3 shell, attached with -p once its schema exists: each
    statement is one prepare; the rows it printed are its SQLITE_ROW steps;
    the errors it reported are the failed steps and prepares."""
    db = tmp_path / "cli.db"
    n_ins, n_dup, n_bad, n_sel = 120, 4, 2, 3
    p = subprocess.Popen([str(SQLITE3), str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        # setup: the schema change (and SQLite's re-read of it) happen before attaching
        p.stdin.write("CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT);\nSELECT 'ready';\n")
        p.stdin.flush()
        assert p.stdout.readline().strip() == "ready"
        t = watch(p.pid)
        script = [f"INSERT INTO kv VALUES({i}, 'v{i}');" for i in range(n_ins)]
        script += [f"INSERT INTO kv VALUES({i}, 'dup');" for i in range(n_dup)]  # UNIQUE fails
        script += ["SELEC k FROM kv;"] * n_bad                                    # parse error
        script += ["SELECT k, v FROM kv WHERE k % 10 = 0;"] * n_sel
        out, err = p.communicate("\n".join(script) + "\n.quit\n", timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert t.wait() == 0, t.stderr
    s = t.summary()
    printed = [l for l in out.splitlines() if l]
    runtime_errors = [l for l in err.splitlines() if l.startswith("Runtime error")]
    parse_errors = [l for l in err.splitlines() if l.startswith("Parse error")]
    print("sqlite3 printed", len(printed), "rows;", len(runtime_errors), "runtime errors;",
          len(parse_errors), "parse errors")
    print("synctrace:", json.dumps(s["ops"]))
    assert_no_drops(s)
    assert len(printed) == n_sel * (n_ins // 10)
    assert len(runtime_errors) == n_dup and len(parse_errors) == n_bad
    assert all(l.endswith("(19)") for l in runtime_errors)     # the shell's own code

    statements = n_ins + n_dup + n_bad + n_sel
    (prep,) = rows(s, "sqlite_prepare")
    assert prep["count"] == statements and prep["errors"] == len(parse_errors)
    rc = {k: v["count"] for k, v in by_label(s, "sqlite_step_rc").items()}
    assert rc == {SQLITE_ROW: len(printed), SQLITE_DONE: n_ins + n_sel,
                  SQLITE_CONSTRAINT: len(runtime_errors)}
    (step,) = rows(s, "sqlite_step")
    assert step["count"] == sum(rc.values()) and step["errors"] == n_dup


def test_library_internal_statements_are_counted(tmp_path, private):
    """Traced from its start (no -p, the profile as shipped but for the
    library's path: a private copy the shell alone runs), the shell's
    counts include what SQLite runs for itself through sqlite3_exec: reading
    the schema at the first statement (1 prepare, one ROW per schema row,
    DONE) and re-reading a created table's row (1 prepare, ROW, DONE). The
    numbers below are those of SQLite 3.40 (Debian 12)."""
    db = tmp_path / "fresh.db"
    lib = private.copy(LIBSQLITE3, name=LIBSQLITE3.name)   # the name sqlite3 asks for
    t = Tracer("watch", "--json", "--ops", private.ops(PROFILE, {"libsqlite3": lib})
               ).wait_tracing()
    p = subprocess.Popen([str(SQLITE3), str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, env=dict(os.environ, LD_LIBRARY_PATH=str(lib.parent)))
    try:
        wait_maps_private(p, lib, LIBSQLITE3)      # it waits for its script meanwhile
    except BaseException:
        p.kill()
        raise
    out, _ = p.communicate("CREATE TABLE a(x);\nINSERT INTO a VALUES(1);\nSELECT x FROM a;\n",
                           timeout=30)
    assert p.returncode == 0 and out.split() == ["1"]
    assert t.stop() == 0, t.stderr
    s = t.summary()
    print("synctrace:", json.dumps(s["ops"]))
    # every process using this libsqlite3 is traced: the shell alone
    (prep,) = rows(s, "sqlite_prepare")
    (step,) = rows(s, "sqlite_step")
    assert prep["label"] == step["label"] == p.pid
    # 3 statements of the script; the schema read of the empty file (0 rows);
    # the re-read of the created table's row
    assert prep["count"] == 3 + 1 + 1 and prep["errors"] == 0
    #                  script     schema read  re-read
    assert step["count"] == (1 + 1 + 2) + 1 + 2 and step["errors"] == 0
    rc = {k: v["count"] for k, v in by_label(s, "sqlite_step_rc").items()}
    assert rc == {SQLITE_DONE: 3 + 1 + 1, SQLITE_ROW: 1 + 1}
    (opn,) = rows(s, "sqlite_open")
    assert opn["label"] == str(db)[:STR_MAX] and opn["count"] == 1
