/* SPDX-License-Identifier: MIT */
/*
 * What a Prometheus scrape shows: the run's running totals, added up from
 * the interval frames (which carry deltas) so that counters only grow and
 * a scrape never resets anything. Histograms are copied and merged
 * exactly (hist_merge); label values are kept escaped, ready to print.
 * Bounded: past PROM_MAX_ROWS series (or PROM_MAX_STATES machines in
 * processes) new ones are counted, not kept.
 */
#ifndef SYNCTRACE_OUTPUT_PROM_TOTALS_H
#define SYNCTRACE_OUTPUT_PROM_TOTALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "maps/hist.h"
#include "maps/ops.h"
#include "output/frame.h"
#include "output/prom_net.h"

#define PROM_MAX_ROWS (1U << 17)
#define PROM_MAX_STATES 4096U

/* One op row ({op, target} for lat/count, {op, label} for watch). */
struct prom_row {
	char *labels;			/* escaped: op="push",label="a" */
	unsigned int has;		/* enum frame_has, of every frame seen */
	uint64_t count, errors, would_block, timeouts;
	uint64_t inflight;		/* a gauge: the latest frame's */
	struct histogram latency, value;
	unsigned int lat_lo, lat_hi, val_lo, val_hi;	/* `le` groups exposed so far */
	struct prom_net *net;		/* a socket row's own totals; else NULL */
};

/* Per op (watch): what no label row carries. */
struct prom_op {
	char *labels;			/* op="push" */
	bool paired;
	uint64_t unmatched;
};

/* A state machine in one process. */
struct prom_state {
	char *machine;
	uint32_t pid;
	char *labels;			/* machine="m",pid="42",comm="relayd" */
	char *names[STATE_VALUES];	/* escaped slot names */
	int nr_names;			/* named slots; past them, numbers */
	unsigned int current;
	uint64_t time_in_ns[STATE_VALUES];	/* cumulative (the frame's are) */
	uint64_t changes;
};

struct prom_totals {
	enum frame_source source;
	bool latency;			/* lat: calls' latency histograms */
	uint64_t frames;		/* interval frames added */
	struct timespec last_wall;
	struct prom_row *rows;
	size_t nr_rows, cap_rows;
	uint32_t *index;		/* open addressing over rows, by labels */
	size_t index_cap;		/* a power of two, or 0 */
	struct prom_op *ops;
	size_t nr_ops;
	struct prom_state *states;
	size_t nr_states, cap_states;
	struct frame_count *drops;	/* names copied; n: totals */
	size_t nr_drops;
	uint64_t ev_errors, ev_slow, ev_timeouts, ev_lost;
	unsigned int probes_attached;
	uint64_t rows_dropped;		/* series past the bounds, not kept */
	bool has_net;			/* socket frames: net holds their totals */
	struct frame_net_totals net;	/* ops, labels: gauges; the rest added up */
};

/* Add an interval frame (a summary is not added: the intervals already
 * hold all of it). 0 or -ENOMEM (t stays usable). */
int prom_totals__add(struct prom_totals *t, const struct output_frame *f);
void prom_totals__free(struct prom_totals *t);

#endif /* SYNCTRACE_OUTPUT_PROM_TOTALS_H */
