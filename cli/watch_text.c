// SPDX-License-Identifier: MIT
/*
 * The `watch` dashboard: State, Operations, Data volume, Latency, Recent
 * errors/slow calls, Drops. On a terminal each interval redraws the screen;
 * otherwise frames follow each other (the README shows one).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli/report.h"
#include "cli/watch.h"

#define NAME_W 36

static const char *dur(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

static const char *row_name(const struct watch_frame *f, const struct op_key *k, char *buf,
			    size_t len)
{
	char label[OPS_STR_MAX + 8];

	const char *name = f->prog->specs[k->op]->name, *l;
	int room;

	if (!(f->prog->cfgs[k->op].flags & OPF_LABEL)) {
		snprintf(buf, len, "%s", name);
		return buf;
	}
	/* a long label (a statement's text) is cut to keep the columns */
	l = watch_label_text(f, k, label, sizeof(label));
	room = NAME_W - (int)strlen(name) - 3;
	if ((int)strlen(l) > room && room > 4)
		snprintf(buf, len, "%s [%.*s..]", name, room - 2, l);
	else
		snprintf(buf, len, "%s [%s]", name, l);
	return buf;
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
		char n[16], d[16];

		fprintf(out, "  %-16s %8u  %-14s %8" PRIu64 " %6" PRIu64 " ", st->name, s->key.pid,
			watch_state_name(st, v, n, sizeof(n)), (uint64_t)s->rec.calls,
			(uint64_t)s->rec.recent_head);
		for (v = 0; v < STATE_VALUES; v++)
			if (s->rec.time_in[v])
				fprintf(out, " %s %s", watch_state_name(st, v, n, sizeof(n)),
					dur((double)s->rec.time_in[v], d, sizeof(d)));
		fputc('\n', out);
	}
}

