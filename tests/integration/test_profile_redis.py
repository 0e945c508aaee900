"""profiles/redis-replication.ops against a real Redis master and replica
(/usr/bin/redis-server, 7.0 in Debian 12) started on 127.0.0.1 by the test:
counts exact against the workload and against each server's own INFO
(commandstats, total_commands_processed, replication offsets).

Without -p the profile counts every redis-server on the host: those tests
run a private copy of the server and trace it with a copy of the profile
whose `redis=` path names the copy. With -p (one tracer per server), the
system's server and the shipped profile itself."""
import contextlib
import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, Tracer, assert_maps_private, assert_no_drops, free_port, run

PROFILE = ROOT / "profiles" / "redis-replication.ops"
SHIPPED = ["--profile", "redis-replication"]
REDIS = Path("/usr/bin/redis-server")
SETS = 2000

pytestmark = pytest.mark.skipif(not REDIS.exists(), reason="no /usr/bin/redis-server "
                                "(apt-get install redis-server)")


class Resp:
    """A minimal RESP2 client: enough for SET, INFO, CONFIG, PING."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")
        self.sent = 0           # commands sent: this client's own truth

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def reply(self):
        line = self.f.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode()
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise RuntimeError(f"bad reply {line!r}")

    def cmd(self, *args):
        self.sent += 1
        self.s.sendall(self.encode(*args))
        return self.reply()

    def pipeline(self, cmds):
        self.sent += len(cmds)
        self.s.sendall(b"".join(self.encode(*c) for c in cmds))
        return [self.reply() for _ in cmds]

    def info(self, section):
        return dict(l.split(":", 1) for l in self.cmd("INFO", section).splitlines()
                    if ":" in l)

    def close(self):
        self.s.close()


def start_redis(tmp, name, port, *extra, binary=REDIS):
    d = tmp / name
    d.mkdir()
    p = subprocess.Popen([str(binary), "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", str(d),
                          "--daemonize", "no", "--logfile", str(d / "log"),
                          # no PING into the stream during a test (10 s by default)
                          "--repl-ping-replica-period", "3600",
                          # a full sync starts at once (default: wait 5 s for more replicas)
                          "--repl-diskless-sync-delay", "0", *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            return p, Resp(port)
        except OSError:
            assert p.poll() is None and time.monotonic() < deadline, (d / "log").read_text()
            time.sleep(0.02)


def stop_redis(clients, servers):
    """Close the clients, then stop the servers that still run (None: never started)."""
    for c in clients:
        if c:
            c.close()
    for p in servers:
        if p and p.poll() is None:
            p.terminate()
            p.wait(timeout=10)


def wait_for(pred, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def calls(info, cmd):
    m = re.search(r"calls=(\d+)", info.get(f"cmdstat_{cmd}", ""))
    return int(m.group(1)) if m else 0


@contextlib.contextmanager
def running_pair(tmp, binary=REDIS):
    """A master and its replica of binary, in sync: (master, replica, Resp, Resp)."""
    mport, rport = free_port(), free_port()
    master, m = start_redis(tmp, "master", mport, binary=binary)
    replica, r = None, None
    try:
        replica, r = start_redis(tmp, "replica", rport, "--replicaof", "127.0.0.1",
                                 str(mport), binary=binary)
        wait_for(lambda: r.info("replication").get("master_link_status") == "up",
                 "the replica's link")
        wait_for(lambda: "state=online" in m.info("replication").get("slave0", ""),
                 "the master to see its replica online")
        yield master, replica, m, r
    finally:
        stop_redis((m, r), (master, replica))


@pytest.fixture
def pair(tmp_path):
    """The system's redis-server (traced with -p only)."""
    with running_pair(tmp_path) as p:
        yield p


def private_redis(private):
    """A private copy of the server (the file /usr/bin/redis-server links
    to, named redis-server: it runs as a server), and the profile naming it."""
    copy = private.copy(REDIS, name=REDIS.name)
    return copy, private.ops(PROFILE, {str(REDIS): copy})


