// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/placement: where a function's entry probe goes,
 * decided on byte buffers, one per class of prologue (the bytes are what
 * gcc and gas emit for them), then over a real file's functions
 * (tests/fixtures/placement/fx_place), where other code enters between.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "loader/attach.h"
#include "loader/elf_file.h"
#include "loader/placement.h"
#include "loader/sym_table.h"

#define FX_PLACE "build/fixtures/placement/fx_place"
#define VADDR 0x401000ULL

static struct placement decide(const __u8 *code, size_t size)
{
	struct placement p;

	placement__decide(code, size, VADDR, &p);
	return p;
}

#define DECIDE(...) ({ static const __u8 c_[] = { __VA_ARGS__ }; decide(c_, sizeof(c_)); })

static void test_push_at_entry_stays(void **state)
{
	/* push %rbx; mov %rdi,%rbx; pop %rbx; ret */
	struct placement p = DECIDE(0x53, 0x48, 0x89, 0xfb, 0x5b, 0xc3);

	(void)state;
	assert_int_equal(p.why, PLACE_ENTRY_CHEAP);
	assert_int_equal(p.skip, 0);
}

static void test_test_then_jcc_moves_to_the_jcc(void **state)
{
	/* test %rdi,%rdi; je +1; nop; ret */
	struct placement p = DECIDE(0x48, 0x85, 0xff, 0x74, 0x01, 0x90, 0xc3);

	(void)state;
	assert_int_equal(p.why, PLACE_MOVED);
	assert_int_equal(p.skip, 3);
	assert_int_equal(p.writes, 0);		/* flags only */
	assert_string_equal(p.past, "test");
	assert_string_equal(p.at, "jz");
}

static void test_mov_then_push_moves_and_says_what_it_wrote(void **state)
{
	/* mov %rdi,%rax; push %rbx; pop %rbx; ret */
	struct placement p = DECIDE(0x48, 0x89, 0xf8, 0x53, 0x5b, 0xc3);

	(void)state;
	assert_int_equal(p.why, PLACE_MOVED);
	assert_int_equal(p.skip, 3);
	assert_int_equal(p.writes, PLACE_W_RAX);
	assert_int_equal(p.nr_skipped, 1);
}

static void test_endbr64_then_push_moves_past_it(void **state)
{
	/* endbr64; push %rbp; pop %rbp; ret */
	struct placement p = DECIDE(0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x5d, 0xc3);
	char buf[128];

	(void)state;
	assert_int_equal(p.skip, 4);
	assert_int_equal(p.writes, 0);
	placement__describe(&p, PLACE_NEEDS_RETURN, buf, sizeof(buf));
	assert_string_equal(buf, "+4 (push, moved past endbr64)");
}

static void test_sub_alone_stays(void **state)
{
	/* sub $24,%rsp; mov %rdi,8(%rsp); mov 8(%rsp),%rax; add $24,%rsp; ret */
	struct placement p = DECIDE(0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0x7c, 0x24, 0x08,
				    0x48, 0x8b, 0x44, 0x24, 0x08, 0x48, 0x83, 0xc4, 0x18, 0xc3);

	(void)state;
	assert_int_equal(p.why, PLACE_NO_EMULATED);
	assert_int_equal(p.skip, 0);
}

static void test_sub_then_call_moves_for_a_count_not_for_a_return(void **state)
{
	/* sub $8,%rsp; call +0; add $8,%rsp; ret */
	static const __u8 code[] = { 0x48, 0x83, 0xec, 0x08, 0xe8, 0, 0, 0, 0,
				     0x48, 0x83, 0xc4, 0x08, 0xc3 };
	struct placement p = decide(code, sizeof(code));
	struct probe_site lat = { .offset = 0x1000, .vaddr = VADDR }, cnt;
	char buf[128];

	(void)state;
	assert_int_equal(p.skip, 4);
	assert_true(p.writes & PLACE_W_RSP);
	lat.place_skip = p.skip;
	lat.place_writes = p.writes;
	cnt = lat;
	assert_false(placement__apply(&lat, PLACE_NEEDS_RETURN));
	assert_int_equal(lat.offset, 0x1000);
	assert_int_equal(lat.placed, 0);
	assert_true(placement__apply(&cnt, 0));
	assert_int_equal(cnt.offset, 0x1004);
	assert_int_equal(cnt.vaddr, VADDR + 4);
	assert_int_equal(cnt.entry_skip, 4);
	assert_int_equal(cnt.placed, 4);
	assert_false(placement__apply(&cnt, 0));	/* once */
	assert_int_equal(cnt.offset, 0x1004);
	placement__describe(&p, PLACE_NEEDS_RETURN, buf, sizeof(buf));
	assert_string_equal(buf, "+0 (what comes before the call at +4 moves rsp)");
}

