// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/lang_runtime: real Go and OCaml files built by
 * tests/fixtures/runtimes.mk (stripped too), native programs carrying one
 * marker each, native files, corrupt files. What is done with the answer
 * is tested in test_ret_plan.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include "loader/lang_runtime.h"
#include "tests/unit/helpers.h"

#define RT "build/fixtures/runtimes/"
#define ELF "build/fixtures/elf/"

static void expect_runtime(const char *path, enum lang_runtime rt, bool library,
			   const char *marker)
{
	struct runtime_info info;
	int err = lang_runtime__detect(path, &info);

	if (err)
		fail_msg("%s: detect failed: %s", path, strerror(-err));
	if (info.runtime != rt)
		fail_msg("%s: expected %s, detected %s", path, lang_runtime__name(rt),
			 lang_runtime__name(info.runtime));
	assert_int_equal(info.library, library);
	if (!marker)
		assert_null(info.marker);
	else if (!strcmp(marker, "*"))
		assert_non_null(info.marker);	/* whichever the table lists first */
	else
		assert_string_equal(info.marker, marker);
}

static void test_go_program_by_its_sections(void **state)
{
	expect_runtime(RT "fx_go", LANG_RUNTIME_GO, false, ".gopclntab");
}

/* -ldflags='-s -w' drops .symtab (and runtime.morestack with it), not .gopclntab. */
static void test_stripped_go_program_still_go(void **state)
{
	expect_runtime(RT "fx_go_stripped", LANG_RUNTIME_GO, false, ".gopclntab");
}

/* A c-shared library has no .gopclntab section, but .go.buildinfo. */
static void test_stripped_go_library_is_a_go_library(void **state)
{
	expect_runtime(RT "libfxgo.so", LANG_RUNTIME_GO, true, ".go.buildinfo");
}

/* The C program linking it is native: the decision is per file. */
static void test_c_host_of_go_library_is_native(void **state)
{
	expect_runtime(RT "fx_gohost", LANG_RUNTIME_NATIVE, false, NULL);
}

static void test_ocaml_program(void **state)
{
	expect_runtime(RT "fx_ocaml", LANG_RUNTIME_OCAML, false, "*");
}

/* strip(1) leaves .dynsym, where ocamlopt's -Wl,-E put the markers too. */
static void test_stripped_ocaml_program(void **state)
{
	expect_runtime(RT "fx_ocaml_stripped", LANG_RUNTIME_OCAML, false, "*");
}

static void test_each_marker_alone(void **state)
{
	expect_runtime(RT "markers/fx_mark_gosym", LANG_RUNTIME_GO, false, "runtime.morestack");
	expect_runtime(RT "markers/fx_mark_camlsym", LANG_RUNTIME_OCAML, false,
		       "caml_start_program");
	expect_runtime(RT "markers/fx_mark_gosect", LANG_RUNTIME_GO, false, ".gopclntab");
	expect_runtime(RT "markers/fx_mark_none", LANG_RUNTIME_NATIVE, false, NULL);
}

static void test_native_files(void **state)
{
	expect_runtime(ELF "fx_pie", LANG_RUNTIME_NATIVE, false, NULL);
	expect_runtime(ELF "fx_nopie", LANG_RUNTIME_NATIVE, false, NULL);
	expect_runtime(ELF "fx_stripped", LANG_RUNTIME_NATIVE, false, NULL);
	expect_runtime(ELF "libfx.so", LANG_RUNTIME_NATIVE, true, NULL);
	expect_runtime("build/fixtures/procs/fx_calls", LANG_RUNTIME_NATIVE, false, NULL);
}

/* Every corrupt fixture is an error, never a crash or a guess. */
static void test_corrupt_files_are_errors(void **state)
{
	static const char *const bad[] = {
		"fx_trunc_16", "fx_trunc_64", "fx_trunc_1000", "fx_trunc_half",
		"fx_trunc_last", "fx_garbage", "fx_elf_garbage", "fx_bad_shoff",
		"fx_bad_shnum", "fx_bad_phoff", "fx_class32", "fx_bigendian",
		"fx_text", "fx_empty",
	};
	struct runtime_info info;
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), ELF "%s", bad[i]);
		if (lang_runtime__detect(path, &info) != -ENOEXEC)
			fail_msg("%s: expected -ENOEXEC", path);
		assert_int_equal(info.runtime, LANG_RUNTIME_NATIVE);
	}
	assert_int_equal(lang_runtime__detect(ELF "no_such_file", &info), -ENOENT);
	assert_int_equal(lang_runtime__detect(ELF, &info), -EISDIR);
}

