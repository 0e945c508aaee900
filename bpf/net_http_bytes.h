/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net_http.h (included from its functions half, once): the
 * bytes. Header names and values, SSE bodies, WebSocket frame headers and
 * chunk-size lines byte by byte (http_byte, the one state machine), and
 * the end of a connection. The walk that feeds it a segment is
 * net_http_walk.h.
 */
#ifndef SYNCTRACE_NET_HTTP_BYTES_H
#define SYNCTRACE_NET_HTTP_BYTES_H

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
			/* nothing after can undo it: the rest is skipped to the line's end */
			d->flags |= HF_CHUNKED;
			d->state = HS_HSKIP;
			m = 0;
		}
		d->sub = m;
		break;
	case 3:	/* Content-Type: text/event-stream, leading spaces allowed */
		if (m == 0 && (ch == ' ' || ch == '\t'))
			break;
		if (m < sizeof(http_sse) - 1 && lc == http_sse[m & 31]) {
			m++;
			if (m == sizeof(http_sse) - 1)
				d->flags |= HF_SSE;
		} else {
			m = sizeof(http_sse) - 1;
		}
		/* matched, or can no longer match (application/json; ...): the
		 * rest is skipped to the line's end in one step (http_scan) */
		if (m == sizeof(http_sse) - 1)
			d->state = HS_HSKIP;
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
 * One byte of a direction's stream, in a state that reads bytes. Inlined
 * in the walk's one global function that calls it (http_op,
 * net_http_walk.h): the verifier checks it once there.
 */
static __always_inline int http_byte(struct net_conn *c, __u32 dir, __u32 ch, __u64 ts)
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

/*
 * The peer's EOF or close: open streams close, a body read to the end
 * ends. Twice is harmless: nothing is open the second time. A WebSocket
 * connection is done; an HTTP one goes on (a server answers a client that
 * shut its side down).
 */
static __noinline void http_close(struct net_conn *c, __u64 ts)
{
	struct http_dir *rs = &c->http.d[http_req_dir(c) ^ 1];

	if (c->http.mode == HM_WS) {
		http_count(c, HC_WS_CLOSE, 0, 0, ts);
		c->http.mode = HM_DONE;
	} else if (rs->state == HB_EOF) {
		http_resp_end(c, rs, ts);	/* its end is the connection's */
	} else if (c->http.mode == HM_SSE) {
		/* the stream is closed; what the server still writes of it is read quietly */
		http_count(c, HC_SSE_CLOSE, 0, 0, ts);
		c->http.mode = HM_SSE_ENDED;
	}
}

#endif /* SYNCTRACE_NET_HTTP_BYTES_H */
