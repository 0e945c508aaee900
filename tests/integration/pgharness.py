"""Real PostgreSQL 15 servers for the profile tests (postgres-logical, libpq).

Clusters are made with initdb in a temporary directory, listen on 127.0.0.1 on
free ports (and a Unix socket in their own directory, never /var/run), and are
stopped and removed at the end, even when a test fails. PostgreSQL refuses to
run as root, so the servers run as a dedicated OS user (`synctrace_pg`,
created with useradd if missing); clients (psql, pgbench) run as root and
connect over TCP with trust authentication.

    with PgCluster("pub", logical=True) as pub:
        pub.sql("CREATE TABLE t (id bigint PRIMARY KEY)")

Workloads are deterministic: `bench_script` makes every pgbench transaction
insert I, update U and delete D rows, always the same rows, so the truth is
exact (see `bench_script`).

A test that traces the server without -p runs its clusters from a private
copy of the installation (`PgTree`), so that no other cluster on the host
runs the file it traces:

    with PgTree() as tree, PgCluster("pub", tree=tree) as pub: ...
"""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import require_installed

PG_VERSION = 15
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
PG_PKGLIB = Path(f"/usr/lib/postgresql/{PG_VERSION}/lib")
PG_SHARE = Path(f"/usr/share/postgresql/{PG_VERSION}")
POSTGRES = PG_BIN / "postgres"
PGOUTPUT = PG_PKGLIB / "pgoutput.so"
PGBENCH = PG_BIN / "pgbench"
PSQL = PG_BIN / "psql"
LIBPQ = Path("/usr/lib/x86_64-linux-gnu/libpq.so.5")
PG_USER = "synctrace_pg"


def pg_unavailable_reason():
    """None when PostgreSQL 15 (server, psql, pgbench, libpq) is installed."""
    for p in (POSTGRES, PG_BIN / "initdb", PG_BIN / "pg_ctl", PSQL, PGBENCH, LIBPQ):
        if not p.exists():
            return f"{p} not installed (Debian: postgresql-15 postgresql-client-15)"
    if shutil.which("runuser") is None:
        return "runuser not found (util-linux)"
    return None


def require_pg():
    require_installed("PostgreSQL", pg_unavailable_reason())


