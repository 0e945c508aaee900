// SPDX-License-Identifier: MIT
/*
 * lat and count as text: a table per interval, histogram bars in the
 * summary (the README shows both).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "output/open.h"
#include "output/text_safe.h"
#include "output/view.h"

#define BAR_WIDTH 40
#define MAX_ROWS 32
#define CELL 16

struct text_output {
	struct output base;
	FILE *f;
	struct view view;
};

static int op_width(const struct output_frame *fr, const size_t *rows, size_t n)
{
	size_t i, w = 2;

	for (i = 0; i < n; i++)
		if (text_width(fr->rows[rows[i]].op) > w)
			w = text_width(fr->rows[rows[i]].op);
	return (int)(w > 48 ? 48 : w);
}

static void lat_table(FILE *f, const struct view *v, const struct output_frame *fr, const size_t *rows,
		      size_t n)
{
	int w = op_width(fr, rows, n), i;
	char b[8][CELL], name[256];
	size_t k;

	fprintf(f, "%-*s %10s %9s %9s %9s %9s %9s %9s %9s %9s\n", w, "OP", "COUNT",
		"MIN", "MEAN", "P50", "P90", "P95", "P99", "P99.9", "MAX");
	for (k = 0; k < n; k++) {
		const struct histogram *h = fr->rows[rows[k]].latency.h;

		fprintf(f, "%-*s %10llu", w, text_safe(name, sizeof(name),
						       fr->rows[rows[k]].op, 48),
			(unsigned long long)h->count);
		if (!h->count) {
			fputc('\n', f);
			continue;
		}
		fprintf(f, " %9s %9s", format_duration(b[0], CELL, (double)h->min, v->unit),
			format_duration(b[1], CELL, hist_mean(h), v->unit));
		for (i = 0; i < NR_PCTS; i++)
			fprintf(f, " %9s", format_duration(b[2 + i], CELL,
							   hist_percentile(h, view_pcts[i]),
							   v->unit));
		fprintf(f, " %9s\n", format_duration(b[7], CELL, (double)h->max, v->unit));
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

static void lat_histograms(FILE *f, const struct view *v, const struct output_frame *fr,
			   const size_t *rows, size_t n)
{
	char op[256], target[PATH_TEXT_MAX];
	size_t k;

	for (k = 0; k < n; k++) {
		const struct frame_row *p = &fr->rows[rows[k]];
		const struct histogram *h = p->latency.h;

		if (!h->count)
			continue;
		fprintf(f, "\n%s  (%s)\n", text_safe(op, sizeof(op), p->op, 0),
			text_safe(target, sizeof(target), p->target, 0));
		bars(f, h, v->unit);
	}
}

static void count_table(FILE *f, const struct output_frame *fr, const size_t *rows, size_t n)
{
	char name[256], target[PATH_TEXT_MAX];
	int w = op_width(fr, rows, n);
	size_t k;

	fprintf(f, "%-*s %12s %12s  %s\n", w, "OP", "COUNT", "RATE/S", "TARGET");
	for (k = 0; k < n; k++) {
		const struct frame_row *p = &fr->rows[rows[k]];

		fprintf(f, "%-*s %12llu %12.1f  %s\n", w, text_safe(name, sizeof(name), p->op, 48),
			(unsigned long long)p->count,
			fr->interval_s > 0 ? (double)p->count / fr->interval_s : 0.0,
			text_safe(target, sizeof(target), p->target, 0));
	}
}

/* "(12 rows with no calls hidden: --all shows them)" and the like. */
static void hidden_note(FILE *f, const struct view *v, const struct output_frame *fr, size_t shown)
{
	size_t hidden = fr->nr_rows - shown;

	if (!hidden)
		return;
	if (v->top && shown == v->top)
		fprintf(f, "(%zu more rows: the top %u by %s shown)\n", hidden, v->top,
			sort_key_name(v->sort));
	else
		fprintf(f, "(%zu row%s with no calls hidden: --all shows them)\n", hidden,
			hidden == 1 ? "" : "s");
}

static int text_frame(struct output *o, const struct output_frame *fr)
{
	struct text_output *t = (struct text_output *)o;
	const struct view *v = &t->view;
	size_t *rows, n;
	FILE *f = t->f;
	char when[32];
	struct tm tm;

	if (!fr->summary && !fr->shown)
		return 0;
	if (!(rows = calloc(fr->nr_rows ? fr->nr_rows : 1, sizeof(*rows))))
		return -ENOMEM;
	n = view_rows(v, fr, rows);
	localtime_r(&fr->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (fr->summary)
		fprintf(f, "\n== summary: %.1f s ==\n", fr->interval_s);
	else
		fprintf(f, "\n%s  (%.1f s)\n", when, fr->interval_s);
	if (fr->latency)
		lat_table(f, v, fr, rows, n);
	else
		count_table(f, fr, rows, n);
	hidden_note(f, v, fr, n);
	if (fr->latency && fr->summary)
		lat_histograms(f, v, fr, rows, n);
	frame_drops_line(f, fr);
	fflush(f);
	free(rows);
	return 0;
}

static int text_close(struct output *o)
{
	free(o);
	return 0;
}

static const struct output_ops text_ops = {
	.name = "text", .frame = text_frame, .close = text_close,
};

struct output *output_text_open(FILE *f, const struct view *v)
{
	struct text_output *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->base.ops = &text_ops;
	t->f = f;
	t->view = *v;
	return &t->base;
}
