// SPDX-License-Identifier: MIT
/* --json for watch's frames (FRAME_OPS): the fields are in the README. */
#include <math.h>
#include <string.h>
#include "output/ndjson.h"
#include "output/view.h"

#define put ndjson_put
#define u64 ndjson_u64

/* The exact 128-bit sum: an integer in the text whatever its size. */
static json_object *sum_json(const struct histogram *h)
{
	char digits[48];

	if (!h->sum_hi)
		return u64(h->sum);
	return json_object_new_double_s(hist_sum(h), hist_sum_text(h, digits, sizeof(digits)));
}

/* min and max in summaries only; watch's latency has never shown its min. */
static json_object *dist_json(const struct frame_dist *d, bool extrema, bool with_min)
{
	const struct histogram *h = d->h;
	json_object *o = json_object_new_object();
	int i;

	put(o, "count", u64(h->count));
	put(o, "sum", sum_json(h));
	put(o, "mean", json_object_new_double(round(hist_mean(h) * 10) / 10));
	for (i = 0; i < NR_PCTS; i++)
		put(o, view_pct_names[i], u64((uint64_t)llround(hist_percentile(h, view_pcts[i]))));
	if (extrema && with_min && h->count && d->has_min)
		put(o, "min", u64(d->min));
	if (extrema && h->count && d->has_max)
		put(o, "max", u64(d->max));
	return o;
}

static json_object *label_json(const struct frame_label *l)
{
	if (l->kind == FRAME_LABEL_NONE)
		return NULL;	/* null: a fanout start no end labelled */
	if (l->kind == FRAME_LABEL_VALUE && !l->is_string)
		return json_object_new_int64(l->number);
	return json_object_new_string(l->text);
}

static json_object *opcodes_json(const uint64_t *frames)
{
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < FRAME_WS_OPCODES; i++)
		put(o, frame_ws_opcode_names[i], u64(frames[i]));
	return o;
}

static uint64_t frames_total(const uint64_t *frames)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < FRAME_WS_OPCODES; i++)
		n += frames[i];
	return n;
}

/* A socket row's own fields after the common ones (README "http", "pg"). */
static void net_json(json_object *o, const struct output_frame *f, const struct frame_net *n)
{
	json_object *x;

	if (n->kind == FRAME_NET_PG_QUERY)
		put(o, "rows", u64(n->rows));
	if (n->kind != FRAME_NET_HTTP)
		return;
	put(o, "bytes_in", dist_json(&n->bytes_in, f->summary, false));
	put(o, "bytes_out", dist_json(&n->bytes_out, f->summary, false));
	if (n->sse) {
		x = json_object_new_object();
		put(x, "opened", u64(n->sse_s.opened));
		put(x, "closed", u64(n->sse_s.closed));
		put(x, "open", u64(n->sse_s.open));
		put(x, "events", u64(n->sse_s.events));
		put(x, "first_event_ns", dist_json(&n->sse_s.first_event, f->summary, false));
		put(x, "duration_ns", dist_json(&n->sse_s.duration, f->summary, false));
		put(o, "sse", x);
	}
	if (n->ws) {
		x = json_object_new_object();
		put(x, "opened", u64(n->ws_s.opened));
		put(x, "closed", u64(n->ws_s.closed));
		put(x, "open", u64(n->ws_s.open));
		put(x, "frames_in", u64(frames_total(n->ws_s.frames_in)));
		put(x, "frames_out", u64(frames_total(n->ws_s.frames_out)));
		put(x, "bytes_in", u64(n->ws_s.bytes_in));
		put(x, "bytes_out", u64(n->ws_s.bytes_out));
		put(x, "opcodes_in", opcodes_json(n->ws_s.frames_in));
		put(x, "opcodes_out", opcodes_json(n->ws_s.frames_out));
		put(o, "ws", x);
	}
}

static json_object *row_json(const struct output_frame *f, const struct frame_row *r)
{
	json_object *o = json_object_new_object();

	put(o, "op", json_object_new_string(r->op));
	if (r->has & FRAME_HAS_LABEL)
		put(o, "label", label_json(&r->label));
	if (r->net)
		put(o, "side", json_object_new_string(r->net->side));
	put(o, "count", u64(r->count));
	if (r->has & FRAME_HAS_ERRORS) {
		put(o, "errors", u64(r->errors));
		if (r->net && r->net->kind == FRAME_NET_HTTP)
			put(o, "client_errors", u64(r->net->client_errors));
		put(o, "error_rate", json_object_new_double(
			r->count ? round((double)r->errors / (double)r->count * 1e4) / 1e4 : 0));
	}
	if (r->has & FRAME_HAS_WOULD_BLOCK)
		put(o, "would_block", u64(r->would_block));
	if (r->has & FRAME_HAS_PAIRED) {
		put(o, "timeouts", u64(r->timeouts));
		put(o, "inflight", u64(r->inflight));
		if (r->has & FRAME_HAS_UNMATCHED)
			put(o, "unmatched", u64(r->unmatched));
	}
	if (r->has & FRAME_HAS_VALUE)
		put(o, "value", dist_json(&r->value, f->summary, true));
	if (r->has & FRAME_HAS_LATENCY)
		put(o, "latency_ns", dist_json(&r->latency, f->summary, false));
	if (r->net)
		net_json(o, f, r->net);
	return o;
}

/* The socket totals: the caps of routes and labels, connections followed. */
static json_object *net_totals_json(const struct frame_net_totals *t)
{
	json_object *o = json_object_new_object();

	put(o, "ops", u64(t->ops));
	put(o, "op_overflow", u64(t->op_overflow));
	put(o, "labels", u64(t->labels));
	put(o, "label_overflow", u64(t->label_overflow));
	put(o, "conns_opened", u64(t->conns_opened));
	put(o, "conns_closed", u64(t->conns_closed));
	return o;
}

