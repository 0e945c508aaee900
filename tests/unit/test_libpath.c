// SPDX-License-Identifier: MIT
/* libpath against the real system: name matching, the cache, library dirs,
 * $PATH. The cache parser: test_libpath_ldcache.c; processes: test_proc_lookup.c */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "loader/libpath.h"
#include "tests/unit/helpers.h"

/* Scratch directory for the files tests make; removed at the end. */
static char tmp[] = "/tmp/synctrace-lp-XXXXXX";

static void expect_same_file(const char *got, const char *want)
{
	if (inode_of(got) != inode_of(want))
		fail_msg("expected the file %s, got %s", want, got);
}

/* Create path (and its directory) empty, or as a copy of from. */
static void make_file(const char *path, mode_t mode, const char *from)
{
	char buf[65536], dir[PATH_MAX];
	int in, out;
	ssize_t r;

	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path), path);
	mkdir(dir, 0755);
	out = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
	if (out < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	in = from ? open(from, O_RDONLY | O_CLOEXEC) : -1;
	while (in >= 0 && (r = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, r), r);
	if (in >= 0)
		close(in);
	close(out);
}

static void test_name_match_truth_table(void **state)
{
	static const struct {
		const char *base, *name;
		bool match;
	} t[] = {
		{ "libc.so.6", "libc", true },
		{ "libcrypto.so.3", "libc", false },
		{ "libc++.so.1", "libc", false },
		{ "libc++.so", "libc", false },
		{ "libc_malloc_debug.so.0", "libc", false },
		{ "libc-2.31.so", "libc", true },
		{ "libc.so.6", "c", true },
		{ "libpq.so", "libpq", true },
		{ "libpq.so.5", "libpq", true },
		{ "libpq.so.5.15", "libpq", true },
		{ "libpq.so.5", "pq", true },
		{ "libpq.so.5", "libpq.so", true },
		{ "libpq.so.5.15", "libpq.so.5", true },
		{ "libpq.so.6", "libpq.so.5", false },
		{ "libpq.so.50", "libpq.so.5", false },
		{ "libpq.so.5", "libpq.so.5", true },
		{ "libpqwalreceiver.so", "libpq", false },
		{ "libsqlite3.so.0", "libsqlite3", true },
		{ "libsqlite3.so.0", "sqlite3", true },
		{ "libsqlite3.so.0", "libsqlite", false },
		{ "libfoo-1.2.so", "libfoo", true },
		{ "libfoo-bar.so", "libfoo", false },
		{ "libfoobar.so", "libfoo", false },
		{ "libz.so.1", "libz", true },
		{ "libz.so.1", "z", true },
		{ "libz3.so.4", "libz", false },
		{ "libzstd.so.1", "libz", false },
		{ "libssl.so.3", "libssl", true },
		{ "libssl3.so", "libssl", false },
		{ "libstdc++.so.6", "libstdc++", true },
		{ "libpython3.11.so.1.0", "libpython3.11", true },
		{ "ld-linux-x86-64.so.2", "ld-linux-x86-64", true },
		{ "relayd", "relayd", true },
		{ "relayd", "relay", false },
		{ "relayd-old", "relayd", false },
		{ "librelayd.so", "relayd", true },
		{ "libc.so.6", "", false },
		{ "libc.so.6.debug", "libc", false },
	};
	size_t i, bad = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (libpath__name_matches(t[i].base, t[i].name) == t[i].match)
			continue;
		print_error("'%s' %s '%s', expected the opposite\n", t[i].name,
			    t[i].match ? "does not match" : "matches", t[i].base);
		bad++;
	}
	assert_int_equal(bad, 0);
}

/* ---- libpath__resolve ---- */

static void expect_resolve(const char *name, const char *want)
{
	char out[PATH_MAX];
	int rc = libpath__resolve(name, out, sizeof(out));

	if (rc)
		fail_msg("resolve %s: expected %s, got error %d", name, want, rc);
	expect_same_file(out, want);
}

static void test_resolve_system_libc_is_the_one_we_run(void **state)
{
	char out[PATH_MAX], *real;
	Dl_info info;

	assert_true(dladdr((void *)gnu_get_libc_version, &info));
	expect_resolve("libc", info.dli_fname);
	assert_int_equal(libpath__resolve("libc", out, sizeof(out)), 0);
	real = realpath(out, NULL);
	assert_string_equal(out, real);	/* canonical */
	free(real);
	expect_resolve("z", "/lib/x86_64-linux-gnu/libz.so.1");
}

