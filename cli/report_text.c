// SPDX-License-Identifier: MIT
/* Human-readable rendering: a table per interval, histogram bars in the summary. */
#include <stdint.h>
#include <string.h>
#include "cli/report.h"

#define BAR_WIDTH 40
#define MAX_ROWS 32

static const char *const unit_names[] = { "", "ns", "us", "ms" };
static const double unit_div[] = { 1, 1, 1e3, 1e6 };

/* Auto: the unit that shows this row's median as 1 or more. */
static enum unit pick_unit(enum unit u, const struct histogram *h)
{
	double v = h->count ? hist_percentile(h, 0.5) : 0;

	if (u != UNIT_AUTO)
		return u;
	return v >= 1e6 ? UNIT_MS : v >= 1e3 ? UNIT_US : UNIT_NS;
}

static const char *fmt(char *buf, size_t len, double ns, enum unit u)
{
	double v = ns / unit_div[u];

	snprintf(buf, len, v < 10 && u != UNIT_NS ? "%.2f%s" : v < 100 && u != UNIT_NS ?
		 "%.1f%s" : "%.0f%s", v, unit_names[u]);
	return buf;
}

static int op_width(const struct report *r)
{
	size_t i, w = 2;

	for (i = 0; i < r->plan->nr_points; i++)
		if (strlen(r->plan->points[i].op) > w)
			w = strlen(r->plan->points[i].op);
	return (int)(w > 48 ? 48 : w);
}

static void lat_table(FILE *f, const struct report *r)
{
	int w = op_width(r), i;
	size_t k;
	char b[8][32];

	fprintf(f, "%-*s %10s %9s %9s %9s %9s %9s %9s %9s %9s\n", w, "OP", "COUNT",
		"MIN", "MEAN", "P50", "P90", "P95", "P99", "P99.9", "MAX");
	for (k = 0; k < r->plan->nr_points; k++) {
		const struct histogram *h = &r->snap->hists[k];
		enum unit u = pick_unit(r->unit, h);

		fprintf(f, "%-*s %10llu", w, r->plan->points[k].op,
			(unsigned long long)h->count);
		if (!h->count) {
			fputc('\n', f);
			continue;
		}
		fprintf(f, " %9s %9s", fmt(b[0], 32, (double)h->min, u),
			fmt(b[1], 32, hist_mean(h), u));
		for (i = 0; i < NR_PCTS; i++)
			fprintf(f, " %9s", fmt(b[2 + i], 32, hist_percentile(h, report_pcts[i]), u));
		fprintf(f, " %9s\n", fmt(b[7], 32, (double)h->max, u));
	}
}

/* Merge sub-buckets in aligned groups until the non-empty span fits. */
static unsigned int row_group(const struct histogram *h, unsigned int *first,
			      unsigned int *last)
{
	unsigned int g = 1, i;

	*first = HIST_NR_BUCKETS;
	*last = 0;
	for (i = 0; i < HIST_NR_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		if (*first == HIST_NR_BUCKETS)
			*first = i;
		*last = i;
	}
	while (g < HIST_SUBS && *last / g - *first / g + 1 > MAX_ROWS)
		g *= 2;
	return g;
}

static void bars(FILE *f, const struct histogram *h, enum unit u)
{
	unsigned int first, last, g, row, i;
	uint64_t counts[HIST_NR_BUCKETS], peak = 0;
	bool gap = false;
	char lo[32], hi[32];

	g = row_group(h, &first, &last);
	if (first == HIST_NR_BUCKETS)
		return;
	memset(counts, 0, sizeof(counts));
	for (i = first; i <= last; i++)
		counts[i / g] += h->buckets[i];
	for (row = first / g; row <= last / g; row++)
		if (counts[row] > peak)
			peak = counts[row];
	fprintf(f, "  %21s : %-10s distribution\n", unit_names[u][0] ? unit_names[u] : "ns", "count");
	for (row = first / g; row <= last / g; row++) {
		unsigned int top = row * g + g - 1;
		int stars;

		if (!counts[row]) {
			if (!gap)
				fprintf(f, "  %21s :\n", "...");
			gap = true;
			continue;
		}
		gap = false;
		stars = (int)((counts[row] * BAR_WIDTH + peak - 1) / peak);
		fmt(lo, sizeof(lo), (double)hist_bucket_lower(row * g), u);
		if (top >= HIST_OVERFLOW_BUCKET)
			snprintf(hi, sizeof(hi), "inf");
		else
			fmt(hi, sizeof(hi), (double)hist_bucket_upper(top), u);
		fprintf(f, "  %9s -> %-8s : %-10llu |%-*.*s|\n", lo, hi,
			(unsigned long long)counts[row], BAR_WIDTH, stars,
			"****************************************");
	}
}

static void lat_histograms(FILE *f, const struct report *r)
{
	size_t k;

	for (k = 0; k < r->plan->nr_points; k++) {
		const struct histogram *h = &r->snap->hists[k];

		if (!h->count)
			continue;
		fprintf(f, "\n%s  (%s)\n", r->plan->points[k].op, r->plan->points[k].target);
		bars(f, h, pick_unit(r->unit, h));
	}
}

static void count_table(FILE *f, const struct report *r)
{
	int w = op_width(r);
	size_t k;

	fprintf(f, "%-*s %12s %12s  %s\n", w, "OP", "COUNT", "RATE/S", "TARGET");
	for (k = 0; k < r->plan->nr_points; k++)
		fprintf(f, "%-*s %12llu %12.1f  %s\n", w, r->plan->points[k].op,
			(unsigned long long)r->snap->counts[k],
			r->interval_s > 0 ? (double)r->snap->counts[k] / r->interval_s : 0.0,
			r->plan->points[k].target);
}

static void drops_line(FILE *f, const struct snapshot *s)
{
	bool any = false;
	unsigned int i;

	for (i = 0; i < DROP_NR; i++) {
		if (!s->drops[i])
			continue;
		fprintf(f, "%s%s=%llu", any ? " " : "drops: ", drop_reason_name(i),
			(unsigned long long)s->drops[i]);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

void report_text(FILE *f, const struct report *r)
{
	char when[32];
	struct tm tm;

	localtime_r(&r->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (r->summary)
		fprintf(f, "\n== summary: %.1f s ==\n", r->interval_s);
	else
		fprintf(f, "\n%s  (%.1f s)\n", when, r->interval_s);
	if (r->lat)
		lat_table(f, r);
	else
		count_table(f, r);
	if (r->lat && r->summary)
		lat_histograms(f, r);
	drops_line(f, r->snap);
	fflush(f);
}
