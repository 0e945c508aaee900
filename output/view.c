// SPDX-License-Identifier: MIT
/*
 * Which rows of a lat/count report are shown, and in which order: a glob
 * over libc matches ~2,200 functions, most of them never called.
 */
#include <stdlib.h>
#include "output/view.h"

const double view_pcts[NR_PCTS] = { 0.50, 0.90, 0.95, 0.99, 0.999 };
const char *const view_pct_names[NR_PCTS] = { "p50", "p90", "p95", "p99", "p999" };

static double sort_value(const struct view *v, const struct frame_row *r)
{
	const struct histogram *h = r->has & FRAME_HAS_LATENCY ? r->latency.h : NULL;

	switch (v->sort) {
	case SORT_P50:
		return h ? hist_percentile(h, 0.50) : 0;
	case SORT_P99:
		return h ? hist_percentile(h, 0.99) : 0;
	case SORT_MAX:
		return h && h->count ? (double)h->max : 0;
	default:
		return (double)r->count;
	}
}

const char *sort_key_name(enum sort_key k)
{
	return k == SORT_P99 ? "p99" : k == SORT_P50 ? "p50" : k == SORT_MAX ? "max" : "count";
}

static int by_key_desc(const void *a, const void *b, void *keys)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const double *k = keys;

	if (k[x] != k[y])
		return k[x] < k[y] ? 1 : -1;
	return (x > y) - (x < y);	/* stable: the order given */
}

size_t view_rows(const struct view *v, const struct output_frame *f, size_t *rows)
{
	size_t i, n = 0;
	double *keys = NULL;

	for (i = 0; i < f->nr_rows; i++)
		if (v->show_all || f->rows[i].count)
			rows[n++] = i;
	if ((v->sort != SORT_NONE || v->top) && n &&
	    (keys = calloc(f->nr_rows, sizeof(*keys)))) {
		for (i = 0; i < n; i++)
			keys[rows[i]] = sort_value(v, &f->rows[rows[i]]);
		qsort_r(rows, n, sizeof(*rows), by_key_desc, keys);
		free(keys);
	}
	if (v->top && n > v->top)
		n = v->top;
	return n;
}
