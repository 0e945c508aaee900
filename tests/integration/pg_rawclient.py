"""A PostgreSQL frontend written by hand (protocol 3, trust authentication),
for tests of the wire-protocol parser (bpf/net_pg.h) that real clients do not
exercise. It prints its own ground truth, one JSON line: statements by command
tag's first word ("ERROR" for a failed one), rows by tag, SQLSTATEs,
notifications by channel.

    pg_rawclient.py HOST PORT split SEED
        60 exchanges (simple and extended protocol, errors, NOTIFY, several
        statements in one Query), one at a time, every write and every read
        cut at random into 1-13 byte pieces: headers, tags and SQLSTATEs
        straddle segments. The startup packets are written whole, as every
        real frontend does.
    pg_rawclient.py HOST PORT pipeline N
        N extended-protocol exchanges (Parse, Bind, Describe, Execute, Sync),
        all written in one send before any result is read: N Syncs in flight.

With --wait-go it prints "ready" and waits for a line on stdin first."""
import collections
import json
import random
import socket
import struct
import sys
import time

args = [a for a in sys.argv[1:] if a != "--wait-go"]
if len(args) != 4:
    sys.exit(__doc__)
host, port, mode, arg = args[0], int(args[1]), args[2], int(args[3])
if "--wait-go" in sys.argv:
    print("ready", flush=True)
    sys.stdin.readline()

rnd = random.Random(arg)
split = mode == "split"
sock = socket.create_connection((host, port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
tags, rows, states, notes = (collections.Counter() for _ in range(4))
inbuf = b""


def send(b):
    if not split:
        sock.sendall(b)
        return
    i = 0
    while i < len(b):
        n = rnd.randint(1, 9)
        sock.sendall(b[i:i + n])
        i += n
        if rnd.random() < 0.3:
            time.sleep(0.0005)      # let the piece go alone


def take(n):
    global inbuf
    while len(inbuf) < n:
        d = sock.recv(rnd.randint(1, 13) if split else 65536)
        if not d:
            sys.exit("pg_rawclient: the server closed the connection")
        inbuf += d
    r, inbuf = inbuf[:n], inbuf[n:]
    return r


def message():
    t = take(1)
    (n,) = struct.unpack("!i", take(4))
    return t, take(n - 4)


def fe(t, body=b""):
    return t + struct.pack("!i", len(body) + 4) + body


def until_ready():
    """Read the backend's messages up to ReadyForQuery, counting the truth."""
    while True:
        t, b = message()
        if t == b"Z":
            return
        if t == b"C":
            w = b.rstrip(b"\0").decode().split()
            tags[w[0]] += 1
            if len(w) > 1 and w[-1].isdigit():
                rows[w[0]] += int(w[-1])
        elif t == b"E":
            fields = {f[:1]: f[1:] for f in b.split(b"\0") if f}
            states[fields[b"C"].decode()] += 1
            tags["ERROR"] += 1
        elif t == b"A":
            notes[b[4:].split(b"\0")[0].decode()] += 1


def simple(q):
    send(fe(b"Q", q.encode() + b"\0"))
    until_ready()


def extended(q, executes=1):
    """Parse (unnamed), then executes x (Bind, Describe, Execute), one Sync."""
    m = fe(b"P", b"\0" + q.encode() + b"\0" + b"\0\0")
    for _ in range(executes):
        m += fe(b"B", b"\0\0" + b"\0\0" * 3) + fe(b"D", b"P\0") + fe(b"E", b"\0" + b"\0" * 4)
    return m + fe(b"S")


sock.sendall(struct.pack("!ii", 8, 80877103))              # SSLRequest
assert take(1) == b"N", "the server must not offer SSL"
params = b"user\0postgres\0database\0postgres\0\0"
sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
until_ready()

CHANNEL = "a_rather_long_channel_name_cut_in_the_label"
if split:
    simple("CREATE TEMP TABLE t (id int PRIMARY KEY, pad text)")
    simple(f"LISTEN {CHANNEL}")
    for i in range(60):
        k = rnd.randrange(6)
        if k == 0:
            simple(f"INSERT INTO t SELECT g, repeat('x', {rnd.randint(0, 300)}) FROM "
                   f"generate_series({i * 100}, {i * 100 + rnd.randint(0, 50)}) g")
        elif k == 1:
            simple(f"SELECT * FROM t WHERE id < {rnd.randint(0, 3000)}")
        elif k == 2:
            send(extended("SELECT pad FROM t LIMIT 37", rnd.randint(1, 3)))
            until_ready()
        elif k == 3:
            simple("INSERT INTO t VALUES (0)")         # 23505 once id 0 exists
        elif k == 4:
            simple(f"NOTIFY {CHANNEL}, 'p'; SELECT 1; UPDATE t SET pad = pad WHERE id < 5")
        else:
            send(extended("SELECT 1/0"))               # 22012
            until_ready()
else:
    send(b"".join(extended("SELECT 1/0" if i % 5 == 4 else "SELECT 7") for i in range(arg)))
    for _ in range(arg):
        until_ready()
sock.sendall(fe(b"X"))
sock.close()
print(json.dumps({"tags": tags, "rows": rows, "states": states, "notes": notes}), flush=True)
