// SPDX-License-Identifier: MIT
/* A watch reading as an output frame (output/frame.h): rows, ops, states, events. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/watch.h"
#include "maps/ops_drain.h"

static bool label_is_string(const struct watch_frame *f, __u32 op)
{
	const struct op_spec *spec = f->prog->specs[op < f->prog->nr_ops ? op : 0];

	return spec->has_label && expr__is_string(&spec->label);
}

/* k's label into l, its text into buf (which l then points into). */
static void fill_label(const struct watch_frame *f, const struct op_key *k, char *buf, size_t len,
		       struct frame_label *l)
{
	const char *text;

	l->kind = k->kind == OPL_OTHER ? FRAME_LABEL_OTHER :
		  k->kind == OPL_NONE ? FRAME_LABEL_NONE : FRAME_LABEL_VALUE;
	l->is_string = label_is_string(f, k->op);
	l->number = (int64_t)k->label;
	l->name = f->prog->specs[k->op < f->prog->nr_ops ? k->op : 0]->label_name;
	if (k->kind == OPL_OTHER)
		snprintf(buf, len, "other");
	else if (k->kind == OPL_NONE)
		snprintf(buf, len, "none");
	else if (!l->is_string)
		snprintf(buf, len, "%" PRId64, (int64_t)k->label);
	else
		snprintf(buf, len, "%s", (text = op_names__find(f->names, k)) ? text : "?");
	l->text = buf;
}

static unsigned int has_of(const struct op_spec *spec, const struct op_cfg *cfg)
{
	unsigned int has = 0;

	if (cfg->flags & OPF_ERROR)
		has |= FRAME_HAS_ERRORS;
	if (cfg->flags & OPF_WOULD_BLOCK)
		has |= FRAME_HAS_WOULD_BLOCK;
	if (spec->paired)
		has |= FRAME_HAS_PAIRED | (cfg->flags & OPF_LABEL ? 0 : FRAME_HAS_UNMATCHED);
	if (cfg->flags & OPF_VALUE)
		has |= FRAME_HAS_VALUE;
	if (cfg->flags & OPF_LATENCY)
		has |= FRAME_HAS_LATENCY;
	if (cfg->flags & OPF_LABEL)
		has |= FRAME_HAS_LABEL;
	return has;
}

static void fill_row(struct watch_frame_out *o, const struct watch_frame *f, size_t i)
{
	const struct op_row *r = &f->t->rows[i];
	const struct op_spec *spec = f->prog->specs[r->key.op];
	struct frame_row *x = &o->rows[i];

	x->op = spec->name;
	x->has = has_of(spec, &f->prog->cfgs[r->key.op]);
	if (x->has & FRAME_HAS_LABEL)
		fill_label(f, &r->key, o->labels[i], sizeof(o->labels[i]), &x->label);
	x->count = r->calls;
	x->errors = r->errors;
	x->would_block = r->would_block;
	x->timeouts = r->timeouts;
	x->inflight = r->inflight;
	x->unmatched = f->t->totals[r->key.op].unmatched;
	x->value = (struct frame_dist){ .h = &r->value, .has_min = r->value_min != UINT64_MAX,
					.min = r->value_min, .has_max = true, .max = r->value_max };
	x->latency = (struct frame_dist){ .h = &r->lat, .has_min = r->lat_min != UINT64_MAX,
					  .min = r->lat_min, .has_max = true, .max = r->lat_max };
}

static void fill_ops(struct watch_frame_out *o, const struct watch_frame *f)
{
	size_t i;

	for (i = 0; i < f->prog->nr_ops; i++) {
		const struct op_totals *t = &f->t->totals[i];
		const struct op_cfg *cfg = &f->prog->cfgs[i];

		o->ops[i] = (struct frame_op){
			.op = f->prog->specs[i]->name, .has = has_of(f->prog->specs[i], cfg),
			.paired = f->prog->specs[i]->paired, .labelled = cfg->flags & OPF_LABEL,
			.unmatched = t->unmatched, .restarts = t->restarts,
			.labels = t->labels < cfg->max_labels ? t->labels : cfg->max_labels,
			.label_overflow = t->label_overflow,
		};
	}
}

