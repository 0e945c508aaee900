/* SPDX-License-Identifier: MIT */
/*
 * Reading the ops maps: one row per {op, label} (per-CPU values summed),
 * per-op totals, open starts (inflight; expired ones become timeouts),
 * state machines, and the text of string labels.
 */
#ifndef SYNCTRACE_OPS_DRAIN_H
#define SYNCTRACE_OPS_DRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "maps/hist.h"
#include "maps/ops.h"

/* The map fds of bpf/ops.bpf.c to drain. */
struct ops_maps {
	int stats_fd, lat_fd, val_fd, drops_fd;
	int labels_fd, totals_fd, starts_fd, states_fd, events_fd;
};

struct op_row {
	struct op_key key;
	uint64_t calls, errors, value_sum;
	uint64_t value_min, value_max;	/* whole run; valid when value.count */
	uint64_t lat_min, lat_max;	/* whole run; valid when lat.count */
	uint64_t timeouts;		/* starts expired unanswered (monotonic) */
	uint64_t inflight;		/* starts open at the read (a gauge) */
	struct histogram lat, value;
};

struct state_row {
	struct state_key key;
	struct state_rec rec;		/* time_in of the current state includes now */
};

struct op_table {
	uint64_t time_ns;
	struct op_row *rows;		/* sorted by op, kind, label */
	size_t nr_rows;
	struct op_totals totals[OPS_MAX];
	struct state_row *states;	/* sorted by state, pid */
	size_t nr_states;
	uint64_t drops[OPD_NR];
};

/* An expired start, as the caller hears of it. */
struct op_expired {
	struct op_start_key key;
	struct op_start start;
	uint64_t age_ns;
};

/*
 * What user space keeps of paired ops between reads: each op's timeout
 * (0: not paired) and the timeouts counted so far per {op, label}.
 */
struct op_pairing {
	uint64_t timeout_ns[OPS_MAX];
	struct op_table expired;	/* rows with key and timeouts only */
	void (*on_expired)(void *ctx, const struct op_expired *e);
	void *ctx;
};

/*
 * Totals since load, rows sorted by op then label. With pairing, starts
 * older than their op's timeout are removed and counted (on_expired hears
 * of each), and the rest are counted as inflight.
 */
int op_table__read(const struct ops_maps *m, struct op_pairing *pairing, struct op_table *t);
/* out = now - before, rows matched by key (a row new in now is all new);
 * gauges (inflight, labels, states) are now's. */
int op_table__delta(struct op_table *out, const struct op_table *now,
		    const struct op_table *before);
void op_table__free(struct op_table *t);
void op_pairing__free(struct op_pairing *p);
const char *op_drop_name(unsigned int reason);

/* The text of string labels, by {op, label}. */
struct op_names {
	struct op_name {
		struct op_key key;
		char text[OPS_STR_MAX];
	} *names;
	size_t nr;
};

int op_names__read(int labels_fd, struct op_names *n);
/* The text of key's label, or NULL (an integer label, or not read yet). */
const char *op_names__find(const struct op_names *n, const struct op_key *key);
void op_names__free(struct op_names *n);

#endif /* SYNCTRACE_OPS_DRAIN_H */
