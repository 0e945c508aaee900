// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/go_pclntab: real Go files built by
 * tests/fixtures/runtimes.mk against `go tool nm -size` of their unstripped
 * builds (runtimes_gopclntab.mk), Debian's stripped Syncthing, small
 * tables of each format built here, and corrupt ones.
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
#include <unistd.h>
#include <sys/mman.h>
#include "loader/elf_file.h"
#include "loader/sym_table.h"
#include "loader/go_pclntab.h"
#include "tests/unit/gopclntab_build.h"

#define RT "build/fixtures/runtimes/"
#define SYNCTHING "/usr/bin/syncthing"

static int load_path(const char *path, struct go_func **f, size_t *n)
{
	struct elf_file *ef;
	int err = elf_file__open(path, &ef);

	if (err)
		fail_msg("%s: %s", path, strerror(-err));
	err = go_pclntab__load(ef, f, n);
	elf_file__close(ef);
	return err;
}

static const struct go_func *find(const struct go_func *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	return NULL;
}

/*
 * An ELF symbol's name as the function table writes it: the linker drops
 * the ".abi0" of assembly functions and writes what is between the first
 * '[' and the last ']' as "..." (cmd/link/internal/ld/pcln.go, nameParts).
 */
static void table_name(char *name, size_t cap)
{
	size_t len = strlen(name);
	char *open, *close, tail[512];

	if (len > 5 && !strcmp(name + len - 5, ".abi0"))
		name[len - 5] = '\0';
	open = strchr(name, '[');
	close = strrchr(name, ']');
	if (open && close && close > open) {
		snprintf(tail, sizeof(tail), "%s", close + 1);
		snprintf(open, cap - (size_t)(open - name), "[...]%s", tail);
	}
}

struct nm_sym {
	unsigned long long addr, size;
	char name[512];
};

/*
 * The functions `go tool nm -size -sort address` listed between the
 * linker's markers runtime.text and runtime.etext: the Go code (a c-shared
 * library's C code lies outside them).
 */
static struct nm_sym *read_nm(const char *path, size_t *n)
{
	unsigned long long text = 0, etext = 0;
	struct nm_sym *syms = NULL, s;
	size_t cap = 0, i, j;
	char line[700], type;
	FILE *fp = fopen(path, "r");

	if (!fp)
		fail_msg("%s: %s", path, strerror(errno));
	*n = 0;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%llx %llu %c %511[^\n]", &s.addr, &s.size, &type, s.name) != 4)
			continue;
		if (!strcmp(s.name, "runtime.text"))
			text = s.addr;
		else if (!strcmp(s.name, "runtime.etext"))
			etext = s.addr;
		else if (type == 'T' || type == 't') {
			if (*n == cap) {
				cap = cap ? 2 * cap : 1024;
				syms = realloc(syms, cap * sizeof(*syms));
				assert_non_null(syms);
			}
			table_name(s.name, sizeof(s.name));
			syms[(*n)++] = s;
		}
	}
	fclose(fp);
	if (!text || etext <= text)
		fail_msg("%s: no runtime.text and runtime.etext", path);
	for (i = j = 0; i < *n; i++)
		if (syms[i].addr >= text && syms[i].addr < etext)
			syms[j++] = syms[i];
	*n = j;
	return syms;
}

static void expect_nm(const char *bin, const char *nm)
{
	size_t n, nn, i;
	struct go_func *f;
	struct nm_sym *want = read_nm(nm, &nn);
	int err = load_path(bin, &f, &n);

	if (err)
		fail_msg("%s: %s", bin, strerror(-err));
	if (n != nn)
		fail_msg("%s: go tool nm lists %zu Go functions, the table %zu", bin, nn, n);
	for (i = 0; i < n; i++)
		if (f[i].entry != want[i].addr || f[i].size != want[i].size ||
		    strcmp(f[i].name, want[i].name))
			fail_msg("%s: function %zu: go tool nm says %llx %llu %s, the table %llx %llu %s",
				 bin, i, want[i].addr, want[i].size, want[i].name,
				 (unsigned long long)f[i].entry, (unsigned long long)f[i].size,
				 f[i].name);
	go_pclntab__free(f, n);
	free(want);
}

static void test_go_program_lists_what_go_tool_nm_lists(void **state)
{
	expect_nm(RT "fx_go", RT "fx_go.nm");
}

/* No .gopclntab section: the system linker merged the table into .data.rel.ro. */
static void test_c_shared_library_lists_what_go_tool_nm_lists(void **state)
{
	struct elf_file *ef;
	GElf_Shdr shdr;

	assert_int_equal(elf_file__open(RT "libfxgo_syms.so", &ef), 0);
	assert_null(elf_file__section_by_name(ef, ".gopclntab", &shdr));
	assert_null(elf_file__section_by_name(ef, ".data.rel.ro.gopclntab", &shdr));
	elf_file__close(ef);
	expect_nm(RT "libfxgo_syms.so", RT "libfxgo_syms.nm");
}

