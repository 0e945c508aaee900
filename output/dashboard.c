// SPDX-License-Identifier: MIT
/*
 * The `watch` dashboard (FRAME_OPS frames as text): State, Operations, Data
 * volume, Latency, Recent errors/slow calls, Drops. On a terminal each
 * interval redraws the screen; otherwise frames follow each other (the
 * README shows one).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/net_text.h"
#include "output/open.h"
#include "output/text_safe.h"

#define NAME_W 36
#define NAME_BUF 400	/* an op name, a label name, an escaped label, a tag */
#define DUR 16
#define RECENT_PER_KIND 5	/* events kept of each kind (error, slow, timeout) */

/* The last events heard of each kind, for every frame to show. */
struct recent_event {
	struct frame_event e;
	char op[OPS_STR_MAX + 8], label[OPS_STR_MAX + 8], label_name[OPS_STR_MAX + 8];
	char error_name[OPS_STR_MAX + 8];
	uint64_t seq;		/* in the order heard */
};

struct dashboard {
	struct output base;
	FILE *out;
	int (*lines)(void);	/* a terminal's height, or NULL */
	struct recent_event recent[3][RECENT_PER_KIND];
	uint64_t kind_seq[3], seq;
};

static const char *dur(double ns, char *buf)
{
	return format_duration(buf, DUR, ns, UNIT_AUTO);
}

/*
 * "op [name label]": the label escaped and, when long, elided in the middle
 * to keep the columns; a tag of tag_digits hex digits of the label tells
 * apart labels that still read the same.
 */
static void render_name(const char *op, const struct frame_label *l, int tag_digits,
			char *buf, size_t len)
{
	char label[4 * OPS_STR_MAX + 8], tag[24] = "";
	uint64_t raw;
	int room;

	if (!l) {
		snprintf(buf, len, "%s", op);
		return;
	}
	raw = (uint64_t)l->number;
	if (tag_digits)
		snprintf(tag, sizeof(tag), " #%0*" PRIx64, tag_digits,
			 (uint64_t)(tag_digits < 16 ? raw & ((1ULL << (4 * tag_digits)) - 1) : raw));
	room = NAME_W - (int)strlen(op) - 3 - (int)strlen(tag) -
	       (l->name[0] ? (int)strlen(l->name) + 1 : 0);
	text_safe(label, sizeof(label), l->text, room > 8 ? (size_t)room : 8);
	if (l->kind != FRAME_LABEL_VALUE)	/* other, none: not values of the label */
		snprintf(buf, len, "%s [%s]", op, label);
	else
		snprintf(buf, len, "%s [%s%s%s%s]", op, l->name, l->name[0] ? " " : "", label,
			 tag);
}

static const struct frame_label *row_label(const struct frame_row *r)
{
	return r->has & FRAME_HAS_LABEL ? &r->label : NULL;
}

struct row_names {
	char (*name)[NAME_BUF];	/* one per row of the frame's table */
};

static int by_name(const void *a, const void *b, void *names)
{
	return strcmp(((char (*)[NAME_BUF])names)[*(const size_t *)a],
		      ((char (*)[NAME_BUF])names)[*(const size_t *)b]);
}

/* Every row's name; rows whose names collide get tags until none does. */
static int row_names__make(struct row_names *rn, const struct output_frame *f)
{
	size_t n = f->nr_rows, i, *order;
	int digits, clash = 1;

	rn->name = calloc(n ? n : 1, sizeof(*rn->name));
	order = calloc(n ? n : 1, sizeof(*order));
	if (!rn->name || !order) {
		free(order);
		return -1;
	}
	for (i = 0; i < n; i++)
		render_name(f->rows[i].op, row_label(&f->rows[i]), 0, rn->name[i], NAME_BUF);
	for (digits = 4; clash && digits <= 16; digits *= 2) {
		for (i = 0; i < n; i++)
			order[i] = i;
		qsort_r(order, n, sizeof(*order), by_name, rn->name);
		clash = 0;
		for (i = 0; i + 1 < n; i++) {
			size_t a = order[i], b = order[i + 1];

			if (strcmp(rn->name[a], rn->name[b]))
				continue;
			render_name(f->rows[a].op, row_label(&f->rows[a]), digits, rn->name[a],
				    NAME_BUF);
			render_name(f->rows[b].op, row_label(&f->rows[b]), digits, rn->name[b],
				    NAME_BUF);
			clash = 1;
		}
	}
	free(order);
	return 0;
}

