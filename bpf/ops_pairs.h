/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/ops.bpf.c (included once, after ops_record.h): the two sides
 * of a paired op, A(KEY) -> B(KEY), through the global hash of open starts.
 */
#ifndef SYNCTRACE_OPS_PAIRS_H
#define SYNCTRACE_OPS_PAIRS_H

/* {op, key parts} of a side: its key expressions, or the thread without a key. */
static __always_inline void pair_key(const struct op_cfg *cfg, const struct site *s,
				     int start, struct op_start_key *k)
{
	k->op = s->op;
	k->pad = 0;
	if (!(cfg->flags & OPF_KEYED)) {
		k->key[0] = (__u32)bpf_get_current_pid_tgid();
		k->key[1] = 0;
		return;
	}
	k->key[0] = s->x[start ? OPS_SLOT_KEY_START : OPS_SLOT_KEY_END];
	k->key[1] = cfg->flags & OPF_KEY2 ? s->x[start ? OPS_SLOT_KEY_START2 : OPS_SLOT_KEY_END2] :
		    0;
}

static __always_inline void open_start(const struct op_cfg *cfg, const struct site *s, __u64 now)
{
	struct op_start_key k;
	struct op_start v = {
		.ts = now, .label = s->x[OPS_SLOT_LABEL], .value = s->x[OPS_SLOT_VALUE],
		.label_kind = cfg->flags & OPF_FANOUT ? OPL_NONE : s->label_kind,
		.pid = bpf_get_current_pid_tgid() >> 32,
	};
	struct op_totals *t;
	long err;

	pair_key(cfg, s, 1, &k);
	err = bpf_map_update_elem(&op_starts, &k, &v, BPF_NOEXIST);
	if (!err)
		return;
	if (err == -17 /* EEXIST: the key's previous start never ended */) {
		t = bpf_map_lookup_elem(&op_totals, &s->op);
		if (t)
			add_u64(&t->restarts, 1);
		if (!bpf_map_update_elem(&op_starts, &k, &v, BPF_EXIST))
			return;
	}
	drop(OPD_STARTS_FULL);
}

/* error= and would_block= of an end, now that it matched a start. */
static __always_inline void eval_outcome(const struct op_cfg *cfg, struct site *s)
{
	if (cfg->flags & OPF_ERROR)
		s->x[OPS_SLOT_ERROR] = eval_at(&cfg->x[OPS_SLOT_ERROR], s);
	if (cfg->flags & OPF_WOULD_BLOCK)
		s->x[OPS_SLOT_BLOCKED] = eval_at(&cfg->x[OPS_SLOT_BLOCKED], s);
}

/*
 * An end: its start, if open, is taken and the pair recorded. error= is
 * evaluated only then: an end that matches nothing (a PQgetResult that
 * returns NULL) must not read memory through it. With fanout, the start
 * stays for the next peer's end, and this end carries its own label.
 */
static __always_inline void close_start(const struct op_cfg *cfg, struct site *s, __u64 now)
{
	struct op_start_key k;
	struct op_start *p, v;
	struct op_totals *t;

	pair_key(cfg, s, 0, &k);
	p = bpf_map_lookup_elem(&op_starts, &k);
	if (p && (cfg->flags & OPF_FANOUT)) {
		v = *p;
		add_u64(&p->ends, 1);	/* answered: an expiry is no timeout */
		eval_outcome(cfg, s);
		record(cfg, s, s->x[OPS_SLOT_LABEL], s->label_kind, v.value,
		       now > v.ts ? now - v.ts : 0);
		return;
	}
	if (p) {
		v = *p;
		/* whoever deletes it owns it: a second end, or an expiry, loses */
		if (!bpf_map_delete_elem(&op_starts, &k)) {
			eval_outcome(cfg, s);
			record(cfg, s, v.label, v.label_kind, v.value, now > v.ts ? now - v.ts : 0);
			return;
		}
	}
	if (cfg->flags & OPF_IGNORE_UNMATCHED)
		return;	/* the end probe also ends other ops: a lone end is theirs */
	t = bpf_map_lookup_elem(&op_totals, &s->op);
	if (t)
		add_u64(&t->unmatched, 1);
}

#endif /* SYNCTRACE_OPS_PAIRS_H */
