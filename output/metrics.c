// SPDX-License-Identifier: MIT
/*
 * One op's metrics, merged exactly over its rows (hist_merge: the buckets,
 * not an average of percentiles); see metrics.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/metrics.h"
#include "output/units.h"

static const char *const names[METRIC_NR] = {
	[METRIC_COUNT] = "count", [METRIC_RATE] = "rate", [METRIC_ERRORS] = "errors",
	[METRIC_ERROR_RATE] = "error_rate", [METRIC_TIMEOUTS] = "timeouts",
	[METRIC_P50] = "p50", [METRIC_P90] = "p90", [METRIC_P95] = "p95", [METRIC_P99] = "p99",
	[METRIC_P999] = "p999", [METRIC_MIN] = "min", [METRIC_MAX] = "max",
	[METRIC_MEAN] = "mean",
};

/* The quantile of each percentile metric. */
static const double quantiles[METRIC_NR] = {
	[METRIC_P50] = 0.50, [METRIC_P90] = 0.90, [METRIC_P95] = 0.95, [METRIC_P99] = 0.99,
	[METRIC_P999] = 0.999,
};

const char metric_no_calls[] = "no calls to measure";

const char *metric_name(enum metric m)
{
	return m < METRIC_NR ? names[m] : "?";
}

int metric_parse(const char *name, size_t len, enum metric *m)
{
	unsigned int i;

	for (i = 0; i < METRIC_NR; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len)) {
			*m = (enum metric)i;
			return 0;
		}
	return -EINVAL;
}

const char *metric_ref_name(struct metric_ref r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", r.value ? "value." : "", metric_name(r.m));
	return buf;
}

