/* SPDX-License-Identifier: MIT */
/* What one interval (or the whole run) looked like, and its renderers. */
#ifndef SYNCTRACE_REPORT_H
#define SYNCTRACE_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "cli/env.h"
#include "loader/resolve.h"
#include "maps/drain.h"

struct report {
	const struct trace_plan *plan;
	const struct snapshot *snap;	/* the interval's own numbers, or the run's */
	bool lat;			/* histograms; else counts */
	bool summary;			/* the whole run */
	double interval_s;		/* time covered */
	struct timespec wall;		/* CLOCK_REALTIME at the end of it */
	enum unit unit;
	bool show_all;			/* rows with no calls too */
	unsigned int top;		/* at most this many rows; 0: all */
	enum sort_key sort;
};

/*
 * The rows to show, in order, into rows[] (room for plan->nr_points):
 * those with calls unless show_all, sorted by sort (largest first), at
 * most top. Returns how many.
 */
size_t report_rows(const struct report *r, size_t *rows);

/* The percentiles every report shows, in this order. */
#define NR_PCTS 5
extern const double report_pcts[NR_PCTS];
extern const char *const report_pct_names[NR_PCTS];

void report_text(FILE *f, const struct report *r);
/* A histogram's non-empty buckets as JSON: [[lower, upper, count], ...]. */
struct json_object *report_buckets_json(const struct histogram *h);
/* One NDJSON line. */
int report_json(FILE *f, const struct report *r);

#endif /* SYNCTRACE_REPORT_H */
