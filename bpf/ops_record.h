/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/ops.bpf.c (included once, after its maps, struct site and
 * ops_eval.h): which expressions a site evaluates, labels admitted up to
 * their cap, and a finished op recorded: counters, histograms, events.
 */
#ifndef SYNCTRACE_OPS_RECORD_H
#define SYNCTRACE_OPS_RECORD_H

/*
 * The label in s->x[LABEL], admitted if known or while the op has room
 * (max_labels), else folded into `other`. The text of a string label is
 * stored once, for user space.
 */
static __always_inline void admit_label(const struct op_cfg *cfg, struct site *s)
{
	struct op_key k = { .op = s->op, .kind = OPL_VALUE, .label = s->x[OPS_SLOT_LABEL] };
	struct op_totals *t = bpf_map_lookup_elem(&op_totals, &s->op);
	const void *text = cfg->x[OPS_SLOT_LABEL].str || cfg->x[OPS_SLOT_LABEL].base == OPX_COMM ?
			   (const void *)s->text : zeroes();

	s->label_kind = OPL_VALUE;
	if (bpf_map_lookup_elem(&op_labels, &k) || !t || !text)
		return;
	if (t->labels < cfg->max_labels) {
		if (!bpf_map_update_elem(&op_labels, &k, text, BPF_NOEXIST)) {
			if (__sync_fetch_and_add(&t->labels, 1) < cfg->max_labels)
				return;
			bpf_map_delete_elem(&op_labels, &k);
		} else if (bpf_map_lookup_elem(&op_labels, &k)) {
			return;	/* another CPU admitted it just now */
		}
	}
	add_u64(&t->label_overflow, 1);
	s->label_kind = OPL_OTHER;
	s->x[OPS_SLOT_LABEL] = 0;
}

#define SLOT(i) (1U << (i))

/* The slots a role evaluates; error= and would_block= of an end only once it matched. */
static __always_inline __u32 role_slots(const struct op_cfg *cfg, __u32 role)
{
	switch (role) {
	case OP_ROLE_START:
		return SLOT(OPS_SLOT_KEY_START) | SLOT(OPS_SLOT_KEY_START2) |
		       (cfg->flags & OPF_FANOUT ? 0 : SLOT(OPS_SLOT_LABEL)) | SLOT(OPS_SLOT_VALUE);
	case OP_ROLE_END:
		/* a fanout start is answered by many peers: the end is labelled */
		return SLOT(OPS_SLOT_KEY_END) | SLOT(OPS_SLOT_KEY_END2) | SLOT(OPS_SLOT_WHEN) |
		       (cfg->flags & OPF_FANOUT ? SLOT(OPS_SLOT_LABEL) : 0);
	}
	return SLOT(OPS_SLOT_WHEN) | SLOT(OPS_SLOT_LABEL) | SLOT(OPS_SLOT_VALUE) |
	       SLOT(OPS_SLOT_ERROR) | SLOT(OPS_SLOT_BLOCKED);
}

static __always_inline int slot_used(const struct op_cfg *cfg, int slot)
{
	switch (slot) {
	case OPS_SLOT_KEY_START:
	case OPS_SLOT_KEY_END:
		return cfg->flags & OPF_KEYED;
	case OPS_SLOT_KEY_START2:
	case OPS_SLOT_KEY_END2:
		return cfg->flags & OPF_KEY2;
	case OPS_SLOT_LABEL:
		return cfg->flags & OPF_LABEL;
	case OPS_SLOT_VALUE:
		return cfg->flags & OPF_VALUE;
	case OPS_SLOT_WHEN:
		return cfg->flags & OPF_WHEN;
	case OPS_SLOT_BLOCKED:
		return cfg->flags & OPF_WOULD_BLOCK;
	}
	return cfg->flags & OPF_ERROR;
}