const char *metric_format(struct metric_ref r, double v, char *buf, size_t len)
{
	if (metric_is_dist(r.m) && !r.value)
		return format_duration(buf, len, v, UNIT_AUTO);
	/* a limit may be any number (1e300): past 1e12, an exponent */
	if (!(v < 1e12))
		snprintf(buf, len, "%.6g%s", r.m == METRIC_ERROR_RATE ? v * 100 : v,
			 r.m == METRIC_ERROR_RATE ? "%" : r.m == METRIC_RATE ? "/s" : "");
	else if (r.m == METRIC_ERROR_RATE)
		snprintf(buf, len, "%.2f%%", v * 100);
	else if (r.m == METRIC_RATE)
		snprintf(buf, len, "%.1f/s", v);
	else if (r.m == METRIC_MEAN || v != floor(v))
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

void op_stats__free(struct op_stats *s)
{
	free(s->op);
	hist_free(&s->latency.h);
	hist_free(&s->value.h);
	memset(s, 0, sizeof(*s));
}

static void fold_extrema(struct stat_dist *into, const struct stat_dist *add)
{
	frame_fold_extreme(&into->has_min, &into->min, add->has_min, add->min, false);
	frame_fold_extreme(&into->has_max, &into->max, add->has_max, add->max, true);
}

/*
 * into += add. Exact buckets merge exactly; printed percentiles cannot be
 * merged (only the mean, weighted, and the extremes), so they are dropped.
 * A side with no calls takes the other's form.
 */
static int dist_merge(struct stat_dist *into, const struct stat_dist *add)
{
	const unsigned int mean_bit = 1U << (METRIC_MEAN - METRIC_FIRST_DIST);
	double *mean = &into->v[METRIC_MEAN - METRIC_FIRST_DIST];
	int err;

	into->present |= add->present;
	if (!add->present)
		return 0;
	if (!into->count && (add->count || !into->exact)) {
		into->exact = add->exact;
		into->known = add->known;
		memcpy(into->v, add->v, sizeof(into->v));
	} else if (add->count && !(into->exact && add->exact)) {
		if (into->known & add->known & mean_bit)
			*mean = (*mean * (double)into->count +
				 add->v[METRIC_MEAN - METRIC_FIRST_DIST] * (double)add->count) /
				(double)(into->count + add->count);
		into->known &= add->known & mean_bit;
		into->exact = false;
	}
	if (add->exact && (err = hist_merge(&into->h, &add->h)))
		return err;
	into->count += add->count;
	fold_extrema(into, add);
	return 0;
}

int op_stats__merge(struct op_stats *into, const struct op_stats *add)
{
	bool first = !into->rows;
	int err;

	if (!into->op && add->op && !(into->op = strdup(add->op)))
		return -ENOMEM;
	if (first || add->interval_s > into->interval_s)
		into->interval_s = add->interval_s;
	into->count += add->count;
	into->errors += add->errors;
	into->timeouts += add->timeouts;
	into->has_errors |= add->has_errors;
	into->has_timeouts |= add->has_timeouts;
	if ((err = dist_merge(&into->latency, &add->latency)) ||
	    (err = dist_merge(&into->value, &add->value)))
		return err;
	into->rows += add->rows ? add->rows : 1;
	return 0;
}

/* A frame's distribution as an exact stat_dist (h only borrowed until merged). */
static void row_dist(struct stat_dist *d, const struct frame_dist *fd, bool present)
{
	d->present = present;
	if (!present || !fd->h)
		return;
	d->exact = true;
	d->h = *fd->h;
	d->count = fd->h->count;
	d->has_min = fd->has_min && fd->h->count;
	d->min = fd->min;
	d->has_max = fd->has_max && fd->h->count;
	d->max = fd->max;
}

static bool label_is(const struct frame_row *r, const char *label)
{
	return (r->has & FRAME_HAS_LABEL) && r->label.text && !strcmp(r->label.text, label);
}

int op_stats__from_frame(struct op_stats *s, const struct output_frame *f, const char *op,
			 const char *label)
{
	bool declared = false;
	size_t i;
	int err;

	memset(s, 0, sizeof(*s));
	if (!(s->op = strdup(op)))
		return -ENOMEM;
	s->interval_s = f->interval_s;
	for (i = 0; i < f->nr_ops; i++)
		if (!strcmp(f->ops[i].op, op)) {
			/* an op with no row in this frame still has what it would count */
			declared = true;
			s->has_errors = f->ops[i].has & FRAME_HAS_ERRORS;
			s->has_timeouts = f->ops[i].has & FRAME_HAS_PAIRED;
			s->latency.present = f->ops[i].has & FRAME_HAS_LATENCY;
			s->value.present = f->ops[i].has & FRAME_HAS_VALUE;
		}
	for (i = 0; i < f->nr_rows; i++) {
		const struct frame_row *r = &f->rows[i];
		struct op_stats row = { .interval_s = f->interval_s, .rows = 1 };

		if (strcmp(r->op, op))
			continue;
		declared = true;
		if (label && !label_is(r, label))
			continue;
		row.count = r->count;
		row.errors = r->errors;
		row.timeouts = r->timeouts;
		row.has_errors = r->has & FRAME_HAS_ERRORS;
		row.has_timeouts = r->has & FRAME_HAS_PAIRED;
		row_dist(&row.latency, &r->latency, r->has & FRAME_HAS_LATENCY);
		row_dist(&row.value, &r->value, r->has & FRAME_HAS_VALUE);
		/* the row's histograms are the frame's: merged, never freed here */
		if ((err = op_stats__merge(s, &row))) {
			op_stats__free(s);
			return err;
		}
	}
	if (!declared) {
		op_stats__free(s);
		return -ENOENT;
	}
	return 0;
}

static int dist_metric(const struct stat_dist *d, enum metric m, double *v, const char **why)
{
	unsigned int bit = 1U << (m - METRIC_FIRST_DIST);

	if (!d->count) {
		*why = metric_no_calls;
		return -ENODATA;
	}
	if (m == METRIC_MIN && d->has_min) {
		*v = (double)d->min;
		return 0;
	}
	if (m == METRIC_MAX && d->has_max) {
		*v = (double)d->max;
		return 0;
	}
	if (d->exact) {
		*v = m == METRIC_MEAN ? hist_mean(&d->h) :
		     m == METRIC_MIN ? (double)d->h.min : m == METRIC_MAX ? (double)d->h.max :
		     hist_percentile(&d->h, quantiles[m]);
		if ((m == METRIC_MIN || m == METRIC_MAX) && !d->h.has_extrema) {
			*why = "not kept for it";
			return -ENODATA;
		}
		return 0;
	}
	if (d->known & bit) {
		*v = d->v[m - METRIC_FIRST_DIST];
		return 0;
	}
	*why = "not in the summary (several labels' percentiles cannot be merged without "
	       "their buckets)";
	return -ENODATA;
}

int op_stats__metric(const struct op_stats *s, struct metric_ref r, double *v,
		     const char **why)
{
	switch (r.m) {
	case METRIC_COUNT:
		*v = (double)s->count;
		return 0;
	case METRIC_RATE:
		if (!(s->interval_s > 0)) {
			*why = "no time covered";
			return -ENODATA;
		}
		*v = (double)s->count / s->interval_s;
		return 0;
	case METRIC_ERRORS:
	case METRIC_ERROR_RATE:
		if (!s->has_errors) {
			*why = "counts no errors (no error= in its op)";
			return -ENODATA;
		}
		*v = r.m == METRIC_ERRORS ? (double)s->errors :
		     s->count ? (double)s->errors / (double)s->count : 0;
		return 0;
	case METRIC_TIMEOUTS:
		if (!s->has_timeouts) {
			*why = "has no timeouts (not a paired op)";
			return -ENODATA;
		}
		*v = (double)s->timeouts;
		return 0;
	default:
		break;
	}
	if (r.m >= METRIC_NR) {
		*why = "no such metric";
		return -ENODATA;
	}
	if (r.value && !s->value.present) {
		*why = "has no values (no value= in its op)";
		return -ENODATA;
	}
	if (!r.value && !s->latency.present) {
		*why = "has no latency (a count op)";
		return -ENODATA;
	}
	return dist_metric(r.value ? &s->value : &s->latency, r.m, v, why);
}

static int add_name(char ***ops, size_t *nr, const char *op)
{
	char **v;
	size_t i;

	for (i = 0; i < *nr; i++)
		if (!strcmp((*ops)[i], op))
			return 0;
	if (!(v = realloc(*ops, (*nr + 1) * sizeof(*v))))
		return -ENOMEM;
	*ops = v;
	if (!(v[*nr] = strdup(op)))
		return -ENOMEM;
	(*nr)++;
	return 0;
}

int frame_op_names(const struct output_frame *f, char ***ops, size_t *nr)
{
	size_t i;
	int err = 0;

	*ops = NULL;
	*nr = 0;
	for (i = 0; i < f->nr_ops && !err; i++)
		err = add_name(ops, nr, f->ops[i].op);
	for (i = 0; i < f->nr_rows && !err; i++)
		err = add_name(ops, nr, f->rows[i].op);
	if (err) {
		frame_op_names_free(*ops, *nr);
		*ops = NULL;
		*nr = 0;
	}
	return err;
}

void frame_op_names_free(char **ops, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(ops[i]);
	free(ops);
}
