// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/usdt_notes: the SDT fixtures of tests/fixtures/elf.mk
 * (checked against the bytes and section headers of the file, read here
 * independently) and the argument-string parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/usdt_notes.h"
#include "tests/unit/helpers.h"

#define FX "build/fixtures/elf/"

/* uapi struct pt_regs offsets, written out again rather than shared. */
#define PT_RBP	32
#define PT_RBX	40
#define PT_RAX	80
#define PT_RSI	104
#define PT_RDI	112
#define PT_RIP	128
#define PT_R8	72
#define PT_R15	0

/* sh_offset of the section called name, read without libelf. */
static __u64 section_offset(const char *path, const char *name)
{
	size_t size, i;
	unsigned char *buf = read_whole_file(path, &size);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	Elf64_Shdr strs, sh;
	__u64 off = 0;

	assert_true(eh->e_shoff + eh->e_shnum * sizeof(sh) <= size);
	memcpy(&strs, buf + eh->e_shoff + eh->e_shstrndx * sizeof(sh),
	       sizeof(sh));
	for (i = 0; i < eh->e_shnum; i++) {
		memcpy(&sh, buf + eh->e_shoff + i * sizeof(sh), sizeof(sh));
		assert_true(strs.sh_offset + sh.sh_name < size);
		if (!strcmp((const char *)buf + strs.sh_offset + sh.sh_name,
			    name))
			off = sh.sh_offset;
	}
	free(buf);
	if (!off)
		fail_msg("%s: no section %s", path, name);
	return off;
}

static struct usdt_probe *load(const char *path, size_t *n)
{
	struct usdt_probe *p = NULL;
	int err = usdt_notes__load(path, &p, n);

	if (err)
		fail_msg("%s: usdt_notes__load failed: %d", path, err);
	return p;
}

static const struct usdt_probe *find(const struct usdt_probe *p, size_t n,
				     const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	fail_msg("probe %s not found among %zu", name, n);
	return NULL;
}

static void check_fixture(const char *path)
{
	size_t n, size;
	struct usdt_probe *p = load(path, &n);
	unsigned char *file = read_whole_file(path, &size);
	const struct usdt_probe *two, *sema, *none;
	size_t i;

	assert_int_equal(n, 3);
	two = find(p, n, "two_args");
	sema = find(p, n, "sema_probe");
	none = find(p, n, "no_args");
	for (i = 0; i < n; i++) {
		assert_string_equal(p[i].provider, "fxprov");
		assert_true(p[i].offset < size);
		/* SDT probe sites are nops. */
		if (file[p[i].offset] != 0x90)
			fail_msg("%s: %s at offset 0x%llx holds 0x%02x, not a nop",
				 path, p[i].name,
				 (unsigned long long)p[i].offset,
				 file[p[i].offset]);
	}
	assert_int_equal(two->nargs, 2);
	assert_int_equal(two->args[0].kind, USDT_ARG_REG);
	assert_int_equal(two->args[0].size, -4);		/* int a */
	assert_int_equal(two->args[1].size, -8);		/* long b */
	assert_int_equal(two->sema_addr, 0);
	assert_int_equal(two->sema_offset, 0);
	assert_int_equal(none->nargs, 0);
	assert_string_equal(none->arg_str, "");
	assert_int_equal(sema->nargs, 1);
	assert_true(sema->sema_addr != 0);
	/* The only variable in .probes, so at the start of the section. */
	assert_int_equal(sema->sema_offset, section_offset(path, ".probes"));
	free(file);
	usdt_notes__free(p, n);
}

static void test_pie_probes_found_on_nops_with_semaphore(void **state)
{
	check_fixture(FX "fx_usdt");
}

static void test_nopie_probes_found_on_nops_with_semaphore(void **state)
{
	size_t n;
	struct usdt_probe *p = load(FX "fx_usdt_nopie", &n);

	check_fixture(FX "fx_usdt_nopie");
	/* Non-PIE: the address is not the file offset. */
	assert_true(n > 0 && p[0].pc >= 0x400000 && p[0].offset < p[0].pc);
	assert_true(find(p, n, "sema_probe")->sema_addr >= 0x400000);
	usdt_notes__free(p, n);
}

static void test_file_without_probes_gives_zero(void **state)
{
	struct usdt_probe *p = (struct usdt_probe *)&p;
	size_t n = 99;

	assert_int_equal(usdt_notes__load(FX "fx_pie", &p, &n), 0);
	assert_int_equal(n, 0);
	assert_null(p);
}

static void test_malformed_notes_are_skipped(void **state)
{
	size_t n;
	struct usdt_probe *p = load(FX "fx_badnote", &n);

	assert_int_equal(n, 1);
	assert_string_equal(p[0].provider, "fxbad");
	assert_string_equal(p[0].name, "good");
	assert_int_equal(p[0].nargs, 1);
	assert_int_equal(p[0].args[0].reg_off, PT_RAX);
	usdt_notes__free(p, n);
}

