// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/elf_file and loader/sym_table against the fixtures
 * of tests/fixtures/elf.mk. Offsets are checked against an independent
 * reading of the file: where a marker function's bytes are, and what the
 * program headers say.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "loader/elf_file.h"
#include "loader/sym_table.h"
#include "tests/unit/helpers.h"

#define FX "build/fixtures/elf/"

/* mov $0x5ca1ab1e,%eax; ret and mov $0xdeadbeef,%eax; ret */
static const unsigned char marker_prog[] = { 0xb8, 0x1e, 0xab, 0xa1, 0x5c, 0xc3 };
static const unsigned char marker_lib[] = { 0xb8, 0xef, 0xbe, 0xad, 0xde, 0xc3 };

/* The one place pattern occurs in path; fails the test unless exactly one. */
static __u64 unique_offset_of(const char *path, const unsigned char *pat,
			      size_t len)
{
	size_t size, i, hits = 0;
	unsigned char *buf = read_whole_file(path, &size);
	__u64 at = 0;

	for (i = 0; i + len <= size; i++) {
		if (!memcmp(buf + i, pat, len)) {
			at = i;
			hits++;
		}
	}
	free(buf);
	if (hits != 1)
		fail_msg("%s: marker bytes found %zu times, expected once", path,
			 hits);
	return at;
}

/* A reading of the program headers that shares no code with elf_file. */
static bool phdr_offset(const char *path, __u64 vaddr, __u64 *off)
{
	size_t size, i;
	unsigned char *buf = read_whole_file(path, &size);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	bool found = false;

	assert_true(size >= sizeof(*eh));
	assert_true(eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) <= size);
	for (i = 0; i < eh->e_phnum && !found; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			found = true;
		}
	}
	free(buf);
	return found;
}

static struct sym_table *load(const char *path)
{
	struct sym_table *st = NULL;
	int err = sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st);

	if (err)
		fail_msg("%s: sym_table__load failed: %d", path, err);
	assert_non_null(st);
	return st;
}

/* The only match of glob, failing the test if there is not exactly one. */
static const struct sym *one(const struct sym_table *st, const char *glob)
{
	const struct sym **m = NULL, *s;
	size_t n = sym_table__match(st, glob, &m);

	if (n != 1)
		fail_msg("glob '%s': expected 1 match, got %zu", glob, n);
	s = m[0];
	free(m);
	return s;
}

static size_t count_named(const struct sym_table *st, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < sym_table__count(st); i++)
		n += !strcmp(sym_table__get(st, i)->name, name);
	return n;
}

static void check_marker(const char *path, const char *sym,
			 const unsigned char *pat, size_t len)
{
	struct sym_table *st = load(path);
	const struct sym *s = one(st, sym);
	__u64 expect = unique_offset_of(path, pat, len);

	if (s->offset != expect)
		fail_msg("%s: %s at offset 0x%llx, its bytes are at 0x%llx", path,
			 sym, (unsigned long long)s->offset,
			 (unsigned long long)expect);
	assert_int_equal(s->size, len);
	sym_table__free(st);
}

static void test_pie_marker_offset_is_where_its_bytes_are(void **state)
{
	check_marker(FX "fx_pie", "fx_marker", marker_prog, sizeof(marker_prog));
}

static void test_nopie_marker_offset_is_where_its_bytes_are(void **state)
{
	check_marker(FX "fx_nopie", "fx_marker", marker_prog,
		     sizeof(marker_prog));
}

static void test_shared_lib_marker_offset_is_where_its_bytes_are(void **state)
{
	check_marker(FX "libfx.so", "fx_lib_marker", marker_lib,
		     sizeof(marker_lib));
}

static void test_stripped_marker_offset_is_where_its_bytes_are(void **state)
{
	check_marker(FX "fx_stripped", "fx_marker", marker_prog,
		     sizeof(marker_prog));
}

static void check_all_offsets(const char *path)
{
	struct sym_table *st = load(path);
	size_t i;

	assert_true(sym_table__count(st) > 5);
	for (i = 0; i < sym_table__count(st); i++) {
		const struct sym *s = sym_table__get(st, i);
		__u64 off;

		if (!phdr_offset(path, s->addr, &off))
			fail_msg("%s: %s at 0x%llx is in no PT_LOAD", path,
				 s->name, (unsigned long long)s->addr);
		if (off != s->offset)
			fail_msg("%s: %s offset 0x%llx, program headers say 0x%llx",
				 path, s->name, (unsigned long long)s->offset,
				 (unsigned long long)off);
		if (i)
			assert_true(sym_table__get(st, i - 1)->addr <= s->addr);
	}
	sym_table__free(st);
}

