#!/usr/bin/python3
"""HTTP/1.1 exchanges whose every message is cut at every byte position, for
tests/integration/test_http_splits.py: the parser's fast paths (a method, a
path, a status line, a header line read or skipped whole, a head's end;
bpf/net_http_fast.h) must give what its byte machine gives on any split.

Both sides follow one fixed plan, so each side's syscalls cut the bytes
exactly where the plan says, whichever side is traced: a message in pieces
is written one send() a piece and read one recv(MSG_WAITALL) a piece. Each
pair below is exchanged once per cut position p (the request cut at
p % len(request), the response at p % len(response); 0: whole), once one
byte a syscall, and once pipelined with the other pairs (4 requests in one
syscall, their responses in another).

  http_splits.py server PORT [msg|vec]  serves the plan on one connection; prints "ready"
  http_splits.py client PORT [msg|vec]  waits for a line on stdin, runs the plan, then
                               prints its ground truth as one JSON object:
                               {"rows": {"METHOD /template STATUS": {"count": n,
                                "req_bytes": n, "resp_bytes": n, "sse": [opened,
                                closed, events]}}} (bytes: null where not summed)

With msg, both sides move each piece with sendmsg/recvmsg_into instead,
cut in two iovecs (the iovec walk, and the msghdr read at the syscall's
return; the server's last read is a recvmsg that sees the client's EOF).
With vec, each piece goes by writev and readv cut in iovecs of 0, 1, 2 and
3 bytes in turn: tens of iovecs a call, empty ones among them (the iovecs
are read from the process NET_IOV_BATCH at a time; a readv that returns
short reads on).
"""
import os
import json
import re
import socket
import sys

NODE_BODY = b'{"id":42,"name":"item 42","tags":["a","b"]}'
SSE_BODY = b": hello\n\nid: 1\ndata: one\n\nevent: x\ndata: two\ndata: more\n\n: bye\n\n"
SSE_EVENTS = 2          # the blocks above with a data line


def chunks(body, sizes):
    assert sum(sizes) == len(body), "the chunks are the body"
    out, i = b"", 0
    for n in sizes:
        out += b"%x\r\n%s\r\n" % (n, body[i:i + n])
        i += n
    return out + b"0\r\n\r\n"


