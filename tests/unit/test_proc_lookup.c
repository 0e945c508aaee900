// SPDX-License-Identifier: MIT
/*
 * proc_lookup against real processes: short names, the main executable and
 * paths found in a process (and, for a chroot, only inside it); which
 * probed files a process or its tree maps, with the warnings and the error
 * that follow. Ground truth: what the children loaded, and stat().
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "loader/proc_lookup.h"
#include "tests/unit/helpers.h"

static char tmp[] = "/tmp/synctrace-pl-XXXXXX";

static void expect_file(const struct proc_file *f, const char *want)
{
	if (inode_of(f->path) != inode_of(want))
		fail_msg("%s (%s) is not %s", f->path, f->shown, want);
}

static const struct proc_file *lookup_ok(pid_t pid, const char *name)
{
	const struct proc_file *f;
	char err[512];
	int rc = proc_lookup__file(pid, name, &f, err, sizeof(err));

	if (rc)
		fail_msg("%s in pid %d: %d: %s", name ? name : "(main)", pid, rc, err);
	return f;
}

static void expect_not_found(pid_t pid, const char *name)
{
	const struct proc_file *f;
	char err[512] = "", want[128];
	int rc = proc_lookup__file(pid, name, &f, err, sizeof(err));

	snprintf(want, sizeof(want), "binary or library '%s' not found in pid %d", name, pid);
	if (rc != -ENOENT || strcmp(err, want))
		fail_msg("%s in pid %d: got %d '%s', expected -ENOENT '%s'", name, pid, rc, err,
			 want);
}

static void test_short_name_finds_the_library_it_maps(void **state)
{
	char loaded[PATH_MAX];
	const struct proc_file *f;
	pid_t pid;

	/* we have not loaded sqlite; the child has */
	expect_not_found(getpid(), "libsqlite3");
	pid = spawn_child(child_dlopen, "libsqlite3.so.0", loaded, sizeof(loaded));
	f = lookup_ok(pid, "libsqlite3");
	expect_file(f, loaded);
	assert_non_null(strstr(f->shown, "libsqlite3.so.0"));
	assert_ptr_equal(lookup_ok(pid, "sqlite3"), f);	/* one entry for one file */
	proc_files__put(f);
	proc_files__put(f);
	kill_and_reap(pid);
}

/* By path, so the copy's soname (libz.so.1) does not stand in for it. */
static void child_dlopen_copy_then_libz(const char *path, int fd)
{
	if (!dlopen(path, RTLD_NOW) || !dlopen("/lib/x86_64-linux-gnu/libz.so.1", RTLD_NOW))
		dprintf(fd, "!dlopen: %s", dlerror());
	close(fd);
}

/* "libz.so" names the copy exactly, and the real libz.so.1.2.13 loosely. */
static void test_short_name_prefers_an_exact_basename(void **state)
{
	char dir[PATH_MAX - 16], copy[PATH_MAX], report[16];
	const struct proc_file *f;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/z", tmp);
	mkdir(dir, 0755);
	snprintf(copy, sizeof(copy), "%s/libz.so", dir);
	copy_file("/lib/x86_64-linux-gnu/libz.so.1", copy, 0644);
	pid = spawn_child(child_dlopen_copy_then_libz, copy, report, sizeof(report));
	f = lookup_ok(pid, "libz.so");
	expect_file(f, copy);
	assert_string_equal(f->shown, copy);
	proc_files__put(f);
	f = lookup_ok(pid, "libz.so.1");
	expect_file(f, "/lib/x86_64-linux-gnu/libz.so.1");
	proc_files__put(f);
	kill_and_reap(pid);
}

static void test_main_executable_by_null_and_by_basename(void **state)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const struct proc_file *f;

	assert_true(n > 0);
	exe[n] = '\0';
	f = lookup_ok(getpid(), NULL);
	expect_file(f, "/proc/self/exe");
	assert_string_equal(f->shown, exe);
	assert_ptr_equal(lookup_ok(getpid(), strrchr(exe, '/') + 1), f);
	assert_ptr_equal(lookup_ok(getpid(), exe), f);
	proc_files__put(f);
	proc_files__put(f);
	proc_files__put(f);
}

/*
 * A chroot: its own files by path, never ours (before, a path it lacked
 * fell back to our file of that name), and what it mapped before the
 * chroot by short name.
 */
static void test_paths_in_a_chrooted_process_are_its_own(void **state)
{
	char root[PATH_MAX - 64], file[PATH_MAX], report[16];
	const struct proc_file *f;
	Dl_info info;
	pid_t pid;

	snprintf(root, sizeof(root), "%s/root", tmp);
	mkdir(root, 0755);
	snprintf(file, sizeof(file), "%s/opt", root);
	mkdir(file, 0755);
	snprintf(file, sizeof(file), "%s/opt/synctrace-fake.so", root);
	copy_file("/lib/x86_64-linux-gnu/libz.so.1", file, 0644);
	pid = spawn_child(child_chroot, root, report, sizeof(report));

	f = lookup_ok(pid, "/opt/synctrace-fake.so");
	expect_file(f, file);
	assert_string_equal(f->shown, "/opt/synctrace-fake.so");
	proc_files__put(f);
	expect_not_found(pid, "/etc/ld.so.cache");
	expect_not_found(pid, "/lib/x86_64-linux-gnu/libz.so.1");
	assert_true(dladdr((void *)gnu_get_libc_version, &info));
	f = lookup_ok(pid, "libc");
	expect_file(f, info.dli_fname);
	proc_files__put(f);
	kill_and_reap(pid);
}

