/* SPDX-License-Identifier: MIT */
/*
 * Returns seen without uretprobes: a function is probed at its entry and
 * at each instruction that leaves it (every ret, and the jumps out of it),
 * and the kernel side pairs the two. Layouts shared by bpf/ret_probes.h
 * (included by probes.bpf.c and ops.bpf.c) and the user side
 * (loader/ret_sites.c, loader/ret_plan.c). Plain C, fixed-width types.
 */
#ifndef SYNCTRACE_RET_PROBES_H
#define SYNCTRACE_RET_PROBES_H

#include <linux/types.h>

/* What a probe of a function timed at its ret instructions is at. */
enum rp_kind {
	RP_ENTRY,		/* the function's first instruction */
	RP_RET,			/* a ret: the call ends here */
	RP_TAIL_JMP,		/* a jmp out of the function: the call leaves untimed */
	RP_TAIL_JCC,		/* a jcc out of it: leaves when its condition holds */
	RP_TAIL_INDIRECT,	/* a jmp through a register or memory: leaves when the
				 * target is outside the function */
};

#define RP_F_GO (1U << 0)	/* Go: calls are keyed by (goroutine, stack depth) */
#define RP_F_MEM (1U << 1)	/* RP_TAIL_INDIRECT: the target is read at the address */

/* pt_regs offsets in an indirect jump's operand, or these. */
#define RP_REG_NONE 0xffff
#define RP_REG_RIP 0xfffe	/* the next instruction's address */

/* One probe site's kind and what its kernel side needs; 24 bytes. */
struct rp_site {
	__u8 kind;		/* enum rp_kind */
	__u8 flags;		/* RP_F_* */
	__u8 cc;		/* RP_TAIL_JCC: the condition, 0-15 as in opcode 0x70 + cc */
	__u8 scale;		/* RP_TAIL_INDIRECT: 0 (no index), 1, 2, 4, 8 */
	__u16 base_off;		/* RP_TAIL_INDIRECT: register (pt_regs offset), or RP_REG_* */
	__u16 index_off;
	__s32 disp;
	__u32 insn_len;		/* the probed instruction's length */
	__u32 fn_off;		/* the probed instruction's offset in the function */
	__u32 fn_size;		/* the function's size in bytes */
};

/* The largest function decoded: the work per function is bounded. */
#define RP_MAX_FN_SIZE (1U << 20)

/*
 * Go (1.17 and later: the register ABI keeps the running goroutine's g in
 * R14). The fields of runtime.g read here, at offsets every version since
 * has kept (src/runtime/runtime2.go): stack.lo, stack.hi, then stackguard0,
 * stackguard1, _panic, _defer and m, then sched, a gobuf {sp, pc, ...}.
 */
#define GO_G_STACK_LO 0
#define GO_G_STACK_HI 8
#define GO_G_SCHED_SP 56
#define GO_G_SCHED_PC 64

/*
 * An open call in a Go function: its goroutine, and its depth on that
 * goroutine's stack (stack.hi - sp at entry, where sp points at the return
 * address). The runtime moves a stack that grows by copying it whole, so
 * sp changes and hi - sp does not: the ret of the call finds its entry.
 */
struct go_call_key {
	__u64 g;
	__u64 depth;
	__u32 frame;		/* ops: the frame's op and role; lat: 0 */
	__u32 pad;
};

/* lat's value for one open Go call. */
struct go_call {
	__u64 ts;
	__u32 id;		/* the row */
	__u32 pad;
};

/* Open Go calls at once, over all goroutines (lat and ops each). */
#define GO_CALLS_MAX 16384

#endif /* SYNCTRACE_RET_PROBES_H */
