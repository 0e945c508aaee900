// SPDX-License-Identifier: MIT
/* A function's ret instructions and jumps out of it; see ret_sites.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/ret_sites.h"
#include "loader/x86_insn.h"

/* Room for one more exit. */
static int grow(struct ret_sites *rs)
{
	size_t cap = rs->cap ? rs->cap * 2 : 8;
	struct ret_exit *p;

	if (rs->nr < rs->cap)
		return 0;
	p = realloc(rs->exits, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	rs->exits = p;
	rs->cap = cap;
	return 0;
}

static bool inside(__u64 target, __u64 start, size_t size)
{
	return target >= start && target - start < size;
}

/* An indirect jump's operand for the kernel side (x86_insn's offsets fit in 16 bits). */
static int indirect(const struct x86_insn *in, struct rp_site *rp)
{
	const struct x86_operand *op = &in->op;

	if (!op->plain || op->disp != (__s32)op->disp)
		return -ENOTSUP;
	rp->flags |= op->mem ? RP_F_MEM : 0;
	rp->base_off = op->base == X86_REG_RIP ? RP_REG_RIP :
		       op->base == X86_REG_NONE ? RP_REG_NONE : (__u16)op->base;
	rp->index_off = op->index == X86_REG_NONE ? RP_REG_NONE : (__u16)op->index;
	rp->scale = op->scale;
	rp->disp = (__s32)op->disp;
	return 0;
}

/*
 * The exit of one instruction, if it is one: 1 (filled in), 0 (not an
 * exit), -ENOTSUP (control may leave in a way no probe can follow).
 */
static int exit_of(const struct x86_insn *in, __u64 start, size_t size, struct rp_site *rp)
{
	memset(rp, 0, sizeof(*rp));
	switch (in->flow) {
	case X86_FLOW_RET:
		rp->kind = RP_RET;
		return 1;
	case X86_FLOW_JMP:
		if (inside(in->target, start, size))
			return 0;
		rp->kind = RP_TAIL_JMP;
		return 1;
	case X86_FLOW_JCC:
		if (inside(in->target, start, size))
			return 0;
		rp->kind = RP_TAIL_JCC;
		rp->cc = in->cc;
		return 1;
	case X86_FLOW_JMP_INDIRECT:
		/* a jump table inside the function, or a tail call: BPF reads the target */
		rp->kind = RP_TAIL_INDIRECT;
		return indirect(in, rp) ? -ENOTSUP : 1;
	case X86_FLOW_COND_OTHER:
		return inside(in->target, start, size) ? 0 : -ENOTSUP;
	case X86_FLOW_OTHER:
		return -ENOTSUP;
	default:
		return 0;
	}
}

int ret_sites__decode(struct ret_sites *rs, const void *code, size_t size, __u64 vaddr,
		      char *why, size_t len)
{
	size_t first = rs->nr, rets = 0, tails = 0;
	__u64 first_tail = 0;
	struct x86_insn in;
	struct x86_iter it;
	struct rp_site rp;
	int rc = 0, n;

	if (!size) {
		snprintf(why, len, "its size is 0: there is no code to decode");
		return -ENODATA;
	}
	if (size > RP_MAX_FN_SIZE) {
		snprintf(why, len, "it is %zu bytes long, over the %u decoded for a function",
			 size, RP_MAX_FN_SIZE);
		return -E2BIG;
	}
	x86_iter__init(&it, code, size, vaddr);
	while ((n = x86_iter__next(&it, &in)) > 0) {
		rc = exit_of(&in, vaddr, size, &rp);
		if (rc < 0) {
			snprintf(why, len, "'%s' at +0x%llx leaves it in a way synctrace cannot follow",
				 in.mnemonic, (unsigned long long)(in.vaddr - vaddr));
			goto fail;
		}
		if (!rc)
			continue;
		if ((rc = grow(rs)))
			goto fail;
		rp.insn_len = in.len;
		rp.fn_off = (__u32)(in.vaddr - vaddr);
		rp.fn_size = (__u32)size;
		rs->exits[rs->nr++] = (struct ret_exit){ .vaddr = in.vaddr, .info = rp };
		if (rp.kind == RP_RET) {
			rets++;
		} else if (!tails++) {
			first_tail = in.vaddr;
		}
	}
	if (n < 0) {
		rc = -EILSEQ;
		snprintf(why, len, "the bytes at +0x%zx are no instruction (or one cut by its end)",
			 it.pos);
		goto fail;
	}
	if (!rets) {
		rc = -ENOTSUP;
		if (tails)
			snprintf(why, len, "it has no ret: it leaves only by jumps to other code "
				 "(the first at +0x%llx), so none of its calls can be timed here",
				 (unsigned long long)(first_tail - vaddr));
		else
			snprintf(why, len, "it has no ret: it never returns");
		goto fail;
	}
	rs->nr_rets += rets;
	rs->nr_tails += tails;
	return 0;
fail:
	rs->nr = first;
	return rc == -ENOMEM ? -ENOMEM : rc;
}

int ret_sites__find(struct ret_sites *rs, const struct elf_file *ef, __u64 vaddr, __u64 size,
		    char *why, size_t len)
{
	__u64 off, off_last;
	size_t first = rs->nr, i;
	void *code = NULL;
	int rc;

	if (!size || size > RP_MAX_FN_SIZE)
		return ret_sites__decode(rs, NULL, size > RP_MAX_FN_SIZE ? size : 0, vaddr, why,
					 len);
	/* one segment holds it all: the bytes from off on are the function's */
	if (vaddr + size < vaddr || elf_file__vaddr_to_offset(ef, vaddr, &off) ||
	    elf_file__vaddr_to_offset(ef, vaddr + size - 1, &off_last) ||
	    off_last < off || off_last - off != size - 1) {
		snprintf(why, len, "its code [0x%llx, 0x%llx) is not in the file",
			 (unsigned long long)vaddr, (unsigned long long)(vaddr + size));
		return -ENOENT;
	}
	code = malloc(size);
	if (!code)
		return -ENOMEM;
	rc = elf_file__read(ef, off, code, size);
	if (rc)
		snprintf(why, len, "its code cannot be read from the file");
	else
		rc = ret_sites__decode(rs, code, size, vaddr, why, len);
	free(code);
	for (i = first; !rc && i < rs->nr; i++)
		rs->exits[i].offset = off + (rs->exits[i].vaddr - vaddr);
	return rc;
}

void ret_sites__free(struct ret_sites *rs)
{
	free(rs->exits);
	memset(rs, 0, sizeof(*rs));
}
