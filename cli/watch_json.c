// SPDX-License-Identifier: MIT
/* `watch --json`: one NDJSON object per frame; the fields are in the README. */
#include <math.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "cli/report.h"
#include "cli/watch.h"

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* The exact 128-bit sum: an integer in the text whatever its size. */
static json_object *sum_json(const struct histogram *h)
{
	char digits[48];

	if (!h->sum_hi)
		return u64(h->sum);
	return json_object_new_double_s(hist_sum(h), hist_sum_text(h, digits, sizeof(digits)));
}

static json_object *dist_json(const struct histogram *h, bool extrema, uint64_t min,
			      uint64_t max)
{
	json_object *o = json_object_new_object();
	int i;

	put(o, "count", u64(h->count));
	put(o, "sum", sum_json(h));
	put(o, "mean", json_object_new_double(round(hist_mean(h) * 10) / 10));
	for (i = 0; i < NR_PCTS; i++)
		put(o, report_pct_names[i],
		    u64((uint64_t)llround(hist_percentile(h, report_pcts[i]))));
	if (extrema && h->count) {
		if (min != UINT64_MAX)
			put(o, "min", u64(min));
		put(o, "max", u64(max));
	}
	return o;
}

static json_object *label_json(const struct watch_frame *f, const struct op_key *k)
{
	char buf[OPS_STR_MAX + 8];

	if (k->kind == OPL_NONE)
		return NULL;	/* null: a fanout start no end labelled */
	if (k->kind == OPL_VALUE && !watch_label_is_string(f, k->op))
		return json_object_new_int64((int64_t)k->label);
	return json_object_new_string(watch_label_text(f, k, buf, sizeof(buf)));
}

static json_object *row_json(const struct watch_frame *f, const struct op_row *r)
{
	const struct op_spec *spec = f->prog->specs[r->key.op];
	const struct op_cfg *cfg = &f->prog->cfgs[r->key.op];
	json_object *o = json_object_new_object();

	put(o, "op", json_object_new_string(spec->name));
	if (cfg->flags & OPF_LABEL)
		put(o, "label", label_json(f, &r->key));
	put(o, "count", u64(r->calls));
	if (cfg->flags & OPF_ERROR) {
		put(o, "errors", u64(r->errors));
		put(o, "error_rate", json_object_new_double(
			r->calls ? round((double)r->errors / (double)r->calls * 1e4) / 1e4 : 0));
	}
	if (cfg->flags & OPF_WOULD_BLOCK)
		put(o, "would_block", u64(r->would_block));
	if (spec->paired) {
		put(o, "timeouts", u64(r->timeouts));
		put(o, "inflight", u64(r->inflight));
		if (!(cfg->flags & OPF_LABEL))
			put(o, "unmatched", u64(f->t->totals[r->key.op].unmatched));
	}
	if (cfg->flags & OPF_VALUE)
		put(o, "value", dist_json(&r->value, f->summary, r->value_min, r->value_max));
	if (cfg->flags & OPF_LATENCY)
		put(o, "latency_ns", dist_json(&r->lat, f->summary, UINT64_MAX, r->lat_max));
	return o;
}

