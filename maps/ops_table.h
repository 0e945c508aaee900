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
	uint64_t calls, errors;		/* the value's sum is value.sum */
	uint64_t would_block;		/* calls that would have blocked (would_block=) */
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
/* t's row of k, or NULL. */
struct op_row *op_table__find(const struct op_table *t, const struct op_key *k);
/*
 * Make sure t has a row for each of keys[0..n) (sorted by op_key_cmp, no
 * repeats): missing ones are added, all zero, in one pass over t (a row
 * at a time would be quadratic in the labels). 0 or -ENOMEM.
 */
int op_table__ensure(struct op_table *t, const struct op_key *keys, size_t n);
/* Frees the rows' histograms too. */
void op_table__free(struct op_table *t);

/* Counts by {op, label}, gathered in any order, then sorted and summed. */
struct op_key_count {
	struct op_key key;
	uint64_t n;
};

struct op_key_counts {
	struct op_key_count *v;
	size_t nr, cap;
	size_t sorted;		/* v[0..sorted) is sorted and summed already */
};

/* Add n to key's count (appended; op_key_counts__sort sums repeats). 0 or -ENOMEM. */
int op_key_counts__add(struct op_key_counts *c, const struct op_key *key, uint64_t n);
/* Sort by key, one entry per key (their counts summed). */
void op_key_counts__sort(struct op_key_counts *c);
/* The sorted keys of c, as op_table__ensure takes them (a new array). */
struct op_key *op_key_counts__keys(const struct op_key_counts *c);
void op_key_counts__free(struct op_key_counts *c);

#endif /* SYNCTRACE_OPS_TABLE_H */