/*
 * A hostile file: nsyms symbols and nsects sections all named by one name
 * of name_len bytes with no NUL after it (the one string table is also the
 * section names'), where a reader that looks for the end of each name
 * scans the whole name for every symbol and section.
 */
static void write_long_name_elf(const char *path, size_t nsyms, size_t nsects,
				size_t name_len)
{
	size_t sym_off = sizeof(Elf64_Ehdr), str_off = sym_off + nsyms * sizeof(Elf64_Sym);
	size_t sh_off = (str_off + 1 + name_len + 7) & ~(size_t)7, i;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT },
		.e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_shoff = sh_off, .e_ehsize = sizeof(Elf64_Ehdr),
		.e_shentsize = sizeof(Elf64_Shdr), .e_shnum = (Elf64_Half)(3 + nsects),
		.e_shstrndx = 2,
	};
	Elf64_Shdr sh[3] = {
		[1] = { .sh_name = 1, .sh_type = SHT_SYMTAB, .sh_offset = sym_off,
			.sh_size = nsyms * sizeof(Elf64_Sym), .sh_link = 2, .sh_addralign = 8,
			.sh_entsize = sizeof(Elf64_Sym) },
		[2] = { .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = str_off,
			.sh_size = 1 + name_len, .sh_addralign = 1 },
	};
	Elf64_Shdr empty = { .sh_name = 1, .sh_type = SHT_PROGBITS };
	Elf64_Sym sym = { .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC) };
	FILE *f = fopen(path, "wb");

	assert_true(3 + nsects < SHN_LORESERVE);
	assert_non_null(f);
	fwrite(&eh, sizeof(eh), 1, f);
	fwrite(&(Elf64_Sym){ 0 }, sizeof(sym), 1, f);
	for (i = 1; i < nsyms; i++)
		fwrite(&sym, sizeof(sym), 1, f);
	fputc('\0', f);
	for (i = 0; i < name_len; i++)
		fputc('r', f);
	for (i = str_off + 1 + name_len; i < sh_off; i++)
		fputc('\0', f);	/* padding: not part of the string table */
	fwrite(sh, sizeof(sh), 1, f);
	for (i = 0; i < nsects; i++)
		fwrite(&empty, sizeof(empty), 1, f);
	assert_int_equal(fclose(f), 0);
}

/*
 * 200k symbols and 60k sections on one 8 MiB name: a look for each name's
 * end would scan about 2 TB. The child gets 60 s (the work takes
 * milliseconds): past that it is a hang, whatever the machine's load.
 */
static void test_long_unterminated_name_does_not_hang(void **state)
{
	char path[512];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/long_name", scratch_dir);
	write_long_name_elf(path, 200000, 60000, 8 << 20);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct runtime_info info;

		alarm(60);
		_exit(lang_runtime__detect(path, &info) == 0 &&
		      info.runtime == LANG_RUNTIME_NATIVE ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("detect did not finish: signal %d (SIGALRM is a hang)", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	char dir[] = "/tmp/test_lang_runtime.XXXXXX";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_program_by_its_sections),
		cmocka_unit_test(test_stripped_go_program_still_go),
		cmocka_unit_test(test_stripped_go_library_is_a_go_library),
		cmocka_unit_test(test_c_host_of_go_library_is_native),
		cmocka_unit_test(test_ocaml_program),
		cmocka_unit_test(test_stripped_ocaml_program),
		cmocka_unit_test(test_each_marker_alone),
		cmocka_unit_test(test_native_files),
		cmocka_unit_test(test_corrupt_files_are_errors),
		cmocka_unit_test(test_long_unterminated_name_does_not_hang),
	};

	scratch_dir = dir;
	return cmocka_run_group_tests(tests, scratch_dir_setup, scratch_dir_teardown);
}
