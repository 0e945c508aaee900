/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PostgreSQL wire protocol (v3) parser of bpf/net.bpf.c: pg_detect()
 * recognises a connection's first bytes, pg_feed() follows both byte
 * streams of a connection and counts pg_query (by command tag), pg_error
 * (by SQLSTATE) and pg_notify (by channel) rows, whichever side the traced
 * process is. Messages are length-prefixed: only headers and the first
 * bytes of CommandComplete, ErrorResponse and NotificationResponse are
 * read; everything else is skipped arithmetically, across segments.
 * docs/OPS-KERNEL.md ("Sockets", PostgreSQL) has the design.
 *
 * Included twice by bpf/net_stream.h: first for struct pg_conn (the
 * parser's part of struct net_conn), then, with NET_CONN_DEFINED, for the
 * functions it calls: pg_detect(), pg_feed() and pg_close(). What each
 * message counts is in bpf/net_pg_rows.h; this file frames the streams.
 */
#ifndef NET_CONN_DEFINED
#ifndef SYNCTRACE_NET_PG_TYPES
#define SYNCTRACE_NET_PG_TYPES

#define PG_FIFO 32		/* exchanges awaiting ReadyForQuery per connection (a power of 2) */
#define PG_CAP 64		/* payload bytes kept of a C, E or A message (a power of 2) */
#define PG_CHUNK 4096		/* segment bytes read at once to walk headers (a power of 2) */
#define PG_MSG_MAX 0x40000000U	/* PostgreSQL's own limit on a message (MaxAllocSize) */
#define PG_GUESS_MAX 0x01000000U	/* a message longer than this is not a guess's */
#define PG_STARTUP_MAX 10000U	/* the server's own limit on a startup packet */
#define PG_GUESS_MSGS 16	/* messages a guess looks at */
#define PG_LOOPS_MAX (1U << 23)	/* bpf_loop's own limit */

/* Untyped first messages (int32 length, int32 code). */
#define PG_PROTO_3 0x00030000U	/* StartupMessage: major 3, any minor */
#define PG_CODE_CANCEL 80877102U
#define PG_CODE_SSL 80877103U
#define PG_CODE_GSSENC 80877104U

/* A fifo start that is not counted: the startup's ReadyForQuery. */
#define PG_START_QUIET 1

enum pg_flag {
	PG_F_AWAIT_SSL = 1,	/* the backend answers an SSL/GSS request with one byte */
	PG_F_DEAD = 2,		/* encrypted (SSL or GSS accepted): nothing more to read */
};

/* One direction's framing. */
struct pg_stream {
	__u8 hdr[8];		/* a header split across segments (typed: 5 bytes, untyped: 8) */
	__u32 skip;		/* bytes of the current message not yet passed */
	__u8 hdr_have;
	__u8 untyped;		/* frontend before its StartupMessage */
	__u8 resync;		/* lost framing: wait for a segment that starts a message */
	__u8 pad;
};

struct pg_conn {
	/*
	 * First: a capture at a variable offset is bounded by the verifier
	 * against the whole value, so PG_CAP bytes must follow cap (they do:
	 * the fifo); pg_capture() itself never writes past PG_CAP.
	 */
	char cap[PG_CAP];
	__u64 fifo[PG_FIFO];	/* start ts of each exchange awaiting ReadyForQuery */
	__u64 group_ts;		/* first extended-protocol message since the last Sync, 0 none */
	struct pg_stream st[2];	/* by enum net_dir */
	__u32 fifo_over;	/* exchanges past the fifo (not timed; their Z pop nothing) */
	__u8 fifo_head, fifo_n;
	__u8 side;		/* enum net_side: client = the process is the frontend */
	__u8 flags;		/* enum pg_flag */
	__u8 cap_type;		/* message type being captured, 0 none */
	__u8 cap_have, cap_want;
	__u8 pad[5];
};

#endif /* SYNCTRACE_NET_PG_TYPES */
#else /* NET_CONN_DEFINED */
#ifndef SYNCTRACE_NET_PG_FUNCS
#define SYNCTRACE_NET_PG_FUNCS

/* The message types each side sends (protocol v3, PostgreSQL 15). */
enum pg_tclass { PG_T_FE = 1, PG_T_BE = 2 };

static __always_inline __u32 pg_tclass(__u8 t)
{
	switch (t) {
	case 'Q': case 'P': case 'B': case 'F': case 'X': case 'f': case 'p':
		return PG_T_FE;
	case 'R': case 'K': case 'Z': case 'T': case 'N': case 'A': case '1': case '2':
	case '3': case 'n': case 's': case 't': case 'I': case 'G': case 'W': case 'V':
	case 'v':
		return PG_T_BE;
	case 'E': case 'D': case 'C': case 'S': case 'H': case 'd': case 'c':
		return PG_T_FE | PG_T_BE;
	}
	return 0;
}

static __always_inline __u32 pg_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* Does direction dir carry the frontend's messages? */
static __always_inline int pg_dir_fe(const struct pg_conn *pg, __u32 dir)
{
	return (dir == NET_DIR_OUT) == (pg->side == NET_SIDE_CLIENT);
}

#include "bpf/net_pg_rows.h"

/* --- the walk over one segment ----------------------------------------------- */

struct pg_walk {
	__u64 buf, ts;
	__u32 len, off;
	__u32 chunk_off, chunk_len;	/* segment bytes in sc->buf */
	__u32 dir;
	int fe;				/* this direction carries the frontend's messages */
	int err;			/* the walk stopped on bad framing */
	__u32 seen;			/* pg_guess: enum pg_tclass of the types seen */
};

/*
 * Per CPU: a walk works on a copy of the connection, here, so that its
 * bpf_loop callback can reach it by a lookup (a pointer kept in the
 * callback's ctx reads back as a scalar), and on the segment's bytes.
 */
struct pg_scratch {
	struct pg_walk w;
	struct pg_conn pg;
	__u8 buf[PG_CHUNK + 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_scratch);
} pg_scratch SEC(".maps");

static __always_inline struct pg_scratch *pg_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pg_scratch, &zero);
}

