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
#include "maps/ops_labels.h"
#include "maps/ops_starts.h"
#include "maps/ops_table.h"

/* The map fds of bpf/ops.bpf.c to drain. */
struct ops_maps {
	int stats_fd, lat_fd, val_fd, drops_fd;
	int labels_fd, totals_fd, starts_fd, states_fd, events_fd;
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
const char *op_drop_name(unsigned int reason);

#endif /* SYNCTRACE_OPS_DRAIN_H */
