/* SPDX-License-Identifier: MIT */
/*
 * What the outputs for people (text, dashboard, NDJSON, HTML) share: which
 * rows are shown in which order, the unit, and the percentiles every
 * report shows.
 */
#ifndef SYNCTRACE_OUTPUT_VIEW_H
#define SYNCTRACE_OUTPUT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include "output/frame.h"
#include "output/units.h"

/* How lat and count order their rows (--sort). */
enum sort_key { SORT_NONE, SORT_COUNT, SORT_P50, SORT_P99, SORT_MAX };

struct view {
	enum unit unit;
	bool show_all;			/* rows with no calls too */
	unsigned int top;		/* at most this many rows; 0: all */
	enum sort_key sort;
};

/*
 * The rows of a FRAME_CALLS frame to show, in order, into rows[] (room for
 * f->nr_rows): those with calls unless show_all, sorted by sort (largest
 * first), at most top. Returns how many.
 */
size_t view_rows(const struct view *v, const struct output_frame *f, size_t *rows);
/* "p99" and the like: what --sort orders by, for notes. */
const char *sort_key_name(enum sort_key k);

/* The percentiles every report shows, in this order. */
#define NR_PCTS 5
extern const double view_pcts[NR_PCTS];
extern const char *const view_pct_names[NR_PCTS];

#endif /* SYNCTRACE_OUTPUT_VIEW_H */
