/* SPDX-License-Identifier: MIT */
/*
 * Draining the kernel maps of bpf/probes.bpf.c: per-CPU values summed, the
 * extrema slot rotated, interval deltas taken from monotonic counters.
 */
#ifndef SYNCTRACE_DRAIN_H
#define SYNCTRACE_DRAIN_H

#include <stdint.h>
#include "maps/hist.h"
#include "maps/probes.h"

/* Everything the kernel has counted, at one instant (or over an interval). */
struct snapshot {
	uint64_t time_ns;		/* CLOCK_MONOTONIC when taken */
	unsigned int nr_hists, nr_counts;
	struct histogram *hists;
	uint64_t *counts;
	uint64_t drops[DROP_NR];
};

struct drain_maps {
	int hists_fd, extrema_fd, counts_fd, drops_fd;
	unsigned int nr_hists, nr_counts;
	volatile uint64_t *epoch;	/* the BPF program's .bss epoch */
};

struct snapshot *snapshot__new(unsigned int nr_hists, unsigned int nr_counts);
void snapshot__free(struct snapshot *s);
/* out = now - before (counters); extrema are the interval's own, from now.
 * 0 or -ENOMEM. */
int snapshot__delta(struct snapshot *out, const struct snapshot *now,
		    const struct snapshot *before);
/* Fold the extremes of an interval into whole-run totals. */
void snapshot__fold_extrema(struct snapshot *run, const struct snapshot *ival);

/*
 * Read every map into out. The histograms' min/max in out are those seen
 * since the previous drain (the epoch flips and the old slot is read and
 * cleared); the counters are totals since load. Returns 0 or -errno.
 */
int drain__read(const struct drain_maps *m, struct snapshot *out);

const char *drop_reason_name(unsigned int reason);

#endif /* SYNCTRACE_DRAIN_H */