static void ops_section(FILE *out, const struct watch_frame *f, double secs)
{
	char name[NAME_W + OPS_STR_MAX];
	size_t i;

	fprintf(out, "\nOPERATIONS\n  %-*s %10s %10s %8s %7s %9s %9s\n", NAME_W, "OP [LABEL]",
		"COUNT", "RATE/S", "ERRORS", "ERR%", "TIMEOUTS", "INFLIGHT");
	if (!f->t->nr_rows)
		fprintf(out, "  (no call seen yet)\n");
	for (i = 0; i < f->t->nr_rows; i++) {
		const struct op_row *r = &f->t->rows[i];
		const struct op_cfg *cfg = &f->prog->cfgs[r->key.op];
		bool paired = f->prog->specs[r->key.op]->paired;

		fprintf(out, "  %-*s %10" PRIu64 " %10.1f", NAME_W,
			row_name(f, &r->key, name, sizeof(name)), r->calls,
			secs > 0 ? (double)r->calls / secs : 0.0);
		if (cfg->flags & OPF_ERROR)
			fprintf(out, " %8" PRIu64 " %6.2f%%", r->errors,
				r->calls ? 100.0 * (double)r->errors / (double)r->calls : 0.0);
		else
			fprintf(out, " %8s %7s", "-", "-");
		if (paired)
			fprintf(out, " %9" PRIu64 " %9" PRIu64 "\n", r->timeouts, r->inflight);
		else
			fprintf(out, " %9s %9s\n", "-", "-");
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

static void values_section(FILE *out, const struct watch_frame *f)
{
	char name[NAME_W + OPS_STR_MAX], sum[48];
	size_t i;

	if (!any_flag(f, OPF_VALUE))
		return;
	fprintf(out, "\nDATA VOLUME\n  %-*s %14s %12s %12s %12s\n", NAME_W, "OP [LABEL]", "SUM",
		"MEAN", "P50", "P99");
	for (i = 0; i < f->t->nr_rows; i++) {
		const struct op_row *r = &f->t->rows[i];

		if (!(f->prog->cfgs[r->key.op].flags & OPF_VALUE))
			continue;
		fprintf(out, "  %-*s %14s %12.1f %12.0f %12.0f\n", NAME_W,
			row_name(f, &r->key, name, sizeof(name)),
			hist_sum_text(&r->value, sum, sizeof(sum)),
			hist_mean(&r->value), hist_percentile(&r->value, 0.5),
			hist_percentile(&r->value, 0.99));
	}
}

static void latency_section(FILE *out, const struct watch_frame *f)
{
	char name[NAME_W + OPS_STR_MAX], d[4][16];
	size_t i;

	if (!any_flag(f, OPF_LATENCY))
		return;
	fprintf(out, "\nLATENCY\n  %-*s %10s %10s %10s %10s\n", NAME_W, "OP [LABEL]", "P50",
		"P95", "P99", "MAX(RUN)");
	for (i = 0; i < f->t->nr_rows; i++) {
		const struct op_row *r = &f->t->rows[i];

		if (!(f->prog->cfgs[r->key.op].flags & OPF_LATENCY) || !r->lat.count)
			continue;
		fprintf(out, "  %-*s %10s %10s %10s %10s\n", NAME_W,
			row_name(f, &r->key, name, sizeof(name)),
			dur(hist_percentile(&r->lat, 0.50), d[0], sizeof(d[0])),
			dur(hist_percentile(&r->lat, 0.95), d[1], sizeof(d[1])),
			dur(hist_percentile(&r->lat, 0.99), d[2], sizeof(d[2])),
			dur((double)r->lat_max, d[3], sizeof(d[3])));
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

static void events_section(FILE *out, const struct watch_frame *f)
{
	const struct watch_events *ev = f->ev;
	uint64_t s = ev->seq > WATCH_RECENT ? ev->seq - WATCH_RECENT + 1 : 1;
	char when[48], label[OPS_STR_MAX + 8], d[16];

	fprintf(out, "\nRECENT ERRORS / SLOW CALLS  (%" PRIu64 " errors, %" PRIu64 " slow, %"
		PRIu64 " timeouts, %" PRIu64 " lost)\n", f->ev_errors, f->ev_slow, f->ev_timeouts,
		f->t->drops[OPD_EVENTS_LOST]);
	if (!ev->seq)
		fprintf(out, "  (none)\n");
	for (; s <= ev->seq; s++) {
		const struct op_event *e = &ev->recent[(s - 1) % WATCH_RECENT].e;
		struct op_key k = { .op = e->op, .kind = e->label_kind, .label = e->label };

		watch_time_text(f, e->ts, when, sizeof(when));
		fprintf(out, "  %s %-16s %-10s pid %-7u", when + 11, f->prog->specs[e->op]->name,
			kind_text(e->flags), e->pid);
		if (!(e->flags & WATCH_TIMEOUT))
			fprintf(out, " tid %-7u ret %-6" PRId64, e->tid, (int64_t)e->ret);
		if (f->prog->cfgs[e->op].flags & OPF_LABEL)
			fprintf(out, " [%s]", watch_label_text(f, &k, label, sizeof(label)));
		fprintf(out, " %s\n", e->latency_ns ? dur((double)e->latency_ns, d, sizeof(d)) : "");
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

void watch_text(FILE *out, const struct watch_frame *f, bool redraw)
{
	double secs = (double)f->t->time_ns / 1e9;
	char when[48];
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	watch_time_text(f, (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec,
			when, sizeof(when));
	if (redraw)
		fputs("\033[H\033[2J", out);
	else
		fputc('\n', out);
	fprintf(out, "== synctrace watch  %.19s  %s %.1f s\n", when,
		f->summary ? "summary of the whole run," : "interval", secs);
	states_section(out, f);
	ops_section(out, f, secs);
	values_section(out, f);
	latency_section(out, f);
	events_section(out, f);
	drops_section(out, f);
	fflush(out);
}