static void test_loop_back_to_the_second_instruction_stays(void **state)
{
	/* mov %rdi,%rcx; 1: sub $1,%rcx; jnz 1b; ret */
	struct placement p = DECIDE(0x48, 0x89, 0xf9, 0x48, 0x83, 0xe9, 0x01, 0x75, 0xfa, 0xc3);

	(void)state;
	assert_int_equal(p.why, PLACE_BRANCH_IN);
	assert_int_equal(p.skip, 0);
	assert_int_equal(p.entered_from, VADDR + 7);
}

static void test_branch_onto_the_site_itself_stays(void **state)
{
	/* mov %rdi,%rax; 1: push %rbx; pop %rbx; dec %rax; jnz 1b; ret */
	struct placement p = DECIDE(0x48, 0x89, 0xf8, 0x53, 0x5b, 0x48, 0xff, 0xc8, 0x75, 0xf9,
				    0xc3);

	(void)state;
	assert_int_equal(p.why, PLACE_BRANCH_IN);
}

static void test_jump_table_stays(void **state)
{
	/* mov %rdi,%rax; push %rbx; pop %rbx; jmp *%rax */
	struct placement p = DECIDE(0x48, 0x89, 0xf8, 0x53, 0x5b, 0xff, 0xe0);

	(void)state;
	assert_int_equal(p.why, PLACE_INDIRECT_JMP);
	assert_int_equal(p.skip, 0);
}

static void test_arguments_read_at_entry(void **state)
{
	/* mov %rdi,%rbx; push %rbp: rbx is no argument */
	struct placement args = DECIDE(0x48, 0x89, 0xfb, 0x55, 0x5d, 0xc3);
	/* mov %rdi,%rbx; xor %edi,%edi; push %rbp: rdi is arg0 */
	struct placement clob = DECIDE(0x48, 0x89, 0xfb, 0x31, 0xff, 0x55, 0x5d, 0xc3);
	struct probe_site s = { 0 };

	(void)state;
	assert_int_equal(args.skip, 3);
	assert_int_equal(args.writes, PLACE_W_RBX);
	assert_int_equal(clob.skip, 5);
	assert_int_equal(clob.writes, PLACE_W_RBX | PLACE_W_RDI);
	s.place_skip = args.skip;
	s.place_writes = args.writes;
	assert_true(placement__apply(&s, PLACE_NEEDS_C_ARGS));
	/* rbx is Go's second argument register */
	memset(&s, 0, sizeof(s));
	s.place_skip = args.skip;
	s.place_writes = args.writes;
	assert_false(placement__apply(&s, PLACE_NEEDS_GO_ARGS));
	s.place_skip = clob.skip;
	s.place_writes = clob.writes;
	assert_false(placement__apply(&s, PLACE_NEEDS_C_ARGS));
	assert_true(placement__apply(&s, 0));
}

static void test_memory_writes_count_for_ops_that_read(void **state)
{
	/* a store to the stack (below rsp: the red zone): mov %rdi,-8(%rsp); jmp +0 */
	struct placement p = DECIDE(0x48, 0x89, 0x7c, 0x24, 0xf8, 0xeb, 0x00, 0xc3);

	(void)state;
	assert_int_equal(p.skip, 5);
	assert_int_equal(p.writes, PLACE_W_MEM);
}

