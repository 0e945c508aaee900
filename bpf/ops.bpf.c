// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half of ops (`watch`): generic entry and return programs; the
 * cookie names the op (or state machine), the site's role, whether the work
 * waits for the return (at a uretprobe, or at probes on the function's ret
 * instructions: bpf/ret_probes.h), and the site's USDT argument spec. The op's
 * expressions come from array maps filled before attach. Layouts are in
 * maps/ops.h, the design in docs/OPS-KERNEL.md.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps/ops.h"
#include "bpf/follow.h"
#include "bpf/ret_probes.h"

char LICENSE[] SEC("license") = "GPL";

/* Submits wake user space up only once this much is waiting: a flood of
 * events then costs no wakeup each. Set before load. */
const volatile __u64 events_wakeup_bytes = 65536;

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
	__uint(max_entries, OPS_SITE_INFOS);
	__type(key, __u32);
	__type(value, struct op_site_info);
} site_infos SEC(".maps");

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

/* One firing of a site, as it goes through the program. */
struct site {
	__u32 op, role;
	__u32 label_kind;
	__u32 at_return;	/* evaluating the return's expressions */
	__u64 ret;
	__u64 bias;		/* where the probed file is loaded: sym() addresses */
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

#include "bpf/ops_record.h"
#include "bpf/ops_pairs.h"
/* What a call's return needs, kept at its entry (in either frame store). */
static __always_inline void fill_frame(struct op_frame *f, struct pt_regs *ctx,
				       const struct site *s, __u64 cookie)
{
	f->sp = PT_REGS_SP(ctx);
	f->bias = s->bias;
	f->cookie_op = OP_COOKIE_FRAME_ID(cookie);
	f->label_kind = s->label_kind;
	__builtin_memcpy(f->args, s->args, sizeof(f->args));
	__builtin_memcpy(f->x, s->x, sizeof(f->x));
	f->ts = bpf_ktime_get_ns();
}

#include "bpf/ops_rets.h"

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

/*
 * Frames a call entered at sp proves dead (calls that never returned: a
 * longjmp, an exception): every deeper one, and this op's own at sp, an
 * earlier call's. Other ops' frames at sp may be this very call's.
 */
static __always_inline void drop_dead_frames(struct op_frames *st, __u64 sp, __u32 cookie_op)
{
	struct op_frame *f, *top;
	__u32 d, i, top_i;

	for (i = 0; i < OPS_FRAME_DEPTH; i++) {
		d = st->depth;
		if (d == 0 || d > OPS_FRAME_DEPTH || st->f[(d - 1) & (OPS_FRAME_DEPTH - 1)].sp >= sp)
			break;
		st->depth = d - 1;
		drop(OPD_MISSED_RETURN);
	}
	for (i = 0; i < OPS_FRAME_DEPTH; i++) {
		d = st->depth;
		if (i >= d || d > OPS_FRAME_DEPTH)
			return;
		f = &st->f[(d - 1 - i) & (OPS_FRAME_DEPTH - 1)];
		if (f->sp != sp)
			return;
		if (f->cookie_op != cookie_op)
			continue;
		top_i = (d - 1) & (OPS_FRAME_DEPTH - 1);
		barrier_var(top_i);
		top = &st->f[top_i & (OPS_FRAME_DEPTH - 1)];
		if (top != f)
			*f = *top;
		st->depth = d - 1;
		drop(OPD_MISSED_RETURN);
		return;
	}
}

static __always_inline void push_frame(struct pt_regs *ctx, struct site *s, __u64 cookie)
{
	struct op_frames *st;
	struct op_frame *f;
	__u32 d;

	st = bpf_task_storage_get(&op_frames, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	drop_dead_frames(st, PT_REGS_SP(ctx), OP_COOKIE_FRAME_ID(cookie));
	d = st->depth;
	if (d >= OPS_FRAME_DEPTH) {
		drop(OPD_DEPTH_OVERFLOW);
		return;
	}
	f = &st->f[d & (OPS_FRAME_DEPTH - 1)];
	fill_frame(f, ctx, s, cookie);
	st->depth = d + 1;
}

SEC("uprobe")
int op_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	const struct rp_site *rp;
	const struct op_cfg *cfg;
	struct site s = {};

	if (!traced_here())
		return 0;

	s.op = OP_COOKIE_OP(cookie);
	s.role = OP_COOKIE_ROLE(cookie);
	site_args(ctx, cookie, &s);
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
	rp = rp_site_at(OP_COOKIE_RP(cookie));
	if (rp && (rp->flags & RP_F_GO))
		go_push_frame(ctx, rp, &s, cookie);	/* the goroutine's, not the thread's */
	else
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
 * The frame of this return, whose entry saw entry_sp: frames below it
 * belong to calls that never returned (longjmp) and are dropped; among the
 * frames of this very call (several ops may probe one function) the one of
 * this site's op and role is taken out. Returns 0 with the frame in *out.
 */
static __always_inline int pop_frame(__u64 entry_sp, __u32 cookie_op, struct site *out,
				     __u64 *ts)
{
	struct op_frames *st;
	struct op_frame *f, *top;
	__u32 d, i, top_i;

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
		drop(OPD_MISSED_RETURN);
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
		out->bias = f->bias;
		out->label_kind = f->label_kind;
		__builtin_memcpy(out->args, f->args, sizeof(f->args));
		__builtin_memcpy(out->x, f->x, sizeof(out->x));
		top_i = (d - 1) & (OPS_FRAME_DEPTH - 1);
		barrier_var(top_i);	/* the mask must stay: d's bound is lost by here */
		top = &st->f[top_i & (OPS_FRAME_DEPTH - 1)];
		if (top != f)
			*f = *top;
		st->depth = d - 1;
		return 0;
	}
	return -1;
}

/* A site's work at its function's return, its frame taken out into s. */
static __always_inline void finish_at_return(struct pt_regs *ctx, __u64 cookie, struct site *s,
					     __u64 ts, __u64 now)
{
	s->op = OP_COOKIE_OP(cookie);
	s->role = OP_COOKIE_ROLE(cookie);
	s->at_return = 1;
	s->ret = return_value(ctx);
	finish(s, ts, now);
}

SEC("uretprobe")
int op_exit(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), cookie = bpf_get_attach_cookie(ctx), ts = 0;
	struct site s = {};

