// SPDX-License-Identifier: MIT
/* Sparse histograms: merging, deltas and percentiles; see hist.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "maps/hist.h"

void hist_free(struct histogram *h)
{
	free(h->bins);
	memset(h, 0, sizeof(*h));
}

/* Room for n bins, contents kept; 0 or -ENOMEM. */
static int reserve(struct histogram *h, size_t n)
{
	struct hist_bin *b;

	if (!n)
		return 0;
	b = realloc(h->bins, n * sizeof(*b));
	if (!b)
		return -ENOMEM;
	h->bins = b;
	return 0;
}

int hist_set_buckets(struct histogram *h, const uint64_t *buckets, uint64_t sum,
		     uint64_t sum_hi)
{
	struct hist_bin bins[HIST_NR_BUCKETS];
	uint32_t i, j, n = 0;

	/* one pass, 8 buckets at a time: a real histogram is mostly empty */
	for (i = 0; i < HIST_NR_BUCKETS; i += 8) {
		if (!(buckets[i] | buckets[i + 1] | buckets[i + 2] | buckets[i + 3] |
		      buckets[i + 4] | buckets[i + 5] | buckets[i + 6] | buckets[i + 7]))
			continue;
		for (j = i; j < i + 8; j++)
			if (buckets[j])
				bins[n++] = (struct hist_bin){ .idx = j, .n = buckets[j] };
	}
	if (reserve(h, n))
		return -ENOMEM;
	if (n)	/* no bins: h->bins may be NULL, which memcpy may not be given */
		memcpy(h->bins, bins, n * sizeof(*bins));
	h->nr = n;
	h->count = 0;
	for (i = 0; i < n; i++)
		h->count += bins[i].n;
	h->sum = sum;
	h->sum_hi = sum_hi;
	return 0;
}

int hist_add_value(struct histogram *h, uint64_t v)
{
	uint32_t idx = hist_bucket_index(v), lo = 0, hi = h->nr, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (h->bins[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == h->nr || h->bins[lo].idx != idx) {
		if (reserve(h, h->nr + 1))
			return -ENOMEM;
		memmove(&h->bins[lo + 1], &h->bins[lo], (h->nr - lo) * sizeof(*h->bins));
		h->bins[lo] = (struct hist_bin){ .idx = idx };
		h->nr++;
	}
	h->bins[lo].n++;
	h->count++;
	u128_add(&h->sum, &h->sum_hi, v);
	hist_fold_extrema(h, ~v, v);
	return 0;
}

int hist_copy(struct histogram *dst, const struct histogram *src)
{
	struct hist_bin *bins = NULL;

	if (src->nr && !(bins = malloc(src->nr * sizeof(*bins))))
		return -ENOMEM;
	if (src->nr)
		memcpy(bins, src->bins, src->nr * sizeof(*bins));
	free(dst->bins);
	*dst = *src;
	dst->bins = bins;
	return 0;
}

/* out's bins = a's +/- b's (sign -1 subtracts; counters never go below 0). */
static int combine(struct histogram *out, const struct histogram *a,
		   const struct histogram *b, int sign)
{
	struct hist_bin *bins = NULL;
	uint32_t i = 0, j = 0, n = 0;
	uint64_t count = 0;

	if (a->nr + b->nr && !(bins = malloc((a->nr + b->nr) * sizeof(*bins))))
		return -ENOMEM;
	while (i < a->nr || j < b->nr) {
		struct hist_bin x;

		if (j == b->nr || (i < a->nr && a->bins[i].idx < b->bins[j].idx)) {
			x = a->bins[i++];
		} else if (i == a->nr || b->bins[j].idx < a->bins[i].idx) {
			x = b->bins[j++];
			x.n = sign > 0 ? x.n : 0;
		} else {
			x = a->bins[i++];
			x.n = sign > 0 ? x.n + b->bins[j].n :
			      x.n > b->bins[j].n ? x.n - b->bins[j].n : 0;
			j++;
		}
		if (x.n) {
			bins[n++] = x;
			count += x.n;
		}
	}
	free(out->bins);
	out->bins = bins;
	out->nr = n;
	out->count = count;
	return 0;
}

int hist_delta(struct histogram *out, const struct histogram *now,
	       const struct histogram *before)
{
	int err = combine(out, now, before, -1);

	if (!err) {
		out->sum = now->sum - before->sum;
		out->sum_hi = now->sum_hi - before->sum_hi - (now->sum < before->sum);
	}
	return err;
}

int hist_merge(struct histogram *into, const struct histogram *add)
{
	struct histogram tmp = { 0 };
	int err = combine(&tmp, into, add, 1);

	if (err)
		return err;
	free(into->bins);
	into->bins = tmp.bins;
	into->nr = tmp.nr;
	into->count = tmp.count;
	into->sum_hi += add->sum_hi;
	u128_add(&into->sum, &into->sum_hi, add->sum);
	if (add->has_extrema)
		hist_fold_extrema(into, ~add->min, add->max);
	return 0;
}

void hist_fold_extrema(struct histogram *h, uint64_t min_inv, uint64_t max)
{
	uint64_t min = ~min_inv;

	if (!min_inv && !max)
		return; /* the kernel saw nothing in that slot */
	if (!h->has_extrema) {
		h->min = min;
		h->max = max;
		h->has_extrema = true;
		return;
	}
	if (min < h->min)
		h->min = min;
	if (max > h->max)
		h->max = max;
}

double hist_sum(const struct histogram *h)
{
	return (double)h->sum_hi * 18446744073709551616.0 + (double)h->sum;
}

const char *hist_sum_text(const struct histogram *h, char *buf, size_t len)
{
	unsigned __int128 v = (unsigned __int128)h->sum_hi << 64 | h->sum;
	char digits[48];
	int n = 0;

	do {
		digits[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v && n < (int)sizeof(digits));
	if (len <= (size_t)n)
		n = (int)len - 1;	/* never: 40 digits hold 2^128 */
	for (int i = 0; i < n; i++)
		buf[i] = digits[n - 1 - i];
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

double hist_mean(const struct histogram *h)
{
	return h->count ? hist_sum(h) / (double)h->count : 0.0;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

double hist_percentile(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0;
	uint32_t i;

	if (!h->count)
		return 0.0;
	rank = (uint64_t)ceil(p * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < h->nr; i++) {
		uint64_t n = h->bins[i].n;
		double lo, hi;

		if (seen + n < rank) {
			seen += n;
			continue;
		}
		/* below 16 a bucket holds one value: it is the answer, exactly */
		if (h->bins[i].idx < HIST_SUBS)
			return (double)h->bins[i].idx;
		/* the rank-th value sits (rank - seen) of n into [lo, hi) */
		lo = (double)hist_bucket_lower(h->bins[i].idx);
		hi = h->bins[i].idx == HIST_LAST_BUCKET ? 18446744073709551616.0 :
		     (double)hist_bucket_upper(h->bins[i].idx);
		lo += (hi - lo) * ((double)(rank - seen) - 0.5) / (double)n;
		if (!h->has_extrema)
			return lo;
		return clamp(lo, (double)h->min, (double)h->max);
	}
	return h->has_extrema ? (double)h->max : 0.0;
}