static void test_every_offset_matches_program_headers(void **state)
{
	check_all_offsets(FX "fx_pie");
	check_all_offsets(FX "fx_nopie");
	check_all_offsets(FX "libfx.so");
	check_all_offsets(FX "fx_stripped");
}

/* A merged symbol is shown as coming from the first source: .symtab. */
static void test_source_is_the_first_table_that_names_it(void **state)
{
	struct sym_table *full = load(FX "fx_rdynamic"), *stripped = load(FX "fx_stripped");

	assert_int_equal(one(full, "fx_work")->source, SYM_SRC_SYMTAB);
	assert_int_equal(one(stripped, "fx_work")->source, SYM_SRC_DYNSYM);
	assert_string_equal(sym_source__name(SYM_SRC_DYNSYM), "dynsym");
	sym_table__free(full);
	sym_table__free(stripped);
}

static void test_nopie_offset_differs_from_address(void **state)
{
	struct sym_table *st = load(FX "fx_nopie");
	const struct sym *s = one(st, "fx_work");

	/* Non-PIE text is linked at 0x400000 and up; the offset is not. */
	assert_true(s->addr >= 0x400000);
	assert_true(s->offset < s->addr);
	sym_table__free(st);
}

static void test_pie_and_dso_are_et_dyn(void **state)
{
	static const struct {
		const char *path;
		bool dyn;
	} cases[] = {
		{ FX "fx_pie", true },
		{ FX "fx_nopie", false },
		{ FX "libfx.so", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct elf_file *ef;

		assert_int_equal(elf_file__open(cases[i].path, &ef), 0);
		if (elf_file__is_pie_or_dso(ef) != cases[i].dyn)
			fail_msg("%s: is_pie_or_dso %d, expected %d",
				 cases[i].path, !cases[i].dyn, cases[i].dyn);
		assert_non_null(elf_file__elf(ef));
		elf_file__close(ef);
	}
}

static void test_vaddr_outside_segments_is_enoent(void **state)
{
	struct elf_file *ef;
	__u64 off = 12345;

	assert_int_equal(elf_file__open(FX "fx_nopie", &ef), 0);
	assert_int_equal(elf_file__vaddr_to_offset(ef, 0, &off), -ENOENT);
	assert_int_equal(elf_file__vaddr_to_offset(ef, ~0ULL, &off), -ENOENT);
	assert_int_equal(off, 12345);
	elf_file__close(ef);
}

static void test_versioned_function_keeps_both_versions(void **state)
{
	struct sym_table *st = load(FX "libfx.so");
	const struct sym **m = NULL, *v1, *v2;
	size_t n = sym_table__match(st, "fx_ver", &m);

	assert_int_equal(n, 2);
	v1 = one(st, "fx_ver@VER_1");
	v2 = one(st, "fx_ver@@VER_2");
	assert_string_equal(v1->name, "fx_ver");
	assert_string_equal(v1->version, "VER_1");
	assert_false(v1->default_version);
	assert_string_equal(v2->name, "fx_ver");
	assert_string_equal(v2->version, "VER_2");
	assert_true(v2->default_version);
	assert_true(v1->addr != v2->addr);
	/* Sorted by address, and the two versions are the two matches. */
	assert_true(m[0]->addr < m[1]->addr);
	assert_true((m[0] == v1 && m[1] == v2) || (m[0] == v2 && m[1] == v1));
	free(m);
	sym_table__free(st);
}

static void test_version_glob_rules(void **state)
{
	struct sym_table *st = load(FX "libfx.so");
	const struct sym **m = NULL;

	/* A default version also answers to the single '@' spelling. */
	assert_string_equal(one(st, "fx_ver@VER_2")->version, "VER_2");
	/* A hidden version never answers to "@@". */
	assert_int_equal(sym_table__match(st, "fx_ver@@VER_1", &m), 0);
	assert_null(m);
	assert_int_equal(sym_table__match(st, "fx_ver@*", &m), 2);
	free(m);
	/* Functions exported through the version script carry VER_1. */
	assert_string_equal(one(st, "fx_lib_work")->version, "VER_1");
	assert_true(one(st, "fx_lib_work")->default_version);
	sym_table__free(st);
}

static void test_stripped_binary_keeps_dynamic_functions_only(void **state)
{
	struct sym_table *st = load(FX "fx_stripped");
	const struct sym **m = NULL;

	assert_true(one(st, "fx_work")->global);
	one(st, "fx_worker_a");
	/* fx_local was only ever in .symtab. */
	assert_int_equal(sym_table__match(st, "fx_local", &m), 0);
	sym_table__free(st);

	st = load(FX "fx_rdynamic");
	assert_int_equal(count_named(st, "fx_local"), 1);
	sym_table__free(st);
}

static void test_symtab_and_dynsym_copies_merge(void **state)
{
	/* fx_rdynamic lists fx_work in both .symtab and .dynsym. */
	struct sym_table *st = load(FX "fx_rdynamic");

	assert_int_equal(count_named(st, "fx_work"), 1);
	assert_int_equal(count_named(st, "fx_marker"), 1);
	sym_table__free(st);
}

static void test_aliases_give_one_probe_named_fx_work(void **state)
{
	struct sym_table *st = load(FX "fx_pie");
	const struct sym **m = NULL;
	size_t n, i, at_work = 0;
	const struct sym *work = one(st, "fx_work");

	/* Both names are in the table, at one address... */
	assert_int_equal(one(st, "fx_alias")->addr, work->addr);
	/* ...but a glob over both yields one probe, the shorter name. */
	n = sym_table__match(st, "fx_*", &m);
	for (i = 0; i < n; i++) {
		if (m[i]->addr == work->addr) {
			at_work++;
			assert_string_equal(m[i]->name, "fx_work");
		}
		if (i)
			assert_true(m[i - 1]->addr < m[i]->addr);
	}
	assert_int_equal(at_work, 1);
	free(m);
	sym_table__free(st);
}

static void test_alias_choice_prefers_global_then_no_underscore(void **state)
{
	/* fx_target (global), _fx_t (global, '_'), fx_t (local, shortest). */
	struct sym_table *st = load(FX "fx_pie");

	assert_string_equal(one(st, "*fx_t*")->name, "fx_target");
	/* Between the local and the underscored global, the global wins. */
	assert_string_equal(one(st, "*fx_t")->name, "_fx_t");
	assert_false(one(st, "fx_t")->global);
	sym_table__free(st);
}

static void test_ifunc_is_flagged(void **state)
{
	struct sym_table *st = load(FX "fx_nopie");

	assert_true(one(st, "fx_ifunc")->ifunc);
	assert_false(one(st, "fx_work")->ifunc);
	sym_table__free(st);
	st = load(FX "fx_pie");
	assert_true(one(st, "fx_ifunc")->ifunc);
	sym_table__free(st);
}

static void test_glob_matches_several_sorted_by_address(void **state)
{
	struct sym_table *st = load(FX "fx_pie");
	const struct sym **m = NULL;
	size_t n = sym_table__match(st, "fx_worker_?", &m);

	assert_int_equal(n, 2);
	assert_true(m[0]->addr < m[1]->addr);
	assert_true(!strcmp(m[0]->name, "fx_worker_a") ||
		    !strcmp(m[1]->name, "fx_worker_a"));
	assert_true(!strcmp(m[0]->name, "fx_worker_b") ||
		    !strcmp(m[1]->name, "fx_worker_b"));
	free(m);
	sym_table__free(st);
}

static void test_glob_without_match_gives_zero_and_null(void **state)
{
	struct sym_table *st = load(FX "fx_pie");
	const struct sym **m = (const struct sym **)&m;

	assert_int_equal(sym_table__match(st, "no_such_fn*", &m), 0);
	assert_null(m);
	/* Undefined imports (printf-like libc calls) are not functions here. */
	assert_int_equal(sym_table__match(st, "__libc_start_main*", &m), 0);
	sym_table__free(st);
}

static void test_suggest_finds_close_name(void **state)
{
	struct sym_table *st = load(FX "fx_pie");

	assert_string_equal(sym_table__suggest(st, "fx_worrk"), "fx_work");
	assert_string_equal(sym_table__suggest(st, "FX_WORK"), "fx_work");
	assert_string_equal(sym_table__suggest(st, "fx_workr_a"),
			    "fx_worker_a");
	assert_null(sym_table__suggest(st, "zzzzzzzzzzzz"));
	assert_null(sym_table__suggest(st, ""));
	sym_table__free(st);
}

static void expect_load_error(const char *path, int expect)
{
	struct sym_table *st = (struct sym_table *)&st;
	int err = sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st);

	if (err != expect)
		fail_msg("%s: sym_table__load returned %d, expected %d", path,
			 err, expect);
	assert_null(st);
}

