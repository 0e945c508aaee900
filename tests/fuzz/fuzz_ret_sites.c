// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for loader/ret_sites.c and loader/x86_insn.c: the input
 * is a function's machine code (its first 2 bytes choose where it sits).
 * Never a crash or a read outside the code (ASan), and what is found must
 * hold together: every exit inside the function and on an instruction
 * boundary of a walk from its start, in order, of the kind its own
 * instruction decodes to, a ret among them; a refusal leaves nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/ret_sites.h"
#include "loader/x86_insn.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_ret_sites: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static enum x86_flow flow_of(const struct rp_site *rp)
{
	switch (rp->kind) {
	case RP_RET:
		return X86_FLOW_RET;
	case RP_TAIL_JMP:
		return X86_FLOW_JMP;
	case RP_TAIL_JCC:
		return X86_FLOW_JCC;
	default:
		return X86_FLOW_JMP_INDIRECT;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ret_sites rs = { 0 };
	struct x86_insn in;
	struct x86_iter it;
	size_t i, rets = 0, pos = 0;
	__u64 vaddr;
	char why[256];
	uint8_t *code;
	int rc, n;

	if (size < 2)
		return 0;
	vaddr = 0x400000 + ((__u64)data[0] << 12) + data[1];
	size -= 2;
	/* a copy of exactly size bytes: ASan sees a read past the end */
	code = malloc(size ? size : 1);
	if (!code)
		return 0;
	memcpy(code, data + 2, size);
	why[0] = 0;
	rc = ret_sites__decode(&rs, code, size, vaddr, why, sizeof(why));
	CHECK(rc == 0 || rc == -ENODATA || rc == -EILSEQ || rc == -ENOTSUP || rc == -E2BIG);
	CHECK(rc == 0 || (rs.nr == 0 && why[0] && strlen(why) < sizeof(why)));
	/* the exits lie on the boundaries of a walk from the start */
	x86_iter__init(&it, code, size, vaddr);
	for (i = 0; !rc && i < rs.nr; i++) {
		const struct ret_exit *x = &rs.exits[i];
		struct x86_iter one;

		CHECK(x->vaddr == vaddr + x->info.fn_off);
		CHECK(x->info.fn_size == size && x->info.fn_off < size);
		CHECK(x->info.insn_len >= 1 && x->info.insn_len <= 15);
		CHECK(x->info.fn_off + x->info.insn_len <= size);
		CHECK(x->info.kind >= RP_RET && x->info.kind <= RP_TAIL_INDIRECT);
		CHECK(i == 0 || x->vaddr > rs.exits[i - 1].vaddr);
		while (pos < x->info.fn_off) {
			CHECK(x86_iter__next(&it, &in) == 1);
			pos += in.len;
		}
		CHECK(pos == x->info.fn_off);
		x86_iter__init(&one, code + x->info.fn_off, x->info.insn_len, x->vaddr);
		CHECK(x86_iter__next(&one, &in) == 1 && in.len == x->info.insn_len);
		CHECK(in.flow == flow_of(&x->info));
		if (x->info.kind == RP_TAIL_JMP || x->info.kind == RP_TAIL_JCC)
			CHECK(in.target < vaddr || in.target - vaddr >= size);
		rets += x->info.kind == RP_RET;
	}
	CHECK(rc || (rets >= 1 && rets == rs.nr_rets && rs.nr == rs.nr_rets + rs.nr_tails));
	/* success means the whole body decodes, to its last byte */
	while (!rc && (n = x86_iter__next(&it, &in)) > 0)
		pos += in.len;
	CHECK(rc || pos == size);
	ret_sites__free(&rs);
	free(code);
	return 0;
}
