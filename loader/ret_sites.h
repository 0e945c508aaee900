/* SPDX-License-Identifier: MIT */
/*
 * Where a function's calls end: the file offsets of every ret instruction
 * of the function, and of the jumps that leave it (tail jumps: direct jmp
 * and jcc to outside the function, indirect jmp whose target BPF checks at
 * run time), found by decoding its machine code (x86_insn.h). These are
 * the probe sites that replace a uretprobe where one would crash the
 * program (Go, OCaml), or where the user asks (--returns=ret-probe).
 */
#ifndef SYNCTRACE_RET_SITES_H
#define SYNCTRACE_RET_SITES_H

#include <stddef.h>
#include <linux/types.h>
#include "loader/elf_file.h"
#include "maps/ret_probes.h"

/* One instruction that ends a call, or may: a ret or a jump out. */
struct ret_exit {
	__u64 vaddr;		/* its address in the file */
	__u64 offset;		/* its file offset (ret_sites__find) */
	struct rp_site info;	/* kind, condition or operand, place in the function */
};

struct ret_sites {
	struct ret_exit *exits;	/* in address order */
	size_t nr, cap;
	size_t nr_rets, nr_tails;
};

/*
 * Decode the size bytes of code of a function at vaddr and append its
 * exits to rs (offsets left 0). Returns 0; or, with a reason in why (a
 * phrase about "it": the caller names the function), -ENODATA (size 0),
 * -E2BIG (over RP_MAX_FN_SIZE), -EILSEQ (bytes that are no instruction, or
 * an instruction cut by the end), -ENOTSUP (it has no ret, or leaves in a
 * way no probe can follow: a far jump, a loop or xbegin out of it, an
 * indirect jump through fs/gs or 32-bit registers), -ENOMEM. On error rs
 * holds the exits it held (its buffer may have grown: ret_sites__free()).
 */
int ret_sites__decode(struct ret_sites *rs, const void *code, size_t size, __u64 vaddr,
		      char *why, size_t len);

/*
 * ret_sites__decode() on the function [vaddr, vaddr + size) of ef, read
 * from the file, with each exit's file offset. Also -ENOENT: the code is
 * not inside one loaded segment of the file; -EIO: it cannot be read.
 */
int ret_sites__find(struct ret_sites *rs, const struct elf_file *ef, __u64 vaddr, __u64 size,
		    char *why, size_t len);

void ret_sites__free(struct ret_sites *rs);

#endif /* SYNCTRACE_RET_SITES_H */
