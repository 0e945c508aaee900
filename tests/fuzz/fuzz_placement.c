// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for loader/placement.c: the input is a function's
 * machine code (its first 2 bytes choose where it sits). Never a crash or
 * a read outside the code (ASan), and a move must hold together: the site
 * on an instruction boundary of a walk from +0, within PLACE_MAX_INSNS
 * instructions, an instruction the kernel emulates, +0 not one, nothing
 * decoded in the function branching into (+0, site], no indirect jump.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/placement.h"
#include "loader/x86_insn.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_placement: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static void check_move(const uint8_t *code, size_t size, __u64 vaddr, const struct placement *p)
{
	struct x86_insn in;
	struct x86_iter it;
	size_t pos = 0, n = 0;

	CHECK(p->skip > 0 && p->skip < size && p->nr_skipped >= 1 &&
	      p->nr_skipped <= PLACE_MAX_INSNS);
	CHECK(!placement__emulated(code, size));
	CHECK(placement__emulated(code + p->skip, size - p->skip));
	CHECK(p->past[0] && p->at[0] && memchr(p->past, 0, sizeof(p->past)));
	x86_iter__init(&it, code, size, vaddr);
	while (x86_iter__next(&it, &in) == 1) {
		if (pos < p->skip)
			n++;
		pos += in.len;
		CHECK(pos != p->skip || n == p->nr_skipped);
		CHECK(in.flow != X86_FLOW_JMP_INDIRECT);
		if (in.flow == X86_FLOW_JMP || in.flow == X86_FLOW_JCC ||
		    in.flow == X86_FLOW_CALL || in.flow == X86_FLOW_COND_OTHER)
			CHECK(in.target <= vaddr || in.target > vaddr + p->skip);
	}
	CHECK(pos == size);	/* the whole function decodes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct placement p;
	__u64 vaddr;
	uint8_t *code;
	char buf[160];

	if (size < 2)
		return 0;
	vaddr = 0x400000 + ((__u64)data[0] << 12) + data[1];
	size -= 2;
	/* a copy of exactly size bytes: ASan sees a read past the end */
	code = malloc(size ? size : 1);
	if (!code)
		return 0;
	memcpy(code, data + 2, size);
	placement__decide(code, size, vaddr, &p);
	CHECK(p.why >= PLACE_MOVED && p.why <= PLACE_UNDECODED);	/* not NEAR_UNKNOWN: a file's */
	CHECK((p.why == PLACE_MOVED) == (p.skip != 0));
	if (p.why == PLACE_MOVED)
		check_move(code, size, vaddr, &p);
	placement__describe(&p, PLACE_NEEDS_RETURN, buf, sizeof(buf));
	CHECK(buf[0] == '+' && strlen(buf) < sizeof(buf));
	free(code);
	return 0;
}
