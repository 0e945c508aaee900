// SPDX-License-Identifier: MIT
/*
 * The HTML report's charts, as inline SVG written here (no script, no
 * library): a latency heat map (time x log-linear bucket, colour = calls)
 * with p50/p95/p99 lines, calls per second with error %, state timelines.
 */
#include <math.h>
#include <stdio.h>
#include "output/html.h"
#include "output/units.h"

#define LEFT 72			/* room for the value axis */
#define PLOT_W 720
#define TOP 8
#define BOTTOM 22		/* room for the time axis */
#define HEAT_H 180
#define RATE_H 90
#define TRACK_H 18

static const char *const pct_colour[] = { "#1f4e9c", "#7b2fa0", "#111111" };
static const double line_pcts[] = { 0.50, 0.95, 0.99 };
static const char *const line_names[] = { "p50", "p95", "p99" };

/* Sixteen states, told apart (a machine names at most STATE_VALUES). */
static const char *const state_colour[STATE_VALUES] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
	"#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a",
	"#66a61e", "#a6761d",
};

/* White through yellow and orange to dark red, for t in [0, 1]. */
static void heat_colour(double t, char *buf, size_t len)
{
	static const unsigned char stops[][3] = {
		{ 255, 247, 188 }, { 254, 196, 79 }, { 236, 112, 20 }, { 153, 52, 4 },
		{ 80, 20, 4 },
	};
	const int last = (int)(sizeof(stops) / sizeof(stops[0])) - 1;
	double x = t * last;
	int i = (int)x, k;
	unsigned char c[3];

	if (i >= last)
		i = last - 1;
	x -= i;
	for (k = 0; k < 3; k++)
		c[k] = (unsigned char)lround(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * x);
	snprintf(buf, len, "#%02x%02x%02x", c[0], c[1], c[2]);
}

static double col_x(const struct html_history *h, size_t c)
{
	return LEFT + (double)PLOT_W * (double)c / (double)h->nr_cols;
}

/* "10:04:05" (UTC) of a wall-clock time, for the time axis. */
static void clock_text(uint64_t wall_ns, char *buf, size_t len)
{
	char full[48];

	frame_time_text(wall_ns, full, sizeof(full));
	snprintf(buf, len, "%.8s", full + 11);
}

static void time_axis(FILE *f, const struct html_history *h, int y)
{
	char a[16], b[16];

	clock_text(html_column_start(h, 0), a, sizeof(a));
	clock_text(h->cols[h->nr_cols - 1].end_ns, b, sizeof(b));
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\">%s</text>"
		"<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s UTC</text>\n",
		LEFT, y + 15, a, LEFT + PLOT_W, y + 15, b);
}

/* The y of value v on a heat map whose rows are buckets lo..hi. */
static double value_y(double v, unsigned int lo, double row_h)
{
	unsigned int idx = hist_bucket_index((unsigned long long)v);
	double lower = (double)hist_bucket_lower(idx), upper = (double)hist_bucket_upper(idx);
	double frac = upper > lower ? (v - lower) / (upper - lower) : 0;

	return TOP + HEAT_H - ((double)(idx - lo) + frac) * row_h;
}

static void pct_lines(FILE *f, const struct html_history *h, const struct html_series *s,
		      unsigned int lo, double row_h)
{
	double cw = (double)PLOT_W / (double)h->nr_cols, y;
	size_t c;
	int p;

	/* each line twice: a pale halo first, so it shows on the darkest cells */
	for (p = 0; p < 6; p++) {
		bool open = false;

		for (c = 0; c < h->nr_cols; c++) {
			const struct histogram *lat = &s->cells[c].lat;

			if (!lat->count) {
				if (open)
					fputs("\"/>\n", f);
				open = false;
				continue;
			}
			if (!open && p % 2 == 0)
				fputs("<polyline class=\"halo\" points=\"", f);
			else if (!open)
				fprintf(f, "<polyline class=\"pl\" stroke=\"%s\"%s points=\"",
					pct_colour[p / 2], p / 2 == 2 ? " stroke-dasharray=\"4 2\"" : "");
			open = true;
			/* a step across the column: one column alone still shows */
			y = value_y(hist_percentile(lat, line_pcts[p / 2]), lo, row_h);
			fprintf(f, "%.1f,%.1f %.1f,%.1f ", col_x(h, c), y, col_x(h, c) + cw, y);
		}
		if (open)
			fputs("\"/>\n", f);
	}
}