	if (!traced_here())
		return 0;
	/* a uretprobe runs once ret has popped the return address */
	if (pop_frame(PT_REGS_SP(ctx) - 8, OP_COOKIE_FRAME_ID(cookie), &s, &ts)) {
		drop(OPD_UNMATCHED_RETURN);
		return 0;
	}
	finish_at_return(ctx, cookie, &s, ts, now);
	return 0;
}

/*
 * An instruction that leaves a function timed at its rets (bpf/ret_probes.h):
 * a ret ends the call as a uretprobe would (sp still points at the return
 * address, as at the entry); a jump out ends it untimed, as a drop.
 */
SEC("uprobe")
int op_ret_exit(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), cookie = bpf_get_attach_cookie(ctx), ts = 0;
	const struct rp_site *rp = rp_site_at(OP_COOKIE_RP(cookie));
	struct site s = {};
	int rc;

	if (!rp || !traced_here() || !rp_leaves(ctx, rp))
		return 0;
	if (rp->flags & RP_F_GO)
		rc = go_pop_frame(ctx, OP_COOKIE_FRAME_ID(cookie), &s, &ts);
	else
		rc = pop_frame(PT_REGS_SP(ctx), OP_COOKIE_FRAME_ID(cookie), &s, &ts) ? 1 : 0;
	if (rc) {
		if (rc > 0 && rp->kind == RP_RET)
			drop(OPD_UNMATCHED_RETURN);
		return 0;
	}
	if (rp->kind != RP_RET) {
		drop(OPD_TAIL_EXIT);
		return 0;
	}
	finish_at_return(ctx, cookie, &s, ts, now);
	return 0;
}
