/* SPDX-License-Identifier: MIT */
/*
 * The numbers a gate judges: one op's metrics (count, rate, errors,
 * error_rate, timeouts, percentiles...), merged exactly over its rows, from
 * a frame (--assert, diff of recordings) or from a stored NDJSON summary
 * (diff). One definition of each metric for --assert and diff alike.
 */
#ifndef SYNCTRACE_OUTPUT_METRICS_H
#define SYNCTRACE_OUTPUT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "maps/hist.h"
#include "output/frame.h"

enum metric {
	METRIC_COUNT,
	METRIC_RATE,		/* count per second of the time covered */
	METRIC_ERRORS,
	METRIC_ERROR_RATE,	/* errors / count: a fraction (0 with no calls) */
	METRIC_TIMEOUTS,
	/* of a distribution: latency (ns), or value= with value. in front */
	METRIC_P50, METRIC_P90, METRIC_P95, METRIC_P99, METRIC_P999,
	METRIC_MIN, METRIC_MAX, METRIC_MEAN,
	METRIC_NR,
};
#define METRIC_FIRST_DIST METRIC_P50
#define DIST_NR (METRIC_NR - METRIC_FIRST_DIST)

/* A metric and what it is of: latency.p95 (value false) or value.p95. */
struct metric_ref {
	enum metric m;
	bool value;
};

static inline bool metric_is_dist(enum metric m)
{
	return m >= METRIC_FIRST_DIST;
}

/* "p95"; metric_parse: 0 or -EINVAL. */
const char *metric_name(enum metric m);
int metric_parse(const char *name, size_t len, enum metric *m);
/* "p95", "value.p95": what a check or a table calls it. */
const char *metric_ref_name(struct metric_ref r, char *buf, size_t len);
/* v as a person reads it: "152ms", "4.20%", "1234", "51.3/s". */
const char *metric_format(struct metric_ref r, double v, char *buf, size_t len);

/* One distribution of an op: exact buckets, or only the numbers a summary printed. */
struct stat_dist {
	bool present;		/* the op has it (latency unless count; value=) */
	bool exact;		/* h holds every bucket */
	struct histogram h;	/* with exact: merged over the op's rows */
	uint64_t count;		/* calls measured */
	unsigned int known;	/* without exact: bit (m - METRIC_FIRST_DIST) of v[] set */
	double v[DIST_NR];
	bool has_min, has_max;	/* exact run extremes (frames keep them beside h) */
	uint64_t min, max;
};

/* One op's numbers, over all its labels or one (label). */
struct op_stats {
	char *op;
	double interval_s;
	uint64_t count, errors, timeouts;
	bool has_errors, has_timeouts;
	unsigned int rows;		/* rows merged */
	struct stat_dist latency, value;
};

void op_stats__free(struct op_stats *s);
/*
 * s = op's rows of f merged (a label's row only when label is not NULL:
 * compared with the row's label text). 0; -ENOENT when f has no such op
 * (no row, and not declared); -ENOMEM.
 */
int op_stats__from_frame(struct op_stats *s, const struct output_frame *f, const char *op,
			 const char *label);
/* into += add (same op, another row or run part): exact when both are. 0 or -ENOMEM. */
int op_stats__merge(struct op_stats *into, const struct op_stats *add);
/*
 * The metric's value. 0; -ENODATA with *why (static text) when the op does not
 * have it ("counts no errors: its op has no error=") or it cannot be had
 * ("no calls to measure").
 */
int op_stats__metric(const struct op_stats *s, struct metric_ref r, double *v,
		     const char **why);

/* The *why of a distribution's metric when the op had no call to measure. */
extern const char metric_no_calls[];

/* Every op of a frame, in order of appearance: names into *ops (strdup'd). */
int frame_op_names(const struct output_frame *f, char ***ops, size_t *nr);
void frame_op_names_free(char **ops, size_t nr);

#endif /* SYNCTRACE_OUTPUT_METRICS_H */
