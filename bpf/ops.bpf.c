// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half of ops (`watch`): generic entry and return programs; the
 * cookie names the op (or state machine), the site's role, whether the work
 * waits for the return, and the site's USDT argument spec. The op's
 * expressions come from array maps filled before attach. Layouts are in
 * maps/ops.h, the design in docs/OPS-KERNEL.md.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps/ops.h"

char LICENSE[] SEC("license") = "GPL";

/* Submits wake user space up only once this much is waiting: a flood of
 * events then costs no wakeup each. Set before load. */
const volatile __u64 events_wakeup_bytes = 65536;

/* With follow_root, only that process and its descendants are traced (the
 * probes are attached for every process); the task_struct offsets come
 * from the kernel's BTF. Set before load. */
const volatile __u32 follow_root = 0;
const volatile __u32 task_real_parent_off = 0;
const volatile __u32 task_tgid_off = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OPS_MAX);
	__type(key, __u32);
	__type(value, struct op_cfg);
} op_cfgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OPS_STATES_MAX);
	__type(key, __u32);
	__type(value, struct state_cfg);
} state_cfgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OPS_USDT_SPECS);
	__type(key, __u32);
	__type(value, struct op_usdt_spec);
} usdt_specs SEC(".maps");

/*
 * The hashes that get new keys while tracing are preallocated (sized
 * before load for the ops at hand): an element allocated in a uprobe can
 * fail under a burst of new keys, and a lost sample is worse than memory.
 * Counters are per CPU; histograms, 4.7 KiB each, are shared (their adds
 * are atomic either way), so their memory does not grow with the CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1); /* rows: ops x (labels + other), resized before load */
	__type(key, struct op_key);
	__type(value, struct op_counters);
} op_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct op_key);
	__type(value, struct op_hist);
} op_lat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct op_key);
	__type(value, struct op_hist);
} op_val SEC(".maps");

/* The labels admitted, with the text of string labels. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct op_key);
	__type(value, struct op_label_text);
} op_labels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OPS_MAX);
	__type(key, __u32);
	__type(value, struct op_totals);
} op_totals SEC(".maps");

/* Open starts of paired ops: a plain hash, so that nothing is evicted
 * silently; user space expires them after the op's timeout. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct op_start_key);
	__type(value, struct op_start);
} op_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct state_key);
	__type(value, struct state_rec);
} states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Zeroes to create entries from: a histogram is too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct op_hist);
} zeros SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OPD_NR);
	__type(key, __u32);
	__type(value, __u64);
} op_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct op_frames);
} op_frames SEC(".maps");

/* Per thread: 1 in follow_root's tree, 2 not, 0 not known yet. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} in_tree SEC(".maps");

/* One firing of a site, as it goes through the program. */
struct site {
	__u32 op, role;
	__u32 label_kind;
	__u32 at_return;	/* evaluating the return's expressions */
	__u64 ret;
	__u64 args[OPS_ARGS];
	__u64 x[OPS_NR_SLOTS];
	char text[OPS_STR_MAX];	/* the last string expression read */
};

static __always_inline void add_u64(__u64 *p, __u64 v)
{
	__sync_fetch_and_add(p, v);
}

static __always_inline void drop(__u32 reason)
{
	__u64 *d = bpf_map_lookup_elem(&op_drops, &reason);

	if (d)
		add_u64(d, 1);
}

static __always_inline const void *zeroes(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&zeros, &k);
}

#include "bpf/ops_eval.h"

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

/* The slots a role evaluates. */
static __always_inline __u32 role_slots(__u32 role)
{
	switch (role) {
	case OP_ROLE_START:
		return 1U << OPS_SLOT_KEY_START | 1U << OPS_SLOT_LABEL | 1U << OPS_SLOT_VALUE;
	case OP_ROLE_END:
		/* error=: once it matched (close_start) */
		return 1U << OPS_SLOT_KEY_END | 1U << OPS_SLOT_WHEN;
	}
	return 1U << OPS_SLOT_WHEN | 1U << OPS_SLOT_LABEL | 1U << OPS_SLOT_VALUE |
	       1U << OPS_SLOT_ERROR;
}

static __always_inline int slot_used(const struct op_cfg *cfg, int slot)
{
	switch (slot) {
	case OPS_SLOT_KEY_START:
	case OPS_SLOT_KEY_END:
		return cfg->flags & OPF_KEYED;
	case OPS_SLOT_LABEL:
		return cfg->flags & OPF_LABEL;
	case OPS_SLOT_VALUE:
		return cfg->flags & OPF_VALUE;
	case OPS_SLOT_WHEN:
		return cfg->flags & OPF_WHEN;
	}
	return cfg->flags & OPF_ERROR;
}

