// SPDX-License-Identifier: MIT
/*
 * The summary of a stored range (record_load.h): the intervals' counts
 * added, their histograms merged bucket by bucket (so percentiles are the
 * ones of the whole range, never an average of the intervals'), gauges
 * (inflight, labels, states) as of the last interval, the last few events
 * of each kind. Socket rows alike (as cli/net_frame.c's summary: counters
 * since the start, open streams and admitted routes the last reading's).
 * Over a whole recording this is the live summary exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/record_load.h"

/* As many of each kind as watch keeps (cli/watch.h WATCH_RECENT_PER_KIND). */
#define EVENTS_PER_KIND 5
#define EVENT_KINDS 3

struct merge_row {
	int64_t series;
	struct frame_row row;		/* op, target, label: the dict's (alive for the replay) */
	struct histogram lat, val;
	bool has_lat, has_val;
	int op_pos;			/* FRAME_OPS: its op's place, for the order */
	bool has_net;			/* a socket row: net, its dists in nh */
	struct frame_net net;
	struct histogram nh[4];		/* bytes in, out, SSE first event, duration */
};

struct merge_event {
	struct frame_event e;
	int64_t frame;
	size_t pos;
	char *op, *error_name, *text, *name;	/* owned */
};

struct record_merge {
	enum frame_source source;
	bool latency, any;
	struct merge_row *rows;
	size_t nr_rows, cap_rows;
	size_t *by_series;		/* series id -> rows index + 1 (0: none yet) */
	size_t nr_by_series;
	struct frame_op ops[OPS_MAX];
	char *op_names[OPS_MAX];
	size_t nr_ops;
	struct frame_state *states;
	struct state_rec *recs;
	size_t nr_states;
	struct merge_event ev[EVENT_KINDS][EVENTS_PER_KIND];
	size_t nr_ev[EVENT_KINDS];
	struct frame_count *drops;
	char **drop_names;
	size_t nr_drops;
	bool has_net_totals;
	struct frame_net_totals net_totals;
	struct output_frame f;
	/* the summary's own arrays, made by record_merge__frame */
	struct frame_row *out_rows;
	struct frame_event out_ev[EVENT_KINDS * EVENTS_PER_KIND];
};

int record_merge__new(struct record_merge **m, enum frame_source source, bool latency)
{
	if (!(*m = calloc(1, sizeof(**m))))
		return -ENOMEM;
	(*m)->source = source;
	(*m)->latency = latency;
	return 0;
}

static void merge_dist(struct frame_dist *into, struct histogram *h, bool *has,
		       const struct frame_dist *add, int *err)
{
	if (add->h) {
		*has = true;
		if (hist_merge(h, add->h))
			*err = -ENOMEM;
	}
	frame_fold_extreme(&into->has_min, &into->min, add->has_min, add->min, false);
	frame_fold_extreme(&into->has_max, &into->max, add->has_max, add->max, true);
}

static struct merge_row *row_of(struct record_merge *m, int64_t series, const struct frame_row *x)
{
	struct merge_row *r;
	size_t n;

	if ((size_t)series >= m->nr_by_series) {
		size_t cap = (size_t)series * 2 + 16;
		size_t *p = realloc(m->by_series, cap * sizeof(*p));

		if (!p)
			return NULL;
		memset(p + m->nr_by_series, 0, (cap - m->nr_by_series) * sizeof(*p));
		m->by_series = p;
		m->nr_by_series = cap;
	}
	if (m->by_series[series])
		return &m->rows[m->by_series[series] - 1];
	if (m->nr_rows == m->cap_rows) {
		n = m->cap_rows ? m->cap_rows * 2 : 64;
		if (!(r = realloc(m->rows, n * sizeof(*r))))
			return NULL;
		m->rows = r;
		m->cap_rows = n;
	}
	r = &m->rows[m->nr_rows++];
	memset(r, 0, sizeof(*r));
	r->series = series;
	r->row.op = x->op;
	r->row.target = x->target;
	r->row.has = x->has;
	r->row.label = x->label;
	m->by_series[series] = m->nr_rows;
	return r;
}

