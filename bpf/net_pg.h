/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net.bpf.c: the PostgreSQL wire-protocol parser. THIS IS THE
 * STUB the net-pg helper replaces; the interface below is what
 * bpf/net_stream.h calls, and it must stay as it is:
 *
 * The file is included twice by net_stream.h:
 *  1. before struct net_conn exists (NET_CONN_DEFINED not defined): it
 *     defines `struct pg_conn`, the parser's per-connection state, which
 *     net_conn holds in a union with the HTTP parser's (zeroed when the
 *     connection is first seen; keep it small: NET_CONNS_MAX of them are
 *     preallocated);
 *  2. after (NET_CONN_DEFINED defined): it defines the two functions
 *
 *     int pg_detect(struct net_conn *c, const struct net_seg *s,
 *                   const __u8 *head, __u32 n);
 *         called on a connection's first bytes (up to NET_DETECT_BYTES
 *         already read into head, n of them valid) when net_protos has
 *         NET_PROTO_PG and HTTP did not claim them; nonzero claims the
 *         connection for PG (net_stream.h then sets c->proto = NCP_PG and
 *         counts it opened); it may set c->side (enum net_side) and
 *         c->side_known. Not claimed: the next segments are offered again,
 *         up to NET_DETECT_TRIES, then the connection is ignored.
 *     void pg_feed(struct net_conn *c, const struct net_seg *s);
 *         every segment of a claimed connection, the claiming one
 *         included, in stream order per direction (s->dir). s->buf is a
 *         user address (0: the bytes cannot be read, e.g. sendfile; skip
 *         s->len bytes or lose sync), s->len bytes, s->ts the syscall's
 *         return time. Use net_read_user() (a counted NET_DROP_READ_FAILED
 *         on failure), net_row/net_hist_add/net_latency/net_drop
 *         (bpf/net_record.h) and c->side. c->eof/close: see pg_close.
 *     void pg_close(struct net_conn *c, __u64 ts);
 *         the connection ends (close(fd), or the peer's EOF: a read
 *         returning 0; called once).
 *
 * Both are static __noinline (one copy for the 16 programs).
 */
#ifndef NET_CONN_DEFINED
#ifndef SYNCTRACE_NET_PG_TYPES
#define SYNCTRACE_NET_PG_TYPES

struct pg_conn {
	__u64 placeholder;
};

#endif /* SYNCTRACE_NET_PG_TYPES */
#else
#ifndef SYNCTRACE_NET_PG_FUNCS
#define SYNCTRACE_NET_PG_FUNCS

static __noinline int pg_detect(struct net_conn *c, const struct net_seg *s,
				const __u8 *head, __u32 n)
{
	return 0;
}

static __noinline void pg_feed(struct net_conn *c, const struct net_seg *s)
{
}

static __noinline void pg_close(struct net_conn *c, __u64 ts)
{
}

#endif /* SYNCTRACE_NET_PG_FUNCS */
#endif /* NET_CONN_DEFINED */