/* 8 header bytes at w->off into h, through the chunk (zeroes past the segment). */
static __always_inline int pg_head(struct pg_walk *w, struct pg_scratch *sc, __u8 *h)
{
	__u32 at = w->off - w->chunk_off, n;

	if (w->off < w->chunk_off || at + 8 > w->chunk_len) {
		n = w->len - w->off;
		if (n > PG_CHUNK)
			n = PG_CHUNK;
		if (n < 8) {
			__builtin_memset(sc->buf, 0, 8);
			n &= 7;
		}
		if (bpf_probe_read_user(sc->buf, n, (void *)(w->buf + w->off))) {
			net_drop(NET_DROP_READ_FAILED);
			return -1;
		}
		w->chunk_off = w->off;
		w->chunk_len = n < 8 ? 8 : n;
		at = 0;
	}
	__builtin_memcpy(h, &sc->buf[at & (PG_CHUNK - 1)], 8);
	return 0;
}

/* Capture the next bytes of a C, E or A payload; act when the kept head is whole. */
static __always_inline int pg_capture(struct pg_walk *w, struct pg_conn *pg, struct pg_stream *st)
{
	__u32 have = pg->cap_have, n = pg->cap_want - have;

	if (n > w->len - w->off)
		n = w->len - w->off;
	if (have >= PG_CAP || n > PG_CAP) {
		net_drop(NET_DROP_LOST_SYNC);	/* cannot be: the state is not ours */
		return -1;
	}
	if (n && bpf_probe_read_user(&pg->cap[have], n, (void *)(w->buf + w->off))) {
		net_drop(NET_DROP_READ_FAILED);
		return -1;
	}
	pg->cap_have += n;
	w->off += n;
	st->skip -= n;
	if (pg->cap_have >= pg->cap_want) {
		pg->cap_want = 0;
		pg_backend_msg(pg, pg->cap_type, w->ts);
		pg->cap_type = 0;
	}
	return 0;
}

/* A whole header in h: start the message. 0, or -1 on bad framing. */
static __always_inline int pg_message(struct pg_walk *w, struct pg_conn *pg,
				      struct pg_stream *st, const __u8 *h)
{
	__u32 mlen, code;
	__u8 type = h[0];

