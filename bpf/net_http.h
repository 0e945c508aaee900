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
 * pipelining) until their response ends. docs/OPS-KERNEL.md "Sockets".
 */
#ifndef NET_CONN_DEFINED
#ifndef SYNCTRACE_NET_HTTP_TYPES
#define SYNCTRACE_NET_HTTP_TYPES

#define HTTP_PIPELINE 4		/* requests kept per connection (a power of 2) */
#define HTTP_NO_SLOT 0xff
#define HTTP_SEG_STEPS 65536	/* loop steps per segment: bytes read one by one, or skips */

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
	__u8 q_head, q_nr;
	__u16 q_drops;		/* requests past a full FIFO: their responses are skipped */
	__u8 mode;		/* enum http_mode */
	__u8 sse_bol;		/* SSE: at a line's start */
	__u8 sse_data;		/* SSE: the event has a data line */
	__u8 sse_first;		/* SSE: the first event was seen */
};

#endif /* SYNCTRACE_NET_HTTP_TYPES */
#else
#ifndef SYNCTRACE_NET_HTTP_FUNCS
#define SYNCTRACE_NET_HTTP_FUNCS

enum http_mode { HM_HTTP, HM_SSE, HM_WS, HM_DONE };

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

/* 1: a request line (METHOD SP target), 2: a status line, 0: not HTTP. */
static __always_inline int http_detect(const __u8 *h, __u32 n)
{
	__u32 i;

	if (n >= 7 && h[0] == 'H' && h[1] == 'T' && h[2] == 'T' && h[3] == 'P' && h[4] == '/' &&
	    h[5] == '1' && h[6] == '.')
		return 2;
	for (i = 0; i < 8 && i < n; i++) {
		if (h[i] == ' ')
			break;
		if (h[i] < 'A' || h[i] > 'Z')
			return 0;
	}
	if (i < 3 || i >= 8 || i + 1 >= n)
		return 0;
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

/* The oldest request, the one the response in flight answers, if kept. */
static __always_inline struct http_req *http_front(struct net_conn *c)
{
	return c->http.q_nr ? http_slot(c, c->http.q_head) : NULL;
}

static __always_inline void http_pop(struct net_conn *c)
{
	if (c->http.q_nr) {
		c->http.q_head = (c->http.q_head + 1) & (HTTP_PIPELINE - 1);
		c->http.q_nr--;
	} else if (c->http.q_drops) {
		c->http.q_drops--;
	}
}

/* The row of request e answered with status, in net_keybuf; NULL if none. */
static __always_inline struct net_counters *http_row(struct net_conn *c, struct http_req *e,
						     __u16 status)
{
	struct net_keys *ks = net_keys();
	struct net_row_key *k;
	struct net_counters *r;

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
 * Counts on the row of the oldest request (the one the response in flight
 * answers, or the stream's): an exchange ends (or a stream's head has been
 * sent), or a stream event. A global function: verified once.
 */
__noinline int http_count(struct net_conn *c, __u32 what, __u32 arg, __u64 v, __u64 ts)
{
	struct http_req *e;
	struct net_counters *r;
	struct net_keys *ks;
	__u64 in, out, ns;
	__u32 i;

	if (!c)
		return 0;
	e = http_front(c);
	if (!e)
		return 0;
	if (what == HC_EXCHANGE)
		e->status = arg;
	r = http_row(c, e, e->status);
	ks = net_keys();
	if (!r || !ks)
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
		r->count++;
		if (arg >= 500 && arg < 600)
			r->errors++;
		else if (arg >= 400 && arg < 500)
			r->client_errors++;
		r->bytes_in += in;
		r->bytes_out += out;
		net_latency(r, &ks->row, ts > e->start_ts ? ts - e->start_ts : 0);
		net_hist_add(&ks->row, NET_DIST_BYTES_IN, in);
		net_hist_add(&ks->row, NET_DIST_BYTES_OUT, out);
		break;
	case HC_SSE_OPEN:
		r->sse_opened++;
		break;
	case HC_SSE_CLOSE:
		r->sse_closed++;
		ns = ts - c->http.stream_ts;
		net_hist_add(&ks->row, NET_DIST_SSE_DURATION, ns);
		break;
	case HC_SSE_EVENT:
		r->sse_events++;
		if (!c->http.sse_first) {
			c->http.sse_first = 1;
			ns = ts - c->http.stream_ts;
			net_hist_add(&ks->row, NET_DIST_SSE_FIRST, ns);
		}
		break;
	case HC_WS_OPEN:
		r->ws_opened++;
		break;
	case HC_WS_CLOSE:
		r->ws_closed++;
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
			r->ws_frames_in[i]++;
			r->ws_bytes_in += v;
		} else {
			r->ws_frames_out[i]++;
			r->ws_bytes_out += v;
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
	if (c->http.mode == HM_SSE) {
		http_count(c, HC_SSE_CLOSE, 0, 0, bpf_ktime_get_ns());
		c->http.mode = HM_HTTP;
	}
	if (c->http.mode != HM_WS) {
		c->http.q_nr = 0;
		c->http.q_drops = 0;
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
	if (c->http.q_drops || c->http.q_nr >= HTTP_PIPELINE) {
		c->http.q_drops++;
		net_drop(NET_DROP_PIPELINE_FULL);
		d->slot = HTTP_NO_SLOT;
		return;
	}
	slot = (c->http.q_head + c->http.q_nr) & (HTTP_PIPELINE - 1);
	c->http.q_nr++;
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
	d->op_len = d->seg_start;
	if (d->slot != HTTP_NO_SLOT) {
		struct http_req *e = http_slot(c, d->slot);
		__u32 i;

		for (i = 0; i < NET_OP_MAX; i++)	/* clear the segment's text */
			if (i >= d->seg_start)
				e->op[i] = 0;
	}
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
	struct http_req *e;
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
	e = http_front(c);
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
		http_count(c, HC_EXCHANGE, st, d->msg_bytes, ts);
		c->http.mode = HM_SSE;
		c->http.stream_ts = ts;
		c->http.sse_bol = 1;
		c->http.sse_data = 0;
		c->http.sse_first = 0;
		http_count(c, HC_SSE_OPEN, 0, 0, ts);
	}
	if ((e && e->is_head) || st == 204 || st == 304) {
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

/* A header line's value ends. */
static __always_inline void http_value_end(struct http_dir *d)
{
	if (d->hdr == 1 && d->sub) {
		d->flags |= HF_CLEN;
		d->clen = d->num;
	}
	d->state = HS_HDR;
}

/* One byte of a header value. */
static __always_inline void http_value_byte(struct http_dir *d, __u8 ch)
{
	__u8 lc = http_lower(ch);
	__u32 m = d->sub;

	net_barrier_var(m);
	switch (d->hdr) {
	case 1:	/* Content-Length */
		if (ch >= '0' && ch <= '9' && d->num < (1ULL << 56)) {
			d->num = d->num * 10 + (ch - '0');
			d->sub = 1;
		}
		break;
	case 2:	/* Transfer-Encoding: ... chunked */
		if (m < sizeof(http_chunked) - 1 && lc == http_chunked[m & 7])
			m++;
		else
			m = lc == 'c';
		if (m == sizeof(http_chunked) - 1) {
			d->flags |= HF_CHUNKED;
			m = 0;
		}
		d->sub = m;
		break;
	case 3:	/* Content-Type: text/event-stream, leading spaces allowed */
		if (m == 0xff || (m == 0 && (ch == ' ' || ch == '\t')))
			break;
		if (m < sizeof(http_sse) - 1 && lc == http_sse[m & 31]) {
			m++;
			if (m == sizeof(http_sse) - 1) {
				d->flags |= HF_SSE;
				m = 0xff;
			}
		} else {
			m = 0xff;
		}
		d->sub = m;
		break;
	}
}

/* One byte of a header name (lowercased), narrowing the candidates. */
static __always_inline void http_name_byte(struct http_dir *d, __u8 ch)
{
	__u8 lc = http_lower(ch);
	__u32 i = d->name_len;

	net_barrier_var(i);
	if ((d->hdr & 1) && (i >= sizeof(http_h_clen) - 1 || http_h_clen[i & 15] != lc))
		d->hdr &= ~1;
	if ((d->hdr & 2) && (i >= sizeof(http_h_te) - 1 || http_h_te[i & 31] != lc))
		d->hdr &= ~2;
	if ((d->hdr & 4) && (i >= sizeof(http_h_ct) - 1 || http_h_ct[i & 15] != lc))
		d->hdr &= ~4;
	if (i < 0xff)
		d->name_len = i + 1;
	if (!d->hdr)
		d->state = HS_HSKIP;
}

static __always_inline void http_name_end(struct http_dir *d)
{
	__u32 n = d->name_len;

	d->num = 0;
	d->sub = 0;
	if ((d->hdr & 1) && n == sizeof(http_h_clen) - 1)
		d->hdr = 1;
	else if ((d->hdr & 2) && n == sizeof(http_h_te) - 1)
		d->hdr = 2;
	else if ((d->hdr & 4) && n == sizeof(http_h_ct) - 1)
		d->hdr = 3;
	else
		d->hdr = 0;
	d->state = d->hdr ? HS_HVALUE : HS_HSKIP;
}

/* An SSE body byte (inside the body's framing): events end at a blank
 * line, and count when they hold a data line (as the spec dispatches). */
static __always_inline void http_sse_byte(struct net_conn *c, __u8 ch, __u64 ts)
{
	if (c->http.mode != HM_SSE || ch == '\r')
		return;
	if (ch != '\n') {
		if (c->http.sse_bol && ch == 'd')
			c->http.sse_data = 1;
		c->http.sse_bol = 0;
		return;
	}
	if (!c->http.sse_bol) {
		c->http.sse_bol = 1;
		return;
	}
	if (!c->http.sse_data)
		return;
	c->http.sse_data = 0;
	http_count(c, HC_SSE_EVENT, 0, 0, ts);
}

/* One byte of a WebSocket frame header (RFC 6455 5.2). */
static __always_inline void http_ws_byte(struct net_conn *c, struct http_dir *d, __u32 dir,
					 __u8 ch)
{
	__u8 p = d->ws_hpos, len7;

	if (p == 0) {
		d->ws_op = ch & 0x0f;
		if (d->ws_op > 10 || (d->ws_op > 2 && d->ws_op < 8)) {
			http_lost(c, d);
			return;
		}
	} else if (p == 1) {
		len7 = ch & 0x7f;
		d->ws_lenend = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
		d->ws_hneed = d->ws_lenend + (ch & 0x80 ? 4 : 0);
		d->num = len7 < 126 ? len7 : 0;
	} else if (p < d->ws_lenend) {
		d->num = d->num << 8 | ch;
	}
	d->ws_hpos = p + 1;
	if (p < 1 || p + 1 < d->ws_hneed)
		return;
	http_count(c, HC_WS_FRAME, dir << 8 | d->ws_op, d->num, 0);
	d->ws_hpos = 0;
	d->left = d->num;
	d->state = d->left ? HW_PAYLOAD : HW_HDR;
}

/* A chunk-size line ends. */
static __always_inline void http_chunk_line(struct http_dir *d)
{
	if (d->num) {
		d->left = d->num;
		d->state = HB_CHUNK_DATA;
	} else {
		d->state = HB_TRAILER;
	}
	d->num = 0;
}

/*
 * One byte of a direction's stream, in a state that reads bytes. A global
 * function: the verifier checks it once, not once per path to each call.
 */
__noinline int http_byte(struct net_conn *c, __u32 dir, __u32 ch, __u64 ts)
{
	struct http_dir *d;
	int is_req;

	if (!c)
		return 0;
	dir &= 1;
	ch &= 0xff;
	d = &c->http.d[dir];
	is_req = dir == http_req_dir(c);

	d->msg_bytes++;
	switch (d->state) {
	case HS_START:
		if (ch == '\r' || ch == '\n')
			return 0;
		if (is_req && ch >= 'A' && ch <= 'Z') {
			http_req_begin(c, d, ts);
			http_put(c, d, ch);
			d->state = HS_METHOD;
		} else if (!is_req && ch == 'H') {
			d->msg_bytes = 1;
			d->flags = 0;
			d->clen = 0;
			d->status = 0;
			d->sub = 1;
			d->state = HS_STATUS;
		} else {
			http_lost(c, d);
		}
		return 0;
	case HS_METHOD:
		if (ch >= 'A' && ch <= 'Z' && d->op_len < 8) {
			http_put(c, d, ch);
		} else if (ch == ' ') {
			if (d->slot != HTTP_NO_SLOT && d->op_len == 4) {
				struct http_req *e = http_slot(c, d->slot);

				e->is_head = e->op[0] == 'H' && e->op[1] == 'E' &&
					     e->op[2] == 'A' && e->op[3] == 'D';
			}
			http_put(c, d, ' ');
			d->state = HS_TARGET;
		} else {
			http_lost(c, d);
		}
		return 0;
	case HS_TARGET:
		if (ch == '/') {
			http_seg_start(c, d);
			d->state = HS_PATH;
		} else if (ch == '*') {
			http_put(c, d, '*');
			d->state = HS_QUERY;
		} else if (ch == ' ' || ch == '\r' || ch == '\n') {
			http_lost(c, d);
		} else {
			d->sub = 0;	/* absolute form: the path starts at the third '/' */
			d->state = HS_ABS;
		}
		return 0;
	case HS_ABS:
		if (ch == '/' && ++d->sub == 3) {
			http_seg_start(c, d);
			d->state = HS_PATH;
		} else if (ch == ' ') {
			http_put(c, d, '/');
			d->state = HS_LINE;
		} else if (ch == '\n') {
			http_lost(c, d);
		}
		return 0;
	case HS_PATH:
		if (ch == '/') {
			http_seg_end(c, d);
			http_seg_start(c, d);
		} else if (ch == '?' || ch == '#') {
			http_seg_end(c, d);
			d->state = HS_QUERY;
		} else if (ch == ' ') {
			http_seg_end(c, d);
			d->state = HS_LINE;
		} else if (ch == '\r' || ch == '\n') {
			http_lost(c, d);
		} else {
			http_seg_char(c, d, ch);
		}
		return 0;
	case HS_QUERY:
		if (ch == ' ')
			d->state = HS_LINE;
		else if (ch == '\n')
			http_lost(c, d);
		return 0;
	case HS_STATUS: {
		__u32 p = d->sub;

		net_barrier_var(p);
		if (p < 7 ? ch == http_version[p & 7] :
		    p == 7 ? ch >= '0' && ch <= '9' :
		    p == 8 ? ch == ' ' : ch >= '0' && ch <= '9') {
			if (p >= 9)
				d->status = d->status * 10 + (ch - '0');
			d->sub = p + 1;
			if (p == 11)
				d->state = HS_LINE;
		} else {
			http_lost(c, d);
		}
		return 0;
	}
	case HS_LINE:
		if (ch == '\n')
			d->state = HS_HDR;
		return 0;
	case HS_HDR:
		if (ch == '\r')
			return 0;
		if (ch == '\n') {
			http_head_end(c, dir, ts);
			return 0;
		}
		d->hdr = 7;
		d->name_len = 0;
		d->state = HS_HNAME;
		http_name_byte(d, ch);
		return 0;
	case HS_HNAME:
		if (ch == ':')
			http_name_end(d);
		else if (ch == '\n')
			d->state = HS_HDR;
		else
			http_name_byte(d, ch);
		return 0;
	case HS_HVALUE:
		if (ch == '\n')
			http_value_end(d);
		else if (ch != '\r')
			http_value_byte(d, ch);
		return 0;
	case HS_HSKIP:
		if (ch == '\n')
			d->state = HS_HDR;
		return 0;
	case HB_LEN:	/* read byte by byte only to scan an SSE body */
		http_sse_byte(c, ch, ts);
		if (d->left)
			d->left--;
		if (!d->left)
			http_body_end(c, d, dir, ts);
		return 0;
	case HB_CHUNK_SIZE:
		if (http_is_hex(ch)) {
			if (d->num >= (1ULL << 56)) {
				http_lost(c, d);
				return 0;
			}
			d->num = d->num * 16 + (ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
		} else if (ch == '\n') {
			http_chunk_line(d);
		} else if (ch == ';' || ch == ' ' || ch == '\t') {
			d->state = HB_CHUNK_EXT;
		} else if (ch != '\r') {
			http_lost(c, d);
		}
		return 0;
	case HB_CHUNK_EXT:
		if (ch == '\n')
			http_chunk_line(d);
		return 0;
	case HB_CHUNK_DATA:
		http_sse_byte(c, ch, ts);
		if (d->left)
			d->left--;
		if (!d->left)
			d->state = HB_CHUNK_CRLF;
		return 0;
	case HB_CHUNK_CRLF:
		if (ch == '\n') {
			d->num = 0;
			d->state = HB_CHUNK_SIZE;
		} else if (ch != '\r') {
			http_lost(c, d);
		}
		return 0;
	case HB_TRAILER:
		if (ch == '\n')
			http_body_end(c, d, dir, ts);
		else if (ch != '\r')
			d->state = HB_TRAILER_LINE;
		return 0;
	case HB_TRAILER_LINE:
		if (ch == '\n')
			d->state = HB_TRAILER;
		return 0;
	case HB_EOF:
		http_sse_byte(c, ch, ts);
		return 0;
	case HW_HDR:
		http_ws_byte(c, d, dir, ch);
		return 0;
	}
	return 0;
}

/* A segment's walk, one bpf_loop step at a time (the walk itself is sc->walk). */
struct http_walk {
	struct net_conn *c;
	struct net_scratch *sc;
};

/* Does this state skip bytes without reading them? */
static __always_inline int http_skips(const struct net_conn *c, const struct http_dir *d,
				      __u32 dir)
{
	switch (d->state) {
	case HB_LEN:
	case HB_CHUNK_DATA:
	case HB_EOF:
		/* an SSE body is read, to find its events */
		return !(c->http.mode == HM_SSE && dir != http_req_dir(c));
	case HW_PAYLOAD:
		return 1;
	}
	return 0;
}

static long http_step(__u32 i, struct http_walk *hw)
{
	struct net_conn *c = hw->c;
	struct net_scratch *sc = hw->sc;
	struct net_walk *w = &sc->walk;
	struct http_dir *d = &c->http.d[w->dir & 1];
	__u32 n, rest;

	if (w->off >= w->len || d->state == HS_LOST)
		return 1;
	rest = w->len - w->off;
	if (http_skips(c, d, w->dir)) {
		n = rest;
		if (d->state != HB_EOF && d->left < n)
			n = d->left;
		w->off += n;
		w->bpos = w->blen = 0;	/* the bytes held are behind */
		d->msg_bytes += n;
		if (d->state == HB_EOF)
			return 0;
		d->left -= n;
		if (d->left)
			return 0;
		if (d->state == HW_PAYLOAD)
			d->state = HW_HDR;
		else if (d->state == HB_CHUNK_DATA)
			d->state = HB_CHUNK_CRLF;
		else
			http_body_end(c, d, w->dir, w->ts);
		return 0;
	}
	if (w->bpos >= w->blen) {
		if (!w->buf) {
			http_lost(c, d);	/* bytes went by unseen where they had to be read */
			return 1;
		}
		n = rest < NET_SCRATCH ? rest : NET_SCRATCH;
		if (net_read_user(sc->buf, n, w->buf + w->off)) {
			http_lost(c, d);
			return 1;
		}
		w->bpos = 0;
		w->blen = n;
	}
	n = w->bpos;
	net_barrier_var(n);
	http_byte(c, w->dir, sc->buf[n & (NET_SCRATCH - 1)], w->ts);
	w->bpos++;
	w->off++;
	return 0;
}

/* Every byte of a segment through its direction's machine. */
static __always_inline void http_feed(struct net_conn *c, const struct net_seg *s)
{
	struct http_walk hw = {};
	struct http_dir *d = &c->http.d[s->dir & 1];
	struct net_walk *w;

	if (c->http.mode == HM_DONE)
		return;
	if (d->state == HS_LOST) {
		/* resync: a new segment most often starts a message */
		d->state = c->http.mode == HM_WS ? HW_HDR : HS_START;
		d->ws_hpos = 0;
	}
	hw.c = c;
	hw.sc = net_scratch_get();
	if (!hw.sc)
		return;
	w = &hw.sc->walk;
	w->buf = s->buf;
	w->ts = s->ts;
	w->len = s->len;
	w->off = 0;
	w->bpos = 0;
	w->blen = 0;
	w->dir = s->dir & 1;
	bpf_loop(HTTP_SEG_STEPS, http_step, &hw, 0);
	if (w->off < w->len && d->state != HS_LOST)
		http_lost(c, d);	/* more bytes to read than steps */
}

/* The connection ends: open streams close, a body read to the end ends. */
static __noinline void http_close(struct net_conn *c, __u64 ts)
{
	struct http_dir *rs = &c->http.d[http_req_dir(c) ^ 1];

	if (c->http.mode == HM_WS)
		http_count(c, HC_WS_CLOSE, 0, 0, ts);
	else if (c->http.mode == HM_SSE || rs->state == HB_EOF)
		http_resp_end(c, rs, ts);
	c->http.mode = HM_DONE;
}

#endif /* SYNCTRACE_NET_HTTP_FUNCS */
#endif /* NET_CONN_DEFINED */