static void test_no_nop5_past_a_red_zone_store(void **state)
{
	/*
	 * mov %rdi,-8(%rsp); nop5; mov -8(%rsp),%rax; ret: the optimized nop's
	 * call would write its return address over the stored value.
	 */
	struct placement p = DECIDE(0x48, 0x89, 0x7c, 0x24, 0xf8, 0x0f, 0x1f, 0x44, 0x00, 0x00,
				    0x48, 0x8b, 0x44, 0x24, 0xf8, 0xc3);
	/* the same nop after a register write only: moved onto */
	struct placement q = DECIDE(0x48, 0x89, 0xf8, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3);

	(void)state;
	assert_int_not_equal(p.why, PLACE_MOVED);
	assert_int_equal(q.why, PLACE_MOVED);
	assert_int_equal(q.skip, 3);
}

static void test_what_may_fault_or_trap_is_not_skipped(void **state)
{
	(void)state;
	/* mov (%rdi),%rax; test; je: a null rdi faults before the probe */
	assert_int_equal(DECIDE(0x48, 0x8b, 0x07, 0x48, 0x85, 0xc0, 0x74, 0x00, 0xc3).why,
			 PLACE_UNSAFE_SKIP);
	/* the code's own data (rip-relative) and thread-locals (fs) do not fault */
	assert_int_equal(DECIDE(0x48, 0x8b, 0x05, 0, 0, 0, 0, 0x74, 0x00, 0xc3).skip, 7);
	assert_int_equal(DECIDE(0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0, 0x55, 0xc3).skip, 9);
	/* syscall, ud2, div */
	assert_int_equal(DECIDE(0x0f, 0x05, 0x55, 0xc3).why, PLACE_UNSAFE_SKIP);
	assert_int_equal(DECIDE(0x0f, 0x0b, 0x55, 0xc3).why, PLACE_UNSAFE_SKIP);
	assert_int_equal(DECIDE(0x48, 0xf7, 0xf1, 0x55, 0xc3).why, PLACE_UNSAFE_SKIP);
	/* a ret before anything emulated ends the block */
	assert_int_equal(DECIDE(0x48, 0x89, 0xf8, 0xc3, 0x55).why, PLACE_NO_EMULATED);
}

static void test_only_a_few_instructions_are_skipped(void **state)
{
	__u8 code[3 * (PLACE_MAX_INSNS + 1) + 2];
	size_t i;

	(void)state;
	for (i = 0; i + 3 <= sizeof(code) - 2; i += 3)
		memcpy(code + i, "\x48\x89\xf8", 3);		/* mov %rdi,%rax */
	code[sizeof(code) - 2] = 0x55;
	code[sizeof(code) - 1] = 0xc3;
	assert_int_equal(decide(code, sizeof(code)).why, PLACE_NO_EMULATED);
	/* PLACE_MAX_INSNS of them are fine */
	assert_int_equal(decide(code + 3, sizeof(code) - 3).skip, 3 * PLACE_MAX_INSNS);
}

static void test_what_the_kernel_emulates(void **state)
{
	(void)state;
	assert_true(placement__emulated("\x0f\x1f\x44\x00\x00", 5));	/* optimized */
	assert_true(placement__emulated("\x90", 1));
	assert_true(placement__emulated("\x66\x0f\x1f\x44\x00\x00", 6));
	assert_true(placement__emulated("\x41\x57", 2));		/* push %r15 */
	assert_true(placement__emulated("\xe8\0\0\0\0", 5));
	assert_true(placement__emulated("\x0f\x84\0\0\0\0", 6));
	assert_true(placement__emulated("\xeb\x00", 2));
	/* single-stepped: endbr64, a nop the kernel's table lacks, push imm, push
	 * with REX.W, loop and jrcxz, a 0x66-prefixed jcc, jmp through a register */
	assert_false(placement__emulated("\xf3\x0f\x1e\xfa", 4));
	assert_false(placement__emulated("\x66\x2e\x0f\x1f\x84\0\0\0\0\0", 10));
	assert_false(placement__emulated("\x6a\x01", 2));
	assert_false(placement__emulated("\x48\x55", 2));
	assert_false(placement__emulated("\xe2\x00", 2));
	assert_false(placement__emulated("\xe3\x00", 2));
	assert_false(placement__emulated("\x66\x74\x00", 3));
	/* branch hints (cs, ds prefixes): the kernel refuses a probe there */
	assert_false(placement__emulated("\x3e\x74\x00", 3));
	assert_false(placement__emulated("\x2e\x0f\x84\0\0\0\0", 7));
	assert_false(placement__emulated("\xff\xe0", 2));
	assert_false(placement__emulated(NULL, 0));
}

