/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net.bpf.c: the HTTP/1.x parser (server and client side),
 * with Server-Sent Events and WebSocket after an upgrade. Included twice
 * by net_stream.h: the state types first, the functions once struct
 * net_conn exists (see net_pg.h's comment for the scheme).
 *
 * Each direction is a byte-at-a-time state machine over the heads (request
 * line, status line, headers) and the chunk-size lines; body bytes,
 * chunk data and WebSocket payloads are skipped arithmetically, so a
 * message may be split anywhere across segments or share one with the
 * next. Requests wait in a small FIFO per connection (keep-alive,
 * pipelining) until their response ends. This file: the state, detection,
 * the FIFO, recording, request line and the end of a head; the byte-level
 * machine is in net_http_bytes.h, the segment walk in net_http_walk.h
 * (both included below), its fast paths in net_http_fast.h.
 * docs/OPS-KERNEL.md "Sockets".
 */
#ifndef NET_CONN_DEFINED
#ifndef SYNCTRACE_NET_HTTP_TYPES
#define SYNCTRACE_NET_HTTP_TYPES

#define HTTP_PIPELINE 8		/* requests kept per connection (a power of 2) */
#define HTTP_NO_SLOT 0xff
#define HTTP_SEG_STEPS 65536	/* loop steps per segment: up to 32 ops, or a skip */

/* A request waiting for its response. */
struct http_req {
	char op[NET_OP_MAX];	/* "METHOD /route/:id", NUL-padded */
	__u64 start_ts;		/* the request's first byte */
	__u64 req_bytes;	/* the whole request, once it ended */
	__u8 is_head;		/* HEAD: the response has no body */
	__u8 row_flags;		/* recorded as other_op (1) / other_label (2) */
	__u16 status;		/* a stream's status, once its head is in */
	__u8 pad[4];
};

/* One direction's framing. */
struct http_dir {
	__u64 left;		/* body, chunk or WebSocket payload bytes to skip */
	__u64 num;		/* a number being read: chunk size, WebSocket length */
	__u64 clen;		/* the head's Content-Length */
	__u64 msg_bytes;	/* bytes of the current message */
	__u8 state;		/* enum http_state */
	__u8 flags;		/* HF_*: the current head */
	__u8 sub;		/* position in a fixed token or pattern */
	__u8 hdr;		/* header-name candidates (a mask), then the header read */
	__u8 name_len;
	__u8 op_len;		/* request: bytes of op written */
	__u8 seg_start;		/* request: where the path segment starts in op */
	__u8 seg_flags;		/* request: SEG_* the segment still is */
	__u16 seg_len;
	__u16 status;
	__u8 slot;		/* request: its FIFO slot, or HTTP_NO_SLOT */
	__u8 ws_op;		/* WebSocket: the frame's opcode */
	__u8 ws_hpos, ws_hneed, ws_lenend;
	__u8 pad[1];
};

struct http_conn {
	struct http_req q[HTTP_PIPELINE];
	struct http_dir d[2];	/* by NET_DIR_IN / NET_DIR_OUT */
	__u64 stream_ts;	/* SSE: the response head's end */
	__u64 stream_req_ts;	/* SSE: its request's first byte (the client's wait starts) */
	/* The FIFO as counts that each direction alone writes (a reader and a
	 * writer thread on one socket do not race): requests kept (q_push,
	 * by the request direction) and answered (q_pop, by the response
	 * direction); requests past a full FIFO, whose responses are skipped,
	 * likewise (d_push, d_pop). */
	__u32 q_push, q_pop, d_push, d_pop;
	__u8 mode;		/* enum http_mode */
	__u8 sse_bol;		/* SSE: at a line's start */
	__u8 sse_data;		/* SSE: the event has a data line */
	__u8 sse_first;		/* SSE: the first event was seen */
	/* The row the last exchange ended on (keep-alive repeats it): its
	 * op, status and row_flags, and a copy of its slot, so that the next
	 * exchange on it hashes no key. Written by the response direction
	 * alone (HC_EXCHANGE). */
	struct {
		char op[NET_OP_MAX];
		struct net_row_slot slot;
		__u16 status;
		__u8 flags;
		__u8 valid;
	} last;
};

#endif /* SYNCTRACE_NET_HTTP_TYPES */
#else
#ifndef SYNCTRACE_NET_HTTP_FUNCS
#define SYNCTRACE_NET_HTTP_FUNCS

/* HM_SSE_ENDED: the stream was counted closed (the peer's EOF) but its body
 * may still come (the server writes on): read to its end, counted no more. */
enum http_mode { HM_HTTP, HM_SSE, HM_WS, HM_DONE, HM_SSE_ENDED };

enum http_state {
	HS_START,		/* a message's first byte */
	HS_METHOD, HS_TARGET, HS_ABS, HS_PATH, HS_QUERY,	/* request line */
	HS_STATUS,		/* status line: "HTTP/1.x NNN" */
	HS_LINE,		/* the rest of the first line */
	HS_HDR, HS_HNAME, HS_HVALUE, HS_HSKIP,			/* header lines */
	HB_LEN,			/* Content-Length body */
	HB_CHUNK_SIZE, HB_CHUNK_EXT, HB_CHUNK_DATA, HB_CHUNK_CRLF, HB_TRAILER, HB_TRAILER_LINE,
	HB_EOF,			/* body until the connection ends */
	HW_HDR, HW_PAYLOAD,	/* WebSocket frames */
	HS_LOST,		/* framing lost: resync at the next segment */
};

#define HF_CLEN 1
#define HF_CHUNKED 2
#define HF_SSE 4

#define SEG_DIGITS 1
#define SEG_HEX 2
#define SEG_UUID 4

/* The headers read, by candidate bit: 1 content-length, 2 transfer-encoding,
 * 4 content-type; and the patterns. In .rodata as const volatile (frozen:
 * the verifier reads them as constants); static const arrays get a BTF
 * that clang 14 gets wrong and the kernel refuses. */
const volatile char http_h_clen[] = "content-length";
const volatile char http_h_te[] = "transfer-encoding";
const volatile char http_h_ct[] = "content-type";
const volatile char http_chunked[] = "chunked";
const volatile char http_sse[] = "text/event-stream";
const volatile char http_version[] = "HTTP/1.";

/*
 * 1: a request line (METHOD SP target), 2: a status line, 0: not HTTP.
 * A first read shorter than that (a request written in pieces) is taken
 * when all it holds can start one: uppercase letters, or "HTTP/1." so far.
 */
static __always_inline int http_detect(const __u8 *h, __u32 n)
{
	const char v[] = "HTTP/1.";
	__u32 i;

	for (i = 0; i < 7 && i < n; i++)
		if (h[i] != v[i])
			break;
	if (i == 7 || (i == n && n >= 2))
		return 2;	/* "HTTP/1." or a prefix of it ("H" alone: HEAD, below) */
	for (i = 0; i < 8 && i < n; i++) {
		if (h[i] == ' ')
			break;
		if (h[i] < 'A' || h[i] > 'Z')
			return 0;
	}
	if (i == n && n < 8)
		return 1;	/* the method so far */
	if (i < 3 || i >= 8)
		return 0;
	if (i + 1 == n)
		return 1;	/* "METHOD " */
	return h[i + 1] == '/' || h[i + 1] == '*' || h[i + 1] == 'h' ? 1 : 0;
}

static __always_inline int http_is_hex(__u8 ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static __always_inline __u8 http_lower(__u8 ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static __always_inline __u32 http_req_dir(const struct net_conn *c)
{
	return c->side == NET_SIDE_SERVER ? NET_DIR_IN : NET_DIR_OUT;
}

static __always_inline struct http_req *http_slot(struct net_conn *c, __u32 i)
{
	return &c->http.q[i & (HTTP_PIPELINE - 1)];
}

/* Is the oldest request, the one the response in flight answers, kept? */
static __always_inline int http_has_front(const struct net_conn *c)
{
	return c->http.q_push != c->http.q_pop;
}

/* That request (only when http_has_front). */
static __always_inline struct http_req *http_front(struct net_conn *c)
{
	return http_slot(c, c->http.q_pop);
}

static __always_inline void http_pop(struct net_conn *c)
{
	if (c->http.q_push != c->http.q_pop)
		c->http.q_pop++;
	else if (c->http.d_push != c->http.d_pop)
		c->http.d_pop++;
}

/* The row of request e answered with status (its key in net_keybuf); NULL if none. */
static __always_inline struct net_row_slot *http_row(struct net_conn *c, struct http_req *e,
						     __u16 status, struct net_keys *ks)
{
	struct net_row_key *k;
	struct net_row_slot *r;

	if (!ks)
		return NULL;
	k = &ks->row;
	__builtin_memset(k, 0, sizeof(*k));
	k->kind = NET_KIND_HTTP;
	k->side = c->side;
	if (e->row_flags & 1) {
		net_set_other(k->op);
		k->other_op = 1;
	} else {
		__builtin_memcpy(k->op, e->op, NET_OP_MAX);
		k->op[NET_OP_MAX - 1] = 0;
	}
	if (e->row_flags & 2) {
		net_set_other(k->label);
		k->other_label = 1;
	} else {
		k->label[0] = '0' + (status / 100) % 10;
		k->label[1] = '0' + (status / 10) % 10;
		k->label[2] = '0' + status % 10;
	}
	r = net_row(k);
	if (r)
		e->row_flags = (k->other_op ? 1 : 0) | (k->other_label ? 2 : 0);
	return r;
}

/* What http_count counts, on the row of the oldest request. */
enum http_count_what {
	HC_EXCHANGE,		/* arg: status, v: response bytes */
	HC_SSE_OPEN, HC_SSE_CLOSE, HC_SSE_EVENT,
	HC_WS_OPEN, HC_WS_CLOSE,
	HC_WS_FRAME,		/* arg: dir << 8 | opcode, v: payload bytes */
};

/*
 * The slot of the row the last exchange on c ended on, when request e
 * (answered with its status) is on that row again and the copy has every
 * histogram an exchange adds to; NULL: look the row up. An exchange that
 * is slow enough for an event (it needs the key) looks up too. The op and
 * label overflow a lookup would count for a new request are counted here.
 */
static __always_inline struct net_row_slot *http_last_row(struct net_conn *c, struct http_req *e,
							  __u64 ns)
{
	const __u64 *a = (const __u64 *)e->op, *b = (const __u64 *)c->http.last.op;
	struct net_row_slot *s = &c->http.last.slot;
	struct net_totals *t;
	__u8 f = c->http.last.flags;
	__u32 i;

	if (!c->http.last.valid || c->http.last.status != e->status ||
	    (e->row_flags && e->row_flags != f) || (net_slow_ns && ns >= net_slow_ns) ||
	    !s->dist[NET_DIST_LATENCY] || !s->dist[NET_DIST_BYTES_IN] ||
	    !s->dist[NET_DIST_BYTES_OUT])
		return NULL;
	for (i = 0; i < NET_OP_MAX / 8; i++)
		if (a[i] != b[i])
			return NULL;
	if (!e->row_flags && f) {
		t = net_totals_get();
		if (t && (f & 1))
			net_add(&t->op_overflow, 1);
		if (t && (f & 2))
			net_add(&t->label_overflow, 1);
	}
	e->row_flags = f;
	return s;
}

/* After an exchange looked its row up: that row is now the connection's last. */
static __always_inline void http_last_set(struct net_conn *c, const struct http_req *e,
					  const struct net_row_slot *s)
{
	__builtin_memcpy(c->http.last.op, e->op, NET_OP_MAX);
	c->http.last.slot = *s;
	c->http.last.status = e->status;
	c->http.last.flags = e->row_flags;
	c->http.last.valid = 1;
}

/*
 * Counts on the row of the oldest request (the one the response in flight
 * answers, or the stream's): an exchange ends (or a stream's head has been
 * sent), or a stream event. A global function: verified once.
 */
__noinline int http_count(struct net_conn *c, __u32 what, __u32 arg, __u64 v, __u64 ts)
{
	struct http_req *e;
	struct net_row_slot *slot;
	struct net_counters *r;
	struct net_keys *ks;
	__u64 in, out, ns;
	__u32 i;

	if (!c)
		return 0;
	if (!http_has_front(c))
		return 0;
	e = http_front(c);
	ns = ts > e->start_ts ? ts - e->start_ts : 0;
	slot = NULL;
	ks = NULL;
	if (what == HC_EXCHANGE) {
		e->status = arg;
		slot = http_last_row(c, e, ns);
	}
	if (!slot) {
		ks = net_keys();
		slot = http_row(c, e, e->status, ks);
	}
	if (!slot)
		return 0;
	r = net_counts_of(slot);
	if (!r)
		return 0;
	switch (what) {
	case HC_EXCHANGE:
		if (c->side == NET_SIDE_SERVER) {
			in = e->req_bytes;
			out = v;
		} else {
			in = v;
			out = e->req_bytes;
		}
		net_add(&r->count, 1);
		if (arg >= 500 && arg < 600)
			net_add(&r->errors, 1);
		else if (arg >= 400 && arg < 500)
			net_add(&r->client_errors, 1);
		net_add(&r->bytes_in, in);
		net_add(&r->bytes_out, out);
		net_latency_add(r, slot, ns);
		net_hist_add(slot, NET_DIST_BYTES_IN, in);
		net_hist_add(slot, NET_DIST_BYTES_OUT, out);
		if (ks) {
			net_slow_event(&ks->row, ns);
			http_last_set(c, e, slot);
		}
		break;
	case HC_SSE_OPEN:
		net_add(&r->sse_opened, 1);
		break;
	case HC_SSE_CLOSE:
		net_add(&r->sse_closed, 1);
		ns = ts - c->http.stream_ts;
		net_hist_add(slot, NET_DIST_SSE_DURATION, ns);
		break;
	case HC_SSE_EVENT:
		net_add(&r->sse_events, 1);
		if (!c->http.sse_first) {
			c->http.sse_first = 1;
			/* the catch-up a client waits for: from its request */
			ns = ts > c->http.stream_req_ts ? ts - c->http.stream_req_ts : 0;
			net_hist_add(slot, NET_DIST_SSE_FIRST, ns);
		}
		break;
	case HC_WS_OPEN:
		net_add(&r->ws_opened, 1);
		break;
	case HC_WS_CLOSE:
		net_add(&r->ws_closed, 1);
		break;
	case HC_WS_FRAME:
		switch (arg & 0xff) {
		case 0: i = NET_WS_CONT; break;
		case 1: i = NET_WS_TEXT; break;
		case 2: i = NET_WS_BINARY; break;
		case 8: i = NET_WS_CLOSE; break;
		case 9: i = NET_WS_PING; break;
		default: i = NET_WS_PONG; break;
		}
		if ((arg >> 8) == NET_DIR_IN) {
			net_add(&r->ws_frames_in[i], 1);
			net_add(&r->ws_bytes_in, v);
		} else {
			net_add(&r->ws_frames_out[i], 1);
			net_add(&r->ws_bytes_out, v);
		}
		break;
	}
	return 0;
}

/* Framing lost on one direction: its exchanges are lost, resync later. */
static __noinline void http_lost(struct net_conn *c, struct http_dir *d)
{
	net_drop(NET_DROP_LOST_SYNC);
	d->state = HS_LOST;
	if (c->http.mode == HM_SSE)
		http_count(c, HC_SSE_CLOSE, 0, 0, bpf_ktime_get_ns());
	if (c->http.mode == HM_SSE || c->http.mode == HM_SSE_ENDED)
		c->http.mode = HM_HTTP;
	if (c->http.mode != HM_WS) {
		c->http.q_pop = c->http.q_push;
		c->http.d_pop = c->http.d_push;
	}
}

/* A request's first byte: keep it in the FIFO, or count it dropped. */
static __always_inline void http_req_begin(struct net_conn *c, struct http_dir *d, __u64 ts)
{
	struct http_req *e;
	__u32 slot;

	d->msg_bytes = 1;
	d->flags = 0;
	d->clen = 0;
	d->op_len = 0;
	if (c->http.d_push != c->http.d_pop || c->http.q_push - c->http.q_pop >= HTTP_PIPELINE) {
		c->http.d_push++;
		net_drop(NET_DROP_PIPELINE_FULL);
		d->slot = HTTP_NO_SLOT;
		return;
	}
	slot = c->http.q_push & (HTTP_PIPELINE - 1);
	c->http.q_push++;
	d->slot = slot;
	e = http_slot(c, slot);
	__builtin_memset(e, 0, sizeof(*e));
	e->start_ts = ts;
}

/* One more byte of the request's op (cut at NET_OP_MAX - 1). */
static __always_inline void http_put(struct net_conn *c, struct http_dir *d, __u8 ch)
{
	__u32 i = d->op_len;

	if (d->slot == HTTP_NO_SLOT || i >= NET_OP_MAX - 1)
		return;
	net_barrier_var(i);
	http_slot(c, d->slot)->op[i & (NET_OP_MAX - 1)] = ch;
	d->op_len = i + 1;
}

static __always_inline void http_seg_start(struct net_conn *c, struct http_dir *d)
{
	http_put(c, d, '/');
	d->seg_start = d->op_len;
	d->seg_len = 0;
	d->seg_flags = SEG_DIGITS | SEG_HEX | SEG_UUID;
}

/* One character of a path segment: what the segment can still be. */
static __always_inline void http_seg_char(struct net_conn *c, struct http_dir *d, __u8 ch)
{
	__u16 p = d->seg_len;
	int hex = http_is_hex(ch);

	if (ch < '0' || ch > '9')
		d->seg_flags &= ~SEG_DIGITS;
	if (!hex)
		d->seg_flags &= ~SEG_HEX;
	if (p == 8 || p == 13 || p == 18 || p == 23 ? ch != '-' : !hex)
		d->seg_flags &= ~SEG_UUID;
	if (p < 0xffff)
		d->seg_len = p + 1;
	http_put(c, d, ch);
}

/* A path segment ends: numeric, UUID and long-hex segments become ":id". */
static __always_inline void http_seg_end(struct net_conn *c, struct http_dir *d)
{
	__u8 f = d->seg_flags;
	__u16 n = d->seg_len;

	if (!n || !((f & SEG_DIGITS) || ((f & SEG_HEX) && n >= 16) || ((f & SEG_UUID) && n == 36)))
		return;
	if (d->slot != HTTP_NO_SLOT) {
		struct http_req *e = http_slot(c, d->slot);
		__u32 i;

		/* clear the segment's text: the bytes past op_len are zero
		 * already (the op was cleared when the request began), so
		 * only these (not all 64 a time, a byte each) */
		for (i = d->seg_start; i < d->op_len && i < NET_OP_MAX; i++)
			e->op[i & (NET_OP_MAX - 1)] = 0;
	}
	d->op_len = d->seg_start;
	http_put(c, d, ':');
	http_put(c, d, 'i');
	http_put(c, d, 'd');
}

/* The response has ended (its last byte is in this segment). */
static __always_inline void http_resp_end(struct net_conn *c, struct http_dir *d, __u64 ts)
{
	d->state = HS_START;
	if (c->http.mode == HM_SSE) {
		/* the stream was counted at its head; now it is closed */
		http_count(c, HC_SSE_CLOSE, 0, 0, ts);
		c->http.mode = HM_HTTP;
	} else if (c->http.mode == HM_SSE_ENDED) {
		c->http.mode = HM_HTTP;	/* counted closed already */
	} else {
		http_count(c, HC_EXCHANGE, d->status, d->msg_bytes, ts);
	}
	http_pop(c);
}

static __always_inline void http_body_end(struct net_conn *c, struct http_dir *d, __u32 dir,
					  __u64 ts)
{
	if (dir == http_req_dir(c)) {
		if (d->slot != HTTP_NO_SLOT)
			http_slot(c, d->slot)->req_bytes = d->msg_bytes;
		d->state = HS_START;
		return;
	}
	http_resp_end(c, d, ts);
}

/* The blank line after the headers: how the body is framed. (Global: verified once.) */
__noinline int http_head_end(struct net_conn *c, __u32 dir, __u64 ts)
{
	struct http_dir *d;
	__u16 st;

	if (!c)
		return 0;
	dir &= 1;
	d = &c->http.d[dir];
	st = d->status;
	if (dir == http_req_dir(c)) {
		if (d->flags & HF_CHUNKED) {
			d->state = HB_CHUNK_SIZE;
			d->num = 0;
		} else if ((d->flags & HF_CLEN) && d->clen) {
			d->state = HB_LEN;
			d->left = d->clen;
		} else {
			http_body_end(c, d, dir, ts);
		}
		return 0;
	}
	if (st >= 100 && st < 200 && st != 101) {
		d->state = HS_START;	/* interim (100 Continue): the final response follows */
		return 0;
	}
	if (st == 101) {
		/* a stream: counted now, never as one endless request */
		http_count(c, HC_EXCHANGE, st, d->msg_bytes, ts);
		http_count(c, HC_WS_OPEN, 0, 0, ts);
		c->http.mode = HM_WS;
		__builtin_memset(&c->http.d, 0, sizeof(c->http.d));
		c->http.d[0].state = HW_HDR;
		c->http.d[1].state = HW_HDR;
		return 0;
	}
	if ((d->flags & HF_SSE) && st >= 200 && st < 300) {
		c->http.stream_req_ts = http_has_front(c) ? http_front(c)->start_ts : ts;
		http_count(c, HC_EXCHANGE, st, d->msg_bytes, ts);
		c->http.mode = HM_SSE;
		c->http.stream_ts = ts;
		c->http.sse_bol = 1;
		c->http.sse_data = 0;
		c->http.sse_first = 0;
		http_count(c, HC_SSE_OPEN, 0, 0, ts);
	}
	if ((http_has_front(c) && http_front(c)->is_head) || st == 204 || st == 304) {
		http_resp_end(c, d, ts);
	} else if (d->flags & HF_CHUNKED) {
		d->state = HB_CHUNK_SIZE;
		d->num = 0;
	} else if (d->flags & HF_CLEN) {
		d->left = d->clen;
		d->state = HB_LEN;
		if (!d->clen)
			http_resp_end(c, d, ts);
	} else {
		d->state = HB_EOF;
	}
	return 0;
}

#include "bpf/net_http_bytes.h"
#include "bpf/net_http_walk.h"

#endif /* SYNCTRACE_NET_HTTP_FUNCS */
#endif /* NET_CONN_DEFINED */
