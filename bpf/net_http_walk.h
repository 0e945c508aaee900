/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net_http.h (included from its functions half, once, after
 * net_http_bytes.h): the walk of a segment through its direction's byte
 * machine (http_byte), in a bpf_loop. What needs no reading is skipped
 * arithmetically; a step reads up to HTTP_STEP_OPS bytes or fast paths,
 * and the fast paths take in one go what the byte machine would take byte
 * by byte when the bytes are held whole: the rest of a line no one reads,
 * a status line, the three header names read. Each gives exactly what the
 * byte machine gives; when its bytes are split across segments, the byte
 * machine takes them.
 */
#ifndef SYNCTRACE_NET_HTTP_WALK_H
#define SYNCTRACE_NET_HTTP_WALK_H

/* Bytes read or fast paths taken in one bpf_loop step at most: the step's
 * fixed cost (the indirect call, reloading the walk) is paid once for them. */
#define HTTP_STEP_OPS 32

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

/* States that only look for the end of their line (or, in a query, of the target). */
static __always_inline int http_scans(__u8 state)
{
	return state == HS_LINE || state == HS_HSKIP || state == HS_QUERY ||
	       state == HB_CHUNK_EXT || state == HB_TRAILER_LINE;
}

/*
 * How many of the bytes held (from walk.bpos) come before a '\n' (or,
 * with space, a ' '): skipped in one step rather than one step each. Most
 * of a head is header lines no one reads. Global: verified once.
 */
__noinline int http_scan(struct net_scratch *sc, __u32 space)
{
	__u32 k, j, b, e;
	__u8 ch;

	if (!sc)
		return 0;
	b = sc->walk.bpos;
	e = sc->walk.blen;
	for (k = 0; k < NET_SCRATCH; k++) {
		j = b + k;
		if (j >= e)
			break;
		ch = sc->buf[j & (NET_SCRATCH - 1)];
		if (ch == '\n' || (space && ch == ' '))
			break;
	}
	return k;
}

/* 8 bytes as a little-endian u64 load sees them; and the case bit of the
 * letters among them (the byte machine lowercases A-Z only: a '-' or ':'
 * must match exactly, '\r' | 0x20 would pass for '-'). */