static void states_section(FILE *out, const struct output_frame *f)
{
	size_t i;

	if (!f->nr_machines)
		return;
	fprintf(out, "\nSTATE\n  %-16s %8s  %-14s %8s %6s  %s\n", "MACHINE", "PID", "CURRENT",
		"CALLS", "TRANS", "TIME IN EACH STATE");
	if (!f->nr_states)
		fprintf(out, "  (no state seen yet)\n");
	for (i = 0; i < f->nr_states; i++) {
		const struct frame_state *s = &f->states[i];
		unsigned int v = frame_state_current(s);
		char n[16], d[DUR];

		fprintf(out, "  %-16s %8u  %-14s %8" PRIu64 " %6" PRIu64 " ", s->machine, s->pid,
			frame_state_name(s, v, n, sizeof(n)), (uint64_t)s->rec->calls,
			(uint64_t)s->rec->recent_head);
		for (v = 0; v < STATE_VALUES; v++)
			if (s->rec->time_in[v])
				fprintf(out, " %s %s", frame_state_name(s, v, n, sizeof(n)),
					dur((double)s->rec->time_in[v], d));
		fputc('\n', out);
	}
}

static bool any_has(const struct output_frame *f, unsigned int has)
{
	size_t i;

	for (i = 0; i < f->nr_ops; i++)
		if (f->ops[i].has & has)
			return true;
	return false;
}

static void ops_section(FILE *out, const struct output_frame *f, const struct row_names *rn,
			double secs)
{
	bool blocked = any_has(f, FRAME_HAS_WOULD_BLOCK);
	size_t i;

	fprintf(out, "\nOPERATIONS\n  %-*s %10s %10s %8s %7s %9s %9s%s\n", NAME_W, "OP [LABEL]",
		"COUNT", "RATE/S", "ERRORS", "ERR%", "TIMEOUTS", "INFLIGHT",
		blocked ? "   BLOCKED" : "");
	if (!f->nr_rows)
		fprintf(out, "  (no call seen yet)\n");
	for (i = 0; i < f->nr_rows; i++) {
		const struct frame_row *r = &f->rows[i];

		if (r->net)	/* the SOCKETS section's */
			continue;
		fprintf(out, "  %-*s %10" PRIu64 " %10.1f", NAME_W, rn->name[i], r->count,
			secs > 0 ? (double)r->count / secs : 0.0);
		if (r->has & FRAME_HAS_ERRORS)
			fprintf(out, " %8" PRIu64 " %6.2f%%", r->errors,
				r->count ? 100.0 * (double)r->errors / (double)r->count : 0.0);
		else
			fprintf(out, " %8s %7s", "-", "-");
		if (r->has & FRAME_HAS_PAIRED)
			fprintf(out, " %9" PRIu64 " %9" PRIu64, r->timeouts, r->inflight);
		else
			fprintf(out, " %9s %9s", "-", "-");
		if (blocked && (r->has & FRAME_HAS_WOULD_BLOCK))
			fprintf(out, " %9" PRIu64, r->would_block);
		else if (blocked)
			fprintf(out, " %9s", "-");
		fputc('\n', out);
	}
}

static void values_section(FILE *out, const struct output_frame *f, const struct row_names *rn)
{
	char sum[48];
	size_t i;

	if (!any_has(f, FRAME_HAS_VALUE))
		return;
	fprintf(out, "\nDATA VOLUME\n  %-*s %14s %12s %12s %12s\n", NAME_W, "OP [LABEL]", "SUM",
		"MEAN", "P50", "P99");
	for (i = 0; i < f->nr_rows; i++) {
		const struct histogram *v = f->rows[i].value.h;

		if (!(f->rows[i].has & FRAME_HAS_VALUE))
			continue;
		fprintf(out, "  %-*s %14s %12.1f %12.0f %12.0f\n", NAME_W, rn->name[i],
			hist_sum_text(v, sum, sizeof(sum)), hist_mean(v), hist_percentile(v, 0.5),
			hist_percentile(v, 0.99));
	}
}