static void test_bad_code_stays(void **state)
{
	struct placement p;

	(void)state;
	placement__decide(NULL, 0, VADDR, &p);
	assert_int_equal(p.why, PLACE_UNDECODED);
	/* 0x06 is no instruction in 64-bit mode, first or later */
	assert_int_equal(DECIDE(0x06).why, PLACE_UNDECODED);
	assert_int_equal(DECIDE(0x48, 0x89, 0xf8, 0x55, 0x06).why, PLACE_UNDECODED);
	/* cut short */
	assert_int_equal(DECIDE(0x48, 0x89).why, PLACE_UNDECODED);
}

static void test_veto_only_between_entry_and_site(void **state)
{
	struct placement p = DECIDE(0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x5d, 0xc3);

	(void)state;
	assert_false(placement__veto(&p, VADDR, VADDR, 1));		/* +0: fine */
	assert_false(placement__veto(&p, VADDR, VADDR + 5, 1));	/* past the site */
	assert_true(placement__veto(&p, VADDR, VADDR + 4, 2));	/* the site itself */
	assert_int_equal(p.skip, 0);
	assert_int_equal(p.entered_from, 2);
}

/* A real file's functions: other functions' branches and symbols enter too. */
static void test_plan_over_a_file_sees_other_code_enter(void **state)
{
	struct sym_file sf = { FX_PLACE, FX_PLACE, 0 };
	const char *names[] = { "pl_endbr", "pl_shared_a", "pl_shared_b", "pl_loop" };
	const __u32 skips[] = { 4, 0, 3, 0 };
	const struct sym *m[4], **found;
	struct placement pl[4];
	struct sym_table *st;
	struct elf_file *ef;
	size_t i;

	(void)state;
	assert_int_equal(sym_table__load(&sf, &st), 0);
	assert_int_equal(elf_file__open(FX_PLACE, &ef), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(sym_table__match(st, names[i], &found), 1);
		m[i] = found[0];
		free(found);
	}
	assert_int_equal(placement__plan(ef, st, m, 4, pl), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(pl[i].skip, skips[i]);
	/* pl_shared_a alone: pl_shared_b, not asked for, still enters it */
	assert_int_equal(placement__plan(ef, st, &m[1], 1, pl), 0);
	assert_int_equal(pl[0].why, PLACE_BRANCH_IN);
	assert_int_equal(pl[0].entered_from, m[2]->addr + 3);
	elf_file__close(ef);
	sym_table__free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_at_entry_stays),
		cmocka_unit_test(test_test_then_jcc_moves_to_the_jcc),
		cmocka_unit_test(test_mov_then_push_moves_and_says_what_it_wrote),
		cmocka_unit_test(test_endbr64_then_push_moves_past_it),
		cmocka_unit_test(test_sub_alone_stays),
		cmocka_unit_test(test_sub_then_call_moves_for_a_count_not_for_a_return),
		cmocka_unit_test(test_loop_back_to_the_second_instruction_stays),
		cmocka_unit_test(test_branch_onto_the_site_itself_stays),
		cmocka_unit_test(test_jump_table_stays),
		cmocka_unit_test(test_arguments_read_at_entry),
		cmocka_unit_test(test_memory_writes_count_for_ops_that_read),
		cmocka_unit_test(test_no_nop5_past_a_red_zone_store),
		cmocka_unit_test(test_what_may_fault_or_trap_is_not_skipped),
		cmocka_unit_test(test_only_a_few_instructions_are_skipped),
		cmocka_unit_test(test_what_the_kernel_emulates),
		cmocka_unit_test(test_bad_code_stays),
		cmocka_unit_test(test_veto_only_between_entry_and_site),
		cmocka_unit_test(test_plan_over_a_file_sees_other_code_enter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