/* -ldflags='-s -w' drops .symtab; the table, and so the list, stays. */
static void test_stripped_program_gives_the_same_list(void **state)
{
	struct go_func *a, *b;
	size_t na, nb, i;

	assert_int_equal(load_path(RT "fx_go", &a, &na), 0);
	assert_int_equal(load_path(RT "fx_go_stripped", &b, &nb), 0);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_string_equal(a[i].name, b[i].name);
		assert_int_equal(a[i].entry, b[i].entry);
		assert_int_equal(a[i].size, b[i].size);
	}
	go_pclntab__free(a, na);
	go_pclntab__free(b, nb);
}

/*
 * Functions both in the table and in .dynsym (cgo's crosscall2, exported
 * functions' _cgoexp_ wrappers): the same address and size in both, which
 * checks the text start the table's entries hang from. Returns how many.
 */
static size_t expect_dynsym_agrees(const char *path, const struct go_func *f, size_t n)
{
	struct sym_file sf = { .path = path, .shown = path };
	struct sym_table *st;
	size_t i, same = 0;

	assert_int_equal(sym_table__load(&sf, &st), 0);
	for (i = 0; i < sym_table__count(st); i++) {
		const struct sym *s = sym_table__get(st, i);
		const struct go_func *g = find(f, n, s->name);

		/* the table merges in .gopclntab too: compare .dynsym's own */
		if (!g || s->source != SYM_SRC_DYNSYM)
			continue;
		if (g->entry != s->addr || g->size != s->size)
			fail_msg("%s: %s: .dynsym says %llx size %llu, the table %llx size %llu",
				 path, s->name, (unsigned long long)s->addr,
				 (unsigned long long)s->size, (unsigned long long)g->entry,
				 (unsigned long long)g->size);
		same++;
	}
	sym_table__free(st);
	return same;
}

static void test_stripped_c_shared_library(void **state)
{
	struct go_func *f;
	size_t n;

	assert_int_equal(load_path(RT "libfxgo.so", &f, &n), 0);
	assert_non_null(find(f, n, "main.apply"));
	assert_non_null(find(f, n, "main.leaf"));
	assert_true(expect_dynsym_agrees(RT "libfxgo.so", f, n) >= 2);	/* the two _cgoexp_ */
	go_pclntab__free(f, n);
}

/*
 * Debian's Syncthing: stripped, linked by the system linker (its text
 * starts past .text's start, at the table's textStart), 23k functions.
 */
static void test_syncthing_from_debian(void **state)
{
	const struct go_func *pull;
	struct go_func *f;
	size_t n, i;

	assert_int_equal(load_path(SYNCTHING, &f, &n), 0);
	pull = find(f, n, "github.com/syncthing/syncthing/lib/model.(*folder).pull");
	assert_non_null(pull);
	assert_true(pull->size > 0);
	for (i = 1; i < n; i++)
		if (f[i].entry < f[i - 1].entry + f[i - 1].size)
			fail_msg("%s overlaps %s", f[i - 1].name, f[i].name);
	assert_true(expect_dynsym_agrees(SYNCTHING, f, n) > 0);
	go_pclntab__free(f, n);
}

static void test_files_without_a_table(void **state)
{
	struct go_func *f = (void *)1;
	size_t n = 1;

	assert_int_equal(load_path(RT "fx_gohost", &f, &n), -ENOENT);
	assert_null(f);
	assert_int_equal(n, 0);
	assert_int_equal(load_path(RT "fx_ocaml", &f, &n), -ENOENT);
	/* an empty .gopclntab section is no table Go writes */
	assert_int_equal(load_path(RT "markers/fx_mark_gosect", &f, &n), -ENOEXEC);
}

/* Synthetic tables. */

static const struct gt_func three[] = {
	{ "main.main", 0x0, 0x51, false },
	{ "github.com/x/y.(*T).Method", 0x60, 0x20, .no_pcsp = true },	/* to the next */
	{ "main.main.func1", 0xa0, 0x1c, false },
};
#define TEXT_END 0xc0

static int mem_fd = -1;
static char mem_path[64];
static __u8 table[65536];

static int setup(void **state)
{
	mem_fd = memfd_create("test_go_pclntab", MFD_CLOEXEC);
	if (mem_fd < 0)
		return -1;
	snprintf(mem_path, sizeof(mem_path), "/proc/self/fd/%d", mem_fd);
	return 0;
}

static int teardown(void **state)
{
	close(mem_fd);
	return 0;
}