static void latency_section(FILE *out, const struct output_frame *f, const struct row_names *rn)
{
	char d[4][DUR];
	size_t i;

	if (!any_has(f, FRAME_HAS_LATENCY))
		return;
	fprintf(out, "\nLATENCY\n  %-*s %10s %10s %10s %10s\n", NAME_W, "OP [LABEL]", "P50",
		"P95", "P99", "MAX(RUN)");
	for (i = 0; i < f->nr_rows; i++) {
		const struct frame_row *r = &f->rows[i];
		const struct histogram *h = r->latency.h;

		if (!(r->has & FRAME_HAS_LATENCY) || !h->count || r->net)
			continue;
		fprintf(out, "  %-*s %10s %10s %10s %10s\n", NAME_W, rn->name[i],
			dur(hist_percentile(h, 0.50), d[0]), dur(hist_percentile(h, 0.95), d[1]),
			dur(hist_percentile(h, 0.99), d[2]), dur((double)r->latency.max, d[3]));
	}
}

static const char *kind_text(const struct frame_event *e)
{
	if (e->kind == FRAME_EV_TIMEOUT)
		return "timeout";
	if (e->kind == FRAME_EV_ERROR && e->slow)
		return "error+slow";
	return e->kind == FRAME_EV_ERROR ? "error" : "slow";
}

/* What an event says beyond its kind: the value that made it an error
 * ("arg2=1": a USDT probe has no return), or the return. */
static void event_detail(FILE *out, const struct frame_event *e)
{
	if (e->kind == FRAME_EV_TIMEOUT)
		return;
	fprintf(out, " tid %-7u", e->tid);
	if (e->kind == FRAME_EV_ERROR && e->error_name)
		fprintf(out, " %s=%" PRId64, e->error_name, e->error_value);
	else if (e->has_ret)
		fprintf(out, " ret %-6" PRId64, e->ret);
}

/* The recent events, the newest max of them (all with max < 0). */
static void events_section(FILE *out, const struct output_frame *f, const struct frame_event *const *recent,
			   size_t n, int max)
{
	char when[48], label[NAME_BUF], d[DUR];
	size_t i;

	fprintf(out, "\nRECENT ERRORS / SLOW CALLS  (%" PRIu64 " errors, %" PRIu64 " slow, %"
		PRIu64 " timeouts, %" PRIu64 " lost; the last %d of each kind)\n", f->events.errors,
		f->events.slow, f->events.timeouts, f->events.lost, RECENT_PER_KIND);
	if (!n)
		fprintf(out, "  (none)\n");
	for (i = max >= 0 && (size_t)max < n ? n - (size_t)max : 0; i < n; i++) {
		const struct frame_event *e = recent[i];

		frame_time_text(e->wall_ns, when, sizeof(when));
		render_name(e->op, e->labelled ? &e->label : NULL, 0, label, sizeof(label));
		fprintf(out, "  %s %-*s %-10s pid %-7u", when + 11, NAME_W - 16, label,
			kind_text(e), e->pid);
		event_detail(out, e);
		fprintf(out, " %s\n", e->latency_ns ? dur((double)e->latency_ns, d) : "");
	}
}

/* Drops and what the kernel could not pin on a label: only what is not zero. */
static void drops_section(FILE *out, const struct output_frame *f)
{
	int n = 0;
	size_t i;

	fprintf(out, "\nDROPS ");
	for (i = 0; i < f->nr_drops; i++)
		if (f->drops[i].n)
			fprintf(out, "%s%s %" PRIu64, n++ ? ", " : " ", f->drops[i].name,
				f->drops[i].n);
	for (i = 0; i < f->nr_ops; i++) {
		const struct frame_op *t = &f->ops[i];
		const char *op = t->op;

		if (t->unmatched)
			fprintf(out, "%s%s: %" PRIu64 " unmatched ends", n++ ? ", " : " ", op,
				(uint64_t)t->unmatched);
		if (t->restarts)
			fprintf(out, "%s%s: %" PRIu64 " restarted starts", n++ ? ", " : " ", op,
				(uint64_t)t->restarts);
		if (t->label_overflow)
			fprintf(out, "%s%s: %" PRIu64 " calls over the label cap", n++ ? ", " : " ",
				op, (uint64_t)t->label_overflow);
	}
	fprintf(out, "%s\n", n ? "" : " none");
}