	if (st->untyped) {
		mlen = pg_be32(h);
		code = pg_be32(h + 4);
		if (mlen < 8 || mlen > PG_STARTUP_MAX)
			return -1;
		st->skip = mlen - 8;
		if (code >> 16 == PG_PROTO_3 >> 16 && mlen > 8) {
			st->untyped = 0;
			pg_push(pg, PG_START_QUIET);	/* its ReadyForQuery ends the startup */
		} else if (code == PG_CODE_SSL || code == PG_CODE_GSSENC) {
			pg->flags |= PG_F_AWAIT_SSL;
		} else if (code != PG_CODE_CANCEL) {
			return -1;
		}
		return 0;
	}
	mlen = pg_be32(h + 1);
	if (mlen < 4 || mlen > PG_MSG_MAX || !(pg_tclass(type) & (w->fe ? PG_T_FE : PG_T_BE)))
		return -1;
	st->skip = mlen - 4;
	if (w->fe) {
		pg_frontend_msg(pg, type, w->ts);
	} else if (type == 'C' || type == 'E' || type == 'A') {
		pg->cap_type = type;
		pg->cap_have = 0;
		pg->cap_want = st->skip < PG_CAP ? st->skip : PG_CAP;
		if (!pg->cap_want) {
			pg_backend_msg(pg, type, w->ts);
			pg->cap_type = 0;
		}
	} else {
		pg_backend_msg(pg, type, w->ts);
	}
	return 0;
}

/*
 * bpf_loop's callback, one step of the walk: a capture, a skip, or one
 * message's header (and its skip). 1: stop. The walk is found by a lookup,
 * not through ctx (a pointer kept there reads back as a scalar); it is the
 * callback itself, not a call, because the capture's calls already go
 * 3 deep and the verifier allows 8 frames (pg_feed, this, pg_statement,
 * net_row, its admission).
 */
static int pg_step(__u32 i, void *ctx)
{
	struct pg_scratch *sc = pg_scratch_get();
	struct pg_walk *w;
	struct pg_conn *pg;
	struct pg_stream *st;
	__u32 hsz, n, have;
	__u8 h[8] = {};

	if (!sc)
		return 1;
	w = &sc->w;
	pg = &sc->pg;
	if (w->off >= w->len)
		return 1;
	st = &pg->st[w->dir & 1];
	if (!w->fe && pg->cap_want) {
		if (pg_capture(w, pg, st))
			goto bad;
		return 0;
	}
	if (st->skip) {
		n = w->len - w->off;
		if (n > st->skip)
			n = st->skip;
		st->skip -= n;
		w->off += n;
		return 0;
	}
	if (!w->fe && (pg->flags & PG_F_AWAIT_SSL)) {
		if (pg_head(w, sc, h))
			goto bad;
		pg->flags &= ~PG_F_AWAIT_SSL;
		if (h[0] == 'S' || h[0] == 'G') {
			pg->flags |= PG_F_DEAD;		/* TLS or GSS from here on */
			return 1;
		}
		if (h[0] == 'N')
			w->off++;
		return 0;	/* else a typed ErrorResponse (a server without SSL) */
	}
	hsz = st->untyped ? 8 : 5;
	have = st->hdr_have;
	if (have || w->len - w->off < hsz) {
		/* a header split across segments: keep its bytes in st->hdr */
		n = hsz - have;
		if (n > w->len - w->off)
			n = w->len - w->off;
		if (have > 7 || n > 8) {
			net_drop(NET_DROP_LOST_SYNC);	/* cannot be: the state is not ours */
			goto bad;
		}
		if (bpf_probe_read_user(&st->hdr[have], n, (void *)(w->buf + w->off))) {
			net_drop(NET_DROP_READ_FAILED);
			goto bad;
		}
		w->off += n;
		st->hdr_have = have + n;
		if (st->hdr_have < hsz)
			return 1;	/* the rest comes with the next segment */
		st->hdr_have = 0;
		__builtin_memcpy(h, st->hdr, 8);
	} else {
		if (pg_head(w, sc, h))
			goto bad;
		w->off += hsz;
	}
	if (pg_message(w, pg, st, h)) {
		net_drop(NET_DROP_LOST_SYNC);
		goto bad;
	}
	if (!w->fe && pg->cap_want)
		return 0;
	n = w->len - w->off;
	if (n > st->skip)
		n = st->skip;
	st->skip -= n;
	w->off += n;
	return 0;
bad:
	w->err = 1;
	return 1;
}

