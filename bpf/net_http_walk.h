/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net_http.h (included from its functions half, once, after
 * net_http_bytes.h): the walk of a segment through its direction's byte
 * machine (http_byte), in a bpf_loop. What needs no reading is skipped
 * arithmetically; a step takes up to HTTP_STEP_OPS ops, an op the fast
 * paths (net_http_fast.h: a whole head when its bytes are held) or else
 * one byte through the machine. Each fast path gives exactly what the
 * byte machine gives; when its bytes are split across segments, the byte
 * machine takes them.
 */
#ifndef SYNCTRACE_NET_HTTP_WALK_H
#define SYNCTRACE_NET_HTTP_WALK_H

#include "bpf/net_http_fast.h"

/* Ops (a byte, or a run of fast paths) in one bpf_loop step at most: the
 * step's fixed cost (the indirect call, reloading the walk) is paid once
 * for them. */
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

/*
 * One op of the walk over the bytes held: the fast paths while they
 * apply, or else one byte through the machine. 1 when it took bytes
 * (walk.bpos and walk.off are moved past them); 0 when the step ends (no
 * byte held, a skip or a loss: the next step deals with it). Global: the
 * step's loop calls it, and the verifier walks each of the loop's turns,
 * a call and a branch each rather than all of this.
 */
__noinline int http_op(struct net_conn *c, struct net_scratch *sc)
{
	struct net_walk *w;
	struct http_dir *d;
	__u32 b;

	if (!c || !sc)
		return 0;
	w = &sc->walk;
	d = &c->http.d[w->dir & 1];
	b = w->bpos;
	if (b >= w->blen || d->state == HS_LOST || http_skips(c, d, w->dir))
		return 0;
	http_fast(c, sc);
	if (*(volatile __u32 *)&w->bpos != b)
		return 1;
	net_barrier_var(b);
	http_byte(c, w->dir, sc->buf[b & (NET_SCRATCH - 1)], w->ts);
	w->bpos = b + 1;
	w->off++;
	return 1;
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
