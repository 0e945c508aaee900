// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half of ops (`watch`): generic entry and return programs; the
 * cookie names the op and the site's role, the op's expressions come from
 * an array map filled before attach. Layouts are in maps/ops.h.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps/ops.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OPS_MAX);
	__type(key, __u32);
	__type(value, struct op_cfg);
} op_cfgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1); /* ops x labels, resized before load */
	__type(key, struct op_key);
	__type(value, struct op_counters);
} op_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct op_key);
	__type(value, struct op_hist);
} op_lat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct op_key);
	__type(value, struct op_hist);
} op_val SEC(".maps");

/* A zeroed histogram to create entries from: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct op_hist);
} zero_hist SEC(".maps");

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

static __always_inline void save_args(struct pt_regs *ctx, __u64 *args)
{
	args[0] = PT_REGS_PARM1(ctx);
	args[1] = PT_REGS_PARM2(ctx);
	args[2] = PT_REGS_PARM3(ctx);
	args[3] = PT_REGS_PARM4(ctx);
	args[4] = PT_REGS_PARM5(ctx);
	args[5] = ctx->r9; /* PT_REGS_PARM6 is newer than libbpf 1.1 */
}

/* Read size bytes of the traced process at addr, sign- or zero-extended. */
static __always_inline int read_user(__u64 addr, const struct op_read *r, __u64 *out)
{
	__s64 s;
	int err;

	switch (r->size) {
	case 1: { __u8 v; err = bpf_probe_read_user(&v, 1, (void *)addr);
		s = r->is_signed ? (__s8)v : v; break; }
	case 2: { __u16 v; err = bpf_probe_read_user(&v, 2, (void *)addr);
		s = r->is_signed ? (__s16)v : v; break; }
	case 4: { __u32 v; err = bpf_probe_read_user(&v, 4, (void *)addr);
		s = r->is_signed ? (__s32)v : v; break; }
	default: { __u64 v; err = bpf_probe_read_user(&v, 8, (void *)addr);
		s = (__s64)v; break; }
	}
	*out = (__u64)s;
	return err;
}

static __always_inline __u64 eval(const struct op_expr *e, const __u64 *args, __u64 ret)
{
	__u64 v = 0;
	int i;

	switch (e->base) {
	case OPX_ARG:
		if (e->arg < OPS_ARGS)
			v = args[e->arg & 7];
		break;
	case OPX_RET:
		v = ret;
		break;
	case OPX_PID:
		return bpf_get_current_pid_tgid() >> 32;
	case OPX_TID:
		return (__u32)bpf_get_current_pid_tgid();
	case OPX_CONST:
		return (__u64)e->add;
	}
	v += (__u64)e->add;
	for (i = 0; i < OPS_EXPR_READS; i++) {
		if (i >= e->nr_reads)
			break;
		if (read_user(v + (__u64)(__s64)e->reads[i].off, &e->reads[i], &v)) {
			drop(OPD_READ_FAILED);
			return 0;
		}
	}
	return v + (__u64)e->post_add;
}

static __always_inline int is_error(const struct op_cfg *c, const __u64 *args, __u64 ret)
{
	__s64 l = (__s64)eval(&c->error_lhs, args, ret), r = c->error_rhs;

	switch (c->error_cmp) {
	case OPC_LT: return l < r;
	case OPC_LE: return l <= r;
	case OPC_GT: return l > r;
	case OPC_GE: return l >= r;
	case OPC_EQ: return l == r;
	case OPC_NE: return l != r;
	}
	return 0;
}

/* The entry of {op, label} in a stats map, created on first use. */
static __always_inline void *stats_of(void *map, struct op_key *k, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, k);

	if (v)
		return v;
	if (bpf_map_update_elem(map, k, zero, BPF_NOEXIST) && !bpf_map_lookup_elem(map, k)) {
		drop(OPD_STATS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(map, k);
}

static __always_inline void hist_add(void *map, struct op_key *k, __u64 v)
{
	__u32 zk = 0, b = hist_bucket_index(v);
	const struct op_hist *zero = bpf_map_lookup_elem(&zero_hist, &zk);
	struct op_hist *h;

	if (!zero)
		return;
	h = stats_of(map, k, zero);
	if (!h)
		return;
	if (b >= HIST_NR_BUCKETS)
		b = HIST_OVERFLOW_BUCKET;
	add_u64(&h->buckets[b], 1);
	add_u64(&h->sum, v);
}

static __always_inline void record(__u32 op, const __u64 *args, __u64 ret, __u64 lat)
{
	struct op_counters zero = {}, *c;
	const struct op_cfg *cfg = bpf_map_lookup_elem(&op_cfgs, &op);
	struct op_key k = { .op = op };
	__u64 v;

	if (!cfg)
		return;
	if (cfg->flags & OPF_LABEL)
		k.label = eval(&cfg->label, args, ret);
	c = stats_of(&op_stats, &k, &zero);
	if (!c)
		return;
	add_u64(&c->calls, 1);
	if ((cfg->flags & OPF_ERROR) && is_error(cfg, args, ret))
		add_u64(&c->errors, 1);
	if (cfg->flags & OPF_VALUE) {
		v = eval(&cfg->value, args, ret);
		add_u64(&c->value_sum, v);
		/* not atomic: a preemption race can only lose one min/max update */
		if (~v > c->value_min_inv)
			c->value_min_inv = ~v;
		if (v > c->value_max)
			c->value_max = v;
		hist_add(&op_val, &k, v);
	}
	if (cfg->flags & OPF_LATENCY)
		hist_add(&op_lat, &k, lat);
}

SEC("uprobe")
int op_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), args[OPS_ARGS];
	struct op_frames *st;
	__u32 d;

	save_args(ctx, args);
	if (OP_COOKIE_ROLE(cookie) == OP_ROLE_EVENT) {
		record(OP_COOKIE_OP(cookie), args, 0, 0);
		return 0;
	}
	st = bpf_task_storage_get(&op_frames, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	d = st->depth;
	if (d >= OPS_FRAME_DEPTH) {
		drop(OPD_DEPTH_OVERFLOW);
		return 0;
	}
	d &= OPS_FRAME_DEPTH - 1;
	st->f[d].sp = PT_REGS_SP(ctx);
	__builtin_memcpy(st->f[d].args, args, sizeof(args));
	st->f[d].ts = bpf_ktime_get_ns();
	st->depth = d + 1;
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

/* Pops the frame of this return (stack-pointer matching, as in probes.bpf.c). */
SEC("uretprobe")
int op_exit(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), entry_sp = PT_REGS_SP(ctx) - 8;
	struct op_frames *st;
	struct op_frame *f;
	__u32 d;
	int i;

	st = bpf_task_storage_get(&op_frames, bpf_get_current_task_btf(), 0, 0);
	if (!st)
		goto unmatched;
	for (i = 0; i < OPS_FRAME_DEPTH; i++) {
		d = st->depth;
		if (d == 0 || d > OPS_FRAME_DEPTH)
			break;
		/* d is 1..16 here; the mask spells the bound out for the verifier */
		f = &st->f[(d - 1) & (OPS_FRAME_DEPTH - 1)];
		st->depth = d - 1;
		if (f->sp < entry_sp)
			continue; /* a deeper call that never returned */
		if (f->sp > entry_sp) {
			st->depth = d; /* not ours: its entry was never seen */
			break;
		}
		record(OP_COOKIE_OP(bpf_get_attach_cookie(ctx)), f->args,
		       return_value(ctx), now - f->ts);
		return 0;
	}
unmatched:
	drop(OPD_UNMATCHED_RETURN);
	return 0;
}
