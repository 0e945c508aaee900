#!/usr/bin/python3
"""Disturbers: other processes running every file the integration tests
trace, busy the whole time, as on a host where the engines really run.

A test that traces a file without -p counts every process running it; the
tests give themselves private copies (tests/integration/conftest.py,
`Private`) so that nothing outside the test is counted. This script is how
that is proven: run the suite while it runs, and every test must pass, none
skip for want of a quiet host.

    tests/disturb.py -- make integration        # the suite, disturbed; its exit code
    tests/disturb.py -- python3 -m pytest -q tests/integration/test_lat.py
    tests/disturb.py                            # disturb until Ctrl-C
    tests/disturb.py --only relay,pg -- CMD     # some of them (--list names them)

Run as root from the project root after `make all fixtures`, with the
PostgreSQL, Redis, Node, SQLite and curl packages of scripts/deps.sh test.
The disturbers run the system's (and the build's) own files, never copies:
the sample engine and the fixtures from $BUILD (default build), PostgreSQL
15 (two clusters, logical replication, pgbench), redis-server (a master, a
replica, redis-benchmark), node (an HTTPS server and client in one process),
sqlite3 and fx_sqlite, curl and Python against `openssl s_server`.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import pgharness  # noqa: E402  (tests/integration: the clusters the tests use too)

BUILD = ROOT / os.environ.get("BUILD", "build")
RELAY = BUILD / "examples" / "syncrelay"
FX_CALLS = BUILD / "fixtures" / "procs" / "fx_calls"
FX_OPS = BUILD / "fixtures" / "procs" / "fx_ops"
FX_SQLITE = BUILD / "fixtures" / "profiles" / "fx_sqlite"
PAUSE = 0.3           # between two runs of a loop: busy, yet leaving the tests some CPU


class Loop:
    """Runs make_cmd() again and again until stopped; each run in its own
    process group, so that stopping kills what it forked (the relay's
    clients, pgbench's threads) by that group's id."""

    def __init__(self, name, make_cmd, env=None, stdin_data=None, ok=(0,), stdout=None):
        self.name, self.make_cmd, self.env, self.stdin_data = name, make_cmd, env, stdin_data
        self.ok = ok            # exit codes of a run that did what it should
        self.stdout = stdout or subprocess.DEVNULL
        self.proc = None
        self.runs = self.failures = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._t.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                self.proc = subprocess.Popen(
                    self.make_cmd(), stdin=subprocess.PIPE, stdout=self.stdout,
                    stderr=subprocess.PIPE, env=self.env, start_new_session=True)
                _, err = self.proc.communicate(self.stdin_data)
            except OSError as e:
                self.failures += 1
                self.last_error = str(e)
                self._stop.wait(1)
                continue
            self.runs += 1
            if self.proc.returncode not in self.ok and not self._stop.is_set():
                self.failures += 1
                self.last_error = err.decode(errors="replace").strip()[-300:]
            self._stop.wait(PAUSE)

    def stop(self):
        self._stop.set()
        for _ in range(50):         # a run may start while the first kill lands: kill it too
            p = self.proc
            if p and p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._t.join(timeout=0.2)
            if not self._t.is_alive():
                break

    def status(self):
        s = f"{self.name}: {self.runs} runs, {self.failures} failed"
        return s + (f" (last: {self.last_error})" if self.failures else "")


class Server:
    """One long-running server, killed at the end."""

    def __init__(self, name, cmd, env=None):
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env, start_new_session=True)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def status(self):
        rc = self.proc.poll()
        return f"{self.name}: " + ("running" if rc is None else f"EXITED {rc}")


def wait_port(port, what, timeout=20):
    import socket
    end = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > end:
                raise RuntimeError(f"{what} did not listen on {port}")
            time.sleep(0.05)


# ---- the disturbers -------------------------------------------------------------

def relay(tmp, out):
    out.append(Loop("relay", lambda: [str(RELAY), "demo", "--port", str(pgharness.free_port()),
                                      "--clients", "3", "--seconds", "3"]).start())


def fx(tmp, out):
    out.append(Loop("fx_calls", lambda: [str(FX_CALLS), "--calls", "300", "--threads", "2",
                                         "--recurse", "2"]).start())
    out.append(Loop("fx_calls --lib", lambda: [str(FX_CALLS), "--calls", "300", "--lib"]).start())
    out.append(Loop("fx_ops states", lambda: [str(FX_OPS), "states"]).start())
    modes = [["procs", "200"], ["usdt", "200"], ["threads", "200"], ["labels", "300", "5"],
             ["outparam", "200"], ["open", "50", "40"]]
    cycle = iter(range(1 << 62))
    out.append(Loop("fx_ops", lambda: [str(FX_OPS), *modes[next(cycle) % len(modes)]],
                    stdin_data=b"").start())


PG_SCRIPT = """\\set r random(1, 20000)
BEGIN;
INSERT INTO d VALUES (:r, 0) ON CONFLICT (id) DO UPDATE SET v = d.v + 1;
UPDATE d SET v = v + 1 WHERE id = :r + 1;
DELETE FROM d WHERE id = :r + 2;
END;
"""


def pg(tmp, out):
    """Two clusters of the system's PostgreSQL 15, a subscription between
    them, pgbench writing on the publisher: walsenders decode, the apply
    worker applies, libpq runs in pgbench and in the apply worker."""
    if pgharness.pg_unavailable_reason():
        raise RuntimeError(pgharness.pg_unavailable_reason())
    lp = pgharness.LogicalPair().__enter__()
    out.append(PgPair(lp))
    for c in (lp.pub, lp.sub):
        c.sql("CREATE TABLE d (id int PRIMARY KEY, v int NOT NULL)")
    lp.pub.sql("INSERT INTO d SELECT g, 0 FROM generate_series(1, 20000) g")
    lp.pub.sql("CREATE PUBLICATION dpub FOR TABLE d")
    lp.sub.sql(f"CREATE SUBSCRIPTION dsub CONNECTION '{lp.pub.conninfo()}' PUBLICATION dpub")
    script = tmp / "pg.sql"
    script.write_text(PG_SCRIPT)
    env = lp.pub.client_env()
    out.append(Loop("pgbench", lambda: [str(pgharness.PGBENCH), "-n", "-f", str(script), "-c",
                                        "2", "-j", "1", "-T", "5", "-R", "100", "postgres"],
                    env=env).start())


class PgPair:
    name = "postgresql"

    def __init__(self, lp):
        self.lp = lp

    def stop(self):
        self.lp.close()

    def status(self):
        alive = self.lp.pub.started and self.lp.sub.started
        return f"postgresql: pub {self.lp.pub.port}, sub {self.lp.sub.port}" + \
            ("" if alive else " NOT RUNNING")


def redis(tmp, out):
    mport, rport = pgharness.free_port(), pgharness.free_port()
    for name, port, extra in (("master", mport, []),
                              ("replica", rport, ["--replicaof", "127.0.0.1", str(mport)])):
        d = tmp / f"redis-{name}"
        d.mkdir()
        out.append(Server(f"redis {name}", ["/usr/bin/redis-server", "--port", str(port),
                                            "--bind", "127.0.0.1", "--save", "",
                                            "--appendonly", "no", "--dir", str(d), *extra]))
        wait_port(port, f"redis {name}")
    out.append(Loop("redis-benchmark", lambda: ["redis-benchmark", "-p", str(mport), "-q",
                                                "-t", "set,get,incr", "-n", "500", "-c",
                                                "1"]).start())


NODE_LOOP = r"""
const https = require('https'), fs = require('fs');
const [key, cert] = process.argv.slice(1);
const srv = https.createServer({key: fs.readFileSync(key), cert: fs.readFileSync(cert)},
  (req, res) => { let n = 0; req.on('data', d => n += d.length);
                  req.on('end', () => res.end(JSON.stringify({n}))); });
srv.listen(0, '127.0.0.1', () => {
  const port = srv.address().port;
  const agent = new https.Agent({keepAlive: true, maxSockets: 2});
  const one = () => {
    const req = https.request({host: '127.0.0.1', port, method: 'POST', path: '/push',
                               rejectUnauthorized: false, agent}, res => {
      res.on('data', d => process.stdout.write(d)); res.on('end', () => setTimeout(one, 20)); });
    req.on('error', () => setTimeout(one, 20));
    req.end('x'.repeat(2000));
  };
  one(); one();
  setInterval(() => agent.destroy(), 2000);     // new connections: handshakes again
  setTimeout(() => process.exit(0), 10000);     // and a new process now and then
});
"""


def cert(tmp):
    key, crt = tmp / "key.pem", tmp / "cert.pem"
    if not key.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", crt],
                       check=True, capture_output=True, timeout=30)
    return key, crt


def node(tmp, out):
    key, crt = cert(tmp)
    # its stdout a pipe (read and dropped): libuv's pipe writes as well as TCP
    out.append(Loop("node https", lambda: ["/usr/bin/node", "-e", NODE_LOOP, str(key), str(crt)],
                    stdout=subprocess.PIPE).start())


SQLITE_SCRIPT = b"""CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300)
INSERT INTO t SELECT i, 'v' || i FROM c;
INSERT INTO t VALUES (1, 'dup');
SELECT count(*) FROM t WHERE k % 7 = 0;
SELEC 1;
"""


def sqlite(tmp, out):
    # the script's constraint and parse errors make sqlite3 exit 1
    out.append(Loop("sqlite3", lambda: ["/usr/bin/sqlite3", ":memory:"],
                    stdin_data=SQLITE_SCRIPT, ok=(0, 1)).start())
    n = iter(range(1 << 62))

    def fx_sqlite():
        d = tmp / f"fx_sqlite-{next(n) % 2}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        return [str(FX_SQLITE), str(d), "200", "3", "2"]
    out.append(Loop("fx_sqlite", fx_sqlite, stdin_data=b"").start())


PY_TLS_CLIENT = """
import ssl, sys, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
for _ in range(20):
    urllib.request.urlopen(sys.argv[1], context=ctx).read()
