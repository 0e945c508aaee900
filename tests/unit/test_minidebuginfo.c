// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/minidebuginfo, and elf_file__open_mem under it:
 * the MiniDebugInfo of build/fixtures/debug/fx_split_mini must give the
 * functions nm lists in the unstripped program (fx_split_mini.truth, made
 * by the Makefile), and every broken stream must be -ENOEXEC. Hostile
 * streams are made here with liblzma's encoder.
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
#include <lzma.h>
#include "loader/elf_file.h"
#include "loader/minidebuginfo.h"
#include "tests/unit/helpers.h"

#define FX "build/fixtures/debug/"
#define FX_ELF "build/fixtures/elf/"

/* The raw .gnu_debugdata of fx_split_mini, malloc'd. */
static unsigned char *section(size_t *len)
{
	struct elf_file *ef;
	unsigned char *copy;
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;

	assert_int_equal(elf_file__open(FX "fx_split_mini", &ef), 0);
	scn = elf_file__section_by_name(ef, ".gnu_debugdata", &sh);
	assert_non_null(scn);
	data = elf_file__section_data(ef, scn, &sh);
	assert_non_null(data);
	copy = malloc(data->d_size);
	assert_non_null(copy);
	memcpy(copy, data->d_buf, data->d_size);
	*len = data->d_size;
	elf_file__close(ef);
	return copy;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name hexvalue" of each defined function in ef's .symtab, sorted, one string. */
static char *functions(struct elf_file *ef)
{
	char **lines = NULL, *all = NULL;
	size_t n = 0, i, j, len = 0;

	for (i = 1; i < elf_file__nr_sections(ef); i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_file__section(ef, i, &sh);
		Elf_Data *data;

		if (!scn || sh.sh_type != SHT_SYMTAB || !(data = elf_getdata(scn, NULL)))
			continue;
		for (j = 1; j < sh.sh_size / sizeof(Elf64_Sym); j++) {
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)j, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    !(name = elf_strptr(elf_file__elf(ef), sh.sh_link, sym.st_name)))
				continue;
			lines = realloc(lines, (n + 1) * sizeof(*lines));
			assert_non_null(lines);
			assert_true(asprintf(&lines[n++], "%s %llx\n", name,
					     (unsigned long long)sym.st_value) > 0);
		}
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i++)
		len += strlen(lines[i]);
	all = calloc(1, len + 1);
	assert_non_null(all);
	for (i = 0; i < n; i++) {
		strcat(all, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return all;
}

static void test_decodes_the_functions_nm_lists(void **state)
{
	struct elf_file *ef, *mini;
	char *truth, *got;
	size_t size;

	assert_int_equal(elf_file__open(FX "fx_split_mini", &ef), 0);
	assert_int_equal(minidebuginfo__open(ef, &mini), 0);
	got = functions(mini);
	truth = (char *)read_whole_file(FX "fx_split_mini.truth", &size);
	truth = realloc(truth, size + 1);
	truth[size] = '\0';
	/* the static functions the stripped program lost, at least */
	assert_non_null(strstr(truth, "split_apply "));
	assert_non_null(strstr(truth, "split_hash "));
	assert_null(strstr(truth, "fx_split_api "));	/* in .dynsym: left out */
	assert_string_equal(got, truth);
	free(truth);
	free(got);
	elf_file__close(mini);
	elf_file__close(ef);
}

static void test_no_gnu_debugdata_is_enoent(void **state)
{
	struct elf_file *ef, *mini = (void *)1;

	assert_int_equal(elf_file__open(FX "fx_split", &ef), 0);
	assert_int_equal(minidebuginfo__open(ef, &mini), -ENOENT);
	assert_null(mini);
	elf_file__close(ef);
}

static void expect_enoexec(const unsigned char *in, size_t len, const char *what)
{
	void *out = (void *)1;
	size_t out_len = 1;
	int rc = minidebuginfo__decompress(in, len, &out, &out_len);

	if (rc != -ENOEXEC)
		fail_msg("%s: got %d, expected -ENOEXEC", what, rc);
	assert_null(out);
	assert_int_equal(out_len, 0);
}

static void test_broken_streams_are_enoexec(void **state)
{
	size_t len, i;
	unsigned char *xz = section(&len), *more;
	void *out;
	size_t out_len;

	assert_int_equal(minidebuginfo__decompress(xz, len, &out, &out_len), 0);
	assert_true(out_len > len);
	free(out);
	expect_enoexec(xz, len - 1, "the last byte cut");
	expect_enoexec(xz, len / 2, "cut in half");
	expect_enoexec(xz, 12, "the stream header alone");
	expect_enoexec(xz, 0, "nothing");
	more = malloc(len + 4);
	memcpy(more, xz, len);
	memset(more + len, 0, 4);
	expect_enoexec(more, len + 4, "padding after the stream");
	memcpy(more, xz, len);
	more[len / 2] ^= 0x55;
	expect_enoexec(more, len, "a byte flipped");
	for (i = 0; i < len; i++)
		more[i] = (unsigned char)(xz[i] ^ 0x80);
	expect_enoexec(more, len, "not xz");
	free(more);
	free(xz);
}

/* size zero bytes, xz'd with preset. */
static unsigned char *zeros_xz(size_t size, uint32_t preset, size_t *len)
{
	unsigned char *zeros = calloc(1, size), *out = malloc(size / 64 + 4096);
	size_t pos = 0;

	assert_true(zeros && out);
	assert_int_equal(lzma_easy_buffer_encode(preset, LZMA_CHECK_CRC64, NULL, zeros, size,
						 out, &pos, size / 64 + 4096), LZMA_OK);
	free(zeros);
	*len = pos;
	return out;
}

static void test_output_over_the_limit_is_enoexec(void **state)
{
	size_t len, out_len;
	unsigned char *xz;
	void *out;

	/* a few hundred bytes may grow to MINIDEBUGINFO_OUT_MIN, no further */
	xz = zeros_xz(MINIDEBUGINFO_OUT_MIN, 6, &len);
	assert_true(len * MINIDEBUGINFO_RATIO < MINIDEBUGINFO_OUT_MIN);
	assert_int_equal(minidebuginfo__decompress(xz, len, &out, &out_len), 0);
	assert_int_equal(out_len, MINIDEBUGINFO_OUT_MIN);
	free(out);
	free(xz);
	xz = zeros_xz(MINIDEBUGINFO_OUT_MIN + 1, 6, &len);
	expect_enoexec(xz, len, "one byte over the limit");
	free(xz);
	xz = zeros_xz(64UL << 20, 6, &len);
	expect_enoexec(xz, len, "64 MiB of zeros");
	free(xz);
}

/*
 * A stream whose LZMA2 dictionary (the byte after the filter's id 0x21 and
 * properties size 1 in the block header) claims 3 GiB: the decoder must
 * refuse it at the memory limit instead of allocating it. The header's
 * CRC32 is made right again.
 */
static void test_dictionary_over_the_memory_limit_is_enoexec(void **state)
{
	size_t len, hdr, i;
	unsigned char *xz = zeros_xz(4096, 0, &len);
	uint32_t crc;

	hdr = ((size_t)xz[12] + 1) * 4;
	for (i = 14; i + 2 < 12 + hdr - 4; i++)
		if (xz[i] == 0x21 && xz[i + 1] == 0x01)
			break;
	assert_true(i + 2 < 12 + hdr - 4);
	xz[i + 2] = 38;		/* 2^(38/2 + 12) * 1.5 = 3 GiB */
	crc = lzma_crc32(xz + 12, hdr - 4, 0);
	for (i = 0; i < 4; i++)
		xz[12 + hdr - 4 + i] = (unsigned char)(crc >> (8 * i));
	expect_enoexec(xz, len, "a 3 GiB dictionary");
	free(xz);
}

static void test_open_mem_checks_like_open(void **state)
{
	static const char *const bad[] = {
		"fx_trunc_16", "fx_trunc_64", "fx_trunc_1000", "fx_trunc_half", "fx_trunc_last",
		"fx_garbage", "fx_elf_garbage", "fx_bad_shoff", "fx_bad_shnum", "fx_bad_phoff",
		"fx_class32", "fx_bigendian", "fx_text",
	};
	struct elf_file *a, *b;
	unsigned char *buf;
	char path[256];
	__u64 oa, ob;
	size_t size, i;

	buf = read_whole_file(FX_ELF "fx_pie", &size);
	assert_int_equal(elf_file__open(FX_ELF "fx_pie", &a), 0);
	assert_int_equal(elf_file__open_mem(buf, size, &b), 0);
	memset(buf, 0, size);		/* b has its own copy */
	assert_int_equal(elf_file__nr_sections(a), elf_file__nr_sections(b));
	assert_int_equal(elf_file__vaddr_to_offset(a, 0x1000, &oa), 0);
	assert_int_equal(elf_file__vaddr_to_offset(b, 0x1000, &ob), 0);
	assert_int_equal(oa, ob);
	assert_non_null(elf_file__section_by_name(b, ".text", &(GElf_Shdr){ 0 }));
	elf_file__close(a);
	elf_file__close(b);
	free(buf);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), FX_ELF "%s", bad[i]);
		buf = read_whole_file(path, &size);
		b = (void *)1;
		if (elf_file__open_mem(buf, size, &b) != -ENOEXEC)
			fail_msg("%s from memory: expected -ENOEXEC", bad[i]);
		assert_null(b);
		free(buf);
	}
	assert_int_equal(elf_file__open_mem("", 0, &b), -ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decodes_the_functions_nm_lists),
		cmocka_unit_test(test_no_gnu_debugdata_is_enoent),
		cmocka_unit_test(test_broken_streams_are_enoexec),
		cmocka_unit_test(test_output_over_the_limit_is_enoexec),
		cmocka_unit_test(test_dictionary_over_the_memory_limit_is_enoexec),
		cmocka_unit_test(test_open_mem_checks_like_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