/* Per op: what no single label row can carry. */
static json_object *totals_json(const struct output_frame *f)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < f->nr_ops; i++) {
		const struct frame_op *t = &f->ops[i];
		json_object *o = json_object_new_object();

		put(o, "op", json_object_new_string(t->op));
		if (t->paired) {
			put(o, "unmatched", u64(t->unmatched));
			put(o, "restarts", u64(t->restarts));
		}
		if (t->labelled) {
			put(o, "labels", u64(t->labels));
			put(o, "label_overflow", u64(t->label_overflow));
		}
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *state_json(const struct output_frame *f, const struct frame_state *s)
{
	const struct state_rec *r = s->rec;
	json_object *o = json_object_new_object(), *tin = json_object_new_object();
	json_object *tr = json_object_new_array(), *rec = json_object_new_array();
	unsigned int a, b, cur = frame_state_current(s);
	uint64_t i, first = r->recent_head > STATE_RECENT ? r->recent_head - STATE_RECENT : 0;
	char n1[16], n2[16], when[48];

	put(o, "machine", json_object_new_string(s->machine));
	put(o, "pid", u64(s->pid));
	put(o, "current", json_object_new_string(frame_state_name(s, cur, n1, sizeof(n1))));
	put(o, "calls", u64(r->calls));
	for (a = 0; a < STATE_VALUES; a++)
		if (r->time_in[a] || a == cur)
			put(tin, frame_state_name(s, a, n1, sizeof(n1)), u64(r->time_in[a]));
	put(o, "time_in_ns", tin);
	for (a = 0; a < STATE_VALUES; a++)
		for (b = 0; b < STATE_VALUES; b++) {
			json_object *t;

			if (!r->trans[a][b])
				continue;
			t = json_object_new_object();
			put(t, "from", json_object_new_string(frame_state_name(s, a, n1, sizeof(n1))));
			put(t, "to", json_object_new_string(frame_state_name(s, b, n2, sizeof(n2))));
			put(t, "count", u64(r->trans[a][b]));
			json_object_array_add(tr, t);
		}
	put(o, "transitions", tr);
	for (i = first; i < r->recent_head; i++) {
		const struct state_transition *x = &r->recent[i % STATE_RECENT];
		json_object *t = json_object_new_object();

		frame_time_text(frame_wall_ns(f, x->ts), when, sizeof(when));
		put(t, "time", json_object_new_string(when));
		put(t, "from", json_object_new_string(frame_state_name(s, x->from, n1, sizeof(n1))));
		put(t, "to", json_object_new_string(frame_state_name(s, x->to, n2, sizeof(n2))));
		json_object_array_add(rec, t);
	}
	put(o, "recent", rec);
	return o;
}

static const char *event_kind(enum frame_event_kind k)
{
	return k == FRAME_EV_TIMEOUT ? "timeout" : k == FRAME_EV_ERROR ? "error" : "slow";
}

static json_object *event_json(const struct frame_event *e)
{
	json_object *o = json_object_new_object();
	char when[48];

	frame_time_text(e->wall_ns, when, sizeof(when));
	put(o, "time", json_object_new_string(when));
	put(o, "op", json_object_new_string(e->op));
	put(o, "kind", json_object_new_string(event_kind(e->kind)));
	put(o, "slow", json_object_new_boolean(e->slow));
	put(o, "pid", u64(e->pid));
	if (e->kind != FRAME_EV_TIMEOUT) {
		put(o, "tid", u64(e->tid));
		if (e->has_ret)
			put(o, "ret", json_object_new_int64(e->ret));
		if (e->has_error_value)
			put(o, "error_value", json_object_new_int64(e->error_value));
	}
	if (e->labelled)
		put(o, "label", label_json(&e->label));
	put(o, "latency_ns", u64(e->latency_ns));
	return o;
}

static json_object *events_json(const struct frame_events *ev)
{
	json_object *o = json_object_new_object(), *recent = json_object_new_array();
	size_t i;

	put(o, "errors", u64(ev->errors));
	put(o, "slow", u64(ev->slow));
	put(o, "timeouts", u64(ev->timeouts));
	put(o, "lost", u64(ev->lost));
	for (i = 0; i < ev->nr; i++)
		json_object_array_add(recent, event_json(&ev->v[i]));
	put(o, "recent", recent);
	return o;
}

json_object *ndjson_ops_frame(const struct output_frame *f)
{
	json_object *root = json_object_new_object(), *ops = json_object_new_array();
	json_object *states = json_object_new_array();
	char when[48];
	size_t i;

	frame_time_text((uint64_t)f->wall.tv_sec * 1000000000ULL + (uint64_t)f->wall.tv_nsec,
			when, sizeof(when));
	put(root, "time", json_object_new_string(when));
	put(root, "interval_s", json_object_new_double(round(f->interval_s * 1e3) / 1e3));
	for (i = 0; i < f->nr_rows; i++)
		json_object_array_add(ops, row_json(f, &f->rows[i]));
	put(root, "ops", ops);
	put(root, "op_totals", totals_json(f));
	for (i = 0; i < f->nr_states; i++)
		json_object_array_add(states, state_json(f, &f->states[i]));
	put(root, "states", states);
	put(root, "events", events_json(&f->events));
	if (f->net)
		put(root, "net", net_totals_json(f->net));
	ndjson_close_frame(root, f);
	return root;
}
