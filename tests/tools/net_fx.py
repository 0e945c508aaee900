#!/usr/bin/python3
"""A small HTTP/1.1 server and client on raw sockets for tests/tools/net_probe
(tests/integration/test_net_probe.py): keep-alive, pipelining, heads and
bodies split across writes, Content-Length and chunked bodies (chunk-size
lines split too), Server-Sent Events and a WebSocket, with the client's own
ground truth.

  net_fx.py server PORT     serves until killed; prints "ready"
  net_fx.py client_exit PORT  reads one SSE stream to its end, prints
                            {"status": n, "sse_events": n}, exits without closing it
  net_fx.py client PORT     waits for a line on stdin, runs the exchanges, then
                            prints its ground truth as one JSON object:
                            {"rows": {"METHOD /template STATUS": n}, "sse_events": n,
                             "sse_streams": n, "sse_streams_with_events": n,
                             "ws_in": {...}, "ws_out": {...}}
                            (ws_in: frames the client received, by opcode name)
"""
import base64
import hashlib
import json
import os
import random
import socket
import sys
import threading
import time

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B4A"
OPNAMES = {0: "cont", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


def send_split(sock, data, parts):
    """data in `parts` writes, cut at random places (a pause between: the
    reader gets them apart)."""
    cuts = sorted(random.sample(range(1, len(data)), parts - 1)) if parts > 1 else []
    last = 0
    for c in cuts + [len(data)]:
        sock.sendall(data[last:c])
        last = c
        time.sleep(0.005)


def chunked(body, pieces):
    out = []
    step = max(1, len(body) // pieces)
    for i in range(0, len(body), step):
        piece = body[i:i + step]
        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
    out.append(b"0\r\n\r\n")
    return out


def serve_conn(sock):
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            d = sock.recv(65536)
            if not d:
                sock.close()
                return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        method, target, _ = lines[0].split(b" ")
        hdrs = {k.strip().lower(): v.strip() for k, v in
                (l.split(b":", 1) for l in lines[1:])}
        n = int(hdrs.get(b"content-length", b"0"))
        while len(buf) < n:
            buf += sock.recv(65536)
        buf = buf[n:]
        path = target.split(b"?")[0]
        if path == b"/ws":
            acc = base64.b64encode(hashlib.sha1(hdrs[b"sec-websocket-key"] + WS_GUID).digest())
            sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n")
            frames = ws_frame(1, b"hello", False) + ws_frame(2, bytes(300), False) + \
                ws_frame(2, bytes(70000), False) + ws_frame(9, b"", False)
            send_split(sock, frames, 5)
            while sock.recv(65536):
                pass
            sock.close()
            return
        if path == b"/stream":
            k = int(target.split(b"k=")[1])
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            events = [b": keepalive\n\n"] + [b"id: %d\ndata: e%d\ndata: more\n\n" % (i, i)
                                              for i in range(k)]
            body = b"".join(events)
            for piece in chunked(body, 4):
                send_split(sock, piece, min(3, len(piece)))
            continue
        status = 200
        if path.startswith(b"/items/"):
            status = (200, 404, 500)[int(path.split(b"/")[2][:1], 16) % 3]
        body = b"x" * random.randint(10, 3000)
        if path == b"/pull":
            resp = b"HTTP/1.1 %d OK\r\nTransfer-Encoding: chunked\r\n\r\n" % status
            send_split(sock, resp + b"".join(chunked(body, 5)), 4)
        else:
            resp = b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(body))
            send_split(sock, resp + body, 3)


def ws_frame(op, payload, masked):
    n = len(payload)
    h = bytes([0x80 | op])
    m = 0x80 if masked else 0
    if n < 126:
        h += bytes([m | n])
    elif n < 65536:
        h += bytes([m | 126]) + n.to_bytes(2, "big")
    else:
        h += bytes([m | 127]) + n.to_bytes(8, "big")
    if masked:
        key = os.urandom(4)
        return h + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return h + payload


def server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    print("ready", flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve_conn, args=(c,), daemon=True).start()


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def need(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.need(len(self.buf) + 1)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n):
        self.need(n)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self):
        """(status, body) of one response."""
        status = int(self.line().split(b" ")[1])
        hdrs = {}
        while True:
            line = self.line()
            if not line:
                break
            k, v = line.split(b":", 1)
            hdrs[k.strip().lower()] = v.strip()
        if status == 101:
            return status, b""
        if hdrs.get(b"transfer-encoding") == b"chunked":
            body = b""
            while True:
                n = int(self.line(), 16)
                body += self.take(n)
                self.line()
                if n == 0:
                    return status, body
        return status, self.take(int(hdrs.get(b"content-length", b"0")))