# (request, response, sums its bytes, SSE events or None)
PAIRS = [
    # ab against the Node relay: the exchange of bench/net_cost
    (b"GET /items/42 HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 127.0.0.1:8080\r\n"
     b"User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
     b"Content-Length: %d\r\nDate: Sun, 06 Dec 2026 05:00:00 GMT\r\nConnection: keep-alive\r\n"
     b"Keep-Alive: timeout=5\r\n\r\n%s" % (len(NODE_BODY), NODE_BODY), True, None),
    # names in any case, a tab before the value, a body that looks like a head
    (b"POST /sync/push?since=12 HTTP/1.1\r\nhost: fx\r\nCONTENT-LENGTH:\t27\r\n"
     b"content-type: application/octet-stream\r\n\r\nHTTP/1.1 200 OK\r\n\r\nGET / \r\n",
     b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\ncontent-type: text/plain\r\n\r\n",
     True, None),
    # chunked both ways, names that only start like the ones read
    (b"PUT /items/0123456789abcdef0123/blob HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
     b"X-Content-Length: 99\r\nContent-Lengt: 77\r\n\r\n"
     + chunks(b"helloabc", [5, 3]).replace(b"3\r\n", b"3;ext=1\r\n", 1)[:-2]
     + b"Trailer-A: 1\r\n\r\n",
     b"HTTP/1.1 500 Internal Server Error\r\nTRANSFER-ENCODING: gzip, Chunked\r\n"
     b"Transfer-Encodings: x\r\nContent-Typo: x\r\n\r\n" + chunks(b"z" * 40, [26, 14]),
     True, None),
    # Content-Lengthy and Content-Type-Options are neither header read
    (b"DELETE /items/6f1c2a44-0e8b-4c1e-9a4b-2f5d3c7b9e10 HTTP/1.1\r\nHost: fx\r\n\r\n",
     b"HTTP/1.1 404 Not Found\r\nContent-Lengthy: 5\r\nContent-Type-Options: nosniff\r\n"
     b"Content-Length: 9\r\n\r\nnot found", True, None),
    # HEAD: a length and no body; 304: no body
    (b"HEAD /health HTTP/1.1\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n", True, None),
    (b"GET /static/app.js HTTP/1.1\r\nIf-None-Match: \"x\"\r\n\r\n",
     b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 50\r\n\r\n", True, None),
    # an interim 100 Continue before the final response (its bytes not summed)
    (b"POST /upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
     b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok",
     False, None),
    # a long line across the 256-byte scratch, then the length; a type that is
    # not SSE to its last byte; a long route cut at 63
    (b"GET /" + b"/".join(b"segment%d" % i for i in range(9)) + b"/123 HTTP/1.1\r\n"
     b"Cookie: " + b"c" * 300 + b"\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nSet-Cookie: " + b"s" * 300 + b"\r\nContent-Type: text/event-streak\r\n"
     b"Content-Length: 3\r\n\r\nabc",
     True, None),
    # a 7-letter method (its op's first 8 bytes in one store); names that start like the
    # ones read and differ from them at their 2nd byte (TE, Cache-Control) or their 9th
    # (Content-Encoding), the length after one of them
    (b"OPTIONS /items/7 HTTP/1.1\r\nTE: trailers\r\nCache-Control: no-cache\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 5\r\n"
     b"Trailer: X-Sum\r\n\r\nhello", True, None),
    # Server-Sent Events: the type after spaces, in any case, the body chunked
    (b"GET /events?since=5 HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\ncontent-type:   Text/Event-Stream;"
     b" charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks(SSE_BODY, [9, 30, 25]),
     False, SSE_EVENTS),
]
PIPELINE = 4            # requests in one syscall (under the parser's FIFO of 8)

ID = re.compile(rb"^(\d+|[0-9a-fA-F]{16,}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")


def template(request):
    """The row's op: method and route template (numeric, UUID, long hex
    segments :id; no query), cut at 63 bytes."""
    method, target = request.split(b" ")[:2]
    path = target.split(b"?")[0]
    route = b"/".join(b":id" if ID.match(s) else s for s in path.split(b"/"))
    return (method + b" " + route)[:63].decode()


def status(response):
    """The final status (after any interim 1xx)."""
    heads = [h for h in response.split(b"\r\n\r\n") if h.startswith(b"HTTP/1.")]
    return int([h for h in heads if not h[9:12].startswith(b"1")][0][9:12])


def cuts(n, p):
    """Piece sizes of an n-byte message: whole (p 0), cut at p, or one byte a piece (p None)."""
    if p is None:
        return [1] * n
    return [p, n - p] if p else [n]


def plan():
    """[(request pieces, response pieces, [pair index])] in order."""
    out = []
    for i, (req, resp, _, _) in enumerate(PAIRS):
        for p in range(max(len(req), len(resp))):
            out.append((cuts(len(req), p % len(req)), cuts(len(resp), p % len(resp)), [i]))
        out.append((cuts(len(req), None), cuts(len(resp), None), [i]))
    for g in range(0, len(PAIRS), PIPELINE):
        group = list(range(g, min(g + PIPELINE, len(PAIRS))))
        out.append(([sum(len(PAIRS[i][0]) for i in group)],
                    [sum(len(PAIRS[i][1]) for i in group)], group))
    return out


IO = sys.argv[3] if len(sys.argv) > 3 else "plain"
MSG = IO == "msg"
VEC = IO == "vec"


def vec_sizes(n):
    """n bytes as iovecs of 0, 1, 2, 3, 0, 1, ... bytes (the last one shorter)."""
    out, k = [], 0
    while n > 0:
        out.append(min(k % 4, n))
        n -= out[-1]
        k += 1
    return out


def send(sock, data, pieces):
    i = 0
    for n in pieces:
        piece = data[i:i + n]
        if MSG:
            # two iovecs; a short sendmsg would split the piece: never on a
            # fresh loopback socket this small, and checked
            if sock.sendmsg([piece[:n // 2], piece[n // 2:]]) != n:
                sys.exit("http_splits: a short sendmsg")
        elif VEC:
            vecs, j = [], 0
            for k in vec_sizes(n):
                vecs.append(piece[j:j + k])
                j += k
            if os.writev(sock.fileno(), vecs) != n:
                sys.exit("http_splits: a short writev")
        else:
            sock.sendall(piece)
        i += n


def recv(sock, pieces):
    out = b""
    for n in pieces:
        if MSG:
            a, b = bytearray(n // 2), bytearray(n - n // 2)
            got_n = sock.recvmsg_into([a, b], 0, socket.MSG_WAITALL)[0]
            got = bytes(a + b)[:got_n]
        elif VEC:
            got = b""
            while len(got) < n:
                bufs = [bytearray(k) for k in vec_sizes(n - len(got))]
                got_n = os.readv(sock.fileno(), bufs)
                if not got_n:
                    break
                got += b"".join(bufs)[:got_n]
        else:
            got = sock.recv(n, socket.MSG_WAITALL)
        if len(got) != n:
            raise EOFError(f"read {len(got)} of {n} bytes")
        out += got
    return out


def server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    print("ready", flush=True)
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)     # a piece goes at once
    for req_pieces, resp_pieces, group in plan():
        want = b"".join(PAIRS[i][0] for i in group)
        got = recv(c, req_pieces)
        if got != want:
            sys.exit(f"http_splits: request {got[:40]!r} is not {want[:40]!r}")
        send(c, b"".join(PAIRS[i][1] for i in group), resp_pieces)
    if MSG:
        c.recvmsg_into([bytearray(1)])     # the client's close: 0 from a recvmsg
    else:
        c.recv(1)       # the client's close
    c.close()


def client(port):
    sys.stdin.readline()
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rows = {}
    for req_pieces, resp_pieces, group in plan():
        send(s, b"".join(PAIRS[i][0] for i in group), req_pieces)
        want = b"".join(PAIRS[i][1] for i in group)
        got = recv(s, resp_pieces)
        if got != want:
            sys.exit(f"http_splits: response {got[:40]!r} is not {want[:40]!r}")
        for i in group:
            req, resp, sums, events = PAIRS[i]
            key = "%s %d" % (template(req), status(resp))
            r = rows.setdefault(key, {"count": 0, "req_bytes": 0, "resp_bytes": 0,
                                      "sse": None})
            r["count"] += 1
            if sums:
                r["req_bytes"] += len(req)
                r["resp_bytes"] += len(resp)
            else:
                r["req_bytes"] = r["resp_bytes"] = None
            if events is not None:
                sse = r["sse"] or [0, 0, 0]
                r["sse"] = [sse[0] + 1, sse[1] + 1, sse[2] + events]
    s.close()
    print(json.dumps({"rows": rows}), flush=True)


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](int(sys.argv[2]))