class Tracers:
    """The profile on both servers: one synctrace without -p on a private
    copy, or one per server with -p and the shipped profile. summary():
    their rows together (each row is labelled by its pid)."""

    def __init__(self, how, servers, ops=None):
        if how == "private":
            self.ts = [Tracer("watch", "--json", "--ops", ops).wait_tracing()]
        else:
            self.ts = [Tracer("watch", "-p", p.pid, "--json", *SHIPPED).wait_tracing()
                       for p in servers]

    def stop(self):
        """0, or the first non-zero exit code"""
        rcs = [t.stop() for t in self.ts]
        return next((rc for rc in rcs if rc), 0)

    @property
    def stderr(self):
        return "\n".join(t.stderr for t in self.ts)

    def summary(self):
        ss = [t.summary() for t in self.ts]
        return {"ops": [o for s in ss for o in s["ops"]],
                "drops": {k: sum(s["drops"][k] for s in ss) for k in ss[0]["drops"]}}


def offsets(m, r):
    return (int(m.info("replication")["master_repl_offset"]),
            int(r.info("replication")["master_repl_offset"]))


def by_pid(s, name, pid):
    found = [o for o in s["ops"] if o["op"] == name and o.get("label") == pid]
    assert len(found) <= 1
    return found[0] if found else {"count": 0}


def test_profile_resolves():
    rc, _, err = run("watch", *SHIPPED, "-d", "0.1")
    assert rc == 0 and "Tracing 8 ops" in err, err


@pytest.mark.parametrize("how", ["private", "pid"])
def test_master_and_replica_exact(tmp_path, private, how):
    """private: no -p, a private copy of the server; pid: the system's
    server, the shipped profile, -p each server."""
    binary, ops = private_redis(private) if how == "private" else (REDIS, None)
    with running_pair(tmp_path, binary) as pair:
        if how == "private":
            for p in pair[:2]:
                assert_maps_private(p.pid, binary, REDIS)
        check_master_and_replica(pair, lambda: Tracers(how, pair[:2], ops))


def check_master_and_replica(pair, tracers):
    master, replica, m, r = pair
    for c in (m, r):
        c.cmd("CONFIG", "RESETSTAT")
    m_off0, r_off0 = offsets(m, r)
    assert m_off0 == r_off0

    t = tracers()
    m_sent0 = m.sent
    r_cmds0 = int(r.info("stats")["total_commands_processed"])   # traced itself
    # the workload: SETS SET commands of known sizes, pipelined by 100
    for base in range(0, SETS, 100):
        replies = m.pipeline([("SET", f"key:{i}", "v" * (i % 97)) for i in range(base, base + 100)])
        assert replies == ["OK"] * 100
    wait_for(lambda: len(set(offsets(m, r))) == 1, "the replica to catch up")
    m_off1, r_off1 = offsets(m, r)
    m_info, r_info = m.info("commandstats"), r.info("commandstats")
    r_cmds1 = int(r.info("stats")["total_commands_processed"])   # not counting itself
    m_sent = m.sent - m_sent0
    assert t.stop() == 0, t.stderr
    s = t.summary()

    print(f"\nmaster pid {master.pid}: master_repl_offset {m_off0} -> {m_off1} "
          f"(+{m_off1 - m_off0}), cmdstat_set calls={calls(m_info, 'set')}, "
          f"commands we sent while traced {m_sent}")
    print(f"replica pid {replica.pid}: offset {r_off0} -> {r_off1} (+{r_off1 - r_off0}), "
          f"cmdstat_set calls={calls(r_info, 'set')}, "
          f"total_commands_processed +{r_cmds1 - r_cmds0} (+1: the last INFO)")
    for o in s["ops"]:
        print("  ", json.dumps({k: o[k] for k in ("op", "label", "count", "value") if k in o}))
    assert_no_drops(s)

    # the servers' own counts agree with the workload
    assert calls(m_info, "set") == calls(r_info, "set") == SETS
    assert m_off1 - m_off0 == r_off1 - r_off0 > 0

    # master: one replicationFeedSlaves per propagated SET (argc 3 each)
    feed = by_pid(s, "redis_feed_replicas", master.pid)
    assert feed["count"] == SETS and feed["value"]["sum"] == 3 * SETS
    assert by_pid(s, "redis_set", master.pid)["count"] == calls(m_info, "set")
    # replica: every SET applied; the master stream it applied, byte for byte
    assert by_pid(s, "redis_set", replica.pid)["count"] == calls(r_info, "set")
    applied = by_pid(s, "redis_stream_applied", replica.pid)
    assert applied["value"]["sum"] == r_off1 - r_off0 == m_off1 - m_off0
    # the replica feeds no replicas of its own; the master applies no master stream
    assert by_pid(s, "redis_feed_replicas", replica.pid)["count"] == 0
    assert by_pid(s, "redis_stream_applied", master.pid)["count"] == 0
    # call(): every command a server executes. The master's: ours, and the
    # replica's REPLCONF ACK (one a second, traced by replconf in the same window)
    assert by_pid(s, "redis_command", master.pid)["count"] == \
        m_sent + by_pid(s, "redis_replconf", master.pid)["count"]
    # the replica's: the master link's (SELECT, the SETs) and our INFOs, as it counts
    # them itself: its count read by the last INFO leaves that INFO out
    assert by_pid(s, "redis_command", replica.pid)["count"] == r_cmds1 - r_cmds0 + 1
    assert by_pid(s, "redis_command", replica.pid)["count"] >= SETS
    # no resync happened
    assert by_pid(s, "redis_sync_request", master.pid)["count"] == 0
    assert by_pid(s, "redis_full_resync", master.pid)["count"] == 0