static size_t build(__u32 magic, __u64 text_start)
{
	size_t len = gt_table(magic, text_start, TEXT_END, three, 3, table, sizeof(table));

	assert_true(len > 0);
	return len;
}

static const struct gt_layout exec_layout = { .type = ET_EXEC, .section = ".gopclntab" };

static int load_table(const struct gt_layout *l, size_t len, struct go_func **f, size_t *n)
{
	assert_int_equal(gt_elf(mem_fd, l, table, len), 0);
	return load_path(mem_path, f, n);
}

static void expect_three(const struct gt_layout *l, size_t len, __u64 text)
{
	static const __u64 sizes[] = { 0x51, 0x40, 0x1c };
	struct go_func *f;
	size_t n, i;

	assert_int_equal(load_table(l, len, &f, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_string_equal(f[i].name, three[i].name);
		assert_int_equal(f[i].entry, text + three[i].off);
		assert_int_equal(f[i].size, sizes[i]);
	}
	go_pclntab__free(f, n);
}

static void test_each_format_the_same_functions(void **state)
{
	expect_three(&exec_layout, build(GT_MAGIC_116, 0), GT_TEXT_VADDR);
	expect_three(&exec_layout, build(GT_MAGIC_118, GT_TEXT_VADDR), GT_TEXT_VADDR);
	expect_three(&exec_layout, build(GT_MAGIC_120, GT_TEXT_VADDR), GT_TEXT_VADDR);
}

/* A PIE linked by Go: the section has the relro prefix. */
static void test_pie_section_name(void **state)
{
	struct gt_layout l = { .type = ET_DYN, .section = ".data.rel.ro.gopclntab" };

	expect_three(&l, build(GT_MAGIC_120, GT_TEXT_VADDR), GT_TEXT_VADDR);
}

/* textStart's RELATIVE relocation wins over the file's bytes (lld leaves them 0). */
static void test_pie_text_start_from_its_relocation(void **state)
{
	struct gt_layout l = { .type = ET_DYN, .section = ".gopclntab", .rela = true,
			       .addend = GT_TEXT_VADDR };

	expect_three(&l, build(GT_MAGIC_118, 0x2000), GT_TEXT_VADDR);
	l.rela = false;
	expect_three(&l, build(GT_MAGIC_118, 0x2000), 0x2000);
	/* a non-PIE file has no dynamic relocations to apply */
	l.rela = true;
	l.type = ET_EXEC;
	expect_three(&l, build(GT_MAGIC_118, 0x2000), 0x2000);
}

/* The system linker merged the table into .data.rel.ro: found in a Go file only. */
static void test_table_inside_data_rel_ro(void **state)
{
	struct gt_layout l = { .type = ET_DYN, .section = ".data.rel.ro", .pos = 64,
			       .buildinfo = true };
	struct go_func *f = NULL;
	size_t len = build(GT_MAGIC_118, GT_TEXT_VADDR), n;
	__u8 decoy[80];

	expect_three(&l, len, GT_TEXT_VADDR);
	/* a header that does not read as a table before it: skipped */
	memcpy(decoy, table, sizeof(decoy));
	gt_put64(decoy + 8, 1ULL << 40);
	memmove(table + sizeof(decoy), table, len);
	memcpy(table, decoy, sizeof(decoy));
	expect_three(&l, len + sizeof(decoy), GT_TEXT_VADDR);
	/* only the decoy: its reason */
	assert_int_equal(load_table(&l, sizeof(decoy), &f, &n), -ENOEXEC);
	l.buildinfo = false;
	assert_int_equal(load_table(&l, len, &f, &n), -ENOENT);
	assert_null(f);
}

static void test_older_and_unknown_formats_unsupported(void **state)
{
	struct go_func *f;
	size_t len = build(GT_MAGIC_118, GT_TEXT_VADDR), n;

	gt_put32(table, GT_MAGIC_12);
	assert_int_equal(load_table(&exec_layout, len, &f, &n), -ENOTSUP);
	gt_put32(table, 0xfffffff2);
	assert_int_equal(load_table(&exec_layout, len, &f, &n), -ENOTSUP);
	assert_null(f);
}

/*
 * Offsets in the 1.18 table gt_table writes for three: the header's words
 * (nfunc at 8, textStart 24, funcnametab 32, pctab 56, pclntab 64), the
 * names right after it; at pclntab, functab's 4-byte (entryoff, funcoff)
 * pairs and the end, then the 48-byte _func records.
 */
#define HDR		72
#define NAMES		HDR
#define PCTAB_WORD	56
#define PCLN_WORD	64
#define FUNC0		(3 * 8 + 4)	/* from pclntab */
#define VARINT_RUN	0		/* width: five continuation bytes */

struct corruption {
	const char *what;
	size_t off[2];		/* a second write at off[1], if not 0 */
	int width;		/* 1, 4 or 8 bytes, or VARINT_RUN */
	__u64 value;
};

static void corrupt(__u8 *p, int width, __u64 value)
{
	if (width == VARINT_RUN)
		memset(p, 0x80, 5);
	else if (width == 1)
		*p = (__u8)value;
	else if (width == 4)
		gt_put32(p, (__u32)value);
	else
		gt_put64(p, value);
}

static void test_corrupt_tables_are_errors(void **state)
{
	size_t len = build(GT_MAGIC_118, GT_TEXT_VADDR), n, i, j;
	__u64 pcln, pctab;
	struct go_func *f;
	static __u8 clean[sizeof(table)];

	memcpy(&pcln, table + PCLN_WORD, 8);
	memcpy(&pctab, table + PCTAB_WORD, 8);
	const struct corruption bad[] = {
		{ "pad byte", { 4 }, 1, 1 },
		{ "pc quantum", { 6 }, 1, 4 },
		{ "pointer size", { 7 }, 1, 4 },
		{ "no functions", { 8 }, 8, 0 },
		{ "more functions than fit", { 8 }, 8, 1ULL << 62 },
		{ "names past the end", { 32 }, 8, 1 << 20 },
		{ "names inside the header", { 32 }, 8, 8 },
		{ "pclntab past the end", { PCLN_WORD }, 8, ~0ULL },
		{ "text past the segment", { 24 }, 8, GT_SEG_SIZE - 0x10 },
		{ "text start that wraps", { 24 }, 8, ~0ULL - 0x10 },
		/* the third function before the second, in functab and _func alike */
		{ "entries out of order", { pcln + 16, pcln + FUNC0 + 2 * GT_RECORD }, 4, 0x50 },
		{ "functab and _func disagree", { pcln }, 4, 0x8 },
		{ "funcoff past the end", { pcln + 4 }, 4, 1 << 20 },
		{ "negative nameoff", { pcln + FUNC0 + 4 }, 4, 0x80000000 },
		{ "nameoff past the names", { pcln + FUNC0 + 4 }, 4, 4096 },
		{ "last name not terminated in its table", { NAMES + strlen(three[0].name) +
		  strlen(three[1].name) + strlen(three[2].name) + 2 }, 1, 'x' },
		{ "empty name", { NAMES }, 1, 0 },
		{ "pcsp past the pc tables", { pcln + FUNC0 + 16 }, 4, 1 << 20 },
		{ "pcsp beyond the next function", { pctab + 2 }, 1, 0x61 },
		{ "pcsp varint of six bytes", { pctab + 2 }, VARINT_RUN, 0 },
		{ "pcsp running off its table", { pcln + FUNC0 + 16 }, 4, pcln - pctab - 1 },
	};

	memcpy(clean, table, len);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(table, clean, len);
		for (j = 0; j < 2 && (!j || bad[i].off[j]); j++)
			corrupt(table + bad[i].off[j], bad[i].width, bad[i].value);
		f = (void *)1;
		n = 1;
		if (load_table(&exec_layout, len, &f, &n) != -ENOEXEC)
			fail_msg("%s: not refused as corrupt", bad[i].what);
		assert_null(f);
		assert_int_equal(n, 0);
	}
	/* and the clean table reads */
	memcpy(table, clean, len);
	expect_three(&exec_layout, len, GT_TEXT_VADDR);
}

