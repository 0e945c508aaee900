// SPDX-License-Identifier: MIT
/* The /proc parsers (loader/proc_parse.h) against hand-made lines, the
 * kernel's rarer forms and garbage, and our own /proc/self/stat. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "loader/proc_parse.h"

static void test_maps_line_fields(void **state)
{
	char line[] = "7f1c2a000000-7f1c2a021000 r-xp 00002000 fe:01 1234567    "
		      "/usr/lib/x86_64-linux-gnu/libc.so.6\n";
	struct maps_line ml;

	assert_true(proc_parse_maps_line(line, &ml));
	assert_int_equal(ml.start, 0x7f1c2a000000ULL);
	assert_int_equal(ml.end, 0x7f1c2a021000ULL);
	assert_true(ml.exec);
	assert_int_equal(ml.dev_major, 0xfe);
	assert_int_equal(ml.dev_minor, 1);
	assert_int_equal(ml.ino, 1234567);
	assert_string_equal(ml.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_false(ml.deleted);
}

static void test_maps_line_deleted_spaces_and_newlines(void **state)
{
	char del[] = "1000-2000 r--p 00000000 00:27 42 /tmp/a b/lib (deleted)\n";
	char nl[] = "1000-2000 r--p 00000000 00:27 42 /tmp/two\\012lines\n";
	char anon[] = "7ffd0000-7ffe0000 rw-p 00000000 00:00 0 \n";
	char vdso[] = "7ffd0000-7ffe0000 r-xp 00000000 00:00 0    [vdso]";
	struct maps_line ml;

	assert_true(proc_parse_maps_line(del, &ml));
	assert_true(ml.deleted);
	assert_false(ml.exec);
	assert_string_equal(ml.path, "/tmp/a b/lib");
	assert_true(proc_parse_maps_line(nl, &ml));
	assert_string_equal(ml.path, "/tmp/two\nlines");
	assert_true(proc_parse_maps_line(anon, &ml));
	assert_null(ml.path);
	assert_true(proc_parse_maps_line(vdso, &ml));
	assert_null(ml.path);
	assert_true(ml.exec);
}

static void test_maps_line_malformed_is_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"2000-1000 r-xp 00000000 00:27 42 /x",		/* start > end */
		"-1000-2000 r-xp 00000000 00:27 42 /x",
		"0x1000-2000 r-xp 00000000 00:27 42 /x",
		"10000000000000000-10000000000000001 r-xp 0 00:27 42 /x",
		"1000-2000 r-x 00000000 00:27 42 /x",		/* perms too short */
		"1000-2000 r-xp 00000000 1000:27 42 /x",	/* major past 12 bits */
		"1000-2000 r-xp 00000000 00:200000 42 /x",	/* minor past 20 bits */
		"1000-2000 r-xp 00000000 00:27 -42 /x",
		"1000-2000 r-xp 00000000 00:27 99999999999999999999 /x",
		"1000-2000 r-xp 00000000 00:27 42x /x",
		"1000-2000 r-xp",
		"1000-2000",
	};
	struct maps_line ml;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s", bad[i]);
		if (proc_parse_maps_line(line, &ml))
			fail_msg("accepted '%s'", bad[i]);
	}
}

static void test_stat_fields_counted_from_the_last_paren(void **state)
{
	static const char good[] = "4242 (a) b (c) d) S 17 4242 4242 0 -1 4194560 97 0 0 0 "
				   "1 2 0 0 20 0 3 0 123 4096 100 18446744073709551615\n";
	struct proc_stat st;

	assert_int_equal(proc_parse_stat(good, strlen(good), &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 17);
	assert_int_equal(st.num_threads, 3);
	/* cut just after num_threads: still whole; one byte less: not */
	assert_int_equal(proc_parse_stat(good, strstr(good, " 3 0 123") + 2 - good, &st), 0);
	assert_int_equal(proc_parse_stat(good, strstr(good, " 3 0 123") + 1 - good, &st),
			 -EINVAL);
}

static void test_stat_malformed_is_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"4242 no parens S 1 2 3",
		"4242 (x) S",
		"4242 (x)S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",
		"4242 (x) SS 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",
		"4242 (x) S -1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",
		"4242 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 -1 0",
		"4242 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 x 0",
		"4242 (x) S 1  1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",
		"4242 (x) S 99999999999 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",
	};
	struct proc_stat st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!proc_parse_stat(bad[i], strlen(bad[i]), &st))
			fail_msg("accepted '%s'", bad[i]);
}

static void test_stat_of_self(void **state)
{
	char buf[1024];
	struct proc_stat st;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n > 0);
	assert_int_equal(proc_parse_stat(buf, n, &st), 0);
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.num_threads, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_line_fields),
		cmocka_unit_test(test_maps_line_deleted_spaces_and_newlines),
		cmocka_unit_test(test_maps_line_malformed_is_refused),
		cmocka_unit_test(test_stat_fields_counted_from_the_last_paren),
		cmocka_unit_test(test_stat_malformed_is_refused),
		cmocka_unit_test(test_stat_of_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
