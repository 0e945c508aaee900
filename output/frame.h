/* SPDX-License-Identifier: MIT */
/*
 * One frame: what every command (lat, count, watch, report) hands to every
 * output (text, dashboard, NDJSON, Prometheus, SQLite record, HTML, assert).
 * An interval's own numbers, or a summary of the run (or of a stored range).
 *
 * The frame only points: rows, histograms and names belong to whoever
 * filled it and live until the outputs' frame() returns. An output that
 * keeps anything (Prometheus' running totals, HTML's history) copies it.
 * Histograms stay the exact log-linear buckets of maps/hist.h end to end.
 */
#ifndef SYNCTRACE_OUTPUT_FRAME_H
#define SYNCTRACE_OUTPUT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "maps/hist.h"
#include "maps/ops.h"

/* Who filled it: the two shapes keep their documented text and JSON. */
enum frame_source {
	FRAME_CALLS,	/* lat and count: a row per function probed */
	FRAME_OPS,	/* watch (and report): a row per {op, label} */
};

/* Which of a row's numbers mean something beside count. */
enum frame_has {
	FRAME_HAS_ERRORS	= 1U << 0,
	FRAME_HAS_WOULD_BLOCK	= 1U << 1,
	FRAME_HAS_PAIRED	= 1U << 2,	/* timeouts, inflight */
	FRAME_HAS_UNMATCHED	= 1U << 3,	/* a paired op without labels */
	FRAME_HAS_VALUE		= 1U << 4,
	FRAME_HAS_LATENCY	= 1U << 5,
	FRAME_HAS_LABEL		= 1U << 6,	/* the op has a by= label */
	FRAME_HAS_RATE		= 1U << 7,	/* count: calls per second is shown */
};

/* A row's label, when the op has one (FRAME_HAS_LABEL). */
enum frame_label_kind {
	FRAME_LABEL_VALUE,	/* a value of by=: a number, or a string's text */
	FRAME_LABEL_OTHER,	/* past max-labels */
	FRAME_LABEL_NONE,	/* a fanout start no end labelled (JSON null) */
};

struct frame_dist {
	const struct histogram *h;	/* the buckets; count and 128-bit sum */
	bool has_min, has_max;		/* min, max: exact, of the whole run so far */
	uint64_t min, max;
};

struct frame_label {
	enum frame_label_kind kind;
	bool is_string;			/* else the number */
	int64_t number;			/* the raw value (a string's hash) */
	const char *text;		/* "42", the string, "other", "none" */
	const char *name;		/* what by= names ("pid"), or "" */
};

/*
 * What a socket row (`http`, `pg`, watch --profile http|pg) carries beside
 * the common ones: op is "POST /sync/push" or "pg_query", the label the
 * status or tag (FRAME_HAS_LABEL, a string), errors 5xx (pg: queries that
 * failed), latency the exchange's.
 */
enum frame_net_kind {
	FRAME_NET_HTTP,
	FRAME_NET_PG_QUERY,
	FRAME_NET_PG_ERROR,
	FRAME_NET_PG_NOTIFY,
};

#define FRAME_WS_OPCODES 6	/* cont, text, binary, close, ping, pong */

struct frame_net {
	enum frame_net_kind kind;
	const char *side;		/* "server" or "client" */
	uint64_t client_errors;		/* HTTP 4xx */
	uint64_t rows;			/* pg_query: rows from the command tags */
	struct frame_dist bytes_in, bytes_out;	/* per exchange (HTTP) */
	bool sse, ws;			/* the row has had streams of that kind */
	struct {
		uint64_t opened, closed, events;
		uint64_t open;		/* a gauge at the frame's end */
		struct frame_dist first_event, duration;	/* ns */
	} sse_s;
	struct {
		uint64_t opened, closed, open;
		uint64_t frames_in[FRAME_WS_OPCODES], frames_out[FRAME_WS_OPCODES];
		uint64_t bytes_in, bytes_out;	/* payload bytes */
	} ws_s;
};

/* A frame's socket totals (the caps of routes and labels, connections). */
struct frame_net_totals {
	uint64_t ops, op_overflow;	/* ops admitted (a gauge); exchanges put in `other` */
	uint64_t labels, label_overflow;
	uint64_t conns_opened, conns_closed;
};

/* "text", "binary", ...: the names of frame_net's ws opcodes, in order. */
extern const char *const frame_ws_opcode_names[FRAME_WS_OPCODES];

