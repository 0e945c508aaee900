// SPDX-License-Identifier: MIT
/* Past a Go function's stack check; see go_prologue.h. */
#include <errno.h>
#include "loader/elf_file.h"
#include "loader/go_prologue.h"
#include "loader/x86_insn.h"

#define PROLOGUE_INSNS	8	/* a check is 2-5 instructions; the big-frame one has two jccs */
#define PROLOGUE_BYTES	64
#define MORE_INSNS	48	/* MORE spills the argument registers, calls, reloads, jumps */
#define MORE_BYTES	256

/* Read up to len bytes of the function's code at vaddr (never past its end). */
static int read_code(const struct elf_file *ef, __u64 vaddr, __u64 end, __u8 *buf,
		     size_t len, size_t *got)
{
	__u64 off;
	int rc;

	if (vaddr >= end)
		return -ENOENT;
	if (end - vaddr < len)
		len = (size_t)(end - vaddr);
	rc = elf_file__vaddr_to_offset(ef, vaddr, &off);
	if (!rc)
		rc = elf_file__read(ef, off, buf, len);
	*got = len;
	return rc;
}

/*
 * Is the code at more, inside the function, the morestack block: a call,
 * then (after reloading the arguments) a jmp back to the function's first
 * byte, with nothing else leaving on the way?
 */
static bool is_morestack_block(const struct elf_file *ef, __u64 fn, __u64 end, __u64 more)
{
	__u8 code[MORE_BYTES];
	struct x86_insn in;
	struct x86_iter it;
	bool called = false;
	size_t len, i;

	if (read_code(ef, more, end, code, sizeof(code), &len))
		return false;
	x86_iter__init(&it, code, len, more);
	for (i = 0; i < MORE_INSNS && x86_iter__next(&it, &in) == 1; i++) {
		if (in.flow == X86_FLOW_CALL && !called)
			called = true;
		else if (in.flow == X86_FLOW_JMP)
			return called && in.target == fn;
		else if (in.flow != X86_FLOW_NEXT)
			return false;
	}
	return false;
}

int go_prologue__skip(const struct elf_file *ef, __u64 vaddr, __u64 size, __u64 *skip)
{
	__u64 end = vaddr + size;
	__u8 code[PROLOGUE_BYTES];
	struct x86_insn in;
	struct x86_iter it;
	size_t len, i;
	int rc;

	*skip = 0;
	if (!size || end < vaddr)
		return 0;
	rc = read_code(ef, vaddr, end, code, sizeof(code), &len);
	if (rc)
		return rc;
	x86_iter__init(&it, code, len, vaddr);
	/* the last jcc of the prologue into the morestack block ends the check */
	for (i = 0; i < PROLOGUE_INSNS && x86_iter__next(&it, &in) == 1; i++) {
		if (in.flow == X86_FLOW_JCC && in.target > vaddr && in.target < end &&
		    is_morestack_block(ef, vaddr, end, in.target))
			*skip = in.vaddr + in.len - vaddr;
		else if (in.flow != X86_FLOW_NEXT)
			break;
	}
	return 0;
}