/* Per op: what no single label row can carry. */
static json_object *totals_json(const struct watch_frame *f)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < f->prog->nr_ops; i++) {
		const struct op_totals *t = &f->t->totals[i];
		const struct op_spec *spec = f->prog->specs[i];
		json_object *o = json_object_new_object();

		put(o, "op", json_object_new_string(spec->name));
		if (spec->paired) {
			put(o, "unmatched", u64(t->unmatched));
			put(o, "restarts", u64(t->restarts));
		}
		if (f->prog->cfgs[i].flags & OPF_LABEL) {
			put(o, "labels", u64(t->labels < f->prog->cfgs[i].max_labels ?
					     t->labels : f->prog->cfgs[i].max_labels));
			put(o, "label_overflow", u64(t->label_overflow));
		}
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *state_json(const struct watch_frame *f, const struct state_row *s)
{
	const struct state_spec *st = f->prog->state_specs[s->key.state];
	const struct state_rec *r = &s->rec;
	json_object *o = json_object_new_object(), *tin = json_object_new_object();
	json_object *tr = json_object_new_array(), *rec = json_object_new_array();
	unsigned int a, b, cur = r->cur_since & (STATE_VALUES - 1);
	uint64_t i, first = r->recent_head > STATE_RECENT ? r->recent_head - STATE_RECENT : 0;
	char n1[16], n2[16], when[48];

	put(o, "machine", json_object_new_string(st->name));
	put(o, "pid", u64(s->key.pid));
	put(o, "current", json_object_new_string(watch_state_name(st, cur, n1, sizeof(n1))));
	put(o, "calls", u64(r->calls));
	for (a = 0; a < STATE_VALUES; a++)
		if (r->time_in[a] || a == cur)
			put(tin, watch_state_name(st, a, n1, sizeof(n1)), u64(r->time_in[a]));
	put(o, "time_in_ns", tin);
	for (a = 0; a < STATE_VALUES; a++)
		for (b = 0; b < STATE_VALUES; b++) {
			json_object *t;

			if (!r->trans[a][b])
				continue;
			t = json_object_new_object();
			put(t, "from", json_object_new_string(
				watch_state_name(st, a, n1, sizeof(n1))));
			put(t, "to", json_object_new_string(watch_state_name(st, b, n2, sizeof(n2))));
			put(t, "count", u64(r->trans[a][b]));
			json_object_array_add(tr, t);
		}
	put(o, "transitions", tr);
	for (i = first; i < r->recent_head; i++) {
		const struct state_transition *x = &r->recent[i % STATE_RECENT];
		json_object *t = json_object_new_object();

		watch_time_text(f, x->ts, when, sizeof(when));
		put(t, "time", json_object_new_string(when));
		put(t, "from", json_object_new_string(watch_state_name(st, x->from, n1, sizeof(n1))));
		put(t, "to", json_object_new_string(watch_state_name(st, x->to, n2, sizeof(n2))));
		json_object_array_add(rec, t);
	}
	put(o, "recent", rec);
	return o;
}

static const char *event_kind(__u32 flags)
{
	if (flags & WATCH_TIMEOUT)
		return "timeout";
	return flags & OPE_ERROR ? "error" : "slow";
}

static json_object *event_json(const struct watch_frame *f, const struct op_event *e)
{
	const struct op_cfg *cfg = &f->prog->cfgs[e->op < OPS_MAX ? e->op : 0];
	struct op_key k = { .op = e->op, .kind = e->label_kind, .label = e->label };
	json_object *o = json_object_new_object();
	char when[48];

	watch_time_text(f, e->ts, when, sizeof(when));
	put(o, "time", json_object_new_string(when));
	put(o, "op", json_object_new_string(f->prog->specs[e->op < f->prog->nr_ops ? e->op : 0]->name));
	put(o, "kind", json_object_new_string(event_kind(e->flags)));
	put(o, "slow", json_object_new_boolean(!!(e->flags & OPE_SLOW)));
	put(o, "pid", u64(e->pid));
	if (!(e->flags & WATCH_TIMEOUT)) {
		put(o, "tid", u64(e->tid));
		if (f->prog->returns[e->op])
			put(o, "ret", json_object_new_int64(e->ret));
		if (e->flags & OPE_ERROR)
			put(o, "error_value", json_object_new_int64(e->err_value));
	}
	if (cfg->flags & OPF_LABEL)
		put(o, "label", label_json(f, &k));
	put(o, "latency_ns", u64(e->latency_ns));
	return o;
}

static json_object *events_json(const struct watch_frame *f)
{
	const struct watch_events *ev = f->ev;
	json_object *o = json_object_new_object(), *recent = json_object_new_array();
	const struct watch_event *ev_recent[WATCH_RECENT];
	size_t n = watch_events__recent(ev, f->first_seq, ev_recent), i;

	put(o, "errors", u64(f->ev_errors));
	put(o, "slow", u64(f->ev_slow));
	put(o, "timeouts", u64(f->ev_timeouts));
	put(o, "lost", u64(f->t->drops[OPD_EVENTS_LOST]));
	for (i = 0; i < n; i++)
		json_object_array_add(recent, event_json(f, &ev_recent[i]->e));
	put(o, "recent", recent);
	return o;
}

void watch_json(FILE *out, const struct watch_frame *f)
{
	json_object *root = json_object_new_object(), *ops = json_object_new_array();
	json_object *drops = json_object_new_object(), *states = json_object_new_array();
	const struct op_table *t = f->t;
	struct timespec now;
	char when[48];
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	watch_time_text(f, (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec,
			when, sizeof(when));
	put(root, "time", json_object_new_string(when));
	put(root, "interval_s", json_object_new_double(round((double)t->time_ns / 1e6) / 1e3));
	for (i = 0; i < t->nr_rows; i++)
		json_object_array_add(ops, row_json(f, &t->rows[i]));
	put(root, "ops", ops);
	put(root, "op_totals", totals_json(f));
	for (i = 0; i < t->nr_states; i++)
		json_object_array_add(states, state_json(f, &t->states[i]));
	put(root, "states", states);
	put(root, "events", events_json(f));
	for (i = 0; i < OPD_NR; i++)
		put(drops, op_drop_name(i), u64(t->drops[i]));
	put(root, "drops", drops);
	if (f->summary)
		put(root, "summary", json_object_new_boolean(1));
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(out);
	json_object_put(root);
}
