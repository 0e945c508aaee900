/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side of returns seen without uretprobes (maps/ret_probes.h),
 * shared by probes.bpf.c (lat) and ops.bpf.c (ops that wait for a return):
 * the table of probe sites, the key of an open Go call, morestack's re-run
 * of a Go prologue, and whether a jump out of a function leaves it now.
 * Included once, after bpf_helpers.h and bpf_tracing.h.
 */
#ifndef SYNCTRACE_BPF_RET_PROBES_H
#define SYNCTRACE_BPF_RET_PROBES_H

#include "maps/ret_probes.h"

/* Each ret-probe site's rp_site, by the index its cookie carries; filled before attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized before load */
	__type(key, __u32);
	__type(value, struct rp_site);
} rp_sites SEC(".maps");

static __always_inline const struct rp_site *rp_site_at(__u32 info)
{
	__u32 idx = info - 1;

	return info ? bpf_map_lookup_elem(&rp_sites, &idx) : NULL;
}

/*
 * The key of the Go call whose entry or ret this is: the goroutine (g, in
 * R14 under the register ABI) and the depth of the return address slot on
 * its stack. 0, or -1 when R14 does not hold a g whose stack holds sp
 * (not Go code, or an assembly function that reused R14).
 */
static __always_inline int go_call_key(struct pt_regs *ctx, __u32 frame, struct go_call_key *k)
{
	__u64 g = ctx->r14, sp = PT_REGS_SP(ctx), stack[2];

	if (!g || bpf_probe_read_user(stack, sizeof(stack), (void *)(g + GO_G_STACK_LO)))
		return -1;
	if (sp < stack[0] || sp >= stack[1])
		return -1;
	k->g = g;
	k->depth = stack[1] - sp;
	k->frame = frame;
	k->pad = 0;
	return 0;
}

/*
 * Is this entry the same call's prologue run again? A Go function whose
 * stack check fails calls runtime.morestack, which saves its pc (just past
 * that call, inside the function) in g.sched.pc, grows or yields, and
 * resumes it through gogo(), which clears g.sched.sp; the function then
 * jumps back to its first instruction. So: sched.sp is 0 and sched.pc is
 * inside this function past its first byte (a new goroutine starts with
 * sched.pc at its function's very entry). At the entry, ip is the
 * function's start.
 */
static __always_inline int go_prologue_rerun(struct pt_regs *ctx, __u64 g, const struct rp_site *rp)
{
	__u64 sched[2], start = PT_REGS_IP(ctx);

	if (bpf_probe_read_user(sched, sizeof(sched), (void *)(g + GO_G_SCHED_SP)))
		return 0;
	return sched[0] == 0 && sched[1] > start && sched[1] - start < rp->fn_size;
}

/* A register of the probed instruction, by pt_regs offset (or RIP: the next one's address). */
static __always_inline __u64 reg_at(struct pt_regs *ctx, __u16 off, const struct rp_site *rp)
{
	__u64 v = 0;

	if (off == RP_REG_NONE)
		return 0;
	if (off == RP_REG_RIP)
		return PT_REGS_IP(ctx) + rp->insn_len;
	if (off > sizeof(struct pt_regs) - sizeof(__u64))
		return 0;
	/* a variable offset into ctx may not be loaded directly */
	bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + off);
	return v;
}

/* Does jcc's condition cc (0x70 + cc) hold for these flags? As the CPU decides. */
static __always_inline int jcc_taken(__u64 fl, __u32 cc)
{
	int cf = fl & 1, pf = (fl >> 2) & 1, zf = (fl >> 6) & 1, sf = (fl >> 7) & 1,
	    of = (fl >> 11) & 1, t;

	switch ((cc >> 1) & 7) {
	case 0: t = of; break;			/* jo */
	case 1: t = cf; break;			/* jb */
	case 2: t = zf; break;			/* jz */
	case 3: t = cf | zf; break;		/* jbe */
	case 4: t = sf; break;			/* js */
	case 5: t = pf; break;			/* jp */
	case 6: t = sf != of; break;		/* jl */
	default: t = zf | (sf != of); break;	/* jle */
	}
	return (cc & 1) ? !t : t;		/* odd: the negation */
}

/*
 * Does the call leave its function at this probe, now? A ret and a jmp
 * out always; a jcc out when its condition holds; an indirect jmp when its
 * target (read as the CPU will) is outside the function. 1 yes, 0 no, -1
 * the target could not be read (counted as leaving: the open call is
 * dropped, never timed wrong).
 */
static __always_inline int rp_leaves(struct pt_regs *ctx, const struct rp_site *rp)
{
	__u64 target, start;

	switch (rp->kind) {
	case RP_RET:
	case RP_TAIL_JMP:
		return 1;
	case RP_TAIL_JCC:
		return jcc_taken(ctx->eflags, rp->cc);
	case RP_TAIL_INDIRECT:
		target = reg_at(ctx, rp->base_off, rp) + reg_at(ctx, rp->index_off, rp) * rp->scale +
			 (__s64)rp->disp;
		if ((rp->flags & RP_F_MEM) &&
		    bpf_probe_read_user(&target, sizeof(target), (void *)target))
			return -1;
		start = PT_REGS_IP(ctx) - rp->fn_off;
		return target - start >= rp->fn_size;
	default:
		return 0;
	}
}

#endif /* SYNCTRACE_BPF_RET_PROBES_H */
