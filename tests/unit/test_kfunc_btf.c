// SPDX-License-Identifier: MIT
/* The streaming BTF lookup against libbpf's full parse of the same file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <linux/btf.h>
#include "loader/kfunc_btf.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"

static void test_ids_match_libbpf_full_parse(void **state)
{
	static const char *const names[] = {
		"bpf_session_cookie", "bpf_session_is_return", "schedule", "vfs_read",
		"do_sys_openat2", "bpf_task_storage_get",
	};
	struct btf *btf = btf__load_vmlinux_btf();
	size_t i;

	if (!btf)
		skip();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int want = btf__find_by_name_kind(btf, names[i], BTF_KIND_FUNC);
		int got = kfunc_btf_id(VMLINUX, names[i]);

		if (want < 0)
			want = -ENOENT;
		if (got != want)
			fail_msg("%s: streamed id %d, libbpf %d", names[i], got, want);
	}
	btf__free(btf);
}

/* libbpf's idea of a member's byte offset, or -1. */
static int libbpf_member_offset(struct btf *btf, const char *st, const char *member)
{
	int id = btf__find_by_name_kind(btf, st, BTF_KIND_STRUCT), i;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (i = 0; t && i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return (int)(btf_member_bit_offset(t, i) / 8);
	return -1;
}

static void test_struct_offsets_match_libbpf_full_parse(void **state)
{
	static const char *const members[] = { "real_parent", "tgid", "pid", "comm" };
	struct btf *btf = btf__load_vmlinux_btf();
	int got[4], i;

	if (!btf)
		skip();
	assert_int_equal(kstruct_btf_offsets(VMLINUX, "task_struct", members, got, 4), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(got[i], libbpf_member_offset(btf, "task_struct", members[i]));
	assert_int_equal(kstruct_btf_offsets(VMLINUX, "task_struct",
					     (const char *const[]){ "no_such_member" }, got, 1),
			 -ENOENT);
	assert_int_equal(kstruct_btf_offsets(VMLINUX, "no_such_struct_x", members, got, 1),
			 -ENOENT);
	btf__free(btf);
}

static void test_missing_function_is_enoent(void **state)
{
	assert_int_equal(kfunc_btf_id(VMLINUX, "no_such_function_anywhere"), -ENOENT);
}

static void test_not_btf_and_truncated_btf_are_errors(void **state)
{
	char path[] = "/tmp/synctrace-btf-XXXXXX";
	int fd = mkstemp(path), in = open(VMLINUX, 0);
	char buf[4096];
	ssize_t n;

	assert_true(fd >= 0 && in >= 0);
	assert_int_equal(kfunc_btf_id("/etc/hostname", "schedule"), -EINVAL);
	assert_int_equal(kfunc_btf_id("/nonexistent", "schedule"), -ENOENT);
	n = read(in, buf, sizeof(buf));	/* header and a few types only */
	assert_int_equal(write(fd, buf, (size_t)n), n);
	assert_true(kfunc_btf_id(path, "bpf_session_cookie") < 0);
	close(in);
	close(fd);
	unlink(path);
}

/* A BTF file of its own: types, then strings, at a temporary path. */
struct fake_btf {
	unsigned char *buf;
	size_t len;
	char path[64];
};

static void put(struct fake_btf *b, const void *p, size_t n)
{
	b->buf = realloc(b->buf, b->len + n);
	assert_non_null(b->buf);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void put_type(struct fake_btf *b, uint32_t name_off, uint32_t kind, uint32_t vlen)
{
	struct btf_type t = { .name_off = name_off, .info = kind << 24 | vlen };

	put(b, &t, sizeof(t));
}

/* Header with the given type section length, then the strings; written out. */
static const char *finish(struct fake_btf *b, uint32_t type_len, const void *strs,
			  size_t strs_len, uint32_t str_off)
{
	struct btf_header h = {
		.magic = BTF_MAGIC, .version = 1, .hdr_len = sizeof(h),
		.type_off = 0, .type_len = type_len, .str_off = str_off,
		.str_len = (uint32_t)strs_len,
	};
	int fd;

	put(b, strs, strs_len);
	snprintf(b->path, sizeof(b->path), "/tmp/synctrace-btf-XXXXXX");
	fd = mkstemp(b->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &h, sizeof(h)), sizeof(h));
	assert_int_equal(write(fd, b->buf, b->len), (ssize_t)b->len);
	close(fd);
	return b->path;
}

static void fake_free(struct fake_btf *b)
{
	unlink(b->path);
	free(b->buf);
}

/* A struct of 6000 members (72 KB, more than the read buffer) is stepped over. */
static void test_struct_larger_than_the_buffer_is_skipped(void **state)
{
	static const char strs[] = "\0big\0f";
	struct fake_btf b = {};
	unsigned char member[12] = {};
	uint32_t types;
	int i;

	put_type(&b, 1, BTF_KIND_STRUCT, 6000);
	for (i = 0; i < 6000; i++)
		put(&b, member, sizeof(member));
	put_type(&b, 5, BTF_KIND_FUNC, 0);
	types = (uint32_t)b.len;
	assert_int_equal(kfunc_btf_id(finish(&b, types, strs, sizeof(strs), types), "f"), 2);
	fake_free(&b);
}

/* A string of 70,000 chars (longer than the read buffer) is passed over. */
static void test_string_longer_than_the_buffer_is_passed_over(void **state)
{
	size_t n = 70000;
	char *strs = calloc(n + 4, 1);
	struct fake_btf b = {};

	assert_non_null(strs);
	memset(strs + 1, 'a', n);
	memcpy(strs + n + 2, "f", 2);
	put_type(&b, (uint32_t)n + 2, BTF_KIND_FUNC, 0);
	assert_int_equal(kfunc_btf_id(finish(&b, 12, strs, n + 4, 12), "f"), 1);
	fake_free(&b);
	free(strs);
}

/*
 * A section must lie in the file: one that ends past it is an error, and so
 * is an offset whose 32-bit sum with hdr_len would wrap around to the strings.
 */
static void test_sections_outside_the_file_are_errors(void **state)
{
	static const char strs[] = "\0f";
	struct fake_btf b = {};

	put_type(&b, 1, BTF_KIND_FUNC, 0);
	assert_int_equal(kfunc_btf_id(finish(&b, 24, strs, sizeof(strs), 12), "f"), -EINVAL);
	fake_free(&b);
	memset(&b, 0, sizeof(b));
	put_type(&b, 1, BTF_KIND_FUNC, 0);
	/* 24 + (2^32 - 12) wraps to 12, where the strings are: 36 in the file */
	assert_int_equal(kfunc_btf_id(finish(&b, 12, strs, sizeof(strs), (uint32_t)-12), "f"),
			 -EINVAL);
	fake_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_match_libbpf_full_parse),
		cmocka_unit_test(test_struct_offsets_match_libbpf_full_parse),
		cmocka_unit_test(test_missing_function_is_enoent),
		cmocka_unit_test(test_not_btf_and_truncated_btf_are_errors),
		cmocka_unit_test(test_struct_larger_than_the_buffer_is_skipped),
		cmocka_unit_test(test_string_longer_than_the_buffer_is_passed_over),
		cmocka_unit_test(test_sections_outside_the_file_are_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