static void test_resolve_ls_from_path(void **state)
{
	char *saved = strdup(getenv("PATH") ?: "");
	char out[PATH_MAX];

	setenv("PATH", "/nonexistent:relative/dir:/usr/bin", 1);
	assert_int_equal(libpath__resolve("ls", out, sizeof(out)), 0);
	assert_string_equal(out, "/usr/bin/ls");
	expect_same_file(out, "/bin/ls");
	setenv("PATH", saved, 1);
	free(saved);
}

static void test_resolve_path_skips_non_executable_files(void **state)
{
	char p1[PATH_MAX], p2[PATH_MAX], env[2 * PATH_MAX], out[PATH_MAX];
	char *saved = strdup(getenv("PATH") ?: "");

	snprintf(p1, sizeof(p1), "%s/d1/synctrace-fake-prog", tmp);
	snprintf(p2, sizeof(p2), "%s/d2/synctrace-fake-prog", tmp);
	make_file(p1, 0644, NULL);
	make_file(p2, 0755, NULL);
	snprintf(env, sizeof(env), "%s/d1:%s/d2", tmp, tmp);
	setenv("PATH", env, 1);
	assert_int_equal(libpath__resolve("synctrace-fake-prog", out,
					  sizeof(out)), 0);
	assert_string_equal(out, p2);
	setenv("PATH", saved, 1);
	free(saved);
}
/* An exact program name beats a library that merely shares the stem. */
static void test_resolve_exact_program_beats_short_library_name(void **state)
{
	if (access("/usr/bin/sqlite3", X_OK))
		skip();
	expect_resolve("sqlite3", "/usr/bin/sqlite3");
	expect_resolve("libsqlite3", "/lib/x86_64-linux-gnu/libsqlite3.so.0");
}

/* Not in the cache, only in a standard dir: the highest version there. */
static void test_resolve_falls_back_to_library_dirs(void **state)
{
	char name[64], p1[PATH_MAX], p2[PATH_MAX];

	if (access("/usr/local/lib", W_OK))
		skip();
	snprintf(name, sizeof(name), "libsynctrace-test-%d", (int)getpid());
	snprintf(p1, sizeof(p1), "/usr/local/lib/%s.so.1", name);
	snprintf(p2, sizeof(p2), "/usr/local/lib/%s.so.2", name);
	make_file(p1, 0644, NULL);
	make_file(p2, 0644, NULL);
	expect_resolve(name, p2);
	expect_resolve(strrchr(p1, '/') + 1, p1);
	unlink(p1);
	unlink(p2);
}
static void test_resolve_unknown_name_is_enoent(void **state)
{
	char out[PATH_MAX];

	assert_int_equal(libpath__resolve("libsynctrace_no_such_lib", out,
					  sizeof(out)), -ENOENT);
	assert_int_equal(libpath__resolve("synctrace-no-such-prog", out,
					  sizeof(out)), -ENOENT);
}

static void test_resolve_path_is_made_absolute_and_checked(void **state)
{
	char out[PATH_MAX], cwd[PATH_MAX], want[2 * PATH_MAX];

	/* tests run from the repository root */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/tests/unit/test_libpath.c", cwd);
	assert_int_equal(libpath__resolve("./tests/unit/../unit/test_libpath.c", out, sizeof(out)), 0);
	assert_string_equal(out, want);
	assert_int_equal(libpath__resolve("/usr/lib/", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(libpath__resolve("/nonexistent/libc.so.6", out,
					  sizeof(out)), -ENOENT);
	assert_int_equal(libpath__resolve("/dev/null", out, sizeof(out)),
			 -ENOENT);
}

static void test_resolve_into_small_buffer_is_enametoolong(void **state)
{
	char out[8];

	assert_int_equal(libpath__resolve("libc", out, sizeof(out)),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_match_truth_table),
		cmocka_unit_test(test_resolve_system_libc_is_the_one_we_run),
		cmocka_unit_test(test_resolve_ls_from_path),
		cmocka_unit_test(test_resolve_path_skips_non_executable_files),
		cmocka_unit_test(test_resolve_exact_program_beats_short_library_name),
		cmocka_unit_test(test_resolve_falls_back_to_library_dirs),
		cmocka_unit_test(test_resolve_unknown_name_is_enoent),
		cmocka_unit_test(test_resolve_path_is_made_absolute_and_checked),
		cmocka_unit_test(test_resolve_into_small_buffer_is_enametoolong),
	};

	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup,
				      scratch_dir_teardown);
}