static void fill_event(struct watch_frame_out *o, const struct watch_frame *f, size_t i,
		       const struct op_event *e)
{
	__u32 op = e->op < f->prog->nr_ops ? e->op : 0;
	const struct op_spec *spec = f->prog->specs[op];
	struct op_key k = { .op = op, .kind = e->label_kind, .label = e->label };
	struct frame_event *x = &o->events[i];
	bool timeout = e->flags & WATCH_TIMEOUT;

	x->wall_ns = (uint64_t)((int64_t)e->ts + f->mono_to_real_ns);
	x->op = spec->name;
	x->kind = timeout ? FRAME_EV_TIMEOUT : e->flags & OPE_ERROR ? FRAME_EV_ERROR : FRAME_EV_SLOW;
	x->slow = e->flags & OPE_SLOW;
	x->pid = e->pid;
	x->tid = timeout ? 0 : e->tid;
	x->has_ret = !timeout && f->prog->returns[op];
	x->ret = e->ret;
	x->has_error_value = !timeout && (e->flags & OPE_ERROR);
	x->error_value = e->err_value;
	x->error_name = x->has_error_value && spec->error.lhs.base != EXPR_RET ?
			spec->error.lhs_text : NULL;
	x->labelled = f->prog->cfgs[op].flags & OPF_LABEL;
	if (x->labelled)
		fill_label(f, &k, o->event_labels[i], sizeof(o->event_labels[i]), &x->label);
	x->latency_ns = e->latency_ns;
}

int watch_frame__fill(struct watch_frame_out *o, const struct watch_frame *f)
{
	const struct watch_event *recent[WATCH_RECENT];
	const struct op_table *t = f->t;
	struct timespec now;
	size_t i, n;

	memset(o, 0, sizeof(*o));
	o->rows = calloc(t->nr_rows ? t->nr_rows : 1, sizeof(*o->rows));
	o->labels = calloc(t->nr_rows ? t->nr_rows : 1, sizeof(*o->labels));
	o->states = calloc(t->nr_states ? t->nr_states : 1, sizeof(*o->states));
	if (!o->rows || !o->labels || !o->states) {
		watch_frame__free(o);
		return -ENOMEM;
	}
	for (i = 0; i < t->nr_rows; i++)
		fill_row(o, f, i);
	fill_ops(o, f);
	for (i = 0; i < t->nr_states; i++) {
		const struct state_spec *st = f->prog->state_specs[t->states[i].key.state];

		o->states[i] = (struct frame_state){
			.machine = st->name, .pid = t->states[i].key.pid,
			.names = (const char *const *)st->names, .nr_names = st->nr_names,
			.rec = &t->states[i].rec,
		};
	}
	n = watch_events__recent(f->ev, f->first_seq, recent);
	for (i = 0; i < n; i++)
		fill_event(o, f, i, &recent[i]->e);
	for (i = 0; i < OPD_NR; i++)
		o->drops[i] = (struct frame_count){ op_drop_name((unsigned int)i), t->drops[i] };
	clock_gettime(CLOCK_MONOTONIC, &now);
	o->f = (struct output_frame){
		.source = FRAME_OPS, .summary = f->summary, .shown = f->shown,
		.interval_s = (double)t->time_ns / 1e9, .mono_to_real_ns = f->mono_to_real_ns,
		.nr_rows = t->nr_rows, .rows = o->rows, .nr_ops = f->prog->nr_ops, .ops = o->ops,
		.nr_machines = (unsigned int)f->prog->nr_states,
		.nr_states = t->nr_states, .states = o->states,
		.events = { .present = true, .errors = f->ev_errors, .slow = f->ev_slow,
			    .timeouts = f->ev_timeouts, .lost = t->drops[OPD_EVENTS_LOST],
			    .nr = n, .v = o->events },
		.nr_drops = OPD_NR, .drops = o->drops,
		.probes_attached = f->probes_attached,
	};
	n = (size_t)((int64_t)(now.tv_sec * 1000000000LL + now.tv_nsec) + f->mono_to_real_ns);
	o->f.wall.tv_sec = (time_t)(n / 1000000000);
	o->f.wall.tv_nsec = (long)(n % 1000000000);
	return 0;
}

void watch_frame__free(struct watch_frame_out *o)
{
	free(o->rows);
	free(o->labels);
	free(o->states);
	memset(o, 0, sizeof(*o));
}
