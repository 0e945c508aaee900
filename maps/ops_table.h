/* SPDX-License-Identifier: MIT */
/*
 * What the ops maps hold, read back into user space: one row per {op,
 * label}, per-op totals, state machines, drops. The table helpers here are
 * what the readers of each map (ops_drain.c, ops_starts.c, ops_states.c)
 * share; they depend on this file, never on each other.
 */
#ifndef SYNCTRACE_OPS_TABLE_H
#define SYNCTRACE_OPS_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "maps/hist.h"
#include "maps/ops.h"

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

/* Order of rows: op, then label kind, then label. */
int op_key_cmp(const void *a, const void *b);
/* t's row of k, added (all zero) if missing; NULL when out of memory. */
struct op_row *op_table__row(struct op_table *t, const struct op_key *k);
void op_table__free(struct op_table *t);

#endif /* SYNCTRACE_OPS_TABLE_H */