/* Evaluate the role's slots that belong to this moment (entry or return). */
static __always_inline void eval_slots(const struct op_cfg *cfg, struct site *s)
{
	__u32 want = role_slots(cfg, s->role);
	int i;

	for (i = 0; i < OPS_NR_SLOTS; i++) {
		if (!(want & SLOT(i)) || !slot_used(cfg, i) ||
		    cfg->x[i].at_return != s->at_return)
			continue;
		s->x[i] = eval_at(&cfg->x[i], s);
		if (i == OPS_SLOT_WHEN && rejected(cfg, s))
			return;	/* nothing more to read: the hit is ignored */
		if (i == OPS_SLOT_LABEL)
			admit_label(cfg, s);
	}
}

/* The entry of key in a hash, created from zero on first use; NULL when full. */
static __always_inline void *lookup_or_init(void *map, const void *k, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, k);

	if (v || !zero)
		return v;
	bpf_map_update_elem(map, k, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, k);
}

static __always_inline void *stats_of(void *map, const struct op_key *k, const void *zero)
{
	void *v = lookup_or_init(map, k, zero);

	if (!v)
		drop(OPD_STATS_FULL);
	return v;
}

static __always_inline void hist_add(void *map, struct op_key *k, __u64 v)
{
	struct op_hist *h = stats_of(map, k, zeroes());
	__u32 b = hist_bucket_index(v);

	if (!h)
		return;
	if (b >= HIST_NR_BUCKETS)
		b = HIST_LAST_BUCKET;	/* never: the bound is for the verifier */
	add_u64(&h->buckets[b], 1);
	/* the adder whose add wraps the sum is the one that carries */
	if (__sync_fetch_and_add(&h->sum, v) + v < v)
		add_u64(&h->sum_hi, 1);
}

static __always_inline void emit_event(const struct site *s, struct op_key *k, __u64 lat,
				       __u32 flags)
{
	struct op_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		drop(OPD_EVENTS_LOST);
		return;
	}
	e->ts = bpf_ktime_get_ns();
	e->latency_ns = lat;
	e->ret = (__s64)s->ret;
	e->err_value = (__s64)s->x[OPS_SLOT_ERROR];
	e->label = k->label;
	e->label_kind = k->kind;
	e->op = s->op;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->flags = flags;
	e->pad = 0;
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
			      events_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/*
 * One finished op: counters, histograms, and an event if it failed or was
 * slow. A call that would have blocked (would_block=) did no work: it is
 * counted, as such, and nothing else (no error, value or latency).
 */
static __always_inline void record(const struct op_cfg *cfg, const struct site *s,
				   __u64 label, __u32 label_kind, __u64 value, __u64 lat)
{
	struct op_key k = { .op = s->op, .kind = label_kind, .label = label };
	struct op_counters zero = {}, *c;
	__u32 ev = 0;

	c = stats_of(&op_stats, &k, &zero);
	if (!c)
		return;
	add_u64(&c->calls, 1);
	if ((cfg->flags & OPF_WOULD_BLOCK) &&
	    holds(cfg->block_cmp, (__s64)s->x[OPS_SLOT_BLOCKED], cfg->block_rhs)) {
		add_u64(&c->would_block, 1);
		return;
	}
	if ((cfg->flags & OPF_ERROR) &&
	    holds(cfg->error_cmp, (__s64)s->x[OPS_SLOT_ERROR], cfg->error_rhs)) {
		add_u64(&c->errors, 1);
		ev |= OPE_ERROR;
	}
	/* a failed call's value (SSL_read's -1) is no amount: it is left out */
	if ((cfg->flags & OPF_VALUE) && !(ev & OPE_ERROR)) {
		/* not atomic: a preemption race can only lose one min/max update */
		if (~value > c->value_min_inv)
			c->value_min_inv = ~value;
		if (value > c->value_max)
			c->value_max = value;
		hist_add(&op_val, &k, value);
	}
	if (cfg->flags & OPF_LATENCY) {
		hist_add(&op_lat, &k, lat);
		if (~lat > c->lat_min_inv)
			c->lat_min_inv = ~lat;
		if (lat > c->lat_max)
			c->lat_max = lat;
		if (cfg->slow_ns && lat >= cfg->slow_ns)
			ev |= OPE_SLOW;
	}
	if (ev)
		emit_event(s, &k, lat, ev);
}

#endif /* SYNCTRACE_OPS_RECORD_H */