/* Every cut before the last function's record ends is corrupt, not a crash. */
static void test_truncated_tables_are_errors(void **state)
{
	size_t len = build(GT_MAGIC_116, 0), cut, n;
	struct go_func *f;

	for (cut = 0; cut < len - GT_RECORD + 24; cut++)
		if (load_table(&exec_layout, cut, &f, &n) != -ENOEXEC)
			fail_msg("a table cut at %zu of %zu bytes was not refused", cut, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_program_lists_what_go_tool_nm_lists),
		cmocka_unit_test(test_c_shared_library_lists_what_go_tool_nm_lists),
		cmocka_unit_test(test_stripped_program_gives_the_same_list),
		cmocka_unit_test(test_stripped_c_shared_library),
		cmocka_unit_test(test_syncthing_from_debian),
		cmocka_unit_test(test_files_without_a_table),
		cmocka_unit_test(test_each_format_the_same_functions),
		cmocka_unit_test(test_pie_section_name),
		cmocka_unit_test(test_pie_text_start_from_its_relocation),
		cmocka_unit_test(test_table_inside_data_rel_ro),
		cmocka_unit_test(test_older_and_unknown_formats_unsupported),
		cmocka_unit_test(test_corrupt_tables_are_errors),
		cmocka_unit_test(test_truncated_tables_are_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