def client(port):
    sys.stdin.readline()
    rows = {}
    truth = {"rows": rows, "sse_events": 0, "sse_streams": 0, "sse_streams_with_events": 0,
             "ws_in": {}, "ws_out": {}}

    def count(method, template, status):
        key = "%s %s %d" % (method, template, status)
        rows[key] = rows.get(key, 0) + 1

    def request(method, path, body=b""):
        return b"%s %s HTTP/1.1\r\nHost: fx\r\nContent-Length: %d\r\n\r\n%s" % (
            method, path, len(body), body)

    for conn in range(3):
        s = socket.create_connection(("127.0.0.1", port))
        r = Reader(s)
        for i in range(20):
            kind = random.choice(["push", "pull", "item", "uuid"])
            if kind == "push":
                send_split(s, request(b"POST", b"/sync/push", os.urandom(random.randint(0, 5000))), 3)
                count("POST", "/sync/push", r.response()[0])
            elif kind == "pull":
                send_split(s, request(b"GET", b"/pull?since=%d" % i), 2)
                count("GET", "/pull", r.response()[0])
            elif kind == "item":
                send_split(s, request(b"GET", b"/items/%d/v2" % random.randint(0, 10**6)), 2)
                count("GET", "/items/:id/v2", r.response()[0])
            else:
                u = "%08x-%04x-%04x-%04x-%012x" % tuple(random.getrandbits(b) for b in (32, 16, 16, 16, 48))
                send_split(s, request(b"GET", b"/items/%s" % u.encode()), 2)
                count("GET", "/items/:id", r.response()[0])
        # pipelined: 6 requests in a few writes
        reqs = b"".join(request(b"GET", b"/items/%d" % random.randint(0, 10**9)) for _ in range(6))
        send_split(s, reqs, 3)
        for _ in range(6):
            count("GET", "/items/:id", r.response()[0])
        s.close()
    for k in (0, 3, 5):
        s = socket.create_connection(("127.0.0.1", port))
        r = Reader(s)
        req = request(b"GET", b"/stream?k=%d" % k)
        s.sendall(req[:2])	# a connection's first read shorter than "GET /"
        time.sleep(0.02)
        send_split(s, req[2:], 2)
        status, body = r.response()
        count("GET", "/stream", status)
        truth["sse_streams"] += 1
        events = body.count(b"\ndata: more\n\n")
        truth["sse_events"] += events
        truth["sse_streams_with_events"] += events > 0
        s.close()
    s = socket.create_connection(("127.0.0.1", port))
    r = Reader(s)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: fx\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    count("GET", "/ws", r.response()[0])
    got = 0
    while got < 4:
        b0, b1 = r.take(2)
        n = b1 & 0x7f
        if n == 126:
            n = int.from_bytes(r.take(2), "big")
        elif n == 127:
            n = int.from_bytes(r.take(8), "big")
        r.take(n)
        name = OPNAMES[b0 & 0x0f]
        truth["ws_in"][name] = truth["ws_in"].get(name, 0) + 1
        got += 1
    out = [(1, b"hi"), (2, os.urandom(200)), (10, b""), (8, b"\x03\xe8")]
    send_split(s, b"".join(ws_frame(op, p, True) for op, p in out), 4)
    for op, _ in out:
        truth["ws_out"][OPNAMES[op]] = truth["ws_out"].get(OPNAMES[op], 0) + 1
    time.sleep(0.1)
    s.close()
    print(json.dumps(truth), flush=True)


def client_exit(port):
    """An SSE stream whose process ends without closing it (os._exit)."""
    sys.stdin.readline()
    s = socket.create_connection(("127.0.0.1", port))
    r = Reader(s)
    s.sendall(b"GET /stream?k=4 HTTP/1.1\r\nHost: fx\r\n\r\n")
    status, body = r.response()
    print(json.dumps({"status": status, "sse_events": body.count(b"\ndata: more\n\n")}),
          flush=True)
    os._exit(0)


if __name__ == "__main__":
    {"server": server, "client": client, "client_exit": client_exit}[sys.argv[1]](int(sys.argv[2]))