static void draw(FILE *out, const struct output_frame *f, const struct row_names *rn,
		 const struct frame_event *const *recent, size_t n, int max_events)
{
	char when[48];

	frame_time_text((uint64_t)f->wall.tv_sec * 1000000000ULL + (uint64_t)f->wall.tv_nsec,
			when, sizeof(when));
	fprintf(out, "== synctrace watch  %.19s  %s %.1f s\n", when,
		f->summary ? "summary of the whole run," : "interval", f->interval_s);
	states_section(out, f);
	/* socket rows alone (watch --profile http|pg): their tables stand for the ops' */
	if (!f->net || f->nr_ops)
		ops_section(out, f, rn, f->interval_s);
	values_section(out, f, rn);
	latency_section(out, f, rn);
	if (f->net) {
		fprintf(out, "\nSOCKETS\n");
		net_text_tables(out, f);
	}
	events_section(out, f, recent, n, max_events);
	drops_section(out, f);
}

static int count_lines(const char *s, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static void copy_text(char *dst, size_t len, const char **p)
{
	if (*p) {
		snprintf(dst, len, "%s", *p);
		*p = dst;
	}
}

/* Keep f's events: the dashboard shows the last ones heard, not only the frame's. */
static void keep_events(struct dashboard *d, const struct output_frame *f)
{
	size_t i;

	for (i = 0; i < f->events.nr; i++) {
		unsigned int k = f->events.v[i].kind;
		struct recent_event *r = &d->recent[k][d->kind_seq[k]++ % RECENT_PER_KIND];

		r->e = f->events.v[i];
		r->seq = ++d->seq;
		copy_text(r->op, sizeof(r->op), &r->e.op);
		copy_text(r->label, sizeof(r->label), &r->e.label.text);
		copy_text(r->label_name, sizeof(r->label_name), &r->e.label.name);
		copy_text(r->error_name, sizeof(r->error_name), &r->e.error_name);
	}
}

static int by_seq(const void *a, const void *b)
{
	const struct recent_event *x = *(const struct recent_event *const *)a;
	const struct recent_event *y = *(const struct recent_event *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The events to show, oldest first: the summary's own, or the last heard. */
static size_t recent_events(const struct dashboard *d, const struct output_frame *f,
			    const struct frame_event **out)
{
	const struct recent_event *kept[3 * RECENT_PER_KIND];
	size_t n = 0, i;
	unsigned int k;

	if (f->summary) {
		for (i = 0; i < f->events.nr && i < 3 * RECENT_PER_KIND; i++)
			out[i] = &f->events.v[i];
		return i;
	}
	for (k = 0; k < 3; k++)
		for (i = 0; i < RECENT_PER_KIND && i < d->kind_seq[k]; i++)
			kept[n++] = &d->recent[k][i];
	qsort(kept, n, sizeof(*kept), by_seq);
	for (i = 0; i < n; i++)
		out[i] = &kept[i]->e;
	return n;
}

static int dashboard_frame(struct output *o, const struct output_frame *f)
{
	struct dashboard *d = (struct dashboard *)o;
	const struct frame_event *recent[3 * RECENT_PER_KIND];
	int lines = d->lines && !f->summary ? d->lines() : 0, shown, n;
	struct row_names rn = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *mem, *out = d->out;

	if (!f->summary)
		keep_events(d, f);
	if (!f->summary && !f->shown)
		return 0;
	shown = (int)recent_events(d, f, recent);
	if (row_names__make(&rn, f)) {
		free(rn.name);
		return -ENOMEM;
	}
	/* on a terminal the frame is drawn over the last one: it must fit, and what
	 * gives way is the list of recent events (the oldest first) */
	mem = lines > 0 ? open_memstream(&buf, &len) : NULL;
	if (mem) {
		draw(mem, f, &rn, recent, (size_t)shown, -1);
		fclose(mem);
		n = count_lines(buf, len) - (lines - 1);
		if (n > 0) {
			free(buf);
			buf = NULL;
			mem = open_memstream(&buf, &len);
			if (mem) {
				draw(mem, f, &rn, recent, (size_t)shown, shown - n > 0 ? shown - n : 0);
				fclose(mem);
			}
		}
		fputs("\033[H\033[2J", out);
		if (buf)
			fwrite(buf, 1, len, out);
	} else {
		fputc('\n', out);
		draw(out, f, &rn, recent, (size_t)shown, -1);
	}
	fflush(out);
	free(buf);
	free(rn.name);
	return 0;
}

static int dashboard_close(struct output *o)
{
	free(o);
	return 0;
}

static const struct output_ops dashboard_ops = {
	.name = "dashboard", .frame = dashboard_frame, .close = dashboard_close,
};

struct output *output_dashboard_open(FILE *out, int (*lines)(void))
{
	struct dashboard *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->base.ops = &dashboard_ops;
	d->out = out;
	d->lines = lines;
	return &d->base;
}