static void test_corrupt_fixtures_are_rejected(void **state)
{
	static const char *const bad[] = {
		"fx_trunc_16", "fx_trunc_64", "fx_trunc_1000", "fx_trunc_half",
		"fx_trunc_last", "fx_garbage", "fx_elf_garbage", "fx_bad_shoff",
		"fx_bad_shnum", "fx_bad_phoff", "fx_class32", "fx_bigendian",
		"fx_text", "fx_empty",
	};
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), FX "%s", bad[i]);
		expect_load_error(path, -ENOEXEC);
	}
}

static void test_missing_file_and_directory_are_errors(void **state)
{
	expect_load_error(FX "no_such_file", -ENOENT);
	expect_load_error(FX, -EISDIR);
	expect_load_error("/dev/null", -ENOEXEC);
}

/* Write the first len bytes of buf to a temporary file; returns its path. */
static void write_tmp(char *path, const unsigned char *buf, size_t len)
{
	int fd;

	strcpy(path, "/tmp/test_sym_table.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_truncation_at_any_length_is_an_error(void **state)
{
	size_t size, cut;
	unsigned char *buf = read_whole_file(FX "fx_pie", &size);
	char path[64];

	/* Every cut in the headers, then a spread over the rest. */
	for (cut = 0; cut < size; cut += cut < 256 ? 1 : 97) {
		struct sym_table *st = NULL;
		int err;

		write_tmp(path, buf, cut);
		err = sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st);
		unlink(path);
		if (err != -ENOEXEC)
			fail_msg("fx_pie cut to %zu bytes: load returned %d, expected %d",
				 cut, err, -ENOEXEC);
		assert_null(st);
	}
	free(buf);
}

static void test_byte_flips_never_crash(void **state)
{
	size_t size, i;
	unsigned char *buf = read_whole_file(FX "libfx.so", &size);
	unsigned char *copy = malloc(size);
	unsigned int seed = 1;
	char path[64];

	assert_non_null(copy);
	for (i = 0; i < 300; i++) {
		struct sym_table *st = NULL;
		size_t k;

		memcpy(copy, buf, size);
		for (k = 0; k < 4; k++)
			copy[rand_r(&seed) % size] = (unsigned char)rand_r(&seed);
		write_tmp(path, copy, size);
		/* Any result will do, as long as a success is a usable table. */
		if (!sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st)) {
			const struct sym **m = NULL;

			sym_table__match(st, "*", &m);
			free(m);
			sym_table__free(st);
		}
		unlink(path);
	}
	free(copy);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie_marker_offset_is_where_its_bytes_are),
		cmocka_unit_test(test_nopie_marker_offset_is_where_its_bytes_are),
		cmocka_unit_test(test_shared_lib_marker_offset_is_where_its_bytes_are),
		cmocka_unit_test(test_stripped_marker_offset_is_where_its_bytes_are),
		cmocka_unit_test(test_every_offset_matches_program_headers),
		cmocka_unit_test(test_source_is_the_first_table_that_names_it),
		cmocka_unit_test(test_nopie_offset_differs_from_address),
		cmocka_unit_test(test_pie_and_dso_are_et_dyn),
		cmocka_unit_test(test_vaddr_outside_segments_is_enoent),
		cmocka_unit_test(test_versioned_function_keeps_both_versions),
		cmocka_unit_test(test_version_glob_rules),
		cmocka_unit_test(test_stripped_binary_keeps_dynamic_functions_only),
		cmocka_unit_test(test_symtab_and_dynsym_copies_merge),
		cmocka_unit_test(test_aliases_give_one_probe_named_fx_work),
		cmocka_unit_test(test_alias_choice_prefers_global_then_no_underscore),
		cmocka_unit_test(test_ifunc_is_flagged),
		cmocka_unit_test(test_glob_matches_several_sorted_by_address),
		cmocka_unit_test(test_glob_without_match_gives_zero_and_null),
		cmocka_unit_test(test_suggest_finds_close_name),
		cmocka_unit_test(test_corrupt_fixtures_are_rejected),
		cmocka_unit_test(test_missing_file_and_directory_are_errors),
		cmocka_unit_test(test_truncation_at_any_length_is_an_error),
		cmocka_unit_test(test_byte_flips_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
