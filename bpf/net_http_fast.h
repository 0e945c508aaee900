/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net_http.h (included by net_http_walk.h, once): the walk's
 * fast paths. Each takes in one go what the byte machine (http_byte)
 * would take byte by byte when all its bytes are held, and gives exactly
 * what it gives (state, msg_bytes, hdr, name_len, the op's text, ...): a
 * request's method and a path, a status line, a header line read or
 * skipped whole, the blank line that ends a head. Split across segments,
 * the byte machine takes them. A walk's op chains them (http_fast).
 */
#ifndef SYNCTRACE_NET_HTTP_FAST_H
#define SYNCTRACE_NET_HTTP_FAST_H

/* Fast paths one op chains at most: a typical head (ab's request, Node's
 * response head) is 8 to 16 of them. Each is a turn the verifier walks. */
#define HTTP_CHAIN 16

/* Nonzero when a byte of x is 0: its lowest flag (0x80) is the lowest zero
 * byte's, the first in memory (a flag above it may be a borrow's). */
#define HTTP_ZERO8(x) (((x) - 0x0101010101010101ULL) & ~(x) & 0x8080808080808080ULL)

/* Which byte of m (nonzero) holds its lowest set bit: 0 to 7, in three
 * halvings rather than a test a byte. */
static __always_inline __u32 http_low_byte(__u64 m)
{
	__u32 n = 0;

	if (!(m & 0xffffffffULL)) {
		n += 4;
		m >>= 32;
	}
	if (!(m & 0xffff)) {
		n += 2;
		m >>= 16;
	}
	if (!(m & 0xff))
		n++;
	return n;
}

/*
 * How many of the bytes held from b come before a '\n' (or, with space,
 * a ' '): skipped in one go rather than a byte each, 8 bytes a turn while
 * none of them is one. Most of a head is header lines no one reads.
 * Global: verified once.
 */
__noinline int http_scan(struct net_scratch *sc, __u32 b, __u32 space)
{
	__u32 i, k, j, e;
	__u64 x, m;
	__u8 ch;

	if (!sc)
		return 0;
	e = sc->walk.blen;
	for (k = 0; k < NET_SCRATCH; k += 8) {
		j = b + k;
		if (j + 8 > e || j > NET_SCRATCH - 8)
			break;
		/* j as the verifier knows it bounded (clang would add b and k
		 * to the buffer apart, b unbounded) */
		net_barrier_var(j);
		x = *(const __u64 *)(sc->buf + (j & (NET_SCRATCH - 1)));
		m = HTTP_ZERO8(x ^ 0x0a0a0a0a0a0a0a0aULL);
		if (space)
			m |= HTTP_ZERO8(x ^ 0x2020202020202020ULL);
		if (m)
			return k + http_low_byte(m);
	}
	/* the fewer than 8 held after them */
	for (i = 0; i < 8; i++, k++) {
		j = b + k;
		if (j >= e)
			break;
		ch = sc->buf[j & (NET_SCRATCH - 1)];
		if (ch == '\n' || (space && ch == ' '))
			break;
	}
	return k;
}

/* The rest of a line no one reads (HS_LINE, HS_HSKIP) from b, and its '\n'
 * when held: the next line starts (HS_HDR). */
static __always_inline __u32 http_line_rest(struct net_scratch *sc, struct http_dir *d, __u32 b,
					    __u32 held)
{
	__u32 n = http_scan(sc, b, 0);

	if (n < held) {
		d->state = HS_HDR;
		n++;
	}
	d->msg_bytes += n;
	return n;
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
/* The bits where the 8 bytes at p differ, in any case, from these (0: they read so). */
#define HTTP_DIFF8(p, a, b, c, d, e, f, g, h)						\
	((*(const __u64 *)(p) | HTTP_CASE8(a, b, c, d, e, f, g, h)) ^			\
	 HTTP_LE8(a, b, c, d, e, f, g, h))
#define HTTP_IS8(p, a, b, c, d, e, f, g, h) (!HTTP_DIFF8(p, a, b, c, d, e, f, g, h))

/* The longest name read, with its ':' ("transfer-encoding:"): the u64
 * loads of a header line's fast paths read up to this many bytes. */
#define HTTP_NAME_FAST 18

/*
 * A header line held from its first byte: content-length, content-type
 * or transfer-encoding with its ':' in one go, as http_name_byte and
 * http_name_end would leave it. 0: not one of them (or not all held).
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
 * A header name that starts like one read (its first byte lc, a 'c' or a
 * 't') but is none of them: how many of its bytes http_name_byte reads
 * before it drops the last candidate (the line is then skipped, HS_HSKIP),
 * told by an 8-byte compare ("Connection", "Cache-Control", "Trailer";
 * content-length and content-type share "content-", then "Content-
 * Encoding" differs at its 9th byte). 0: the bytes held cannot tell, or a
 * ':' or '\n' would end the name first (the byte machine takes those).
 */
static __always_inline __u32 http_unread_len(const __u8 *p, __u32 held, __u8 lc)
{
	__u64 v;
	__u32 m;
	__u8 ch;

	if (lc == 'c')
		v = HTTP_DIFF8(p, 'c', 'o', 'n', 't', 'e', 'n', 't', '-');
	else
		v = HTTP_DIFF8(p, 't', 'r', 'a', 'n', 's', 'f', 'e', 'r');
	if (!v) {
		/* "content-" then neither 'l' nor 't' (a "transfer" is read on) */
		if (lc == 't' || held < 9)
			return 0;
		ch = http_lower(p[8]);
		if (ch == 'l' || ch == 't')
			return 0;
		m = 8;
	} else {
		/* the first byte that differs (the lowest in a little-endian load) */
		m = http_low_byte(v);
		if (m >= held)
			return 0;
	}
	ch = p[m & 15];
	if (ch == ':' || ch == '\n')
		return 0;
	return m + 1;
}

/*
 * A response's status line held from its first byte: "HTTP/1.x NNN" in
 * one go, as HS_START and HS_STATUS would leave it, then the line's rest.
 * 0: the byte machine reads on (and loses the sync where it must).
 */
static __always_inline __u32 http_fast_status(struct net_scratch *sc, struct http_dir *d,
					      __u32 b, __u32 held)
{
	const __u64 version = HTTP_LE8('H', 'T', 'T', 'P', '/', '1', '.', 0);
	const __u8 *p = sc->buf + b;

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
	return 12 + http_line_rest(sc, d, b + 12, held - 12);
}

/*
 * A request's method and its space held from its first byte b (up to 7
 * uppercase letters: GET, POST, OPTIONS, ...) in one go, as HS_START and
 * HS_METHOD would leave them: the request begun, its op "METHOD ", HEAD
 * told; and the target's first '/' when held (the path starts). Global:
 * verified once.
 */
__noinline int http_method_fast(struct net_conn *c, struct net_scratch *sc, __u32 b)
{
	struct http_dir *d;
	struct http_req *e;
	const __u8 *p;
	__u32 n, held;
	__u64 x;

	/* the u64 load reads 8 bytes from b: in the buffer */
	if (!c || !sc || b >= sc->walk.blen || b > NET_SCRATCH - 8)
		return 0;
	d = &c->http.d[sc->walk.dir & 1];
	held = sc->walk.blen - b;
	p = sc->buf + b;
	x = *(const __u64 *)p;
	for (n = 0; n < 8; n++)
		if (p[n] < 'A' || p[n] > 'Z')
			break;
	if (!n || n > 7 || n >= held || p[n & 7] != ' ')
		return 0;
	http_req_begin(c, d, sc->walk.ts);
	n++;
	if (d->slot != HTTP_NO_SLOT) {
		/* the op was cleared: its first n bytes are the method and its space */
		e = http_slot(c, d->slot);
		*(__u64 *)e->op = n == 8 ? x : x & ((1ULL << (n * 8)) - 1);
		e->is_head = n == 5 && (__u32)x == (__u32)HTTP_LE8('H', 'E', 'A', 'D', 0, 0, 0, 0);
		d->op_len = n;
	}
	d->msg_bytes = n;
	d->state = HS_TARGET;
	if (n < held && sc->buf[(b + n) & (NET_SCRATCH - 1)] == '/') {
		http_seg_start(c, d);
		d->state = HS_PATH;
		d->msg_bytes++;
		n++;
	}
	return n;
}

/* Bytes a run (below) takes at most in one go (then the chain goes on):
 * each is a turn the verifier walks. A name other than the three read can
 * no longer be one of them within a few bytes (Connection, Cache-Control). */
#define HTTP_RUN_NAME 4
#define HTTP_RUN_VALUE 24
#define HTTP_RUN_PATH 16

/*
 * Runs: the byte machine's own handling of a state (HS_HNAME, HS_HVALUE,
 * a path) over the bytes held, in one go instead of one http_byte each,
 * until the state changes. How many bytes they took.
 */
__noinline int http_name_fast(struct net_conn *c, struct net_scratch *sc, __u32 b)
{
	struct http_dir *d;
	__u32 k, held;
	__u8 ch;

	if (!c || !sc || b >= sc->walk.blen)
		return 0;
	d = &c->http.d[sc->walk.dir & 1];
	held = sc->walk.blen - b;
	for (k = 0; k < HTTP_RUN_NAME && k < held; k++) {
		ch = sc->buf[(b + k) & (NET_SCRATCH - 1)];
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

/*
 * A header value from b (HS_HVALUE), to its line's end when the value
 * says no more (Content-Type: application/json...): the next line starts.
 * Global: verified once, called from the chain's turns.
 */
__noinline int http_value_fast(struct net_conn *c, struct net_scratch *sc, __u32 b)
{
	struct http_dir *d;
	__u32 k, held;
	__u8 ch;

	if (!c || !sc || b >= sc->walk.blen)
		return 0;
	d = &c->http.d[sc->walk.dir & 1];
	held = sc->walk.blen - b;
	for (k = 0; k < HTTP_RUN_VALUE && k < held; k++) {
		ch = sc->buf[(b + k) & (NET_SCRATCH - 1)];
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
	if (d->state == HS_HSKIP && k < held)
		k += http_line_rest(sc, d, b + k, held - k);
	return k;
}

/*
 * A path segment from b (HS_PATH): its characters, and what ends it when
 * held: a '/' (the next one starts), '?', '#' or ' ' (the path ends); a
 * '\r' or '\n' is the byte machine's to lose the sync on. Global: verified
 * once.
 */
__noinline int http_path_fast(struct net_conn *c, struct net_scratch *sc, __u32 b)
{
	struct http_dir *d;
	__u32 k, held;
	__u8 ch = 0;

	if (!c || !sc || b >= sc->walk.blen)
		return 0;
	d = &c->http.d[sc->walk.dir & 1];
	held = sc->walk.blen - b;
	for (k = 0; k < HTTP_RUN_PATH && k < held; k++) {
		ch = sc->buf[(b + k) & (NET_SCRATCH - 1)];
		if (ch == '/' || ch == '?' || ch == '#' || ch == ' ' || ch == '\r' || ch == '\n')
			break;
		http_seg_char(c, d, ch);
	}
	if (k < HTTP_RUN_PATH && k < held && ch != '\r' && ch != '\n') {
		http_seg_end(c, d);
		if (ch == '/')
			http_seg_start(c, d);
		else
			d->state = ch == ' ' ? HS_LINE : HS_QUERY;
		k++;
	}
	d->msg_bytes += k;
	return k;
}

/*
 * A header line from its first byte (HS_HDR): the blank line's '\r' and
 * '\n' (the head ends: http_head_end, as the byte machine calls it), a
 * name read (then its value, http_value_fast), or a name no one reads and
 * the rest of its line. 0: the byte machine takes the next byte.
 */
static __always_inline __u32 http_fast_hdr(struct net_conn *c, struct net_scratch *sc,
					   struct http_dir *d, __u32 b, __u32 held)
{
	struct net_walk *w = &sc->walk;
	__u8 ch = sc->buf[b & (NET_SCRATCH - 1)], lc = http_lower(ch);
	__u32 n = 1;

	if (ch == '\r' || ch == '\n') {
		/* the byte machine counts the '\r' and reads on in HS_HDR */
		n = ch == '\r' && held > 1 && sc->buf[(b + 1) & (NET_SCRATCH - 1)] == '\n' ? 2 : 1;
		d->msg_bytes += n;
		if (ch == '\n' || n == 2)
			http_head_end(c, w->dir, w->ts);
		return n;
	}
	/* the three names read start with a 'c' or a 't'; another line is
	 * skipped from its first byte */
	if (lc == 'c' || lc == 't') {
		/* the u64 loads read up to HTTP_NAME_FAST bytes from b: in the buffer */
		if (b > NET_SCRATCH - HTTP_NAME_FAST)
			return 0;
		n = http_fast_name(d, sc->buf + b, held);
		if (n)
			return n < held ? n + http_value_fast(c, sc, b + n) : n;
		n = http_unread_len(sc->buf + b, held, lc);
		if (!n)
			return 0;
	}
	d->hdr = 0;
	d->name_len = n;
	d->state = HS_HSKIP;
	d->msg_bytes += n;
	return n < held ? n + http_line_rest(sc, d, b + n, held - n) : n;
}

/*
 * One fast path at b, by the state (b < the bytes held, b < NET_SCRATCH):
 * how many bytes it took, counted in the message's; 0: none applies, the
 * byte machine takes the next byte.
 */
static __always_inline __u32 http_fast_at(struct net_conn *c, struct net_scratch *sc,
					  struct http_dir *d, __u32 b)
{
	struct net_walk *w = &sc->walk;
	__u32 held = w->blen - b, n;

	switch (d->state) {
	case HS_HDR:
		return http_fast_hdr(c, sc, d, b, held);
	case HS_HVALUE:
		return http_value_fast(c, sc, b);
	case HS_PATH:
		return http_path_fast(c, sc, b);
	case HS_HNAME:
		return http_name_fast(c, sc, b);
	case HS_LINE:
	case HS_HSKIP:
		return http_line_rest(sc, d, b, held);
	case HS_QUERY:
	case HB_CHUNK_EXT:
	case HB_TRAILER_LINE:
		/* up to what ends it, and that when the byte machine would go on
		 * (a '\n' in a query loses the sync: the byte machine's to do) */
		n = http_scan(sc, b, d->state == HS_QUERY);
		if (n < held && (d->state != HS_QUERY || sc->buf[(b + n) & (NET_SCRATCH - 1)] == ' ')) {
			if (d->state == HS_QUERY)
				d->state = HS_LINE;
			else if (d->state == HB_CHUNK_EXT)
				http_chunk_line(d);
			else
				d->state = HB_TRAILER;
			n++;
		}
		d->msg_bytes += n;
		return n;
	case HS_TARGET:
		if (sc->buf[b & (NET_SCRATCH - 1)] != '/')
			return 0;
		http_seg_start(c, d);
		d->state = HS_PATH;
		d->msg_bytes++;
		return 1;
	case HS_START:
		if (w->dir == http_req_dir(c))
			return http_method_fast(c, sc, b);
		/* a status line's 12 bytes from b: in the buffer */
		if (b > NET_SCRATCH - 12)
			return 0;
		return http_fast_status(sc, d, b, held);
	}
	return 0;
}

/*
 * The fast paths, one after another, over the bytes held from walk.bpos
 * while one applies, walk.bpos and walk.off moved past what each took (the
 * byte machine takes the next byte when none applies). One op of the walk
 * takes a whole head this way, each fast path at no call and no reload of
 * the walk. Where they are is read back from the walk each turn, a value
 * the verifier does not know: the turns' many ways then meet as one state
 * where the next turn starts, and it walks each turn once, not each way.
 */
static __always_inline void http_fast(struct net_conn *c, struct net_scratch *sc)
{
	struct net_walk *w = &sc->walk;
	struct http_dir *d;
	__u32 i, b, n;

	/* a loop, not HTTP_CHAIN copies of the fast paths */
#pragma clang loop unroll(disable)
	for (i = 0; i < HTTP_CHAIN; i++) {
		b = *(volatile __u32 *)&w->bpos;
		if (b >= w->blen || b >= NET_SCRATCH)
			break;
		/* the direction read afresh too: the addresses of its fields,
		 * hoisted out of the loop, would take a stack slot each */
		d = &c->http.d[*(volatile __u32 *)&w->dir & 1];
		n = http_fast_at(c, sc, d, b);
		if (!n)
			break;
		w->bpos = b + n;
		w->off += n;
	}
}

#endif /* SYNCTRACE_NET_HTTP_FAST_H */
