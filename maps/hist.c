// SPDX-License-Identifier: MIT
/* Histogram merging, deltas and percentiles; see hist.h. */
#include <math.h>
#include <string.h>
#include "maps/hist.h"

void hist_reset(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_recount(struct histogram *h)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < HIST_NR_BUCKETS; i++)
		n += h->buckets[i];
	h->count = n;
}

void hist_delta(struct histogram *out, const struct histogram *now,
		const struct histogram *before)
{
	unsigned int i;

	for (i = 0; i < HIST_NR_BUCKETS; i++)
		out->buckets[i] = now->buckets[i] - before->buckets[i];
	out->sum = now->sum - before->sum;
	hist_recount(out);
}

void hist_fold_extrema(struct histogram *h, uint64_t min_inv, uint64_t max)
{
	uint64_t min = ~min_inv;

	if (!min_inv && !max)
		return; /* the kernel saw nothing in that slot */
	if (!h->has_extrema) {
		h->min = min;
		h->max = max;
		h->has_extrema = 1;
		return;
	}
	if (min < h->min)
		h->min = min;
	if (max > h->max)
		h->max = max;
}

double hist_mean(const struct histogram *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

double hist_percentile(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0.0;
	rank = (uint64_t)ceil(p * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < HIST_NR_BUCKETS; i++) {
		uint64_t n = h->buckets[i];
		double lo, hi;

		if (seen + n < rank) {
			seen += n;
			continue;
		}
		/* the rank-th value sits (rank - seen) of n into [lo, hi) */
		lo = (double)hist_bucket_lower(i);
		hi = i == HIST_OVERFLOW_BUCKET ? lo * 2 :
		     (double)hist_bucket_upper(i);
		lo += (hi - lo) * ((double)(rank - seen) - 0.5) / (double)n;
		if (!h->has_extrema)
			return lo;
		return clamp(lo, (double)h->min, (double)h->max);
	}
	return h->has_extrema ? (double)h->max : 0.0;
}