def ensure_pg_user():
    """The OS user the servers run as (postgres refuses root)."""
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", PG_USER], check=True,
                       capture_output=True)
        return pwd.getpwnam(PG_USER)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """pid's live descendants (children, their children...)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


class PgError(Exception):
    pass


class PgTree:
    """A private copy of the PostgreSQL 15 installation in a temporary
    directory, removed at the end. The server finds its library and share
    directories relative to its own (resolved) path, as the compiled-in
    bindir is to them (pg_config: /usr/lib/postgresql/15/{bin,lib},
    /usr/share/postgresql/15), so the tree mirrors /usr:

        DIR/lib/postgresql/15/bin   postgres, and the tools that start it
                                    (each finds postgres beside its own
                                    resolved path): copies; the rest: links
        DIR/lib/postgresql/15/lib   pgoutput.so (the publisher's output
                                    plugin, loaded by the walsenders): a
                                    copy; the other modules: links
        DIR/share/postgresql/15     a link to the system's

    A cluster started from it runs (maps) the copies only: a probe on
    `postgres` here fires in its processes, and in no other cluster's."""

    COPIED_BIN = ("postgres", "initdb", "pg_ctl", "pg_resetwal")
    COPIED_LIB = ("pgoutput.so",)

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="synctrace-pgtree-"))
        try:
            os.chmod(self.base, 0o755)      # the servers run as PG_USER
            self.bin = self._mirror(PG_BIN, self.COPIED_BIN)
            self.pkglib = self._mirror(PG_PKGLIB, self.COPIED_LIB)
            self._mkdir(PG_SHARE.parent).joinpath(PG_SHARE.name).symlink_to(PG_SHARE)
        except BaseException:
            self.remove()
            raise
        self.postgres = self.bin / "postgres"
        self.pgoutput = self.pkglib / "pgoutput.so"

    def _mkdir(self, system_dir):
        """DIR/ + system_dir without /usr, its new directories readable by PG_USER."""
        d = self.base / system_dir.relative_to("/usr")
        d.mkdir(parents=True, exist_ok=True)
        p = d
        while p != self.base:
            os.chmod(p, 0o755)
            p = p.parent
        return d

    def _mirror(self, system_dir, copied):
        d = self._mkdir(system_dir)
        for f in system_dir.iterdir():
            if f.name in copied:
                shutil.copy2(f, d / f.name)
            elif f.name == "postmaster":    # a link to postgres: to the copy here
                (d / f.name).symlink_to("postgres")
            else:
                (d / f.name).symlink_to(f)
        for name in copied:
            assert (d / name).is_file() and not (d / name).is_symlink(), f"no {system_dir / name}"
        return d

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class PgCluster:
    """One initdb'd PostgreSQL 15 cluster on 127.0.0.1:port, owned by PG_USER,
    run from the system's installation or from a PgTree."""

    def __init__(self, name, logical=False, base=None, settings=None, tree=None):
        self.name = name
        self.logical = logical
        self.bin = tree.bin if tree else PG_BIN
        self.user = ensure_pg_user()
        self._own_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix=f"synctrace-pg-{name}-"))
        self.data = self.base / "data"
        self.sockdir = self.base / "sock"
        self.log = self.base / "server.log"
        self.port = None
        self.settings = dict(settings or {})
        self.started = False

    # -- lifecycle ---------------------------------------------------------------
    def _as_pg(self, *cmd, check=True, timeout=60):
        p = subprocess.run(["runuser", "-u", PG_USER, "--", *map(str, cmd)],
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise PgError(f"{' '.join(map(str, cmd))}: exit {p.returncode}\n"
                          f"{p.stdout}{p.stderr}")
        return p

    def start(self):
        os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.base, 0o700)
        self.sockdir.mkdir()
        os.chown(self.sockdir, self.user.pw_uid, self.user.pw_gid)
        self._as_pg(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.sockdir}'",
            "fsync": "off", "full_page_writes": "off",
            "shared_buffers": "32MB", "max_connections": "40",
            # Determinism: no background transaction ever writes in the
            # databases the tests use (an autovacuum ANALYZE would be a decoded
            # transaction of its own on a publisher).
            "autovacuum": "off",
            "wal_level": "logical" if self.logical else "replica",
            "max_wal_senders": "10", "max_replication_slots": "10",
            "max_logical_replication_workers": "6", "max_sync_workers_per_subscription": "2",
            "wal_receiver_status_interval": "1s",
            "log_min_messages": "warning", "log_line_prefix": "'%m [%p] %b '",
        }
        conf.update(self.settings)
        for _ in range(5):                  # a free port can be taken before we bind it
            self.port = free_port()
            conf["port"] = str(self.port)
            with open(self.data / "postgresql.auto.conf", "w") as f:
                f.writelines(f"{k} = {v}\n" for k, v in conf.items())
            p = self._as_pg(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-w",
                            "-t", "30", "start", check=False)
            if p.returncode == 0:
                self.started = True
                return self
            if "could not bind" not in self.log_text():
                break
        raise PgError(f"{self.name}: pg_ctl start failed: {p.stdout}{p.stderr}\n"
                      f"{self.log_text()[-3000:]}")

    def stop_server(self):
        """Stop the server (fast: its sessions and workers end now, as in an
        operator's restart), keeping its data and port, until start_server()."""
        self._as_pg(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        self.started = False

    def start_server(self):
        self._as_pg(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30",
                    "start")
        self.started = True

    def set_next_oid(self, oid):
        """Restart the server with its OID counter at oid (pg_resetwal -o)."""
        self.stop_server()
        self._as_pg(self.bin / "pg_resetwal", "-o", oid, self.data)
        self.start_server()

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    @property
    def postmaster_pid(self):
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def stop(self):
        """Stop the server and remove its files; never raises."""
        if self.started:
            pid = None
            try:
                pid = self.postmaster_pid
            except (OSError, ValueError):
                pass
            p = self._as_pg(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "20",
                            "stop", check=False, timeout=40)
            if p.returncode != 0 and pid:
                for k in [pid] + descendants(pid):
                    try:
                        os.kill(k, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            self.started = False
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # -- clients -------------------------------------------------------------------
    def conninfo(self, db="postgres"):
        return f"host=127.0.0.1 port={self.port} dbname={db} user=postgres"

    def client_env(self):
        env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER="postgres")
        env.pop("PGDATABASE", None)
        return env

    def sql(self, query, db="postgres", timeout=60):
        """Run SQL with psql; rows as lists of strings (unaligned, tab-separated)."""
        p = subprocess.run([str(PSQL), "-X", "-q", "-A", "-t", "-F", "\t", "-v",
                            "ON_ERROR_STOP=1", "-d", db, "-c", query],
                           capture_output=True, text=True, timeout=timeout,
                           env=self.client_env())
        if p.returncode != 0:
            raise PgError(f"{self.name}: {query!r}: {p.stderr.strip()}")
        return [l.split("\t") for l in p.stdout.splitlines() if l != ""]

    def one(self, query, db="postgres"):
        rows = self.sql(query, db)
        assert len(rows) == 1 and len(rows[0]) == 1, f"{query!r} gave {rows}"
        return rows[0][0]

    def pgbench(self, *args, db="postgres", timeout=120):
        """Run pgbench to completion; its stdout (where it reports its counts)."""
        p = subprocess.run([str(PGBENCH), *map(str, args), db], capture_output=True,
                           text=True, timeout=timeout, env=self.client_env())
        if p.returncode != 0:
            raise PgError(f"pgbench {args}: exit {p.returncode}\n{p.stdout}{p.stderr}")
        return p.stdout + p.stderr


def pgbench_processed(output):
    """pgbench's own 'number of transactions actually processed: X/Y' -> X."""
    m = re.search(r"number of transactions actually processed: (\d+)(?:/(\d+))?", output)
    assert m, f"no transaction count in pgbench output:\n{output}"
    return int(m.group(1))


def pgbench_failed(output):
    m = re.search(r"number of failed transactions: (\d+)", output)
    return int(m.group(1)) if m else 0


def wait_until(what, pred, timeout=30, step=0.05):
    """pred() until it is true; after timeout, an AssertionError."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


# -- the replicated workload -------------------------------------------------------

TABLE = "st_rows"


def create_table(cluster, db, table=TABLE):
    cluster.sql(f"CREATE TABLE {table} (id bigint PRIMARY KEY, v int NOT NULL, "
                f"pad text NOT NULL)", db)


def preload(cluster, db, n, table=TABLE):
    """n rows, ids 1..n, in one transaction."""
    cluster.sql(f"INSERT INTO {table} SELECT g, 0, repeat('x', 40) "
                f"FROM generate_series(1, {n}) g", db)


def bench_script(inserts, updates, deletes):
    """A pgbench script: one transaction that inserts `inserts` new rows,
    updates `updates` and deletes `deletes` preloaded rows, each transaction of
    each client its own rows (so every statement hits exactly that many rows,
    whatever the interleaving of clients).

    Transaction number g (0-based, unique over all clients) is
    client_id * :tpc + :k - 1, where :k counts this client's transactions
    (pgbench keeps a client's variables from one transaction to the next; -D
    k=0 and -D tpc=TRANSACTIONS_PER_CLIENT start it). It updates preloaded ids
    g*U+1 .. g*U+U, deletes ids N-(g+1)*D+1 .. N-g*D (needs N >= T*(U+D)), and
    inserts ids N+g*I+1 .. N+g*I+I."""
    lines = ["\\set k :k + 1",
             "\\set g :client_id * :tpc + :k - 1",
             "BEGIN;"]
    if inserts:
        lines.append(f"INSERT INTO {TABLE} SELECT :n + :g * {inserts} + s, 1, 'new' "
                     f"FROM generate_series(1, {inserts}) s;")
    if updates:
        lines.append(f"UPDATE {TABLE} SET v = v + 1 WHERE id BETWEEN :g * {updates} + 1 "
                     f"AND :g * {updates} + {updates};")
    if deletes:
        lines.append(f"DELETE FROM {TABLE} WHERE id BETWEEN :n - (:g + 1) * {deletes} + 1 "
                     f"AND :n - :g * {deletes};")
    lines.append("END;")
    return "\n".join(lines) + "\n"


def run_bench(cluster, db, script_path, clients, per_client, n, *extra, first=0, tpc=None):
    """pgbench with bench_script's variables. A workload run in phases
    gives each phase its own transaction numbers: every phase the same tpc
    (the clients' transactions over all phases), each its first (the
    transactions each client ran before it)."""
    out = cluster.pgbench("-n", "-f", script_path, "-c", clients, "-j", 1, "-t", per_client,
                          "-D", f"k={first}", "-D", f"tpc={tpc or per_client}", "-D", f"n={n}",
                          *extra, db=db)
    return out


class LogicalPair:
    """A publisher and one subscriber cluster (`sub`), or several
    (`subs`, subscribers=N: one publication delivered to N subscriptions,
    each with its own slot and walsender), module-scoped in tests, run from
    the system's installation or from a PgTree. A subscription is named
    `{db}_sub` unless a test names it (its slot takes the same name)."""

    def __init__(self, tree=None, subscribers=1):
        self.pub = PgCluster("pub", logical=True, tree=tree)
        self.subs = [PgCluster(f"sub{i}" if i else "sub", tree=tree)
                     for i in range(subscribers)]
        self.sub = self.subs[0]

    def __enter__(self):
        try:
            self.pub.start()
            for s in self.subs:
                s.start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        # the subscribers first: their apply workers hold walsenders on the publisher
        for s in self.subs:
            s.stop()
        self.pub.stop()

    def __exit__(self, *exc):
        self.close()

    def setup_db(self, db, n, tables=(TABLE,)):
        """db on every cluster, the tables on every cluster, n rows in the
        first and a publication of them all on the publisher.

        The tables get other OIDs on the subscribers than on the publisher (a
        table made first takes one), and on the publisher another relfilenode
        than their OID (TRUNCATE): so a test can tell which one a label is."""
        for c in (self.pub, *self.subs):
            c.sql(f"CREATE DATABASE {db}")
        for s in self.subs:
            s.sql(f"CREATE TABLE {TABLE}_oid_shift (x int)", db)
        for c in (self.pub, *self.subs):
            for t in tables:
                create_table(c, db, t)
        for t in tables:
            self.pub.sql(f"TRUNCATE {t}", db)
        preload(self.pub, db, n, tables[0])
        self.pub.sql(f"CREATE PUBLICATION {db}_pub FOR TABLE {', '.join(tables)}", db)

    def subscribe(self, db, sub=None, name=None):
        """CREATE SUBSCRIPTION (copy_data=true) on sub (default: the first
        subscriber): the initial copy starts now."""
        (sub or self.sub).sql(
            f"CREATE SUBSCRIPTION {name or db + '_sub'} CONNECTION "
            f"'{self.pub.conninfo(db)}' PUBLICATION {db}_pub WITH (copy_data = true)", db)

    def wait_ready(self, db, timeout=30, sub=None, tables=1):
        """Every table of the subscription in state 'r' (ready), its sync worker gone."""
        sub = sub or self.sub
        wait_until("subscription tables ready", lambda: sub.sql(
            "SELECT count(*) FILTER (WHERE srsubstate <> 'r'), count(*) FROM "
            "pg_subscription_rel", db) == [["0", str(tables)]], timeout)
        wait_until("table sync worker gone", lambda: sub.one(
            "SELECT count(*) FROM pg_stat_subscription WHERE relid IS NOT NULL", db) == "0",
            timeout)
        wait_until("sync slot dropped", lambda: self.pub.one(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pg_%_sync_%'",
            db) == "0", timeout)

    def wait_caught_up(self, db, timeout=30, sub=None, name=None, tables=(TABLE,)):
        """The subscriber has applied everything the publisher wrote: the
        subscription's walsender reports replay at or past the publisher's
        current WAL position (the apply worker answers the walsender's
        keepalives), and the data are the same on both sides."""
        sub, name = sub or self.sub, name or db + "_sub"
        target = self.pub.one("SELECT pg_current_wal_lsn()", db)
        wait_until("subscriber replay", lambda: self.pub.one(
            f"SELECT count(*) FROM pg_stat_replication WHERE application_name = '{name}' "
            f"AND replay_lsn >= '{target}'::pg_lsn", db) == "1", timeout)
        for t in tables:
            q = f"SELECT count(*), coalesce(sum(v), 0), coalesce(sum(id), 0) FROM {t}"
            wait_until(f"same rows on both sides ({t})",
                       lambda: self.pub.sql(q, db) == sub.sql(q, db), timeout)

    def unsubscribe(self, db, sub=None, name=None):
        """DROP SUBSCRIPTION (drops the slot on the publisher too)."""
        (sub or self.sub).sql(f"DROP SUBSCRIPTION IF EXISTS {name or db + '_sub'}", db)