/* The length a message of type t always has, 0 if it varies. */
static __always_inline __u32 pg_fixed_len(__u8 t)
{
	switch (t) {
	case 'Z':
		return 5;
	case '1': case '2': case '3': case 'n': case 'I': case 's': case 'c': case 'X':
	case 'H':
		return 4;
	}
	return 0;
}

/*
 * One message of a guess (pg_guess): plausible (a known type, a length
 * up to PG_GUESS_MAX, the only length some types have), not contradicting
 * the others' side, and whole: a guess stands on whole messages that end
 * where the segment does, or on PG_GUESS_MSGS of them. 1: stop.
 */
static int pg_guess_step(__u32 i, void *ctx)
{
	struct pg_scratch *sc = pg_scratch_get();
	struct pg_walk *w;
	__u8 h[8] = {};
	__u32 mlen, cls;

	if (!sc)
		return 1;
	w = &sc->w;
	if (w->off >= w->len)
		return 1;
	if (w->len - w->off < 5 || pg_head(w, sc, h))
		goto bad;
	mlen = pg_be32(h + 1);
	cls = pg_tclass(h[0]);
	if (!cls || mlen < 4 || mlen > PG_GUESS_MAX)
		goto bad;
	if (pg_fixed_len(h[0]) && mlen != pg_fixed_len(h[0]))
		goto bad;
	if (mlen >= w->len - w->off)
		goto bad;	/* not whole in the segment */
	if (cls != (PG_T_FE | PG_T_BE))
		w->seen |= cls;
	if (w->seen == (PG_T_FE | PG_T_BE))
		goto bad;
	w->off += 1 + mlen;
	return 0;
bad:
	w->err = 1;
	return 1;
}

static __always_inline void pg_walk_init(struct pg_walk *w, const struct net_seg *s)
{
	__builtin_memset(w, 0, sizeof(*w));
	w->buf = s->buf;
	w->ts = s->ts;
	w->len = s->len;
	w->dir = s->dir;
}

/*
 * The enum pg_tclass of the types only one side sends in the segment's
 * first typed messages (0: only types both send), -1 if it does not start
 * with plausible whole messages.
 */
static __always_inline int pg_guess(struct pg_walk *w)
{
	bpf_loop(PG_GUESS_MSGS, pg_guess_step, NULL, 0);
	if (w->err)
		return -1;
	w->off = 0;
	return w->seen;
}

/* --- entry points ------------------------------------------------------------- */

/*
 * A segment of a PostgreSQL connection: the messages it completes are
 * counted. On bad framing the direction waits for a segment that starts
 * with plausible messages (NET_DROP_LOST_SYNC counted once) and the
 * exchanges in flight are forgotten (their ReadyForQuery may be lost).
 */
static __always_inline int pg_feed_seg(struct pg_conn *conn, const struct net_seg *s)
{
	struct pg_scratch *sc = pg_scratch_get();
	struct pg_walk *w;
	struct pg_conn *pg;
	struct pg_stream *st;
	__u32 nr;

	if (!conn || !s || !sc || conn->flags & PG_F_DEAD || !s->len)
		return 0;
	w = &sc->w;
	pg = &sc->pg;
	pg_walk_init(w, s);
	__builtin_memcpy(pg, conn, sizeof(*pg));
	st = &pg->st[w->dir & 1];
	w->fe = pg_dir_fe(pg, w->dir);
	if (!w->buf) {
		/* bytes that went by unseen: only inside a payload we skip anyway */
		if (st->resync)
			return 0;
		if (st->skip >= w->len && !st->hdr_have && (w->fe || !pg->cap_want)) {
			conn->st[w->dir & 1].skip -= w->len;
			return 0;
		}
		net_drop(NET_DROP_LOST_SYNC);
		w->err = 1;
		goto lost;
	}
	if (st->resync) {
		if (pg_guess(w) < 0 || w->seen & (w->fe ? PG_T_BE : PG_T_FE))
			return 0;	/* still lost: wait for a message start */
		st->resync = 0;
		pg_forget_exchanges(pg);
	}
	/* a message is at least 5 bytes: this many steps walk any segment */
	nr = w->len / 5 + 4;
	if (nr > PG_LOOPS_MAX)
		nr = PG_LOOPS_MAX;
	bpf_loop(nr, pg_step, NULL, 0);
	if (!w->err && w->off < w->len && !(pg->flags & PG_F_DEAD)) {
		net_drop(NET_DROP_LOST_SYNC);	/* more messages than steps */
		w->err = 1;
	}
lost:
	if (w->err) {
		st->skip = 0;
		st->hdr_have = 0;
		st->resync = 1;
		if (!w->fe) {
			pg->cap_want = 0;
			pg->cap_type = 0;
		}
		pg_forget_exchanges(pg);
	}
	__builtin_memcpy(conn, pg, sizeof(*pg));
	return 0;
}