void html_svg_heatmap(FILE *f, const struct html_history *h, const struct html_series *s)
{
	unsigned int lo = HIST_NR_BUCKETS, hi = 0, i;
	double cw = (double)PLOT_W / (double)h->nr_cols, row_h, max_log = 0;
	char colour[16], v[32];
	uint64_t max_n = 0;
	size_t c;

	for (c = 0; c < h->nr_cols; c++)
		for (i = 0; i < s->cells[c].lat.nr; i++) {
			const struct hist_bin *b = &s->cells[c].lat.bins[i];

			lo = b->idx < lo ? b->idx : lo;
			hi = b->idx > hi ? b->idx : hi;
			max_n = b->n > max_n ? b->n : max_n;
		}
	if (!max_n)
		return;
	row_h = (double)HEAT_H / (double)(hi - lo + 1);
	max_log = log1p((double)max_n);
	fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\"><title>latency heat map: time by log-linear bucket, colour = calls"
		"</title>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fbfbf8\" "
		"stroke=\"#ccc\"/>\n", LEFT + PLOT_W + 8, TOP + HEAT_H + BOTTOM,
		LEFT + PLOT_W + 8, TOP + HEAT_H + BOTTOM, LEFT, TOP, PLOT_W, HEAT_H);
	for (c = 0; c < h->nr_cols; c++)
		for (i = 0; i < s->cells[c].lat.nr; i++) {
			const struct hist_bin *b = &s->cells[c].lat.bins[i];

			heat_colour(log1p((double)b->n) / max_log, colour, sizeof(colour));
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\"/>\n", col_x(h, c),
				TOP + HEAT_H - (double)(b->idx - lo + 1) * row_h, cw + 0.3,
				row_h + 0.3, colour);
		}
	pct_lines(f, h, s, lo, row_h);
	/* the value axis: the lowest bucket's floor, the middle, the highest's ceiling */
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s</text>\n",
		LEFT - 4, TOP + HEAT_H, format_duration(v, sizeof(v),
		(double)hist_bucket_lower(lo), UNIT_AUTO));
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s</text>\n",
		LEFT - 4, TOP + HEAT_H / 2 + 4, format_duration(v, sizeof(v),
		(double)hist_bucket_lower(lo + (hi - lo + 1) / 2), UNIT_AUTO));
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s</text>\n",
		LEFT - 4, TOP + 10, format_duration(v, sizeof(v),
		(double)hist_bucket_upper(hi), UNIT_AUTO));
	time_axis(f, h, TOP + HEAT_H);
	for (i = 0; i < 3; i++)
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" fill=\"%s\">%s</text>",
			LEFT + PLOT_W / 2 - 60 + 40 * (int)i, TOP + HEAT_H + 15, pct_colour[i],
			line_names[i]);
	fputs("</svg>\n", f);
}

void html_svg_rate(FILE *f, const struct html_history *h, const struct html_series *s)
{
	double cw = (double)PLOT_W / (double)h->nr_cols, max_rate = 0, max_err = 0, r;
	bool errors = s->has & FRAME_HAS_ERRORS, open = false;
	size_t c;

	for (c = 0; c < h->nr_cols; c++) {
		const struct html_cell *x = &s->cells[c];

		r = h->cols[c].seconds > 0 ? (double)x->count / h->cols[c].seconds : 0;
		max_rate = r > max_rate ? r : max_rate;
		if (x->count && (double)x->errors / (double)x->count > max_err)
			max_err = (double)x->errors / (double)x->count;
	}
	fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\"><title>calls per second%s</title>\n<rect x=\"%d\" y=\"%d\" "
		"width=\"%d\" height=\"%d\" fill=\"#fbfbf8\" stroke=\"#ccc\"/>\n",
		LEFT + PLOT_W + 8, TOP + RATE_H + BOTTOM, LEFT + PLOT_W + 8,
		TOP + RATE_H + BOTTOM, errors ? " and error %" : "", LEFT, TOP, PLOT_W, RATE_H);
	for (c = 0; c < h->nr_cols && max_rate > 0; c++) {
		r = h->cols[c].seconds > 0 ? (double)s->cells[c].count / h->cols[c].seconds : 0;
		if (r > 0)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"#6b8fc7\"/>\n", col_x(h, c) + cw * 0.1,
				TOP + RATE_H * (1 - r / max_rate), cw * 0.8, RATE_H * r / max_rate);
	}
	for (c = 0; c < h->nr_cols && errors && max_err > 0; c++) {
		const struct html_cell *x = &s->cells[c];

		if (!x->count) {
			if (open)
				fputs("\"/>\n", f);
			open = false;
			continue;
		}
		if (!open)
			fputs("<polyline class=\"pl\" stroke=\"#c62828\" points=\"", f);
		open = true;
		r = TOP + RATE_H * (1 - (double)x->errors / (double)x->count / max_err);
		fprintf(f, "%.1f,%.1f %.1f,%.1f ", col_x(h, c), r, col_x(h, c) + cw, r);
	}
	if (open)
		fputs("\"/>\n", f);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%.*f/s</text>\n",
		LEFT - 4, TOP + 10, max_rate >= 100 ? 0 : 2, max_rate);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">0</text>\n",
		LEFT - 4, TOP + RATE_H);
	if (errors)
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" fill=\"#c62828\">errors "
			"(top: %.2f%%)</text>\n", LEFT + PLOT_W / 2 - 40, TOP + RATE_H + 15,
			max_err * 100);
	time_axis(f, h, TOP + RATE_H);
	fputs("</svg>\n", f);
}

void html_svg_states(FILE *f, const struct html_history *h)
{
	double cw = (double)PLOT_W / (double)h->nr_cols;
	int height = TOP + (int)h->nr_tracks * (TRACK_H + 4) + BOTTOM;
	char num[16];
	size_t t, c;

	fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\"><title>state at the end of each column</title>\n",
		LEFT + PLOT_W + 8, height, LEFT + PLOT_W + 8, height);
	for (t = 0; t < h->nr_tracks; t++) {
		const struct html_track *k = h->tracks[t];
		int y = TOP + (int)t * (TRACK_H + 4);

		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">", LEFT - 4,
			y + 13);
		html_text(f, k->machine);
		fprintf(f, " %u</text>\n", k->pid);
		for (c = 0; c < h->nr_cols; c++) {
			int st = k->state[c];

			if (st < 0)
				continue;
			snprintf(num, sizeof(num), "%d", st);
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
				"fill=\"%s\"><title>", col_x(h, c), y, cw + 0.3, TRACK_H,
				state_colour[st % STATE_VALUES]);
			html_text(f, st < k->nr_names ? k->names[st] : num);
			fputs("</title></rect>\n", f);
		}
	}
	time_axis(f, h, height - BOTTOM);
	fputs("</svg>\n", f);
}

/* The colour of state slot i, for the legend (html.c). */
const char *html_state_colour(int i)
{
	return state_colour[i % STATE_VALUES];
}
