// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half of `lat` and `count`: generic programs attached to every
 * probe, told apart by the BPF cookie (the histogram or counter id; for
 * ret probes, also the site's rp_site). Layouts are in maps/probes.h and
 * maps/ret_probes.h.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps/probes.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized before load */
	__type(key, __u32);
	__type(value, struct hist_slot);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 2 per histogram, resized before load */
	__type(key, __u32);
	__type(value, struct extrema);
} extrema SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized before load */
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct frame_stack);
} frames SEC(".maps");

/* Open calls of Go functions timed at their rets, by (goroutine, depth). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* GO_CALLS_MAX when some function is Go, before load */
	__type(key, struct go_call_key);
	__type(value, struct go_call);
} go_calls SEC(".maps");

#include "bpf/follow.h"
#include "bpf/ret_probes.h"

/* Bumped by user space at each interval boundary; picks the extrema slot. */
__u64 epoch = 0;

/*
 * Per-CPU values still need atomic adds: a uprobe program runs in the
 * traced task's context and can be preempted by another task that runs the
 * same program on the same CPU. Counts must be exact, so no lost updates.
 */
static __always_inline void add_u64(__u64 *p, __u64 v)
{
	__sync_fetch_and_add(p, v);
}

static __always_inline void count_drop(__u32 reason)
{
	__u64 *d = bpf_map_lookup_elem(&drops, &reason);

	if (d)
		add_u64(d, 1);
}

static __always_inline void record(__u32 id, __u64 v)
{
	struct hist_slot *h = bpf_map_lookup_elem(&hists, &id);
	__u32 xkey = id * 2 + (*(volatile __u64 *)&epoch & 1);
	struct extrema *x;
	__u32 b;

	if (!h)
		return;
	b = hist_bucket_index(v);
	if (b >= HIST_NR_BUCKETS)
		b = HIST_LAST_BUCKET;	/* never: the bound is for the verifier */
	add_u64(&h->buckets[b], 1);
	add_u64(&h->sum, v);

	/* Not atomic: a preemption race can only lose one min/max update. */
	x = bpf_map_lookup_elem(&extrema, &xkey);
	if (!x)
		return;
	if (~v > x->min_inv)
		x->min_inv = ~v;
	if (v > x->max)
		x->max = v;
}

/*
 * __u64 *bpf_session_cookie(void), a kfunc: BPF_JMP|BPF_CALL with src_reg
 * BPF_PSEUDO_KFUNC_CALL (2) and the marker as immediate, patched by user
 * space with the kfunc's BTF id.
 */
static __always_inline __u64 *session_cookie(void)
{
	__u64 *p;

	asm volatile(".quad %[insn]\n\t"
		     "%[p] = r0"
		     : [p] "=r"(p)
		     : [insn] "i"(((__u64)KFUNC_MARK_SESSION_COOKIE << 32) | 0x2085)
		     : "r0", "r1", "r2", "r3", "r4", "r5");
	return p;
}

/*
 * Entry and return of one call in one program (a uprobe session link,
 * kernel 6.13+): the kernel keeps 8 bytes per call, zeroed at entry, so
 * the start time needs no per-thread map and recursion is free.
 */
SEC("uprobe")
int lat_session(struct pt_regs *ctx)
{
	__u64 *start = session_cookie();
	__u64 now = bpf_ktime_get_ns();

	if (!*start && !traced_here())
		return 1;	/* not in the followed tree: no return run either */
	if (!*start) {
		*start = now;
		return 0; /* 0: run again at this call's return */
	}
	record(COOKIE_ID(bpf_get_attach_cookie(ctx)), now - *start);
	return 0;
}

