// SPDX-License-Identifier: MIT
/* Human-readable rendering: a table per interval, histogram bars in the summary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/report.h"
#include "cli/text_safe.h"

#define BAR_WIDTH 40
#define MAX_ROWS 32
#define CELL 16

static int op_width(const struct report *r, const size_t *rows, size_t n)
{
	size_t i, w = 2;

	for (i = 0; i < n; i++)
		if (text_width(r->plan->points[rows[i]].op) > w)
			w = text_width(r->plan->points[rows[i]].op);
	return (int)(w > 48 ? 48 : w);
}

static void lat_table(FILE *f, const struct report *r, const size_t *rows, size_t n)
{
	int w = op_width(r, rows, n), i;
	char b[8][CELL], name[256];
	size_t k;

	fprintf(f, "%-*s %10s %9s %9s %9s %9s %9s %9s %9s %9s\n", w, "OP", "COUNT",
		"MIN", "MEAN", "P50", "P90", "P95", "P99", "P99.9", "MAX");
	for (k = 0; k < n; k++) {
		const struct histogram *h = &r->snap->hists[rows[k]];

		fprintf(f, "%-*s %10llu", w, text_safe(name, sizeof(name),
						       r->plan->points[rows[k]].op, 48),
			(unsigned long long)h->count);
		if (!h->count) {
			fputc('\n', f);
			continue;
		}
		fprintf(f, " %9s %9s", format_duration(b[0], CELL, (double)h->min, r->unit),
			format_duration(b[1], CELL, hist_mean(h), r->unit));
		for (i = 0; i < NR_PCTS; i++)
			fprintf(f, " %9s", format_duration(b[2 + i], CELL,
							   hist_percentile(h, report_pcts[i]),
							   r->unit));
		fprintf(f, " %9s\n", format_duration(b[7], CELL, (double)h->max, r->unit));
	}
}

/* Merge sub-buckets in aligned groups of g until the non-empty span fits. */
static unsigned int row_group(const struct histogram *h)
{
	unsigned int g = 1, first = h->bins[0].idx, last = h->bins[h->nr - 1].idx;

	while (g < HIST_SUBS && last / g - first / g + 1 > MAX_ROWS)
		g *= 2;
	return g;
}

static void bar_row(FILE *f, unsigned int row, unsigned int g, uint64_t count, uint64_t peak,
		    enum unit u)
{
	unsigned int top = row * g + g - 1;
	int stars = (int)((count * BAR_WIDTH + peak - 1) / peak);
	char lo[CELL], hi[CELL];

	format_duration(lo, sizeof(lo), (double)hist_bucket_lower(row * g), u);
	format_duration(hi, sizeof(hi), (double)hist_bucket_upper(top), u);
	fprintf(f, "  %9s -> %-9s : %-10llu |%-*.*s|\n", lo, hi, (unsigned long long)count,
		BAR_WIDTH, stars, "****************************************");
}

static void bars(FILE *f, const struct histogram *h, enum unit u)
{
	unsigned int g, row, prev_row = 0, i;
	uint64_t peak = 0, n = 0;
	bool any = false;

	if (!h->nr)
		return;
	g = row_group(h);
	/* the tallest merged row, for the scale */
	for (i = 0; i < h->nr; i++) {
		row = h->bins[i].idx / g;
		n = any && row == prev_row ? n + h->bins[i].n : h->bins[i].n;
		peak = n > peak ? n : peak;
		prev_row = row;
		any = true;
	}
	fprintf(f, "  %22s : %-10s distribution\n", u == UNIT_AUTO ? "" : unit_name(u), "count");
	for (i = 0; i < h->nr;) {
		row = h->bins[i].idx / g;
		if (i && row > prev_row + 1)
			fprintf(f, "  %22s :\n", "...");
		for (n = 0; i < h->nr && h->bins[i].idx / g == row; i++)
			n += h->bins[i].n;
		bar_row(f, row, g, n, peak, u);
		prev_row = row;
	}
}

static void lat_histograms(FILE *f, const struct report *r, const size_t *rows, size_t n)
{
	char op[256], target[PATH_TEXT_MAX];
	size_t k;

	for (k = 0; k < n; k++) {
		const struct histogram *h = &r->snap->hists[rows[k]];
		const struct trace_point *p = &r->plan->points[rows[k]];

		if (!h->count)
			continue;
		fprintf(f, "\n%s  (%s)\n", text_safe(op, sizeof(op), p->op, 0),
			text_safe(target, sizeof(target), p->target, 0));
		bars(f, h, r->unit);
	}
}

static void count_table(FILE *f, const struct report *r, const size_t *rows, size_t n)
{
	char name[256], target[PATH_TEXT_MAX];
	int w = op_width(r, rows, n);
	size_t k;

	fprintf(f, "%-*s %12s %12s  %s\n", w, "OP", "COUNT", "RATE/S", "TARGET");
	for (k = 0; k < n; k++) {
		uint64_t c = r->snap->counts[rows[k]];

		fprintf(f, "%-*s %12llu %12.1f  %s\n", w,
			text_safe(name, sizeof(name), r->plan->points[rows[k]].op, 48),
			(unsigned long long)c, r->interval_s > 0 ? (double)c / r->interval_s : 0.0,
			text_safe(target, sizeof(target), r->plan->points[rows[k]].target, 0));
	}
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

/* "(12 rows with no calls hidden: --all shows them)" and the like. */
static void hidden_note(FILE *f, const struct report *r, size_t shown)
{
	size_t hidden = r->plan->nr_points - shown;

	if (!hidden)
		return;
	if (r->top && shown == r->top)
		fprintf(f, "(%zu more rows: the top %u by %s shown)\n", hidden, r->top,
			r->sort == SORT_P99 ? "p99" : r->sort == SORT_P50 ? "p50" :
			r->sort == SORT_MAX ? "max" : "count");
	else
		fprintf(f, "(%zu row%s with no calls hidden: --all shows them)\n", hidden,
			hidden == 1 ? "" : "s");
}

void report_text(FILE *f, const struct report *r)
{
	size_t *rows = calloc(r->plan->nr_points ? r->plan->nr_points : 1, sizeof(*rows)), n;
	char when[32];
	struct tm tm;

	if (!rows)
		return;
	n = report_rows(r, rows);
	localtime_r(&r->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (r->summary)
		fprintf(f, "\n== summary: %.1f s ==\n", r->interval_s);
	else
		fprintf(f, "\n%s  (%.1f s)\n", when, r->interval_s);
	if (r->lat)
		lat_table(f, r, rows, n);
	else
		count_table(f, r, rows, n);
	hidden_note(f, r, n);
	if (r->lat && r->summary)
		lat_histograms(f, r, rows, n);
	drops_line(f, r->snap);
	fflush(f);
	free(rows);
}