struct frame_row {
	const char *op;			/* the op's name (lat/count: as given) */
	const char *target;		/* lat/count: the function probed; else NULL */
	unsigned int has;		/* enum frame_has */
	struct frame_label label;	/* with FRAME_HAS_LABEL */
	uint64_t count;			/* calls (ends, for paired ops) */
	uint64_t errors, would_block;
	uint64_t timeouts;		/* starts expired unanswered */
	uint64_t inflight;		/* a gauge: open starts at the reading */
	uint64_t unmatched;		/* ends without a start (the op's total) */
	struct frame_dist value;	/* with FRAME_HAS_VALUE */
	struct frame_dist latency;	/* ns, with FRAME_HAS_LATENCY */
	const struct frame_net *net;	/* a socket row; NULL for every other */
};

/* Per op, what no single label row carries (watch's op_totals). */
struct frame_op {
	const char *op;
	unsigned int has;		/* enum frame_has: what its rows carry */
	bool paired, labelled;
	uint64_t unmatched, restarts;	/* paired */
	uint64_t labels, label_overflow;	/* labelled; labels capped at max */
};

/* A state machine in one process. */
struct frame_state {
	const char *machine;
	uint32_t pid;
	const char *const *names;	/* slot names (names=); past nr_names: the number */
	int nr_names;
	const struct state_rec *rec;	/* current, time in each, transitions, recent */
};

enum frame_event_kind { FRAME_EV_ERROR, FRAME_EV_SLOW, FRAME_EV_TIMEOUT };

struct frame_event {
	uint64_t wall_ns;		/* CLOCK_REALTIME, ns since the epoch */
	const char *op;
	enum frame_event_kind kind;	/* a slow error is an error with slow set */
	bool slow;
	uint32_t pid, tid;		/* tid: not for timeouts */
	bool has_ret, has_error_value;
	int64_t ret, error_value;
	const char *error_name;		/* what error= tested when not the return ("arg2") */
	bool labelled;
	struct frame_label label;
	uint64_t latency_ns;		/* a timeout: the start's age */
};

struct frame_events {
	bool present;			/* watch: the events section is shown */
	uint64_t errors, slow, timeouts, lost;	/* heard in the frame's time */
	size_t nr;
	const struct frame_event *v;	/* the last few of each kind, oldest first */
};

struct frame_count {
	const char *name;
	uint64_t n;
};

struct output_frame {
	enum frame_source source;
	bool summary;			/* the whole run (or range); else an interval */
	bool shown;			/* an interval the user asked to see (-i) */
	bool latency;			/* FRAME_CALLS: lat (histograms), else count */
	struct timespec wall;		/* CLOCK_REALTIME at the end of the time covered */
	double interval_s;		/* the time covered */
	int64_t mono_to_real_ns;	/* add to a BPF timestamp for wall time */
	size_t nr_rows;
	const struct frame_row *rows;	/* FRAME_OPS: sorted by op, label kind, label */
	size_t nr_ops;
	const struct frame_op *ops;	/* FRAME_OPS */
	unsigned int nr_machines;	/* state machines defined (seen or not) */
	size_t nr_states;
	const struct frame_state *states;	/* each machine in each process seen */
	struct frame_events events;
	size_t nr_drops;
	const struct frame_count *drops;	/* every reason, zero or not */
	unsigned int probes_attached;	/* synctrace's own health */
	const struct frame_net_totals *net;	/* with socket rows; else NULL */
};

/* Fold a known extreme add (has_add) into *v (known when *has): the smaller
 * for a minimum, the larger for a maximum. Every sum of frames does this. */
static inline void frame_fold_extreme(bool *has, uint64_t *v, bool has_add, uint64_t add,
				      bool is_max)
{
	if (has_add && (!*has || (is_max ? add > *v : add < *v))) {
		*v = add;
		*has = true;
	}
}

/* A state slot's name: its names= entry, or the number (into buf). */
const char *frame_state_name(const struct frame_state *s, unsigned int slot, char *buf,
			     size_t len);
/* The current state's slot. */
unsigned int frame_state_current(const struct frame_state *s);
/* A BPF timestamp as wall-clock ns since the epoch. */
uint64_t frame_wall_ns(const struct output_frame *f, uint64_t mono_ns);
/* Wall-clock ns as "2026-11-23T10:00:00.123456Z" (48 bytes hold it). */
void frame_time_text(uint64_t wall_ns, char *buf, size_t len);
/* The frame's total drops (every reason). */
uint64_t frame_drops_total(const struct output_frame *f);
/* "drops: name=n ..." of the reasons with drops, and a newline; nothing when none. */
void frame_drops_line(FILE *out, const struct output_frame *f);

#endif /* SYNCTRACE_OUTPUT_FRAME_H */
