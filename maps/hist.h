/* SPDX-License-Identifier: MIT */
/*
 * User-side histograms: the log-linear buckets of maps/hist_bucket.h, kept
 * sparse (only the buckets with values: a real histogram fills tens of its
 * 976), the interval arithmetic on monotonic counters, and percentiles.
 *
 * A histogram owns its bins: copy with hist_copy(), never with `=`; free
 * with hist_free(). A zeroed struct is an empty histogram.
 */
#ifndef SYNCTRACE_HIST_H
#define SYNCTRACE_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "maps/hist_bucket.h"

struct hist_bin {
	uint32_t idx;		/* bucket index (hist_bucket_lower/upper) */
	uint32_t pad;
	uint64_t n;		/* values in it, > 0 */
};

struct histogram {
	uint64_t count;		/* the sum of the bins */
	uint64_t sum, sum_hi;	/* of the values: 128 bits, as 64-bit values add up past 2^64 */
	uint64_t min;		/* exact, when has_extrema */
	uint64_t max;
	bool has_extrema;
	uint32_t nr;		/* bins, sorted by idx */
	struct hist_bin *bins;
};

void hist_free(struct histogram *h);
/* h = the dense buckets[HIST_NR_BUCKETS] the kernel keeps (count from them)
 * and its 128-bit sum; min/max untouched. 0 or -ENOMEM. */
int hist_set_buckets(struct histogram *h, const uint64_t *buckets, uint64_t sum,
		     uint64_t sum_hi);
/* One value, for tests and merges of single samples. 0 or -ENOMEM. */
int hist_add_value(struct histogram *h, uint64_t v);
/* dst = a copy of src (dst's old bins freed). 0 or -ENOMEM. */
int hist_copy(struct histogram *dst, const struct histogram *src);
/* out = now - before, for monotonic bucket counters; out's min/max are
 * left as they were. out may not be now or before. 0 or -ENOMEM. */
int hist_delta(struct histogram *out, const struct histogram *now,
	       const struct histogram *before);
/* into += add: counts, sums and extremes (whole-run reports). 0 or -ENOMEM. */
int hist_merge(struct histogram *into, const struct histogram *add);
/* Fold an interval's exact extremes into h (min_inv is ~min, 0 if empty). */
void hist_fold_extrema(struct histogram *h, uint64_t min_inv, uint64_t max);
double hist_mean(const struct histogram *h);
/* The 128-bit sum as a double, and as exact decimal digits (40 bytes hold any). */
double hist_sum(const struct histogram *h);
const char *hist_sum_text(const struct histogram *h, char *buf, size_t len);
/* (*hi:*lo) += v, carrying past 2^64. */
static inline void u128_add(uint64_t *lo, uint64_t *hi, uint64_t v)
{
	*hi += (*lo += v) < v;
}
/*
 * The p-quantile (0 < p <= 1) by nearest rank, interpolated linearly inside
 * its bucket and clamped to [min, max]: within one bucket width (1/16 of
 * the value) of the exact answer.
 */
double hist_percentile(const struct histogram *h, double p);

#endif /* SYNCTRACE_HIST_H */