/* A socket row's extras: counters added, gauges the last, dists merged. */
static void merge_net(struct merge_row *r, const struct frame_net *x, int *err)
{
	struct frame_net *n = &r->net;
	bool has[4] = { false };	/* (nh's own: a socket row always has them) */
	int i;

	r->has_net = true;
	n->kind = x->kind;
	n->side = x->side;	/* static strings */
	n->client_errors += x->client_errors;
	n->rows += x->rows;
	merge_dist(&n->bytes_in, &r->nh[0], &has[0], &x->bytes_in, err);
	merge_dist(&n->bytes_out, &r->nh[1], &has[1], &x->bytes_out, err);
	n->sse |= x->sse;
	n->sse_s.opened += x->sse_s.opened;
	n->sse_s.closed += x->sse_s.closed;
	n->sse_s.events += x->sse_s.events;
	n->sse_s.open = x->sse_s.open;
	merge_dist(&n->sse_s.first_event, &r->nh[2], &has[2], &x->sse_s.first_event, err);
	merge_dist(&n->sse_s.duration, &r->nh[3], &has[3], &x->sse_s.duration, err);
	n->ws |= x->ws;
	n->ws_s.opened += x->ws_s.opened;
	n->ws_s.closed += x->ws_s.closed;
	n->ws_s.open = x->ws_s.open;
	for (i = 0; i < FRAME_WS_OPCODES; i++) {
		n->ws_s.frames_in[i] += x->ws_s.frames_in[i];
		n->ws_s.frames_out[i] += x->ws_s.frames_out[i];
	}
	n->ws_s.bytes_in += x->ws_s.bytes_in;
	n->ws_s.bytes_out += x->ws_s.bytes_out;
}

static int add_rows(struct record_merge *m, const struct record_frame *fr)
{
	int err = 0;
	size_t i;

	for (i = 0; i < fr->f.nr_rows && !err; i++) {
		const struct frame_row *x = &fr->f.rows[i];
		struct merge_row *r = row_of(m, fr->series[i], x);

		if (!r)
			return -ENOMEM;
		r->row.count += x->count;
		r->row.errors += x->errors;
		r->row.would_block += x->would_block;
		r->row.timeouts += x->timeouts;
		r->row.unmatched += x->unmatched;
		r->row.inflight = x->inflight;	/* a gauge: the last */
		merge_dist(&r->row.latency, &r->lat, &r->has_lat, &x->latency, &err);
		merge_dist(&r->row.value, &r->val, &r->has_val, &x->value, &err);
		if (x->net)
			merge_net(r, x->net, &err);
	}
	return err;
}

static int add_ops(struct record_merge *m, const struct record_frame *fr)
{
	size_t i, k;

	for (i = 0; i < fr->f.nr_ops; i++) {
		const struct frame_op *o = &fr->f.ops[i];

		for (k = 0; k < m->nr_ops && strcmp(m->op_names[k], o->op); k++)
			;
		if (k == m->nr_ops) {
			if (k == OPS_MAX)
				continue;
			if (!(m->op_names[k] = strdup(o->op)))
				return -ENOMEM;
			m->ops[k] = (struct frame_op){ .op = m->op_names[k] };
			m->nr_ops++;
		}
		m->ops[k].has = o->has;
		m->ops[k].paired = o->paired;
		m->ops[k].labelled = o->labelled;
		m->ops[k].unmatched += o->unmatched;
		m->ops[k].restarts += o->restarts;
		m->ops[k].labels = o->labels;	/* a gauge */
		m->ops[k].label_overflow += o->label_overflow;
	}
	return 0;
}

/* States are kept whole by the kernel: the last interval's are the range's. */
static int add_states(struct record_merge *m, const struct record_frame *fr)
{
	struct frame_state *s = NULL;
	struct state_rec *r = NULL;
	size_t i, n = fr->f.nr_states;

	if (n && (!(s = calloc(n, sizeof(*s))) || !(r = calloc(n, sizeof(*r))))) {
		free(s);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		s[i] = fr->f.states[i];	/* names: the dict's */
		r[i] = *fr->f.states[i].rec;
		s[i].rec = &r[i];
	}
	free(m->states);
	free(m->recs);
	m->states = s;
	m->recs = r;
	m->nr_states = n;
	return 0;
}

static void event_free(struct merge_event *e)
{
	free(e->op);
	free(e->error_name);
	free(e->text);
	free(e->name);
	memset(e, 0, sizeof(*e));
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = true;
	return d;
}

