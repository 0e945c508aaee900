/* SPDX-License-Identifier: MIT */
/*
 * User-side histograms: the merged view of one histogram (all CPUs), the
 * interval arithmetic on monotonic counters, and percentiles.
 */
#ifndef SYNCTRACE_HIST_H
#define SYNCTRACE_HIST_H

#include <stdint.h>
#include "maps/hist_bucket.h"

struct histogram {
	uint64_t count;
	uint64_t sum;
	uint64_t min;		/* exact, when has_extrema */
	uint64_t max;
	int has_extrema;
	uint64_t buckets[HIST_NR_BUCKETS];
};

void hist_reset(struct histogram *h);
/* Recompute count from the buckets (the kernel keeps no count). */
void hist_recount(struct histogram *h);
/* out = now - before, for monotonic bucket counters; min/max untouched. */
void hist_delta(struct histogram *out, const struct histogram *now,
		const struct histogram *before);
/* Fold an interval's exact extremes into h (min_inv is ~min, 0 if empty). */
void hist_fold_extrema(struct histogram *h, uint64_t min_inv, uint64_t max);
double hist_mean(const struct histogram *h);
/*
 * The p-quantile (0 < p <= 1) by nearest rank, interpolated linearly inside
 * its bucket and clamped to [min, max]: within one bucket width (1/16 of
 * the value) of the exact answer.
 */
double hist_percentile(const struct histogram *h, double p);

#endif /* SYNCTRACE_HIST_H */
