// SPDX-License-Identifier: MIT
/*
 * The `watch` dashboard: State, Operations, Data volume, Latency, Recent
 * errors/slow calls, Drops. On a terminal each interval redraws the screen;
 * otherwise frames follow each other (the README shows one).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/report.h"
#include "cli/text_safe.h"
#include "cli/watch.h"

#define NAME_W 36
#define NAME_BUF 400	/* an op name, a label name, an escaped label, a tag */
#define DUR 16

static const char *dur(double ns, char *buf)
{
	return format_duration(buf, DUR, ns, UNIT_AUTO);
}

/*
 * "op [name label]": the label escaped and, when long, elided in the middle
 * to keep the columns; a tag of tag_digits hex digits of the label tells
 * apart labels that still read the same.
 */
static void render_name(const struct watch_frame *f, const struct op_key *k, int tag_digits,
			char *buf, size_t len)
{
	const struct op_spec *spec = f->prog->specs[k->op];
	char raw[OPS_STR_MAX + 24], label[4 * OPS_STR_MAX + 8], tag[24] = "";
	int room;

	if (!(f->prog->cfgs[k->op].flags & OPF_LABEL)) {
		snprintf(buf, len, "%s", spec->name);
		return;
	}
	if (tag_digits)
		snprintf(tag, sizeof(tag), " #%0*" PRIx64, tag_digits,
			 (uint64_t)(tag_digits < 16 ? k->label & ((1ULL << (4 * tag_digits)) - 1) :
				    k->label));
	room = NAME_W - (int)strlen(spec->name) - 3 - (int)strlen(tag) -
	       (spec->label_name[0] ? (int)strlen(spec->label_name) + 1 : 0);
	text_safe(label, sizeof(label), watch_label_text(f, k, raw, sizeof(raw)),
		  room > 8 ? (size_t)room : 8);
	if (k->kind != OPL_VALUE)	/* other, none: not values of the label */
		snprintf(buf, len, "%s [%s]", spec->name, label);
	else
		snprintf(buf, len, "%s [%s%s%s%s]", spec->name, spec->label_name,
			 spec->label_name[0] ? " " : "", label, tag);
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
static int row_names__make(struct row_names *rn, const struct watch_frame *f)
{
	size_t n = f->t->nr_rows, i, *order;
	int digits, clash = 1;

	rn->name = calloc(n ? n : 1, sizeof(*rn->name));
	order = calloc(n ? n : 1, sizeof(*order));
	if (!rn->name || !order) {
		free(order);
		return -1;
	}
	for (i = 0; i < n; i++)
		render_name(f, &f->t->rows[i].key, 0, rn->name[i], NAME_BUF);
	for (digits = 4; clash && digits <= 16; digits *= 2) {
		for (i = 0; i < n; i++)
			order[i] = i;
		qsort_r(order, n, sizeof(*order), by_name, rn->name);
		clash = 0;
		for (i = 0; i + 1 < n; i++) {
			size_t a = order[i], b = order[i + 1];

			if (strcmp(rn->name[a], rn->name[b]))
				continue;
			render_name(f, &f->t->rows[a].key, digits, rn->name[a], NAME_BUF);
			render_name(f, &f->t->rows[b].key, digits, rn->name[b], NAME_BUF);
			clash = 1;
		}
	}
	free(order);
	return 0;
}

static void states_section(FILE *out, const struct watch_frame *f)
{
	size_t i;

	if (!f->prog->nr_states)
		return;
	fprintf(out, "\nSTATE\n  %-16s %8s  %-14s %8s %6s  %s\n", "MACHINE", "PID", "CURRENT",
		"CALLS", "TRANS", "TIME IN EACH STATE");
	if (!f->t->nr_states)
		fprintf(out, "  (no state seen yet)\n");
	for (i = 0; i < f->t->nr_states; i++) {
		const struct state_row *s = &f->t->states[i];
		const struct state_spec *st = f->prog->state_specs[s->key.state];
		unsigned int v = s->rec.cur_since & (STATE_VALUES - 1);
		char n[16], d[DUR];

		fprintf(out, "  %-16s %8u  %-14s %8" PRIu64 " %6" PRIu64 " ", st->name, s->key.pid,
			watch_state_name(st, v, n, sizeof(n)), (uint64_t)s->rec.calls,
			(uint64_t)s->rec.recent_head);
		for (v = 0; v < STATE_VALUES; v++)
			if (s->rec.time_in[v])
				fprintf(out, " %s %s", watch_state_name(st, v, n, sizeof(n)),
					dur((double)s->rec.time_in[v], d));
		fputc('\n', out);
	}
}

static bool any_flag(const struct watch_frame *f, __u32 flag)
{
	size_t i;

	for (i = 0; i < f->prog->nr_ops; i++)
		if (f->prog->cfgs[i].flags & flag)
			return true;
	return false;
}

static void ops_section(FILE *out, const struct watch_frame *f, const struct row_names *rn,
			double secs)
{
	bool blocked = any_flag(f, OPF_WOULD_BLOCK);
	size_t i;

	fprintf(out, "\nOPERATIONS\n  %-*s %10s %10s %8s %7s %9s %9s%s\n", NAME_W, "OP [LABEL]",
		"COUNT", "RATE/S", "ERRORS", "ERR%", "TIMEOUTS", "INFLIGHT",
		blocked ? "   BLOCKED" : "");
	if (!f->t->nr_rows)
		fprintf(out, "  (no call seen yet)\n");
	for (i = 0; i < f->t->nr_rows; i++) {
		const struct op_row *r = &f->t->rows[i];
		const struct op_cfg *cfg = &f->prog->cfgs[r->key.op];
		bool paired = f->prog->specs[r->key.op]->paired;

		fprintf(out, "  %-*s %10" PRIu64 " %10.1f", NAME_W, rn->name[i], r->calls,
			secs > 0 ? (double)r->calls / secs : 0.0);
		if (cfg->flags & OPF_ERROR)
			fprintf(out, " %8" PRIu64 " %6.2f%%", r->errors,
				r->calls ? 100.0 * (double)r->errors / (double)r->calls : 0.0);
		else
			fprintf(out, " %8s %7s", "-", "-");
		if (paired)
			fprintf(out, " %9" PRIu64 " %9" PRIu64, r->timeouts, r->inflight);
		else
			fprintf(out, " %9s %9s", "-", "-");
		if (blocked && (cfg->flags & OPF_WOULD_BLOCK))
			fprintf(out, " %9" PRIu64, r->would_block);
		else if (blocked)
			fprintf(out, " %9s", "-");
		fputc('\n', out);
	}
}

static void values_section(FILE *out, const struct watch_frame *f, const struct row_names *rn)
{
	char sum[48];
	size_t i;

	if (!any_flag(f, OPF_VALUE))
		return;
	fprintf(out, "\nDATA VOLUME\n  %-*s %14s %12s %12s %12s\n", NAME_W, "OP [LABEL]", "SUM",
		"MEAN", "P50", "P99");
	for (i = 0; i < f->t->nr_rows; i++) {
		const struct op_row *r = &f->t->rows[i];

		if (!(f->prog->cfgs[r->key.op].flags & OPF_VALUE))
			continue;
		fprintf(out, "  %-*s %14s %12.1f %12.0f %12.0f\n", NAME_W, rn->name[i],
			hist_sum_text(&r->value, sum, sizeof(sum)), hist_mean(&r->value),
			hist_percentile(&r->value, 0.5), hist_percentile(&r->value, 0.99));
	}
}

static void latency_section(FILE *out, const struct watch_frame *f, const struct row_names *rn)
{
	char d[4][DUR];
	size_t i;

	if (!any_flag(f, OPF_LATENCY))
		return;
	fprintf(out, "\nLATENCY\n  %-*s %10s %10s %10s %10s\n", NAME_W, "OP [LABEL]", "P50",
		"P95", "P99", "MAX(RUN)");
	for (i = 0; i < f->t->nr_rows; i++) {
		const struct op_row *r = &f->t->rows[i];

		if (!(f->prog->cfgs[r->key.op].flags & OPF_LATENCY) || !r->lat.count)
			continue;
		fprintf(out, "  %-*s %10s %10s %10s %10s\n", NAME_W, rn->name[i],
			dur(hist_percentile(&r->lat, 0.50), d[0]),
			dur(hist_percentile(&r->lat, 0.95), d[1]),
			dur(hist_percentile(&r->lat, 0.99), d[2]), dur((double)r->lat_max, d[3]));
	}
}

static const char *kind_text(__u32 flags)
{
	if (flags & WATCH_TIMEOUT)
		return "timeout";
	if ((flags & OPE_ERROR) && (flags & OPE_SLOW))
		return "error+slow";
	return flags & OPE_ERROR ? "error" : "slow";
}

/* What an event says beyond its kind: the value that made it an error
 * ("arg2=1": a USDT probe has no return), or the return. */
static void event_detail(FILE *out, const struct watch_frame *f, const struct op_event *e)
{
	const struct op_spec *spec = f->prog->specs[e->op];

	if (e->flags & WATCH_TIMEOUT)
		return;
	fprintf(out, " tid %-7u", e->tid);
	if ((e->flags & OPE_ERROR) && spec->error.lhs.base != EXPR_RET)
		fprintf(out, " %s=%" PRId64, spec->error.lhs_text, (int64_t)e->err_value);
	else if (f->prog->returns[e->op])
		fprintf(out, " ret %-6" PRId64, (int64_t)e->ret);
}

/* The recent events, the newest max of them (all with max < 0). */
static void events_section(FILE *out, const struct watch_frame *f, int max)
{
	const struct watch_event *recent[WATCH_RECENT];
	size_t n = watch_events__recent(f->ev, 1, recent), i;
	char when[48], label[NAME_BUF], d[DUR];

	fprintf(out, "\nRECENT ERRORS / SLOW CALLS  (%" PRIu64 " errors, %" PRIu64 " slow, %"
		PRIu64 " timeouts, %" PRIu64 " lost; the last %d of each kind)\n", f->ev_errors,
		f->ev_slow, f->ev_timeouts, f->t->drops[OPD_EVENTS_LOST], WATCH_RECENT_PER_KIND);
	if (!n)
		fprintf(out, "  (none)\n");
	for (i = max >= 0 && (size_t)max < n ? n - (size_t)max : 0; i < n; i++) {
		const struct op_event *e = &recent[i]->e;
		struct op_key k = { .op = e->op, .kind = e->label_kind, .label = e->label };

		watch_time_text(f, e->ts, when, sizeof(when));
		render_name(f, &k, 0, label, sizeof(label));
		fprintf(out, "  %s %-*s %-10s pid %-7u", when + 11, NAME_W - 16, label,
			kind_text(e->flags), e->pid);
		event_detail(out, f, e);
		fprintf(out, " %s\n", e->latency_ns ? dur((double)e->latency_ns, d) : "");
	}
}

/* Drops and what the kernel could not pin on a label: only what is not zero. */
static void drops_section(FILE *out, const struct watch_frame *f)
{
	int n = 0;
	size_t i;

	fprintf(out, "\nDROPS ");
	for (i = 0; i < OPD_NR; i++)
		if (f->t->drops[i])
			fprintf(out, "%s%s %" PRIu64, n++ ? ", " : " ", op_drop_name(i),
				f->t->drops[i]);
	for (i = 0; i < f->prog->nr_ops; i++) {
		const struct op_totals *t = &f->t->totals[i];
		const char *op = f->prog->specs[i]->name;

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

static void frame(FILE *out, const struct watch_frame *f, const struct row_names *rn,
		  int max_events)
{
	double secs = (double)f->t->time_ns / 1e9;
	struct timespec now;
	char when[48];

	clock_gettime(CLOCK_MONOTONIC, &now);
	watch_time_text(f, (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec,
			when, sizeof(when));
	fprintf(out, "== synctrace watch  %.19s  %s %.1f s\n", when,
		f->summary ? "summary of the whole run," : "interval", secs);
	states_section(out, f);
	ops_section(out, f, rn, secs);
	values_section(out, f, rn);
	latency_section(out, f, rn);
	events_section(out, f, max_events);
	drops_section(out, f);
}

static int count_lines(const char *s, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

void watch_text(FILE *out, const struct watch_frame *f, int lines)
{
	const struct watch_event *recent[WATCH_RECENT];
	int shown = (int)watch_events__recent(f->ev, 1, recent), n;
	struct row_names rn = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	if (row_names__make(&rn, f)) {
		free(rn.name);
		return;
	}
	/* on a terminal the frame is drawn over the last one: it must fit, and what
	 * gives way is the list of recent events (the oldest first) */
	mem = lines > 0 ? open_memstream(&buf, &len) : NULL;
	if (mem) {
		frame(mem, f, &rn, -1);
		fclose(mem);
		n = count_lines(buf, len) - (lines - 1);
		if (n > 0) {
			free(buf);
			buf = NULL;
			mem = open_memstream(&buf, &len);
			if (mem) {
				frame(mem, f, &rn, shown - n > 0 ? shown - n : 0);
				fclose(mem);
			}
		}
		fputs("\033[H\033[2J", out);
		if (buf)
			fwrite(buf, 1, len, out);
	} else {
		fputc('\n', out);
		frame(out, f, &rn, -1);
	}
	fflush(out);
	free(buf);
	free(rn.name);
}
