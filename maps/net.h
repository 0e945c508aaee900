/* SPDX-License-Identifier: MIT */
/*
 * Map layouts shared by bpf/net.bpf.c and user space (`http`, `pg`, and
 * `watch --profile http|pg`): what the socket parsers count, per row.
 *
 * A row is one {kind, side, op, label}: an HTTP exchange's
 * "METHOD /route/:id" and status ("200"), or a PostgreSQL "pg_query" and
 * its command tag ("INSERT"), "pg_error" and its SQLSTATE ("23505"),
 * "pg_notify" and its channel. Keys hold the text itself, so user space
 * needs no second map to name a row, and a row is the same row in every
 * process. The kernel names each row's counters and histograms by an
 * index once (struct net_row_slot), so that an exchange hashes its key
 * once. Plain C, fixed-width types only; docs/OPS-KERNEL.md's "Sockets"
 * section explains the layout.
 */
#ifndef SYNCTRACE_NET_H
#define SYNCTRACE_NET_H

#include <linux/types.h>
#include "hist_bucket.h"

#define NET_OP_MAX 64		/* bytes of a row's op, NUL included: "POST /sync/push" */
#define NET_LABEL_MAX 32	/* bytes of a row's label, NUL included: "200", "INSERT" */
#define NET_CONNS_MAX 65536	/* connections followed at once (preallocated) */
#define NET_ROUTES_DEFAULT 100	/* ops (routes) per side before `other` (--routes N) */
#define NET_ROUTES_LIMIT 4096	/* the most --routes accepts */
#define NET_LABELS_DEFAULT 100	/* labels per kind before `other` (pg channels, statuses) */
#define NET_ROWS_PER_OP 8	/* rows sized per op: statuses or tags seen per route */

/*
 * The hooks that feed the parsers, one program each kind (one
 * verification, no tail call in a traced call's path), told apart by the
 * call's number in it, so a call added here needs its case in
 * bpf/net.bpf.c's net_feed_call:
 * - the socket tracepoints (kernel 6.3 on): bpf/net.bpf.c's net_feed_sock
 *   on the raw tracepoints NET_FEED_SOCK_TPS;
 * - else the syscall exits: net_feed_syscall on syscalls:sys_exit_<each>
 *   of NET_FEED_SYSCALLS.
 */
#define NET_FEED_SYSCALLS "read", "write", "readv", "writev", "recvfrom", "sendto", \
	"recvmsg", "sendmsg", "sendfile64"
#define NET_FEED_SOCK_TPS "sock_recv_length", "sock_send_length"

/* Which parsers run (rodata net_protos, a mask of these). */
enum net_proto {
	NET_PROTO_HTTP	= 1U << 0,
	NET_PROTO_PG	= 1U << 1,
};

enum net_side {
	NET_SIDE_SERVER,	/* the process answers: it read the request */
	NET_SIDE_CLIENT,	/* the process asks: it wrote the request */
};

/* What a row counts. */
enum net_kind {
	NET_KIND_HTTP,		/* one request and its response; SSE and WebSocket ride on it */
	NET_KIND_PG_QUERY,	/* Query or Sync to ReadyForQuery, by command tag */
	NET_KIND_PG_ERROR,	/* ErrorResponse, by SQLSTATE */
	NET_KIND_PG_NOTIFY,	/* NotificationResponse, by channel */
	NET_KIND_NR,
};

/*
 * A row. op and label are NUL-terminated and zero-padded (the key is
 * hashed whole). other_op: op is past the cap (its text is "other");
 * other_label likewise for the label.
 */
struct net_row_key {
	__u8 kind;		/* enum net_kind */
	__u8 side;		/* enum net_side */
	__u8 other_op;
	__u8 other_label;
	__u32 pad;
	char op[NET_OP_MAX];
	char label[NET_LABEL_MAX];
};

/* WebSocket frames by opcode (RFC 6455 §5.2): continuation, text, binary, close, ping, pong. */
enum net_ws_opcode {
	NET_WS_CONT, NET_WS_TEXT, NET_WS_BINARY, NET_WS_CLOSE, NET_WS_PING, NET_WS_PONG,
	NET_WS_OPCODES,
};