static void test_dead_pid_is_esrch(void **state)
{
	const struct proc_file *f;
	char err[256];
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(proc_lookup__file(pid, "libc", &f, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "no such process"));
	assert_int_equal(proc_lookup__file(pid, "/usr/bin/ls", &f, err, sizeof(err)), -ESRCH);
	assert_int_equal(proc_lookup__file(pid, NULL, &f, err, sizeof(err)), -ESRCH);
}

static void test_unreadable_maps_name_cap_sys_ptrace(void **state)
{
	char err[256];

	proc_lookup__strerror(4242, NULL, -EACCES, err, sizeof(err));
	assert_non_null(strstr(err, "pid 4242"));
	assert_non_null(strstr(err, "CAP_SYS_PTRACE"));
	proc_lookup__strerror(4242, "/x/lib.so (deleted)", -EXDEV, err, sizeof(err));
	assert_non_null(strstr(err, "/x/lib.so (deleted)"));
}

/* ---- which files are mapped ---- */

/* Run check_mapped with stderr into a file; returns what it wrote. */
static int check_mapped(pid_t pid, bool tree, const struct probe_site *s, size_t n,
			char *err, size_t errlen, char *warn, size_t warnlen)
{
	char path[PATH_MAX];
	int saved = dup(STDERR_FILENO), fd, rc;
	ssize_t got;

	snprintf(path, sizeof(path), "%s/stderr", tmp);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	err[0] = '\0';
	rc = proc_lookup__check_mapped(pid, tree, s, n, err, errlen);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	got = pread(fd, warn, warnlen - 1, 0);
	warn[got > 0 ? got : 0] = '\0';
	close(fd);
	return rc;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_files_not_mapped_are_warned_of(void **state)
{
	char loaded[PATH_MAX], err[512], warn[2048];
	const struct proc_file *libz, *sqlite;
	struct probe_site sites[3] = {};
	pid_t pid;

	pid = spawn_child(child_dlopen, "libz.so.1", loaded, sizeof(loaded));
	libz = lookup_ok(pid, "libz");
	/* sqlite3 is a file in its root it does not map (it could dlopen it) */
	sqlite = lookup_ok(pid, "/lib/x86_64-linux-gnu/libsqlite3.so.0");
	sites[0] = (struct probe_site){ .path = libz->path, .name = "inflate" };
	sites[1] = (struct probe_site){ .path = sqlite->path, .name = "sqlite3_step" };
	sites[2] = (struct probe_site){ .path = sqlite->path, .name = "sqlite3_open" };

	assert_int_equal(check_mapped(pid, false, sites, 3, err, sizeof(err), warn,
				      sizeof(warn)), 0);
	assert_int_equal(count_lines(warn), 1);
	assert_non_null(strstr(warn, "does not map /lib/x86_64-linux-gnu/libsqlite3.so.0"));
	assert_non_null(strstr(warn, "sqlite3_step, sqlite3_open"));
	assert_null(strstr(warn, "libz"));

	/* nothing mapped at all: an error, and no warning */
	assert_int_equal(check_mapped(pid, false, sites + 1, 2, err, sizeof(err), warn,
				      sizeof(warn)), -ENOENT);
	assert_string_equal(warn, "");
	assert_non_null(strstr(err, "maps none of the files to probe"));
	assert_non_null(strstr(err, "libsqlite3.so.0"));
	proc_files__put(libz);
	proc_files__put(sqlite);
	kill_and_reap(pid);
}

/* The child maps nothing special; its child loads sqlite. */
static void child_whose_child_loads(const char *lib, int fd)
{
	pid_t g = fork();

	if (g == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!dlopen(lib, RTLD_NOW))
			dprintf(fd, "!dlopen %s: %s", lib, dlerror());
		close(fd);
		for (;;)
			pause();
	}
	close(fd);
	waitpid(g, NULL, 0);
}

static void test_a_descendant_mapping_the_file_is_enough_in_a_tree(void **state)
{
	char report[16], err[512], warn[2048];
	const struct proc_file *sqlite;
	struct probe_site site = {};
	pid_t pid;

	pid = spawn_child(child_whose_child_loads, "libsqlite3.so.0", report, sizeof(report));
	sqlite = lookup_ok(pid, "/lib/x86_64-linux-gnu/libsqlite3.so.0");
	site = (struct probe_site){ .path = sqlite->path, .name = "sqlite3_step" };
	assert_int_equal(check_mapped(pid, false, &site, 1, err, sizeof(err), warn,
				      sizeof(warn)), -ENOENT);
	assert_int_equal(check_mapped(pid, true, &site, 1, err, sizeof(err), warn,
				      sizeof(warn)), 0);
	assert_string_equal(warn, "");
	proc_files__put(sqlite);
	kill_and_reap(pid);	/* its child dies with it (PR_SET_PDEATHSIG) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_name_finds_the_library_it_maps),
		cmocka_unit_test(test_short_name_prefers_an_exact_basename),
		cmocka_unit_test(test_main_executable_by_null_and_by_basename),
		cmocka_unit_test(test_paths_in_a_chrooted_process_are_its_own),
		cmocka_unit_test(test_dead_pid_is_esrch),
		cmocka_unit_test(test_unreadable_maps_name_cap_sys_ptrace),
		cmocka_unit_test(test_files_not_mapped_are_warned_of),
		cmocka_unit_test(test_a_descendant_mapping_the_file_is_enough_in_a_tree),
	};

	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup, scratch_dir_teardown);
}