/* The last EVENTS_PER_KIND of each kind, as the live summary keeps them. */
static int add_events(struct record_merge *m, const struct record_frame *fr)
{
	bool oom = false;
	size_t i;

	for (i = 0; i < fr->f.events.nr; i++) {
		const struct frame_event *x = &fr->f.events.v[i];
		unsigned int k = (unsigned int)x->kind;
		struct merge_event *e;

		if (k >= EVENT_KINDS)
			continue;
		if (m->nr_ev[k] == EVENTS_PER_KIND) {
			event_free(&m->ev[k][0]);
			memmove(&m->ev[k][0], &m->ev[k][1], (EVENTS_PER_KIND - 1) * sizeof(m->ev[k][0]));
			m->nr_ev[k]--;
		}
		e = &m->ev[k][m->nr_ev[k]++];
		memset(e, 0, sizeof(*e));
		e->e = *x;
		e->frame = fr->id;
		e->pos = i;
		e->e.op = e->op = dup_or_null(x->op, &oom);
		e->e.error_name = e->error_name = dup_or_null(x->error_name, &oom);
		if (x->labelled) {
			e->e.label.text = e->text = dup_or_null(x->label.text, &oom);
			e->e.label.name = e->name = dup_or_null(x->label.name, &oom);
		}
	}
	m->f.events.present = fr->f.events.present;
	m->f.events.errors += fr->f.events.errors;
	m->f.events.slow += fr->f.events.slow;
	m->f.events.timeouts += fr->f.events.timeouts;
	m->f.events.lost += fr->f.events.lost;
	return oom ? -ENOMEM : 0;
}

static int add_drops(struct record_merge *m, const struct record_frame *fr)
{
	size_t i, k;

	for (i = 0; i < fr->f.nr_drops; i++) {
		for (k = 0; k < m->nr_drops && strcmp(m->drop_names[k], fr->f.drops[i].name); k++)
			;
		if (k == m->nr_drops) {
			struct frame_count *d = realloc(m->drops, (k + 1) * sizeof(*d));
			char **n;

			if (d)
				m->drops = d;
			n = realloc(m->drop_names, (k + 1) * sizeof(*n));
			if (n)
				m->drop_names = n;
			if (!d || !n || !(n[k] = strdup(fr->f.drops[i].name)))
				return -ENOMEM;
			m->drops[k] = (struct frame_count){ .name = n[k] };
			m->nr_drops++;
		}
		m->drops[k].n += fr->f.drops[i].n;
	}
	return 0;
}

int record_merge__add(struct record_merge *m, const struct record_frame *fr)
{
	int err = add_rows(m, fr);

	if (!err)
		err = add_ops(m, fr);
	if (!err)
		err = add_states(m, fr);
	if (!err)
		err = add_events(m, fr);
	if (!err)
		err = add_drops(m, fr);
	if (fr->f.net) {
		struct frame_net_totals *t = &m->net_totals;

		m->has_net_totals = true;
		t->ops = fr->f.net->ops;	/* gauges */
		t->labels = fr->f.net->labels;
		t->op_overflow += fr->f.net->op_overflow;
		t->label_overflow += fr->f.net->label_overflow;
		t->conns_opened += fr->f.net->conns_opened;
		t->conns_closed += fr->f.net->conns_closed;
	}
	m->any = true;
	m->f.interval_s += fr->f.interval_s;
	m->f.wall = fr->f.wall;
	m->f.mono_to_real_ns = fr->f.mono_to_real_ns;
	m->f.nr_machines = fr->f.nr_machines;
	m->f.probes_attached = fr->f.probes_attached;
	return err;
}

/* Socket rows as maps/net_drain.c sorts them: kind, side, op, label (`other` last). */
static int net_order(const struct merge_row *x, const struct merge_row *y)
{
	int c;

	if (x->net.kind != y->net.kind)
		return x->net.kind < y->net.kind ? -1 : 1;
	if ((c = strcmp(x->net.side, y->net.side)))
		return -c;	/* server first */
	if ((c = strcmp(x->row.op, y->row.op)))
		return c;
	if (x->row.label.kind != y->row.label.kind)
		return x->row.label.kind < y->row.label.kind ? -1 : 1;
	return strcmp(x->row.label.text, y->row.label.text);
}