"""


def tls(tmp, out):
    key, crt = cert(tmp)
    port = pgharness.free_port()
    out.append(Server("openssl s_server", ["openssl", "s_server", "-accept", str(port),
                                           "-cert", str(crt), "-key", str(key), "-www",
                                           "-quiet"]))
    wait_port(port, "openssl s_server")
    url = f"https://127.0.0.1:{port}/"
    out.append(Loop("curl", lambda: ["/usr/bin/curl", "-sSk", "-o", "/dev/null", url, url,
                                     url]).start())
    out.append(Loop("python ssl", lambda: ["/usr/bin/python3", "-c", PY_TLS_CLIENT,
                                           url]).start())


DISTURBERS = {"relay": relay, "fx": fx, "pg": pg, "redis": redis, "node": node,
              "sqlite": sqlite, "tls": tls}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated disturbers (default: all)")
    ap.add_argument("--list", action="store_true", help="name the disturbers and exit")
    ap.add_argument("--warmup", type=float, default=3.0,
                    help="seconds to let them run before CMD (default 3)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS: run it, disturbed")
    a = ap.parse_args()
    if a.list:
        print(" ".join(DISTURBERS))
        return 0
    names = a.only.split(",") if a.only else list(DISTURBERS)
    bad = [n for n in names if n not in DISTURBERS]
    if bad:
        ap.error(f"unknown disturber(s) {bad}; there are: {' '.join(DISTURBERS)}")
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if os.geteuid() != 0:
        print("disturb: run as root (the PostgreSQL clusters run as their own user)",
              file=sys.stderr)
        return 1

    tmp = Path(tempfile.mkdtemp(prefix="synctrace-disturb-"))
    running = []
    rc = 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for n in names:
            print(f"disturb: starting {n}", file=sys.stderr, flush=True)
            DISTURBERS[n](tmp, running)
        time.sleep(a.warmup)
        report(running)
        if cmd:
            rc = subprocess.call(cmd)
        else:
            print("disturb: running; Ctrl-C to stop", file=sys.stderr, flush=True)
            while True:
                time.sleep(30)
                report(running)
    except KeyboardInterrupt:
        rc = 130
    finally:
        report(running)
        for d in reversed(running):
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


def report(running):
    for d in running:
        print("disturb:", d.status(), file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