def test_full_resync_is_seen(tmp_path, private):
    """A replica attaching: one PSYNC on the master, one full resync (no -p:
    a private copy of the server)."""
    binary, ops = private_redis(private)
    mport, rport = free_port(), free_port()
    master, m = start_redis(tmp_path, "master", mport, binary=binary)
    replica = r = None
    try:
        assert_maps_private(master.pid, binary, REDIS)
    except BaseException:
        stop_redis((m,), (master,))
        raise
    t = Tracer("watch", "--json", "--ops", ops).wait_tracing()
    try:
        replica, r = start_redis(tmp_path, "replica", rport, "--replicaof", "127.0.0.1",
                                 str(mport), binary=binary)
        wait_for(lambda: r.info("replication").get("master_link_status") == "up",
                 "the replica's link")
        m_info = m.info("stats")
    finally:
        stop_redis((m, r), (master, replica))
    assert t.stop() == 0, t.stderr
    s = t.summary()
    print("\nmaster stats: sync_full", m_info["sync_full"], "sync_partial_err",
          m_info["sync_partial_err"])
    for o in s["ops"]:
        print("  ", json.dumps({k: o[k] for k in ("op", "label", "count", "value") if k in o}))
    assert by_pid(s, "redis_sync_request", master.pid)["count"] == 1
    assert by_pid(s, "redis_full_resync", master.pid)["count"] == int(m_info["sync_full"]) == 1


def test_feed_replication_buffer_wrapper_never_fires(pair):
    """The trap: feedReplicationBuffer is exported as a 16-byte wrapper
    (`if (server.repl_backlog) jmp <body>`); the compiler split the body into a
    local clone (feedReplicationBuffer.part.0, stripped from this binary) and
    every caller inside redis calls that clone directly. A probe on the
    exported name never fires, though bytes are fed all the time."""
    master, replica, m, r = pair
    out = subprocess.run([str(ROOT / "build" / "synctrace"), "list", str(REDIS),
                          "feedReplicationBuffer"], capture_output=True, text=True, timeout=30)
    assert re.search(r"feedReplicationBuffer\s+size 16\b", out.stdout), out.stdout
    t = Tracer("watch", "-p", master.pid, "--json",
               "--op", f"fb {REDIS}:feedReplicationBuffer count",
               "--op", f"fbo {REDIS}:feedReplicationBufferWithObject count").wait_tracing()
    off0 = offsets(m, r)[0]
    assert m.pipeline([("SET", f"k{i}", "x") for i in range(50)]) == ["OK"] * 50
    wait_for(lambda: len(set(offsets(m, r))) == 1, "the replica to catch up")
    assert offsets(m, r)[0] > off0
    assert t.stop() == 0, t.stderr
    s = t.summary()
    got = {o["op"]: o["count"] for o in s["ops"]}
    print("\n", got)
    assert got.get("fb", 0) == 0
    # each argv object of each SET ("SET", key, value), and the SELECT before the first
    assert got["fbo"] == 50 * 3 + 1


def test_short_name_through_a_symlink_with_pid(pair):
    """/usr/bin/redis-server is a link to redis-check-rdb, the file the process
    maps: -p with the short name redis-server still finds it."""
    master, replica, m, r = pair
    t = Tracer("count", "-p", master.pid, "--json", "redis-server:setCommand").wait_tracing()
    assert m.pipeline([("SET", f"s{i}", "x") for i in range(20)]) == ["OK"] * 20
    assert t.stop() == 0, t.stderr
    (o,) = t.summary()["ops"]
    assert o["count"] == 20 and o["target"].endswith(":setCommand")
