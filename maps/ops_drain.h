/* SPDX-License-Identifier: MIT */
/* Reading the ops stats maps: one row per {op, label}, per-CPU values summed. */
#ifndef SYNCTRACE_OPS_DRAIN_H
#define SYNCTRACE_OPS_DRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "maps/hist.h"
#include "maps/ops.h"

/* The map fds of bpf/ops.bpf.c to drain. */
struct ops_maps {
	int stats_fd, lat_fd, val_fd, drops_fd;
};

struct op_row {
	struct op_key key;
	uint64_t calls, errors, value_sum;
	uint64_t value_min, value_max;	/* whole run; valid when value.count */
	struct histogram lat, value;
};

struct op_table {
	uint64_t time_ns;
	struct op_row *rows;
	size_t nr_rows;
	uint64_t drops[OPD_NR];
};

/* Totals since load, rows sorted by op then label. */
int op_table__read(const struct ops_maps *m, struct op_table *t);
/* out = now - before, rows matched by key (a row new in now is all new). */
int op_table__delta(struct op_table *out, const struct op_table *now,
		    const struct op_table *before);
void op_table__free(struct op_table *t);
const char *op_drop_name(unsigned int reason);

#endif /* SYNCTRACE_OPS_DRAIN_H */