static void test_corrupt_files_are_errors(void **state)
{
	static const char *const bad[] = {
		"fx_trunc_64", "fx_trunc_half", "fx_trunc_last", "fx_garbage",
		"fx_elf_garbage", "fx_bad_shoff", "fx_bad_shnum", "fx_class32",
		"fx_text", "fx_empty", "no_such_file", "",
	};
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct usdt_probe *p = NULL;
		size_t n = 7;
		int err;

		snprintf(path, sizeof(path), FX "%s", bad[i]);
		err = usdt_notes__load(path, &p, &n);
		if (err >= 0)
			fail_msg("%s: usdt_notes__load returned %d, expected an error",
				 path, err);
		assert_null(p);
		assert_int_equal(n, 0);
	}
}

static void test_parse_register_deref_and_const(void **state)
{
	struct usdt_arg a[USDT_MAX_ARGS];

	assert_int_equal(usdt_parse_args("-4@%edi 8@-16(%rbp) 4@$5", a,
					 USDT_MAX_ARGS), 3);
	assert_int_equal(a[0].kind, USDT_ARG_REG);
	assert_int_equal(a[0].size, -4);
	assert_int_equal(a[0].reg_off, PT_RDI);
	assert_int_equal(a[1].kind, USDT_ARG_REG_DEREF);
	assert_int_equal(a[1].size, 8);
	assert_int_equal(a[1].val, -16);
	assert_int_equal(a[1].reg_off, PT_RBP);
	assert_int_equal(a[2].kind, USDT_ARG_CONST);
	assert_int_equal(a[2].size, 4);
	assert_int_equal(a[2].val, 5);
}

static void test_parse_single_forms(void **state)
{
	struct usdt_arg a[USDT_MAX_ARGS];

	assert_int_equal(usdt_parse_args("8@%rax", a, USDT_MAX_ARGS), 1);
	assert_int_equal(a[0].kind, USDT_ARG_REG);
	assert_int_equal(a[0].reg_off, PT_RAX);

	assert_int_equal(usdt_parse_args("-1@%sil", a, USDT_MAX_ARGS), 1);
	assert_int_equal(a[0].size, -1);
	assert_int_equal(a[0].reg_off, PT_RSI);

	assert_int_equal(usdt_parse_args("8@(%rbx)", a, USDT_MAX_ARGS), 1);
	assert_int_equal(a[0].kind, USDT_ARG_REG_DEREF);
	assert_int_equal(a[0].val, 0);
	assert_int_equal(a[0].reg_off, PT_RBX);

	assert_int_equal(usdt_parse_args("2@%r8w -4@%r15d 1@%al", a,
					 USDT_MAX_ARGS), 3);
	assert_int_equal(a[0].reg_off, PT_R8);
	assert_int_equal(a[1].reg_off, PT_R15);
	assert_int_equal(a[2].reg_off, PT_RAX);

	assert_int_equal(usdt_parse_args("8@24(%rip)", a, USDT_MAX_ARGS), 1);
	assert_int_equal(a[0].reg_off, PT_RIP);
	assert_int_equal(a[0].val, 24);

	assert_int_equal(usdt_parse_args("-8@$-9223372036854775808", a,
					 USDT_MAX_ARGS), 1);
	assert_true(a[0].val == INT64_MIN);
	assert_int_equal(usdt_parse_args("  ", a, USDT_MAX_ARGS), 0);
}

static void test_parse_rejects_bad_strings(void **state)
{
	static const char *const bad[] = {
		"8@(%rax,%rbx,8)",	/* index form */
		"4@foo(%rip)",		/* symbolic displacement */
		"3@%eax",		/* size */
		"16@%rax",
		"@%rax",
		"%rax",			/* no size */
		"4@%xyz",		/* register */
		"4@%ah",		/* high byte: not the low byte of rax */
		"4@%r16",
		"4@%r7",
		"4@$",
		"4@$abc",
		"4@$99999999999999999999",	/* overflows */
		"4@%eax,",
		"4@-8(%rbp",
		"4@(%rbp)x",
		"4@%eax4@%ebx",
	};
	struct usdt_arg a[USDT_MAX_ARGS];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = usdt_parse_args(bad[i], a, USDT_MAX_ARGS);

		if (r != -EINVAL)
			fail_msg("'%s': parsed as %d args, expected -EINVAL",
				 bad[i], r);
	}
}

static void test_parse_respects_max(void **state)
{
	struct usdt_arg a[2];

	assert_int_equal(usdt_parse_args("4@$1 4@$2", a, 2), 2);
	assert_int_equal(usdt_parse_args("4@$1 4@$2 4@$3", a, 2), -EINVAL);
	assert_int_equal(usdt_parse_args(NULL, a, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie_probes_found_on_nops_with_semaphore),
		cmocka_unit_test(test_nopie_probes_found_on_nops_with_semaphore),
		cmocka_unit_test(test_file_without_probes_gives_zero),
		cmocka_unit_test(test_malformed_notes_are_skipped),
		cmocka_unit_test(test_corrupt_files_are_errors),
		cmocka_unit_test(test_parse_register_deref_and_const),
		cmocka_unit_test(test_parse_single_forms),
		cmocka_unit_test(test_parse_rejects_bad_strings),
		cmocka_unit_test(test_parse_respects_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