/* FRAME_OPS rows as watch sorts them: op, label kind, label; socket rows after. */
static int ops_order(const void *a, const void *b)
{
	const struct merge_row *x = a, *y = b;
	uint64_t lx = (uint64_t)x->row.label.number, ly = (uint64_t)y->row.label.number;

	if (x->has_net != y->has_net)
		return x->has_net ? 1 : -1;
	if (x->has_net)
		return net_order(x, y);
	if (x->op_pos != y->op_pos)
		return x->op_pos < y->op_pos ? -1 : 1;
	if (x->row.label.kind != y->row.label.kind)
		return x->row.label.kind < y->row.label.kind ? -1 : 1;
	return (lx > ly) - (lx < ly);
}

static int event_order(const void *a, const void *b)
{
	const struct merge_event *x = a, *y = b;

	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

int record_merge__frame(struct record_merge *m, const struct output_frame **f)
{
	struct merge_event all[EVENT_KINDS * EVENTS_PER_KIND];
	size_t i, k, n = 0;

	if (m->source == FRAME_OPS) {
		for (i = 0; i < m->nr_rows; i++) {
			for (k = 0; k < m->nr_ops && strcmp(m->op_names[k], m->rows[i].row.op); k++)
				;
			m->rows[i].op_pos = (int)k;
			/* a row's unmatched is its op's (watch's op_totals) */
			if (k < m->nr_ops)
				m->rows[i].row.unmatched = m->ops[k].unmatched;
		}
		if (m->nr_rows)
			qsort(m->rows, m->nr_rows, sizeof(*m->rows), ops_order);
	}
	free(m->out_rows);
	if (!(m->out_rows = calloc(m->nr_rows ? m->nr_rows : 1, sizeof(*m->out_rows))))
		return -ENOMEM;
	for (i = 0; i < m->nr_rows; i++) {
		struct merge_row *r = &m->rows[i];

		m->by_series[r->series] = i + 1;	/* moved by the sort */
		m->out_rows[i] = r->row;
		m->out_rows[i].latency.h = r->has_lat ? &r->lat : NULL;
		m->out_rows[i].value.h = r->has_val ? &r->val : NULL;
		if (r->has_net) {
			/* every histogram a socket row has is there, as live */
			if (!m->out_rows[i].latency.h)
				m->out_rows[i].latency.h = &r->lat;
			r->net.bytes_in.h = &r->nh[0];
			r->net.bytes_out.h = &r->nh[1];
			r->net.sse_s.first_event.h = &r->nh[2];
			r->net.sse_s.duration.h = &r->nh[3];
			m->out_rows[i].net = &r->net;
		}
	}
	for (k = 0; k < EVENT_KINDS; k++)
		for (i = 0; i < m->nr_ev[k]; i++)
			all[n++] = m->ev[k][i];
	qsort(all, n, sizeof(all[0]), event_order);
	for (i = 0; i < n; i++)
		m->out_ev[i] = all[i].e;
	m->f.source = m->source;
	m->f.summary = true;
	m->f.shown = false;
	m->f.latency = m->latency;
	m->f.nr_rows = m->nr_rows;
	m->f.rows = m->out_rows;
	m->f.nr_ops = m->nr_ops;
	m->f.ops = m->ops;
	m->f.nr_states = m->nr_states;
	m->f.states = m->states;
	m->f.events.nr = n;
	m->f.events.v = m->out_ev;
	m->f.nr_drops = m->nr_drops;
	m->f.drops = m->drops;
	m->f.net = m->has_net_totals ? &m->net_totals : NULL;
	*f = &m->f;
	return 0;
}

void record_merge__free(struct record_merge *m)
{
	size_t i, k;

	if (!m)
		return;
	for (i = 0; i < m->nr_rows; i++) {
		hist_free(&m->rows[i].lat);
		hist_free(&m->rows[i].val);
		for (k = 0; k < 4; k++)
			hist_free(&m->rows[i].nh[k]);
	}
	for (k = 0; k < EVENT_KINDS; k++)
		for (i = 0; i < m->nr_ev[k]; i++)
			event_free(&m->ev[k][i]);
	for (i = 0; i < m->nr_ops; i++)
		free(m->op_names[i]);
	for (i = 0; i < m->nr_drops; i++)
		free(m->drop_names[i]);
	free(m->drop_names);
	free(m->drops);
	free(m->rows);
	free(m->by_series);
	free(m->states);
	free(m->recs);
	free(m->out_rows);
	free(m);
}