/* Evaluate the role's slots that belong to this moment (entry or return). */
static __always_inline void eval_slots(const struct op_cfg *cfg, struct site *s)
{
	__u32 want = role_slots(s->role);
	int i;

	for (i = 0; i < OPS_NR_SLOTS; i++) {
		if (!(want & (1U << i)) || !slot_used(cfg, i) ||
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

/* One finished op: counters, histograms, and an event if it failed or was slow. */
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

static __always_inline __u64 pair_key(const struct op_cfg *cfg, const struct site *s, int slot)
{
	return cfg->flags & OPF_KEYED ? s->x[slot & 7] : (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void open_start(const struct op_cfg *cfg, const struct site *s, __u64 now)
{
	struct op_start_key k = { .op = s->op, .key = pair_key(cfg, s, OPS_SLOT_KEY_START) };
	struct op_start v = {
		.ts = now, .label = s->x[OPS_SLOT_LABEL], .value = s->x[OPS_SLOT_VALUE],
		.label_kind = s->label_kind, .pid = bpf_get_current_pid_tgid() >> 32,
	};
	struct op_totals *t;
	long err = bpf_map_update_elem(&op_starts, &k, &v, BPF_NOEXIST);

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

/*
 * An end: its start, if open, is taken and the pair recorded. error= is
 * evaluated only then: an end that matches nothing (a PQgetResult that
 * returns NULL) must not read memory through it.
 */
static __always_inline void close_start(const struct op_cfg *cfg, struct site *s, __u64 now)
{
	struct op_start_key k = { .op = s->op, .key = pair_key(cfg, s, OPS_SLOT_KEY_END) };
	struct op_start *p = bpf_map_lookup_elem(&op_starts, &k), v;
	struct op_totals *t;

	if (p) {
		v = *p;
		/* whoever deletes it owns it: a second end, or an expiry, loses */
		if (!bpf_map_delete_elem(&op_starts, &k)) {
			if (cfg->flags & OPF_ERROR)
				s->x[OPS_SLOT_ERROR] = eval_at(&cfg->x[OPS_SLOT_ERROR], s);
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

/* The site's work, once every expression it needs is known. */
static __always_inline void finish(struct site *s, __u64 start_ts, __u64 now)
{
	const struct op_cfg *cfg = bpf_map_lookup_elem(&op_cfgs, &s->op);

	if (!cfg)
		return;
	eval_slots(cfg, s);
	if (rejected(cfg, s))
		return;
	switch (s->role) {
	case OP_ROLE_CALL:
		record(cfg, s, s->x[OPS_SLOT_LABEL], s->label_kind, s->x[OPS_SLOT_VALUE],
		       now - start_ts);
		break;
	case OP_ROLE_EVENT:
		record(cfg, s, s->x[OPS_SLOT_LABEL], s->label_kind, s->x[OPS_SLOT_VALUE], 0);
		break;
	case OP_ROLE_START:
		open_start(cfg, s, now);
		break;
	case OP_ROLE_END:
		close_start(cfg, s, now);
		break;
	}
}

#include "bpf/ops_states.h"

static __always_inline void push_frame(struct pt_regs *ctx, struct site *s, __u64 cookie)
{
	struct op_frames *st;
	struct op_frame *f;
	__u32 d;

	st = bpf_task_storage_get(&op_frames, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	d = st->depth;
	if (d >= OPS_FRAME_DEPTH) {
		drop(OPD_DEPTH_OVERFLOW);
		return;
	}
	f = &st->f[d & (OPS_FRAME_DEPTH - 1)];
	f->sp = PT_REGS_SP(ctx);
	f->cookie_op = OP_COOKIE_FRAME_ID(cookie);
	f->label_kind = s->label_kind;
	__builtin_memcpy(f->args, s->args, sizeof(f->args));
	__builtin_memcpy(f->x, s->x, sizeof(f->x));
	f->ts = bpf_ktime_get_ns();
	st->depth = d + 1;
}

/*
 * Is the current thread's process follow_root or one of its descendants?
 * Walked up the real_parent chain once per thread, then remembered in task
 * storage (which goes with the thread: a recycled pid is a new task).
 */
static __always_inline int traced_here(void)
{
	__u32 *verdict, tgid, i;
	__u64 task;

	if (!follow_root)
		return 1;
	verdict = bpf_task_storage_get(&in_tree, bpf_get_current_task_btf(), 0,
				       BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!verdict)
		return 0;
	if (*verdict)
		return *verdict == 1;
	*verdict = 2;
	task = bpf_get_current_task();
	for (i = 0; i < 64; i++) {
		if (bpf_probe_read_kernel(&tgid, sizeof(tgid), (void *)(task + task_tgid_off)))
			break;
		if (tgid == follow_root) {
			*verdict = 1;
			break;
		}
		if (tgid <= 1 || bpf_probe_read_kernel(&task, sizeof(task),
						       (void *)(task + task_real_parent_off)))
			break;
	}
	return *verdict == 1;
}

SEC("uprobe")
int op_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	const struct op_cfg *cfg;
	struct site s = {};

	if (!traced_here())
		return 0;

	s.op = OP_COOKIE_OP(cookie);
	s.role = OP_COOKIE_ROLE(cookie);
	if (OP_COOKIE_USDT(cookie))
		usdt_args(ctx, OP_COOKIE_USDT(cookie) - 1, s.args);
	else
		reg_args(ctx, s.args);
	if (s.role == OP_ROLE_STATE) {
		set_state(&s);
		return 0;
	}
	if (!(cookie & OP_COOKIE_AT_RETURN)) {
		finish(&s, 0, bpf_ktime_get_ns());
		return 0;
	}
	cfg = bpf_map_lookup_elem(&op_cfgs, &s.op);
	if (!cfg)
		return 0;
	eval_slots(cfg, &s);
	push_frame(ctx, &s, cookie);
	return 0;
}

/*
 * The return register as ret. A function returning int leaves its result
 * zero-extended in rax (-1 reads 0xffffffff), so a value whose upper half
 * is zero is sign-extended from 32 bits: ret<0 then works for int and for
 * 64-bit results alike (a 64-bit result in [2^31, 2^32) reads negative).
 */
static __always_inline __u64 return_value(struct pt_regs *ctx)
{
	__u64 ret = PT_REGS_RC(ctx);

	return ret >> 32 ? ret : (__u64)(__s64)(__s32)ret;
}

/*
 * The frame of this return: frames above the entry's stack pointer belong
 * to calls that never returned (longjmp) and are dropped; among the frames
 * of this very call (several ops may probe one function) the one of this
 * site's op and role is taken out. Returns 0 with the frame in *out.
 */
static __always_inline int pop_frame(struct pt_regs *ctx, __u32 cookie_op, struct site *out,
				     __u64 *ts)
{
	__u64 entry_sp = PT_REGS_SP(ctx) - 8;
	struct op_frames *st;
	struct op_frame *f, *top;
	__u32 d, i;

	st = bpf_task_storage_get(&op_frames, bpf_get_current_task_btf(), 0, 0);
	if (!st)
		return -1;
	for (i = 0; i < OPS_FRAME_DEPTH; i++) {
		d = st->depth;
		if (d == 0 || d > OPS_FRAME_DEPTH)
			return -1;
		if (st->f[(d - 1) & (OPS_FRAME_DEPTH - 1)].sp >= entry_sp)
			break;
		st->depth = d - 1; /* a deeper call that never returned */
	}
	for (i = 0; i < OPS_FRAME_DEPTH; i++) {
		d = st->depth;
		if (i >= d || d > OPS_FRAME_DEPTH)
			return -1;
		/* d - 1 - i is 0..15 here; the mask spells the bound out for the verifier */
		f = &st->f[(d - 1 - i) & (OPS_FRAME_DEPTH - 1)];
		if (f->sp != entry_sp)
			return -1; /* not ours: its entry was never seen */
		if (f->cookie_op != cookie_op)
			continue;
		/* straight into the site: a frame copy on the stack would not fit */
		*ts = f->ts;
		out->label_kind = f->label_kind;
		__builtin_memcpy(out->args, f->args, sizeof(f->args));
		__builtin_memcpy(out->x, f->x, sizeof(out->x));
		top = &st->f[(d - 1) & (OPS_FRAME_DEPTH - 1)];
		if (top != f)
			*f = *top;
		st->depth = d - 1;
		return 0;
	}
	return -1;
}

SEC("uretprobe")
int op_exit(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), cookie = bpf_get_attach_cookie(ctx), ts = 0;
	struct site s = {};

	if (!traced_here())
		return 0;
	if (pop_frame(ctx, OP_COOKIE_FRAME_ID(cookie), &s, &ts)) {
		drop(OPD_UNMATCHED_RETURN);
		return 0;
	}
	s.op = OP_COOKIE_OP(cookie);
	s.role = OP_COOKIE_ROLE(cookie);
	s.at_return = 1;
	s.ret = return_value(ctx);
	finish(&s, ts, now);
	return 0;
}
