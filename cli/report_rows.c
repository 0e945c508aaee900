// SPDX-License-Identifier: MIT
/*
 * Which rows of a lat/count report are shown, and in which order: a glob
 * over libc matches ~2,200 functions, most of them never called.
 */
#include <stdlib.h>
#include "cli/report.h"

static uint64_t calls(const struct report *r, size_t i)
{
	return r->lat ? r->snap->hists[i].count : r->snap->counts[i];
}

static double sort_value(const struct report *r, size_t i)
{
	const struct histogram *h = r->lat ? &r->snap->hists[i] : NULL;

	switch (r->sort) {
	case SORT_P50:
		return h ? hist_percentile(h, 0.50) : 0;
	case SORT_P99:
		return h ? hist_percentile(h, 0.99) : 0;
	case SORT_MAX:
		return h && h->count ? (double)h->max : 0;
	default:
		return (double)calls(r, i);
	}
}

static int by_key_desc(const void *a, const void *b, void *keys)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const double *k = keys;

	if (k[x] != k[y])
		return k[x] < k[y] ? 1 : -1;
	return (x > y) - (x < y);	/* stable: the order given */
}

size_t report_rows(const struct report *r, size_t *rows)
{
	size_t i, n = 0;
	double *keys = NULL;

	for (i = 0; i < r->plan->nr_points; i++)
		if (r->show_all || calls(r, i))
			rows[n++] = i;
	if ((r->sort != SORT_NONE || r->top) && n &&
	    (keys = calloc(r->plan->nr_points, sizeof(*keys)))) {
		for (i = 0; i < n; i++)
			keys[rows[i]] = sort_value(r, rows[i]);
		qsort_r(rows, n, sizeof(*rows), by_key_desc, keys);
		free(keys);
	}
	if (r->top && n > r->top)
		n = r->top;
	return n;
}