/*
 * Monotonic per-CPU counters of one row (summed by user space; a gauge
 * such as open streams is opened - closed). An HTTP exchange counts once,
 * when its response ends, or, for an SSE stream or a WebSocket upgrade,
 * when the response's head has been sent: a stream is never one endless
 * request. Its latency runs from the request's first byte to the
 * response's last (to the head's last, for a stream).
 */
struct net_counters {
	__u64 count;		/* exchanges; pg: queries, errors or notifications */
	__u64 errors;		/* HTTP 5xx; pg_query: ended by an ErrorResponse */
	__u64 client_errors;	/* HTTP 4xx (shown apart from errors) */
	__u64 lat_min_inv;	/* ~min latency, 0 when none (whole run) */
	__u64 lat_max;		/* whole run */
	__u64 bytes_in;		/* request bytes (server side), response bytes (client side) */
	__u64 bytes_out;
	__u64 rows;		/* pg_query: rows from the command tag ("INSERT 0 5": 5) */
	__u64 sse_opened, sse_closed, sse_events;
	__u64 ws_opened, ws_closed;
	__u64 ws_frames_in[NET_WS_OPCODES];
	__u64 ws_frames_out[NET_WS_OPCODES];
	__u64 ws_bytes_in, ws_bytes_out;	/* payload bytes */
};

/* The distributions kept per row, each a struct net_hist. */
enum net_dist {
	NET_DIST_LATENCY,	/* ns: see struct net_counters */
	NET_DIST_BYTES_IN,	/* per exchange */
	NET_DIST_BYTES_OUT,
	NET_DIST_SSE_FIRST,	/* ns from the request's first byte to the first event's end */
	NET_DIST_SSE_DURATION,	/* ns from the response head to the stream's close */
	NET_DIST_NR,
};

/*
 * Where a row's numbers are (net_rows: key -> slot): its counters at index
 * id of net_counts, its histograms at index dist[d] - 1 of net_dists (0:
 * the row has none of that distribution yet).
 */
struct net_row_slot {
	__u32 id;
	__u32 dist[NET_DIST_NR];
};

/* Ids beyond the rows and histograms sized, for the ones a race leaves unused. */
#define NET_IDS_SPARE 64

/* net_next's entries: the next free row id and histogram id. */
enum net_next_slot {
	NET_NEXT_ROW,
	NET_NEXT_HIST,
	NET_NEXT_NR,
};

/* What names a histogram in user space: its row and distribution. */
struct net_hist_key {
	struct net_row_key row;
	__u32 dist;		/* enum net_dist */
	__u32 pad;
};

/* Same shape as struct op_hist: sum_hi counts the wraps of sum. */
struct net_hist {
	__u64 sum;
	__u64 sum_hi;
	__u64 buckets[HIST_NR_BUCKETS];
};

/* An admitted op (per side and kind) or label (per kind): the caps' maps. */
struct net_admit_key {
	__u8 kind;
	__u8 side;
	__u8 is_label;
	__u8 pad[5];
	char text[NET_OP_MAX];
};

/* Shared totals (atomic adds), index 0 of net_totals. */
struct net_totals {
	__u64 ops;		/* distinct ops admitted (a gauge, at most --routes per side) */
	__u64 op_overflow;	/* exchanges whose op went to `other` */
	__u64 labels;
	__u64 label_overflow;
	__u64 conns_opened;	/* connections the parsers started to follow */
	__u64 conns_closed;
};

/* Slow exchanges (--slow), through the ring buffer. */
struct net_event {
	__u64 ts;
	__u64 latency_ns;
	__u32 pid, tid;
	struct net_row_key row;
};

enum net_drop {
	NET_DROP_CONNS_FULL,	/* no room to follow a new connection */
	NET_DROP_ROWS_FULL,	/* no room for a new row or histogram */
	NET_DROP_READ_FAILED,	/* the bytes of a read or write could not be read */
	NET_DROP_LOST_SYNC,	/* a parser lost a stream's framing (its exchanges are lost) */
	NET_DROP_PIPELINE_FULL,	/* more pipelined requests on a connection than kept */
	NET_DROP_EVENTS_LOST,	/* the ring buffer was full */
	NET_DROP_NR,
};

#endif /* SYNCTRACE_NET_H */
