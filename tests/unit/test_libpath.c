// SPDX-License-Identifier: MIT
/* libpath against the real system: name matching, the cache, library dirs,
 * $PATH, live and chrooted processes. The cache parser: test_libpath_ldcache.c */
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
#include "loader/proc_maps.h"
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

static void expect_resolve(const char *name, pid_t pid, const char *want)
{
	char out[PATH_MAX];
	int rc = libpath__resolve(name, pid, out, sizeof(out));

	if (rc)
		fail_msg("resolve %s (pid %d): expected %s, got error %d",
			 name, pid, want, rc);
	expect_same_file(out, want);
}

static void test_resolve_system_libc_is_the_one_we_run(void **state)
{
	char out[PATH_MAX], *real;
	Dl_info info;

	assert_true(dladdr((void *)gnu_get_libc_version, &info));
	expect_resolve("libc", 0, info.dli_fname);
	assert_int_equal(libpath__resolve("libc", 0, out, sizeof(out)), 0);
	real = realpath(out, NULL);
	assert_string_equal(out, real);	/* canonical */
	free(real);
	expect_resolve("z", 0, "/lib/x86_64-linux-gnu/libz.so.1");
}

static void test_resolve_ls_from_path(void **state)
{
	char *saved = strdup(getenv("PATH") ?: "");
	char out[PATH_MAX];

	setenv("PATH", "/nonexistent:relative/dir:/usr/bin", 1);
	assert_int_equal(libpath__resolve("ls", 0, out, sizeof(out)), 0);
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
	assert_int_equal(libpath__resolve("synctrace-fake-prog", 0, out,
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
	expect_resolve("sqlite3", 0, "/usr/bin/sqlite3");
	expect_resolve("libsqlite3", 0, "/lib/x86_64-linux-gnu/libsqlite3.so.0");
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
	expect_resolve(name, 0, p2);
	expect_resolve(strrchr(p1, '/') + 1, 0, p1);
	unlink(p1);
	unlink(p2);
}
static void test_resolve_unknown_name_is_enoent(void **state)
{
	char out[PATH_MAX];

	assert_int_equal(libpath__resolve("libsynctrace_no_such_lib", 0, out,
					  sizeof(out)), -ENOENT);
	assert_int_equal(libpath__resolve("synctrace-no-such-prog", 0, out,
					  sizeof(out)), -ENOENT);
	assert_int_equal(libpath__resolve("libsynctrace_no_such_lib", getpid(),
					  out, sizeof(out)), -ENOENT);
}

static void test_resolve_path_is_made_absolute_and_checked(void **state)
{
	char out[PATH_MAX], cwd[PATH_MAX], want[2 * PATH_MAX];

	/* tests run from the repository root */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/tests/unit/test_libpath.c", cwd);
	assert_int_equal(libpath__resolve("./tests/unit/../unit/test_libpath.c",
					  0, out, sizeof(out)), 0);
	assert_string_equal(out, want);
	assert_int_equal(libpath__resolve("/usr/lib/", 0, out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(libpath__resolve("/nonexistent/libc.so.6", 0, out,
					  sizeof(out)), -ENOENT);
	assert_int_equal(libpath__resolve("/dev/null", 0, out, sizeof(out)),
			 -ENOENT);
}

static void test_resolve_into_small_buffer_is_enametoolong(void **state)
{
	char out[8];

	assert_int_equal(libpath__resolve("libc", 0, out, sizeof(out)),
			 -ENAMETOOLONG);
	assert_int_equal(libpath__resolve("libc", getpid(), out, sizeof(out)),
			 -ENAMETOOLONG);
}

/* ---- resolving in live processes ---- */

/* By path, so the copy's soname (libz.so.1) does not stand in for it. */
static void child_dlopen_copy_then_libz(const char *path, int fd)
{
	if (!dlopen(path, RTLD_NOW) ||
	    !dlopen("/lib/x86_64-linux-gnu/libz.so.1", RTLD_NOW))
		dprintf(fd, "!dlopen: %s", dlerror());
	close(fd);
}

static void test_resolve_in_pid_finds_its_mapped_library(void **state)
{
	char loaded[PATH_MAX], out[PATH_MAX], prefix[64];
	pid_t pid;

	/* we have not loaded sqlite; the child has */
	assert_int_equal(libpath__resolve("libsqlite3", getpid(), out,
					  sizeof(out)), -ENOENT);
	pid = spawn_child(child_dlopen, "libsqlite3.so.0", loaded,
			  sizeof(loaded));
	assert_int_equal(libpath__resolve("libsqlite3", pid, out, sizeof(out)), 0);
	snprintf(prefix, sizeof(prefix), "/proc/%d/root/", (int)pid);
	if (strncmp(out, prefix, strlen(prefix)))
		fail_msg("%s is not under %s", out, prefix);
	expect_same_file(out, loaded);
	expect_resolve("sqlite3", pid, loaded);
	kill_and_reap(pid);
}

static void test_resolve_in_pid_prefers_exact_basename(void **state)
{
	char copy[PATH_MAX], loaded[PATH_MAX], *rz;
	size_t n, i, real_at = 0, copy_at = 0;
	struct mapped_obj *o;
	pid_t pid;

	/* a copy of libz named libz.so: "libz.so" names it exactly, and
	 * names the real libz.so.1.2.13 loosely */
	snprintf(copy, sizeof(copy), "%s/z/libz.so", tmp);
	make_file(copy, 0644, "/lib/x86_64-linux-gnu/libz.so.1");
	rz = realpath("/lib/x86_64-linux-gnu/libz.so.1", NULL);
	assert_non_null(rz);

	pid = spawn_child(child_dlopen_copy_then_libz, copy, loaded,
			  sizeof(loaded));
	/* precondition: the loose match comes first in mapping order */
	assert_int_equal(proc_maps__objects(pid, &o, &n), 0);
	for (i = 0; i < n; i++) {
		if (!strcmp(o[i].path, rz))
			real_at = i;
		if (!strcmp(o[i].path, copy))
			copy_at = i;
	}
	proc_maps__free(o, n);
	if (!real_at || !copy_at)
		fail_msg("child maps lack %s or %s", rz, copy);
	if (real_at < copy_at) {
		expect_resolve("libz.so", pid, copy);
		expect_resolve("libz", pid, rz);	/* first in order */
	} else {
		print_message("mapping order reversed: exact-match case not run\n");
	}
	expect_resolve(strrchr(rz, '/') + 1, pid, rz);
	kill_and_reap(pid);
	free(rz);
}
static void test_resolve_in_pid_main_executable_by_basename(void **state)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	expect_resolve(strrchr(exe, '/') + 1, getpid(), "/proc/self/exe");
}

/* A process in another root sees its own /usr/lib, and its mapped libc. */
static void test_resolve_in_chrooted_pid_uses_its_root(void **state)
{
	char root[PATH_MAX], file[PATH_MAX], out[PATH_MAX], want[PATH_MAX];
	char report[64];
	Dl_info info;
	pid_t pid;

	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(file, sizeof(file), "%s/root/opt/synctrace-fake.so", tmp);
	mkdir(root, 0755);
	make_file(file, 0644, NULL);
	pid = spawn_child(child_chroot, root, report, sizeof(report));

	assert_int_equal(libpath__resolve("/opt/synctrace-fake.so", pid, out,
					  sizeof(out)), 0);
	snprintf(want, sizeof(want), "/proc/%d/root/opt/synctrace-fake.so",
		 (int)pid);
	assert_string_equal(out, want);
	expect_same_file(out, file);
	/* only on the host: the host's file */
	expect_resolve("/etc/ld.so.cache", pid, "/etc/ld.so.cache");
	/* mapped before the chroot: maps shows our path, not one in its root */
	assert_true(dladdr((void *)gnu_get_libc_version, &info));
	expect_resolve("libc", pid, info.dli_fname);
	kill_and_reap(pid);
}
static void test_resolve_dead_pid_is_esrch(void **state)
{
	char out[PATH_MAX];
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(libpath__resolve("libc", pid, out, sizeof(out)), -ESRCH);
	assert_int_equal(libpath__resolve("/usr/bin/ls", pid, out, sizeof(out)),
			 -ESRCH);
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
		cmocka_unit_test(test_resolve_in_pid_finds_its_mapped_library),
		cmocka_unit_test(test_resolve_in_pid_prefers_exact_basename),
		cmocka_unit_test(test_resolve_in_pid_main_executable_by_basename),
		cmocka_unit_test(test_resolve_in_chrooted_pid_uses_its_root),
		cmocka_unit_test(test_resolve_dead_pid_is_esrch),
	};

	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup,
				      scratch_dir_teardown);
}