/* Without sessions: a per-thread stack of open calls in task storage. */
SEC("uprobe")
int lat_entry(struct pt_regs *ctx)
{
	struct frame_stack *st;
	__u32 d;

	if (!traced_here())
		return 0;
	st = bpf_task_storage_get(&frames, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		count_drop(DROP_STORAGE_FULL);
		return 0;
	}
	d = st->depth;
	if (d >= FRAME_DEPTH) {
		count_drop(DROP_DEPTH_OVERFLOW);
		return 0;
	}
	st->f[d].sp = PT_REGS_SP(ctx);
	st->f[d].ts = bpf_ktime_get_ns();
	st->depth = d + 1;
	return 0;
}

SEC("uretprobe")
int lat_exit(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 entry_sp = PT_REGS_SP(ctx) - 8;
	struct frame_stack *st;
	struct frame *f;
	__u32 d;
	int i;

	if (!traced_here())
		return 0;
	st = bpf_task_storage_get(&frames, bpf_get_current_task_btf(), 0, 0);
	if (!st) {
		count_drop(DROP_UNMATCHED_RETURN);
		return 0;
	}
	for (i = 0; i < FRAME_DEPTH; i++) {
		d = st->depth;
		if (d == 0 || d > FRAME_DEPTH)
			break;
		f = &st->f[d - 1];
		/* a frame of a deeper call that never returned (longjmp) */
		if (f->sp < entry_sp) {
			st->depth = d - 1;
			count_drop(DROP_MISSED_RETURN);
			continue;
		}
		if (f->sp > entry_sp)
			break; /* this call's entry was never recorded */
		st->depth = d - 1;
		record(COOKIE_ID(bpf_get_attach_cookie(ctx)), now - f->ts);
		return 0;
	}
	count_drop(DROP_UNMATCHED_RETURN);
	return 0;
}

SEC("uprobe")
int hit(struct pt_regs *ctx)
{
	__u32 id = COOKIE_ID(bpf_get_attach_cookie(ctx));
	__u64 *c;

	if (!traced_here())
		return 0;
	c = bpf_map_lookup_elem(&counts, &id);
	if (c)
		add_u64(c, 1);
	return 0;
}

/*
 * Returns seen without uretprobes (maps/ret_probes.h): an entry probe and
 * one probe on each instruction that leaves the function. At both, sp
 * points at the call's return address, which pairs them: per goroutine
 * and stack depth in Go code, per thread and sp elsewhere.
 */

/* A Go call's entry. An open call at its key is the same call's prologue
 * run again after morestack (its start stays), or one that never returned. */
static __always_inline void go_enter(struct pt_regs *ctx, const struct rp_site *rp, __u32 id,
				     __u64 now)
{
	struct go_call v = { .ts = now, .id = id }, *old;
	struct go_call_key k;

	if (go_call_key(ctx, 0, &k)) {
		count_drop(DROP_NO_GOROUTINE);
		return;
	}
	old = bpf_map_lookup_elem(&go_calls, &k);
	if (old) {
		if (old->id == id && go_prologue_rerun(ctx, k.g, rp))
			return;
		count_drop(DROP_MISSED_RETURN);	/* a panic or Goexit left it */
		old->ts = now;
		old->id = id;
		return;
	}
	if (bpf_map_update_elem(&go_calls, &k, &v, BPF_NOEXIST))
		count_drop(DROP_CALLS_FULL);
}

static __always_inline void go_exit(struct pt_regs *ctx, const struct rp_site *rp, __u32 id,
				    __u64 now)
{
	struct go_call_key k;
	struct go_call *v;
	__u64 ts;
	__u32 vid;

	if (go_call_key(ctx, 0, &k)) {
		count_drop(DROP_NO_GOROUTINE);
		return;
	}
	v = bpf_map_lookup_elem(&go_calls, &k);
	if (!v) {
		if (rp->kind == RP_RET)
			count_drop(DROP_UNMATCHED_RETURN);
		return;
	}
	ts = v->ts;
	vid = v->id;
	bpf_map_delete_elem(&go_calls, &k);
	if (rp->kind != RP_RET)
		count_drop(DROP_TAIL_EXIT);
	else if (vid != id)
		count_drop(DROP_MISSED_RETURN);	/* another function's call never returned */
	else
		record(id, now - ts);
}

