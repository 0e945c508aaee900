// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/insn_guard: which first instructions a uprobe must
 * not sit on, from the bytes of real functions (glibc's string functions,
 * the fixtures' prologues) and through a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "loader/insn_guard.h"

struct code {
	const char *what;
	unsigned char bytes[16];
	size_t len;
	bool unsafe;
};

static const struct code cases[] = {
	/* __strchr_evex and __strchrnul_evex (glibc 2.36): vpbroadcastb %esi,%ymm17 */
	{ "EVEX vpbroadcastb", { 0x62, 0xe2, 0x7d, 0x28, 0x7a, 0xce }, 6, true },
	/* __memset_evex_unaligned: vpbroadcastb %esi,%ymm16 */
	{ "EVEX, another", { 0x62, 0xe2, 0x7d, 0x28, 0x7a, 0xc6 }, 6, true },
	/* __strchr_avx2: vmovd %esi,%xmm0 (the kernel itself refuses VEX) */
	{ "VEX vmovd", { 0xc5, 0xf9, 0x6e, 0xc6 }, 4, false },
	{ "endbr64", { 0xf3, 0x0f, 0x1e, 0xfa }, 4, false },
	{ "push %rbp", { 0x55 }, 1, false },
	{ "mov %edi,%eax", { 0x89, 0xf8 }, 2, false },
	/* cut short, or not code: not ours to judge */
	{ "EVEX cut short", { 0x62, 0xe2, 0x7d }, 3, false },
	{ "nothing", { 0 }, 0, false },
};

static void test_evex_first_instructions_are_unsafe(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (insn_guard__unsafe(cases[i].bytes, cases[i].len) != cases[i].unsafe)
			fail_msg("%s: expected %s", cases[i].what, cases[i].unsafe ? "unsafe" : "safe");
}

static void test_read_from_a_file_at_an_offset(void **state)
{
	static const unsigned char code[] = { 0x55, 0x62, 0xe2, 0x7d, 0x28, 0x7a, 0xce, 0xc3 };
	int fd = memfd_create("insn_guard", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, code, sizeof(code)), sizeof(code));
	assert_int_equal(insn_guard__unsafe_at(fd, 0), 0);
	assert_int_equal(insn_guard__unsafe_at(fd, 1), 1);
	assert_int_equal(insn_guard__unsafe_at(fd, 7), 0);	/* ret, last byte */
	assert_int_equal(insn_guard__unsafe_at(fd, 100), 0);	/* past the end */
	close(fd);
	assert_true(insn_guard__unsafe_at(-1, 0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evex_first_instructions_are_unsafe),
		cmocka_unit_test(test_read_from_a_file_at_an_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