#define HTTP_LE8(a, b, c, d, e, f, g, h)						\
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 |		\
	 (__u64)(e) << 32 | (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define HTTP_LC(ch) ((ch) >= 'a' && (ch) <= 'z' ? 0x20 : 0)
#define HTTP_CASE8(a, b, c, d, e, f, g, h)						\
	HTTP_LE8(HTTP_LC(a), HTTP_LC(b), HTTP_LC(c), HTTP_LC(d), HTTP_LC(e), HTTP_LC(f),	\
		 HTTP_LC(g), HTTP_LC(h))
/* Do the 8 bytes at p read, in any case, as these? */
#define HTTP_IS8(p, a, b, c, d, e, f, g, h)						\
	((*(const __u64 *)(p) | HTTP_CASE8(a, b, c, d, e, f, g, h)) ==			\
	 HTTP_LE8(a, b, c, d, e, f, g, h))

/* The longest name read, with its ':' ("transfer-encoding:"). */
#define HTTP_NAME_FAST 18

/*
 * A header line held from its first byte: content-length, content-type
 * or transfer-encoding with its ':' in one go, as http_name_byte and
 * http_name_end would leave it. 0: the byte machine reads on.
 */
static __always_inline __u32 http_fast_name(struct http_dir *d, const __u8 *p, __u32 held)
{
	__u32 n;

	if (held < 13)
		return 0;
	if (HTTP_IS8(p, 'c', 'o', 'n', 't', 'e', 'n', 't', '-')) {
		if (held >= 15 && HTTP_IS8(p + 7, '-', 'l', 'e', 'n', 'g', 't', 'h', ':')) {
			d->hdr = 1;
			n = 15;
		} else if (HTTP_IS8(p + 5, 'n', 't', '-', 't', 'y', 'p', 'e', ':')) {
			d->hdr = 3;
			n = 13;
		} else {
			return 0;
		}
	} else if (held >= 18 && HTTP_IS8(p, 't', 'r', 'a', 'n', 's', 'f', 'e', 'r') &&
		   HTTP_IS8(p + 8, '-', 'e', 'n', 'c', 'o', 'd', 'i', 'n') &&
		   HTTP_IS8(p + 10, 'n', 'c', 'o', 'd', 'i', 'n', 'g', ':')) {
		d->hdr = 2;
		n = 18;
	} else {
		return 0;
	}
	d->name_len = n - 1;
	d->num = 0;
	d->sub = 0;
	d->state = HS_HVALUE;
	d->msg_bytes += n;
	return n;
}

/*
 * A response's status line held from its first byte: "HTTP/1.x NNN" in
 * one go, as HS_START and HS_STATUS would leave it. 0: the byte machine
 * reads on (and loses the sync where it must).
 */
static __always_inline __u32 http_fast_status(struct http_dir *d, const __u8 *p, __u32 held)
{
	const __u64 version = HTTP_LE8('H', 'T', 'T', 'P', '/', '1', '.', 0);

	/* "HTTP/1." exactly (no case folding here), then the digits */
	if (held < 12 || (*(const __u64 *)p & 0x00ffffffffffffffULL) != version ||
	    p[7] < '0' || p[7] > '9' || p[8] != ' ' || p[9] < '0' || p[9] > '9' ||
	    p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return 0;
	d->msg_bytes = 12;
	d->flags = 0;
	d->clen = 0;
	d->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	d->sub = 12;
	d->state = HS_LINE;
	return 12;
}

/* Bytes a run (below) takes at most in one go (then the walk's next op goes
 * on): each is a turn the verifier walks. A name other than the three read
 * can no longer be one of them within a few bytes (Connection, Cache-Control). */
#define HTTP_RUN_NAME 4
#define HTTP_RUN_VALUE 24
#define HTTP_RUN_PATH 8

/*
 * Runs: the byte machine's own handling of a state (HS_HNAME, HS_HVALUE,
 * a path segment's characters) over the bytes held, in one call instead
 * of one http_byte each, until the state changes. How many bytes it took.
 */
static __always_inline __u32 http_run_name(struct http_dir *d, const __u8 *buf, __u32 b,
					   __u32 held)
{
	__u32 k;
	__u8 ch;

	for (k = 0; k < HTTP_RUN_NAME && k < held; k++) {
		ch = buf[(b + k) & (NET_SCRATCH - 1)];
		if (ch == ':') {
			http_name_end(d);
		} else if (ch == '\n') {
			d->state = HS_HDR;
		} else {
			http_name_byte(d, ch);
			if (d->state == HS_HNAME)
				continue;
		}
		k++;
		break;
	}
	d->msg_bytes += k;
	return k;
}

static __always_inline __u32 http_run_value(struct http_dir *d, const __u8 *buf, __u32 b,
					    __u32 held)
{
	__u32 k;
	__u8 ch;

	for (k = 0; k < HTTP_RUN_VALUE && k < held; k++) {
		ch = buf[(b + k) & (NET_SCRATCH - 1)];
		if (ch == '\n') {
			http_value_end(d);
		} else {
			if (ch != '\r')
				http_value_byte(d, ch);
			if (d->state == HS_HVALUE)
				continue;
		}
		k++;
		break;
	}
	d->msg_bytes += k;
	return k;
}

/* A path segment's characters, up to what ends it (the byte machine takes that). */
static __always_inline __u32 http_run_path(struct net_conn *c, struct http_dir *d,
					   const __u8 *buf, __u32 b, __u32 held)
{
	__u32 k;
	__u8 ch;

	for (k = 0; k < HTTP_RUN_PATH && k < held; k++) {
		ch = buf[(b + k) & (NET_SCRATCH - 1)];
		if (ch == '/' || ch == '?' || ch == '#' || ch == ' ' || ch == '\r' || ch == '\n')
			break;
		http_seg_char(c, d, ch);
	}
	d->msg_bytes += k;
	return k;
}

/*
 * A header line's first byte that can start none of the names read: the
 * line is skipped (as http_name_byte would, one byte later).
 */
static __always_inline __u32 http_fast_other(struct http_dir *d, __u8 ch)
{
	__u8 lc = http_lower(ch);

	if (ch == '\r' || ch == '\n' || lc == 'c' || lc == 't')
		return 0;
	d->hdr = 0;
	d->name_len = 1;
	d->state = HS_HSKIP;
	d->msg_bytes++;
	return 1;
}

/*
 * The fast paths, for the bytes held from walk.bpos: how many they took
 * (0: none applies, the byte machine takes the next byte). The state's
 * changes and the message's bytes are theirs to count.
 */
static __always_inline __u32 http_fast(struct net_conn *c, struct net_scratch *sc,
				       struct http_dir *d)
{
	struct net_walk *w = &sc->walk;
	__u32 b, held, n;

	b = w->bpos;
	if (b >= w->blen || b >= NET_SCRATCH)
		return 0;
	held = w->blen - b;
	switch (d->state) {
	case HS_HNAME:
		return http_run_name(d, sc->buf, b, held);
	case HS_HVALUE:
		return http_run_value(d, sc->buf, b, held);
	case HS_PATH:
		return http_run_path(c, d, sc->buf, b, held);
	}
	if (http_scans(d->state)) {
		n = http_scan(sc, d->state == HS_QUERY);
		/* a header line's or the first line's '\n' too: the next one starts */
		if (n < held && (d->state == HS_HSKIP || d->state == HS_LINE)) {
			d->state = HS_HDR;
			n++;
		}
		d->msg_bytes += n;
		return n;
	}
	/* the u64 loads read up to HTTP_NAME_FAST bytes from b: in the buffer */
	if (b > NET_SCRATCH - HTTP_NAME_FAST)
		return 0;
	if (d->state == HS_HDR) {
		n = http_fast_name(d, sc->buf + b, held);
		return n ? n : http_fast_other(d, sc->buf[b]);
	}
	if (d->state == HS_START && w->dir != http_req_dir(c))
		return http_fast_status(d, sc->buf + b, held);
	return 0;
}

/* Does the walk's next byte go through the fast paths first? */
static __always_inline int http_has_fast(__u8 state)
{
	return http_scans(state) || state == HS_HDR || state == HS_START || state == HS_HNAME ||
	       state == HS_HVALUE || state == HS_PATH;
}

/*
 * One op of the walk over the bytes held: a fast path, or one byte
 * through the machine. How many bytes it took; 0 when the step ends (no
 * byte held, a skip or a loss: the next step deals with it). Global: the
 * step's loop calls it, and the verifier walks each of the loop's turns,
 * a call and a branch each rather than all of this.
 */
__noinline int http_op(struct net_conn *c, struct net_scratch *sc)
{
	struct net_walk *w;
	struct http_dir *d;
	__u32 n;

	if (!c || !sc)
		return 0;
	w = &sc->walk;
	d = &c->http.d[w->dir & 1];
	if (w->bpos >= w->blen || d->state == HS_LOST || http_skips(c, d, w->dir))
		return 0;
	n = http_has_fast(d->state) ? http_fast(c, sc, d) : 0;
	if (!n) {
		n = w->bpos;
		net_barrier_var(n);
		http_byte(c, w->dir, sc->buf[n & (NET_SCRATCH - 1)], w->ts);
		n = 1;
	}
	w->bpos += n;
	w->off += n;
	return n;
}

static long http_step(__u32 i, struct http_walk *hw)
{
	struct net_conn *c = hw->c;
	struct net_scratch *sc = hw->sc;
	struct net_walk *w = &sc->walk;
	struct http_dir *d = &c->http.d[w->dir & 1];
	__u32 n, rest, k;

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
	/* the bytes held, while the state reads them (a skip, a loss, or the
	 * end of what is held ends the step; the next one deals with it) */
	for (k = 0; k < HTTP_STEP_OPS; k++)
		if (!http_op(c, sc))
			break;
	return 0;
}

/* Every byte of a segment through its direction's machine (sc: the run's scratch). */
static __always_inline void http_feed(struct net_conn *c, const struct net_seg *s,
				      struct net_scratch *sc)
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
	hw.sc = sc;
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

#endif /* SYNCTRACE_NET_HTTP_WALK_H */
