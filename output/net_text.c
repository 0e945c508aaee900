// SPDX-License-Identifier: MIT
/*
 * `http` and `pg` as text: per interval (and the summary) a table per kind
 * and side of the socket rows (route, status, count, rate, errors, 4xx,
 * latency percentiles, bytes), SSE and WebSocket lines under the routes
 * that had streams, PostgreSQL errors by SQLSTATE and notifications by
 * channel. The dashboard (watch --profile http|pg) draws the same tables.
 * The README shows them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "output/net_text.h"
#include "output/open.h"
#include "output/text_safe.h"

#define ROUTE_W 28
#define DUR 16

struct net_text {
	struct output base;
	FILE *f;
};

static const char *dur(const struct histogram *h, double p, char *buf)
{
	return h->count ? format_duration(buf, DUR, hist_percentile(h, p), UNIT_AUTO) : "-";
}

/* "1.2K", "34M": a byte count in 6 columns. */
static const char *bytes(uint64_t n, char *buf, size_t len)
{
	static const char units[] = " KMGTPE";
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 6) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%" PRIu64, n);
	else
		snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

/* A row with nothing in the frame's time is not shown (the JSON has every row). */
static bool active(const struct frame_row *r)
{
	const struct frame_net *n = r->net;

	return r->count || (n->sse && (n->sse_s.open || n->sse_s.opened || n->sse_s.closed ||
					n->sse_s.events)) ||
	       (n->ws && (n->ws_s.open || n->ws_s.opened || n->ws_s.closed));
}

static bool is_kind(const struct frame_row *r, enum frame_net_kind kind, const char *side)
{
	return r->net && r->net->kind == kind && !strcmp(r->net->side, side) && active(r);
}

static bool any_row(const struct output_frame *fr, enum frame_net_kind kind, const char *side)
{
	size_t i;

	for (i = 0; i < fr->nr_rows; i++)
		if (is_kind(&fr->rows[i], kind, side))
			return true;
	return false;
}

static void sse_line(FILE *f, const char *route, const struct frame_net *n)
{
	char d[4][DUR];

	fprintf(f, "    SSE %s: %" PRIu64 " open, %" PRIu64 " opened, %" PRIu64 " closed, %"
		PRIu64 " events; first event p50 %s p99 %s; duration p50 %s max %s\n", route,
		n->sse_s.open, n->sse_s.opened, n->sse_s.closed, n->sse_s.events,
		dur(n->sse_s.first_event.h, 0.5, d[0]), dur(n->sse_s.first_event.h, 0.99, d[1]),
		dur(n->sse_s.duration.h, 0.5, d[2]), dur(n->sse_s.duration.h, 1.0, d[3]));
}

static void ws_dir(FILE *f, const char *dir, const uint64_t *frames, uint64_t payload)
{
	char b[16];
	uint64_t total = 0;
	int i, n = 0;

	for (i = 0; i < FRAME_WS_OPCODES; i++)
		total += frames[i];
	fprintf(f, "; %s %" PRIu64 " frames", dir, total);
	for (i = 0; i < FRAME_WS_OPCODES; i++)
		if (frames[i])
			fprintf(f, "%s%s %" PRIu64, n++ ? ", " : " (", frame_ws_opcode_names[i],
				frames[i]);
	fprintf(f, "%s %sB", n ? ")" : "", bytes(payload, b, sizeof(b)));
}

static void ws_line(FILE *f, const char *route, const struct frame_net *n)
{
	fprintf(f, "    WS  %s: %" PRIu64 " open, %" PRIu64 " opened, %" PRIu64 " closed", route,
		n->ws_s.open, n->ws_s.opened, n->ws_s.closed);
	ws_dir(f, "in", n->ws_s.frames_in, n->ws_s.bytes_in);
	ws_dir(f, "out", n->ws_s.frames_out, n->ws_s.bytes_out);
	fputc('\n', f);
}

static void http_table(FILE *f, const struct output_frame *fr, const char *side)
{
	char route[4 * NET_TEXT_OP_MAX], label[64], d[4][DUR], b[2][16];
	size_t i;

	fprintf(f, "HTTP %s\n  %-*s %6s %8s %8s %7s %6s %9s %9s %9s %9s %7s %7s\n", side, ROUTE_W,
		"ROUTE", "STATUS", "COUNT", "RATE/S", "5XX%", "4XX", "P50", "P95", "P99",
		"MAX(RUN)", "IN", "OUT");
	for (i = 0; i < fr->nr_rows; i++) {
		const struct frame_row *r = &fr->rows[i];
		const struct histogram *h = r->latency.h;

		if (!is_kind(r, FRAME_NET_HTTP, side))
			continue;
		text_safe(route, sizeof(route), r->op, ROUTE_W);
		text_safe(label, sizeof(label), r->label.text, 6);
		fprintf(f, "  %-*s %6s %8" PRIu64 " %8.1f %6.2f%% %6" PRIu64 " %9s %9s %9s %9s %7s %7s\n",
			ROUTE_W, route, label, r->count,
			fr->interval_s > 0 ? (double)r->count / fr->interval_s : 0.0,
			r->count ? 100.0 * (double)r->errors / (double)r->count : 0.0,
			r->net->client_errors, dur(h, 0.5, d[0]), dur(h, 0.95, d[1]),
			dur(h, 0.99, d[2]),
			h->count && r->latency.has_max ? format_duration(d[3], DUR,
				(double)r->latency.max, UNIT_AUTO) : "-",
			bytes(r->net->bytes_in.h ? r->net->bytes_in.h->sum : 0, b[0], sizeof(b[0])),
			bytes(r->net->bytes_out.h ? r->net->bytes_out.h->sum : 0, b[1],
			      sizeof(b[1])));
		if (r->net->sse)
			sse_line(f, route, r->net);
		if (r->net->ws)
			ws_line(f, route, r->net);
	}
}