/* Frames at or below sp are of calls that never returned (longjmp, exceptions): a
 * call entered at sp, or returning from it, means every deeper one is gone. */
static __always_inline void drop_dead_frames(struct frame_stack *st, __u64 sp, int at_entry)
{
	__u32 d;
	int i;

	for (i = 0; i < FRAME_DEPTH; i++) {
		d = st->depth;
		if (d == 0 || d > FRAME_DEPTH)
			break;
		if (st->f[d - 1].sp > sp || (!at_entry && st->f[d - 1].sp == sp))
			break;
		st->depth = d - 1;
		count_drop(DROP_MISSED_RETURN);
	}
}

static __always_inline void thread_enter(struct pt_regs *ctx, __u32 id, __u64 now)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct frame_stack *st;
	__u32 d;

	st = bpf_task_storage_get(&frames, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		count_drop(DROP_STORAGE_FULL);
		return;
	}
	drop_dead_frames(st, sp, 1);
	d = st->depth;
	if (d >= FRAME_DEPTH) {
		count_drop(DROP_DEPTH_OVERFLOW);
		return;
	}
	st->f[d].sp = sp;
	st->f[d].ts = now;
	st->f[d].id = id;
	st->depth = d + 1;
}

static __always_inline void thread_exit(struct pt_regs *ctx, const struct rp_site *rp, __u32 id,
					__u64 now)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct frame_stack *st;
	struct frame *f;
	__u32 d;

	st = bpf_task_storage_get(&frames, bpf_get_current_task_btf(), 0, 0);
	if (st)
		drop_dead_frames(st, sp, 0);
	d = st ? st->depth : 0;
	if (d == 0 || d > FRAME_DEPTH || st->f[d - 1].sp != sp) {
		if (rp->kind == RP_RET)
			count_drop(DROP_UNMATCHED_RETURN);	/* its entry was not seen */
		return;
	}
	f = &st->f[d - 1];
	st->depth = d - 1;
	if (rp->kind != RP_RET)
		count_drop(DROP_TAIL_EXIT);
	else if (f->id != id)
		count_drop(DROP_MISSED_RETURN);
	else
		record(id, now - f->ts);
}

SEC("uprobe")
int lat_rp_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), now = bpf_ktime_get_ns();
	const struct rp_site *rp = rp_site_at(COOKIE_RP_INFO(cookie));

	if (!rp || !traced_here())
		return 0;
	if (rp->flags & RP_F_GO)
		go_enter(ctx, rp, COOKIE_ID(cookie), now);
	else
		thread_enter(ctx, COOKIE_ID(cookie), now);
	return 0;
}

SEC("uprobe")
int lat_rp_exit(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), now = bpf_ktime_get_ns();
	const struct rp_site *rp = rp_site_at(COOKIE_RP_INFO(cookie));

	if (!rp || !traced_here() || !rp_leaves(ctx, rp))
		return 0;
	if (rp->flags & RP_F_GO)
		go_exit(ctx, rp, COOKIE_ID(cookie), now);
	else
		thread_exit(ctx, rp, COOKIE_ID(cookie), now);
	return 0;
}

/*
 * A thread that exits with calls open (pthread_exit, or killed inside a
 * traced function) takes its frames with it: they are missed returns.
 * Attached when functions are timed at their rets.
 */
SEC("raw_tracepoint/sched_process_exit")
int lat_thread_gone(void *ctx)
{
	struct frame_stack *st = bpf_task_storage_get(&frames, bpf_get_current_task_btf(), 0, 0);
	__u32 reason = DROP_MISSED_RETURN, d;
	__u64 *n;

	if (!st)
		return 0;
	d = st->depth;
	st->depth = 0;
	n = bpf_map_lookup_elem(&drops, &reason);
	if (n && d && d <= FRAME_DEPTH)
		add_u64(n, d);
	return 0;
}
