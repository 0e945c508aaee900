// SPDX-License-Identifier: MIT
/* The streaming BTF lookup against libbpf's full parse of the same file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_match_libbpf_full_parse),
		cmocka_unit_test(test_struct_offsets_match_libbpf_full_parse),
		cmocka_unit_test(test_missing_function_is_enoent),
		cmocka_unit_test(test_not_btf_and_truncated_btf_are_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