static void pg_table(FILE *f, const struct output_frame *fr, const char *side)
{
	char label[4 * NET_TEXT_OP_MAX], d[4][DUR];
	int n = 0;
	size_t i;

	fprintf(f, "PG %s\n  %-*s %8s %8s %8s %7s %9s %9s %9s %9s %9s\n", side, ROUTE_W,
		"STATEMENT", "COUNT", "RATE/S", "ERRORS", "ERR%", "ROWS", "P50", "P95", "P99",
		"MAX(RUN)");
	for (i = 0; i < fr->nr_rows; i++) {
		const struct frame_row *r = &fr->rows[i];
		const struct histogram *h = r->latency.h;

		if (!is_kind(r, FRAME_NET_PG_QUERY, side))
			continue;
		text_safe(label, sizeof(label), r->label.text, ROUTE_W);
		fprintf(f, "  %-*s %8" PRIu64 " %8.1f %8" PRIu64 " %6.2f%% %9" PRIu64
			" %9s %9s %9s %9s\n", ROUTE_W, label, r->count,
			fr->interval_s > 0 ? (double)r->count / fr->interval_s : 0.0, r->errors,
			r->count ? 100.0 * (double)r->errors / (double)r->count : 0.0,
			r->net->rows, dur(h, 0.5, d[0]), dur(h, 0.95, d[1]), dur(h, 0.99, d[2]),
			h->count && r->latency.has_max ? format_duration(d[3], DUR,
				(double)r->latency.max, UNIT_AUTO) : "-");
	}
	for (i = 0; i < fr->nr_rows; i++)
		if (is_kind(&fr->rows[i], FRAME_NET_PG_ERROR, side))
			fprintf(f, "%s%s %" PRIu64, n++ ? ", " : "  errors by SQLSTATE: ",
				text_safe(label, sizeof(label), fr->rows[i].label.text, 0),
				fr->rows[i].count);
	if (n)
		fputc('\n', f);
	n = 0;
	for (i = 0; i < fr->nr_rows; i++)
		if (is_kind(&fr->rows[i], FRAME_NET_PG_NOTIFY, side))
			fprintf(f, "%s%s %" PRIu64, n++ ? ", " : "  notifications by channel: ",
				text_safe(label, sizeof(label), fr->rows[i].label.text, 0),
				fr->rows[i].count);
	if (n)
		fputc('\n', f);
}

void net_text_tables(FILE *f, const struct output_frame *fr)
{
	static const char *const sides[] = { "server", "client" };
	bool any = false;
	int s;

	for (s = 0; s < 2; s++) {
		if (any_row(fr, FRAME_NET_HTTP, sides[s])) {
			http_table(f, fr, sides[s]);
			any = true;
		}
		if (any_row(fr, FRAME_NET_PG_QUERY, sides[s]) ||
		    any_row(fr, FRAME_NET_PG_ERROR, sides[s]) ||
		    any_row(fr, FRAME_NET_PG_NOTIFY, sides[s])) {
			pg_table(f, fr, sides[s]);
			any = true;
		}
	}
	if (!any)
		fprintf(f, "(no exchange in this %s)\n", fr->summary ? "run" : "interval");
	if (fr->net && (fr->net->op_overflow || fr->net->label_overflow))
		fprintf(f, "over the caps: %" PRIu64 " exchanges in `other` routes, %" PRIu64
			" in `other` labels\n", fr->net->op_overflow, fr->net->label_overflow);
}

/* With --slow: how many were heard in the frame's time, and the last ones. */
static void slow_lines(FILE *f, const struct output_frame *fr)
{
	char when[48], op[4 * NET_TEXT_OP_MAX], label[64], d[DUR];
	size_t i;

	if (!fr->events.present)
		return;
	fprintf(f, "slow: %" PRIu64 " exchanges", fr->events.slow);
	if (fr->events.lost)
		fprintf(f, " (%" PRIu64 " lost)", fr->events.lost);
	fputc('\n', f);
	for (i = 0; i < fr->events.nr; i++) {
		const struct frame_event *e = &fr->events.v[i];

		frame_time_text(e->wall_ns, when, sizeof(when));
		fprintf(f, "  %s %s [%s] pid %u tid %u %s\n", when + 11,
			text_safe(op, sizeof(op), e->op, 0),
			text_safe(label, sizeof(label), e->label.text ? e->label.text : "", 0),
			e->pid, e->tid, format_duration(d, DUR, (double)e->latency_ns, UNIT_AUTO));
	}
}

static int net_text_frame(struct output *o, const struct output_frame *fr)
{
	struct net_text *t = (struct net_text *)o;
	char when[32];
	struct tm tm;

	if (!fr->summary && !fr->shown)
		return 0;
	localtime_r(&fr->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (fr->summary)
		fprintf(t->f, "\n== summary: %.1f s ==\n", fr->interval_s);
	else
		fprintf(t->f, "\n%s  (%.1f s)\n", when, fr->interval_s);
	net_text_tables(t->f, fr);
	slow_lines(t->f, fr);
	frame_drops_line(t->f, fr);
	fflush(t->f);
	return 0;
}

static int net_text_close(struct output *o)
{
	free(o);
	return 0;
}

static const struct output_ops net_text_ops = {
	.name = "text", .frame = net_text_frame, .close = net_text_close,
};

struct output *output_net_text_open(FILE *f)
{
	struct net_text *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->base.ops = &net_text_ops;
	t->f = f;
	return &t->base;
}
