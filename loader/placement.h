/* SPDX-License-Identifier: MIT */
/*
 * Probe placement: where a function's entry probe costs least. The kernel
 * single-steps most instructions out of line (a second trap, ~4x the cost)
 * but emulates a few (push reg, jmp/jcc/call rel, nops) and turns a 5-byte
 * nop into a call. When the function's first instruction is single-stepped
 * and one of the next few, still in the entry block, is emulated, the probe
 * can sit there instead and fire exactly as often, if nothing else can
 * enter between (docs/DECISIONS.md, "Probe placement", has the rules).
 * What the skipped instructions write is kept, so that each command moves
 * only the probes whose reads they leave intact (placement__apply()).
 */
#ifndef SYNCTRACE_PLACEMENT_H
#define SYNCTRACE_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* What skipped instructions write: one bit per 64-bit register, in Zydis's order. */
#define PLACE_W_RAX (1U << 0)
#define PLACE_W_RCX (1U << 1)
#define PLACE_W_RDX (1U << 2)
#define PLACE_W_RBX (1U << 3)
#define PLACE_W_RSP (1U << 4)
#define PLACE_W_RBP (1U << 5)
#define PLACE_W_RSI (1U << 6)
#define PLACE_W_RDI (1U << 7)
#define PLACE_W_R8 (1U << 8)
#define PLACE_W_R9 (1U << 9)
#define PLACE_W_R10 (1U << 10)
#define PLACE_W_R11 (1U << 11)
#define PLACE_W_R14 (1U << 14)
#define PLACE_W_MEM (1U << 16)		/* memory */

/*
 * What a probe reads at its entry, as the writes that would spoil it.
 * A return armed at the entry (uretprobe, session, ret probes) reads rsp
 * (the return address is hijacked at regs->sp; ret probes key calls by
 * stack depth, Go's by g in r14 too). An op that reads arguments reads
 * them, the stack and memory.
 */
#define PLACE_NEEDS_RETURN (PLACE_W_RSP | PLACE_W_R14)
#define PLACE_NEEDS_C_ARGS (PLACE_W_RDI | PLACE_W_RSI | PLACE_W_RDX | PLACE_W_RCX | \
			    PLACE_W_R8 | PLACE_W_R9 | PLACE_W_RSP | PLACE_W_MEM)
#define PLACE_NEEDS_GO_ARGS (PLACE_W_RAX | PLACE_W_RBX | PLACE_W_RCX | PLACE_W_RDI | \
			     PLACE_W_RSI | PLACE_W_R8 | PLACE_W_R9 | PLACE_W_R10 | \
			     PLACE_W_R11 | PLACE_W_R14 | PLACE_W_RSP | PLACE_W_MEM)

/* The instructions looked at past the entry for an emulated one. */
#define PLACE_MAX_INSNS 8

/* Why a probe stays at +0 (or moved). */
enum place_why {
	PLACE_NONE,		/* not considered: USDT, raw address, Go past its stack check */
	PLACE_MOVED,		/* skip bytes past the entry */
	PLACE_ENTRY_CHEAP,	/* the first instruction is emulated already */
	PLACE_NO_EMULATED,	/* no emulated instruction early in the entry block */
	PLACE_UNSAFE_SKIP,	/* an instruction before it may fault or trap: not skipped */
	PLACE_BRANCH_IN,	/* a branch (or another symbol) enters between */
	PLACE_INDIRECT_JMP,	/* the function jumps through a register or memory */
	PLACE_UNDECODED,	/* its code does not decode, or cannot be read */
	PLACE_NEAR_UNKNOWN,	/* code near it does not decode (or has no size): it may enter */
};

/* Where the entry probe of one function may go. */
struct placement {
	__u32 skip;		/* bytes from the entry to the chosen site; 0: stays */
	__u32 writes;		/* PLACE_W_*: what the skipped instructions write */
	enum place_why why;
	__u8 nr_skipped;	/* instructions skipped */
	char past[16];		/* the first skipped instruction's mnemonic ("endbr64") */
	char at[16];		/* the chosen instruction's ("push") */
	__u64 entered_from;	/* PLACE_BRANCH_IN: the branch's address (0: a symbol);
				 * PLACE_NEAR_UNKNOWN: the unknown code's */
};

/* Is the instruction at the start of buf one the kernel emulates or optimizes (no single-step)? */
bool placement__emulated(const void *buf, size_t len);

/*
 * Decide from the size bytes of a function's code at vaddr (all of it:
 * every branch of the function is checked): out->skip past the entry, or
 * 0 with out->why. Branches from other code are the caller's to rule out
 * (placement__veto()). Never reads outside code; any bytes are fine.
 */
void placement__decide(const void *code, size_t size, __u64 vaddr, struct placement *out);

/* Another code's branch to target, or a symbol at target: veto p (of the function at fn) if it enters between. */
bool placement__veto(struct placement *p, __u64 fn, __u64 target, __u64 from);

struct elf_file;
struct sym_table;
struct sym;

/*
 * placement__decide() for the n functions m (in any order) of the
 * file ef whose symbols are st, into out[0..n); then the file's other
 * code near each moved one (and its GCC .cold parts) is decoded: a direct
 * branch or a symbol into (+0, site] keeps that probe at +0. Code that
 * cannot be read stays at +0. 0 or -ENOMEM.
 */
int placement__plan(const struct elf_file *ef, const struct sym_table *st,
		    const struct sym *const *m, size_t n, struct placement *out);

/* Is placement off (SYNCTRACE_NO_PLACEMENT=1 in the environment)? */
bool placement__disabled_by_env(void);

/* "moved past endbr64", "stays: ...": for list -v and -v, into buf. */
void placement__describe(const struct placement *p, __u32 needs, char *buf, size_t len);

struct probe_site;

/*
 * Move site to its placement when the skipped instructions write nothing
 * in needs (PLACE_NEEDS_*, 0 for a count): offset, vaddr and entry_skip
 * advance, site->placed records it (the attacher takes it back if the
 * kernel refuses the moved site). True if it moved.
 */
bool placement__apply(struct probe_site *site, __u32 needs);

#endif /* SYNCTRACE_PLACEMENT_H */