/*
 * Is this new connection's first segment PostgreSQL's? A StartupMessage,
 * SSLRequest, GSSENCRequest or CancelRequest (the side is the direction it
 * travels), or, on a connection met mid-way, a run of plausible typed
 * messages with a type only one side sends, or any run if side (enum
 * net_side, -1 unknown: from accept or connect) is known, as long as it
 * does not contradict it. Initialises pg. 1: PostgreSQL, 0: not (yet).
 */
static __always_inline int pg_detect_seg(struct pg_conn *pg, const struct net_seg *s, int side)
{
	struct pg_scratch *sc = pg_scratch_get();
	struct pg_walk *w;
	__u8 h[8] = {};
	__u32 mlen, code;
	int cls;

	if (!pg || !s || !sc || s->len < 5 || !s->buf)
		return 0;
	w = &sc->w;
	pg_walk_init(w, s);
	if (pg_head(w, sc, h))
		return 0;
	__builtin_memset(pg, 0, sizeof(*pg));
	mlen = pg_be32(h);
	code = pg_be32(h + 4);
	if (s->len >= 8 && mlen >= 8 && mlen <= PG_STARTUP_MAX &&
	    ((code >> 16 == PG_PROTO_3 >> 16 && (code & 0xffff) < 16 && mlen > 8) ||
	     (mlen == 8 && (code == PG_CODE_SSL || code == PG_CODE_GSSENC)) ||
	     (mlen == 16 && code == PG_CODE_CANCEL))) {
		pg->side = s->dir == NET_DIR_OUT ? NET_SIDE_CLIENT : NET_SIDE_SERVER;
		pg->st[s->dir & 1].untyped = 1;
		return 1;
	}
	cls = pg_guess(w);
	if (cls < 0)
		return 0;
	if (cls) {
		/* a frontend type written: client; read: server */
		pg->side = (cls == PG_T_FE) == (s->dir == NET_DIR_OUT) ? NET_SIDE_CLIENT
								       : NET_SIDE_SERVER;
		if (side >= 0 && side != pg->side)
			return 0;
	} else if (side >= 0) {
		pg->side = side;
	} else {
		return 0;	/* D, C, E, S... alone: either side could have sent them */
	}
	return 1;
}

/* net_stream.h's entry points (see the top of this file). */

/* A new connection's first segment: claim it (nonzero) if it is PostgreSQL's. */
static __noinline int pg_detect(struct net_conn *c, const struct net_seg *s,
				const __u8 *head, __u32 n)
{
	if (!pg_detect_seg(&c->pg, s, c->side_known ? c->side : -1))
		return 0;
	c->side = c->pg.side;
	c->side_known = 1;
	return 1;
}

/* Every segment of a claimed connection, the claiming one first. */
static __noinline void pg_feed(struct net_conn *c, const struct net_seg *s)
{
	pg_feed_seg(&c->pg, s);
}

/* The connection ends: exchanges still in flight are not counted (no end). */
static __noinline void pg_close(struct net_conn *c, __u64 ts)
{
}

#endif /* SYNCTRACE_NET_PG_FUNCS */
#endif /* NET_CONN_DEFINED */
