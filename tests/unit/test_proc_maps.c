// SPDX-License-Identifier: MIT
/* proc_maps against real processes: ourselves, children that load, delete,
 * chroot, fork and exit, zombies; ground truth from dlinfo(), stat() and
 * /proc/self/exe. The parsers: test_proc_parse.c. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "loader/proc_maps.h"
#include "tests/unit/helpers.h"

/* Scratch directory for the files tests make; removed at the end. */
static char tmp[] = "/tmp/synctrace-pm-XXXXXX";

/* o is the file at path: the device and inode maps shows are stat's. */
static void expect_obj_is(const struct mapped_obj *o, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		fail_msg("stat %s: %s", path, strerror(errno));
	if (o->ino != st.st_ino || o->dev_major != major(st.st_dev) ||
	    o->dev_minor != minor(st.st_dev))
		fail_msg("%s (%x:%x inode %llu) is not %s (%x:%x inode %lu)", o->path,
			 o->dev_major, o->dev_minor, o->ino, path, major(st.st_dev),
			 minor(st.st_dev), (unsigned long)st.st_ino);
}

static int read_objs(pid_t pid, struct proc_objs *po, struct mapped_obj **o, size_t *n)
{
	int rc = proc_maps__read(pid, po);

	*o = po->o;
	*n = po->n;
	return rc;
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static const struct mapped_obj *find_base(const struct mapped_obj *o, size_t n,
					  const char *base)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(base_of(o[i].path), base))
			return &o[i];
	return NULL;
}

static const struct mapped_obj *find_path(const struct mapped_obj *o, size_t n,
					  const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(o[i].path, path))
			return &o[i];
	return NULL;
}

static void child_exec(const char *path, int fd)
{
	/* the pipe is O_CLOEXEC: EOF without a word means exec worked */
	execl(path, path, "1000", (char *)NULL);
	dprintf(fd, "!exec %s: %s", path, strerror(errno));
	_exit(127);
}

/* ld.so run as the program: the main executable is mapped last. */
static void child_exec_ldso(const char *path, int fd)
{
	execl(path, path, "/bin/sleep", "1000", (char *)NULL);
	dprintf(fd, "!exec %s: %s", path, strerror(errno));
	_exit(127);
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void child_main_thread_exits(const char *arg, int fd)
{
	pthread_t t;

	if (pthread_create(&t, NULL, sleeper, NULL))
		dprintf(fd, "!pthread_create");
	close(fd);
	pthread_exit(NULL);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	buf[0] = '\0';
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : 0;
}

static void wait_for_state(pid_t pid, char state)
{
	int i;

	for (i = 0; i < 1000 && proc_state(pid) != state; i++)
		usleep(10000);
	if (proc_state(pid) != state)
		fail_msg("pid %d: expected state %c, got %c", pid, state,
			 proc_state(pid));
}

static void test_self_maps_list_libc_on_same_inode_as_loaded(void **state)
{
	struct mapped_obj *o;
	struct proc_objs po;
	const struct mapped_obj *libc;
	Dl_info info;
	size_t n;

	assert_int_equal(read_objs(getpid(), &po, &o, &n), 0);
	/* ground truth: the file the dynamic linker says holds a libc-only
	 * function (printf may be a sanitizer's interceptor) */
	assert_true(dladdr((void *)gnu_get_libc_version, &info));
	libc = find_base(o, n, "libc.so.6");
	if (!libc)
		fail_msg("libc.so.6 not among %zu objects", n);
	assert_true(libc->exec);
	expect_obj_is(libc, info.dli_fname);
	expect_obj_is(libc, libc->path);
	/* our own root: named as we name it */
	assert_string_equal(libc->shown, libc->path);
	assert_ptr_equal(libc->in_root, libc->path);
	assert_ptr_equal(proc_maps__find(&po, libc->dev_major, libc->dev_minor, libc->ino), libc);
	proc_maps__free(&po);
}

static void test_main_executable_is_first_and_only_main(void **state)
{
	struct mapped_obj *o;
	struct proc_objs po;
	size_t n, i, mains = 0;

	assert_int_equal(read_objs(getpid(), &po, &o, &n), 0);
	assert_true(n > 1);
	assert_true(o[0].is_main);
	assert_true(o[0].exec);
	expect_obj_is(&o[0], "/proc/self/exe");
	assert_ptr_equal(proc_maps__main(&po), &o[0]);
	for (i = 0; i < n; i++)
		mains += o[i].is_main;
	assert_int_equal(mains, 1);
	proc_maps__free(&po);
}

/*
 * Ground truth from the raw maps: the first file path, once some mapping
 * contains want (ld.so maps the program and libc after exec).
 */
static void first_mapped_file(pid_t pid, const char *want, char *first,
			      size_t len)
{
	char maps[64], line[PATH_MAX + 128], *p;
	bool found = false;
	int i;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	for (i = 0; i < 500 && !found; i++) {
		first[0] = '\0';
		f = fopen(maps, "re");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			p = strchr(line, '/');
			if (p && !first[0])
				snprintf(first, len, "%.*s",
					 (int)strcspn(p, "\n"), p);
			found |= p && strstr(p, want);
		}
		fclose(f);
		if (!found)
			usleep(10000);
	}
	if (!found)
		fail_msg("pid %d never mapped %s", pid, want);
}

static void test_main_executable_mapped_last_is_moved_first(void **state)
{
	char report[64], first[PATH_MAX];
	struct mapped_obj *o;
	struct proc_objs po;
	size_t n;
	pid_t pid;

	pid = spawn_child(child_exec_ldso, "/lib64/ld-linux-x86-64.so.2",
			  report, sizeof(report));
	first_mapped_file(pid, "/libc.so.6", first, sizeof(first));
	if (strstr(first, "ld-linux")) {
		kill_and_reap(pid);
		skip();
	}

	assert_int_equal(read_objs(pid, &po, &o, &n), 0);
	assert_true(o[0].is_main);
	assert_string_equal(base_of(o[0].path), "ld-linux-x86-64.so.2");
	expect_obj_is(&o[0], "/lib64/ld-linux-x86-64.so.2");
	assert_non_null(find_path(o, n, first));
	assert_false(find_path(o, n, first)->is_main);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

static void test_objects_are_unique_files_on_their_inodes(void **state)
{
	struct mapped_obj *o;
	struct proc_objs po;
	size_t n, i, j;

	assert_int_equal(read_objs(getpid(), &po, &o, &n), 0);
	for (i = 0; i < n; i++) {
		if (o[i].path[0] != '/')
			fail_msg("not a file: '%s'", o[i].path);
		if (!o[i].deleted && strncmp(o[i].path, "/memfd:", 7))
			expect_obj_is(&o[i], o[i].path);
		for (j = 0; j < i; j++)
			if (!strcmp(o[i].path, o[j].path))
				fail_msg("%s listed twice", o[i].path);
	}
	proc_maps__free(&po);
}

static void test_child_that_dlopens_sqlite_lists_it(void **state)
{
	const struct mapped_obj *lib;
	char loaded[PATH_MAX];
	struct mapped_obj *o;
	struct proc_objs po;
	size_t n, i;
	pid_t pid;

	/* precondition: only the child has it, so the test can fail */
	assert_int_equal(read_objs(getpid(), &po, &o, &n), 0);
	for (i = 0; i < n; i++)
		assert_null(strstr(o[i].path, "libsqlite3"));
	proc_maps__free(&po);

	pid = spawn_child(child_dlopen, "libsqlite3.so.0", loaded,
			  sizeof(loaded));
	assert_int_equal(read_objs(pid, &po, &o, &n), 0);
	for (lib = o; lib < o + n; lib++)
		if (!strncmp(base_of(lib->path), "libsqlite3.so.0", 15))
			break;
	if (lib == o + n)
		fail_msg("child loaded %s; not among its %zu objects", loaded, n);
	assert_true(lib->exec);
	assert_false(lib->is_main);
	expect_obj_is(lib, loaded);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

/* A long path with spaces (maps lines > 1 KiB) is read whole. */
static void test_long_path_with_spaces_is_read_whole(void **state)
{
	char path[PATH_MAX], loaded[PATH_MAX], comp[201];
	const struct mapped_obj *lib;
	struct mapped_obj *o;
	struct proc_objs po;
	size_t n, len;
	pid_t pid;
	int i;

	memset(comp, 'd', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	comp[100] = ' ';
	len = snprintf(path, sizeof(path), "%s", tmp);
	for (i = 0; i < 7; i++) {
		len += snprintf(path + len, sizeof(path) - len, "/%s", comp);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path + len, sizeof(path) - len, "/lib z copy.so.1");
	copy_file("/lib/x86_64-linux-gnu/libz.so.1", path, 0644);
	assert_true(strlen(path) > 1400);

	pid = spawn_child(child_dlopen, path, loaded, sizeof(loaded));
	assert_int_equal(read_objs(pid, &po, &o, &n), 0);
	lib = find_path(o, n, path);
	if (!lib)
		fail_msg("%zu-byte path not found whole in the child's maps",
			 strlen(path));
	assert_true(lib->exec);
	expect_obj_is(lib, path);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

/* A binary replaced under a running process: named "(deleted)", on its own inode. */
static void test_deleted_executable_is_marked_deleted(void **state)
{
	char path[PATH_MAX], shown[PATH_MAX + 16], report[64];
	struct mapped_obj *o;
	struct proc_objs po;
	size_t n;
	ino_t ino;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/sleep-copy", tmp);
	copy_file("/bin/sleep", path, 0755);
	ino = inode_of(path);
	pid = spawn_child(child_exec, path, report, sizeof(report));
	assert_int_equal(unlink(path), 0);

	assert_int_equal(read_objs(pid, &po, &o, &n), 0);
	assert_true(n > 0);
	assert_true(o[0].is_main);
	assert_true(o[0].deleted);
	assert_string_equal(o[0].path, path);
	snprintf(shown, sizeof(shown), "%s (deleted)", path);
	assert_string_equal(o[0].shown, shown);
	assert_int_equal(o[0].ino, ino);
	assert_true(o[0].start < o[0].end);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

/* Load a copy of libz from inside the directory arg, then chroot into it. */
static void child_dlopen_then_chroot(const char *root, int fd)
{
	char lib[PATH_MAX];

	snprintf(lib, sizeof(lib), "%s/lib/libzcopy.so.1", root);
	if (!dlopen(lib, RTLD_NOW))
		dprintf(fd, "!dlopen %s: %s", lib, dlerror());
	else if (chroot(root) || chdir("/"))
		dprintf(fd, "!chroot %s: %s", root, strerror(errno));
	close(fd);
}

/*
 * A chroot in our mount namespace: maps shows paths from our root; the
 * process names a file inside its root without the root's prefix, and
 * files mapped before the chroot lie outside it.
 */
static void test_chrooted_process_names_files_from_its_root(void **state)
{
	char root[PATH_MAX - 64], lib[PATH_MAX], report[64];
	const struct mapped_obj *libc, *copy;
	struct mapped_obj *o;
	struct proc_objs po;
	Dl_info info;
	size_t n;
	pid_t pid;

	snprintf(root, sizeof(root), "%s/jail", tmp);
	snprintf(lib, sizeof(lib), "%s/lib", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(lib, 0755), 0);
	snprintf(lib, sizeof(lib), "%s/lib/libzcopy.so.1", root);
	copy_file("/lib/x86_64-linux-gnu/libz.so.1", lib, 0644);
	pid = spawn_child(child_dlopen_then_chroot, root, report, sizeof(report));

	assert_int_equal(read_objs(pid, &po, &o, &n), 0);
	copy = find_base(o, n, "libzcopy.so.1");
	assert_non_null(copy);
	assert_string_equal(copy->path, lib);
	expect_obj_is(copy, lib);
	assert_string_equal(copy->shown, "/lib/libzcopy.so.1");
	assert_non_null(copy->in_root);
	assert_string_equal(copy->in_root, "/lib/libzcopy.so.1");
	assert_true(dladdr((void *)gnu_get_libc_version, &info));
	libc = find_base(o, n, "libc.so.6");
	assert_non_null(libc);
	expect_obj_is(libc, info.dli_fname);
	assert_null(libc->in_root);
	assert_string_equal(libc->shown, libc->path);
	assert_true(o[0].is_main);
	expect_obj_is(&o[0], "/proc/self/exe");
	proc_maps__free(&po);
	kill_and_reap(pid);
}

static void test_reaped_child_is_esrch_everywhere(void **state)
{
	struct mapped_obj *o = (void *)1;
	struct proc_objs po;
	size_t n = 1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(proc_alive(pid), -ESRCH);
	assert_int_equal(read_objs(pid, &po, &o, &n), -ESRCH);
	assert_null(o);
	assert_int_equal(n, 0);
}

static void test_zombie_is_gone_though_kill_succeeds(void **state)
{
	struct mapped_obj *o;
	struct proc_objs po;
	siginfo_t si;
	size_t n;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	/* wait for the exit without reaping: the child stays a zombie */
	assert_int_equal(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(proc_state(pid), 'Z');
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(proc_alive(pid), -ESRCH);
	assert_int_equal(read_objs(pid, &po, &o, &n), -ESRCH);
	waitpid(pid, NULL, 0);
}

static void test_impossible_pids_are_esrch(void **state)
{
	struct mapped_obj *o;
	struct proc_objs po;
	long pid_max = 0;
	size_t n;
	FILE *f;

	f = fopen("/proc/sys/kernel/pid_max", "re");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
	fclose(f);
	assert_int_equal(proc_alive(pid_max + 1), -ESRCH);
	assert_int_equal(read_objs(pid_max + 1, &po, &o, &n), -ESRCH);
	/* 0 and -1 must not be taken for "my process group" or "everyone" */
	assert_int_equal(proc_alive(0), -ESRCH);
	assert_int_equal(proc_alive(-1), -ESRCH);
	assert_int_equal(read_objs(-1, &po, &o, &n), -ESRCH);
}

/* As nobody, a root process is alive but its maps are closed. */
static void test_unprivileged_reader_gets_eacces(void **state)
{
	struct mapped_obj *o;
	struct proc_objs po;
	int status, rc;
	size_t n;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(200);
		if ((rc = proc_alive(getppid())))
			_exit(100 - rc);
		_exit(-read_objs(getppid(), &po, &o, &n));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* EACCES (13) from proc_maps__read, and every step before it passed */
	assert_int_equal(WEXITSTATUS(status), EACCES);
}

static void test_live_processes_are_alive(void **state)
{
	char report[16];
	pid_t pid;

	assert_int_equal(proc_alive(getpid()), 0);
	assert_int_equal(proc_alive(1), 0);
	pid = spawn_child(child_dlopen, "libz.so.1", report, sizeof(report));
	assert_int_equal(proc_alive(pid), 0);
	kill_and_reap(pid);
	assert_int_equal(proc_alive(pid), -ESRCH);
}

/* Main thread gone, another thread running: alive, and still mapped. */
static void test_process_with_exited_main_thread_is_alive(void **state)
{
	char report[16];
	struct mapped_obj *o;
	struct proc_objs po;
	size_t n;
	pid_t pid;

	pid = spawn_child(child_main_thread_exits, NULL, report,
			  sizeof(report));
	wait_for_state(pid, 'Z');
	assert_int_equal(proc_alive(pid), 0);
	assert_int_equal(read_objs(pid, &po, &o, &n), 0);
	assert_non_null(find_base(o, n, "libc.so.6"));
	assert_true(o[0].is_main);
	expect_obj_is(&o[0], "/proc/self/exe");
	proc_maps__free(&po);
	kill_and_reap(pid);
}

/* ---- process trees ---- */

/* Fork a grandchild that waits, report its pid. */
static void child_with_grandchild(const char *arg, int fd)
{
	pid_t g = fork();

	if (g == 0) {
		close(fd);	/* the report ends when the child closes it */
		for (;;)
			pause();
	}
	dprintf(fd, "%d", (int)g);
	close(fd);
}

static void test_tree_is_root_and_descendants(void **state)
{
	char report[32];
	pid_t child, grandchild, *tree;
	size_t n, i;
	bool seen = false;

	child = spawn_child(child_with_grandchild, NULL, report, sizeof(report));
	grandchild = atoi(report);
	assert_true(grandchild > 0);
	assert_int_equal(proc_maps__tree(child, &tree, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tree[0], child);
	assert_int_equal(tree[1], grandchild);
	free(tree);
	/* we are the child's parent: our tree holds both */
	assert_int_equal(proc_maps__tree(getpid(), &tree, &n), 0);
	for (i = 0; i < n; i++)
		seen |= tree[i] == grandchild;
	assert_true(seen);
	assert_int_equal(tree[0], getpid());
	free(tree);
	kill(grandchild, SIGKILL);
	kill_and_reap(child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_maps_list_libc_on_same_inode_as_loaded),
		cmocka_unit_test(test_main_executable_is_first_and_only_main),
		cmocka_unit_test(test_main_executable_mapped_last_is_moved_first),
		cmocka_unit_test(test_objects_are_unique_files_on_their_inodes),
		cmocka_unit_test(test_child_that_dlopens_sqlite_lists_it),
		cmocka_unit_test(test_long_path_with_spaces_is_read_whole),
		cmocka_unit_test(test_deleted_executable_is_marked_deleted),
		cmocka_unit_test(test_chrooted_process_names_files_from_its_root),
		cmocka_unit_test(test_reaped_child_is_esrch_everywhere),
		cmocka_unit_test(test_zombie_is_gone_though_kill_succeeds),
		cmocka_unit_test(test_impossible_pids_are_esrch),
		cmocka_unit_test(test_unprivileged_reader_gets_eacces),
		cmocka_unit_test(test_live_processes_are_alive),
		cmocka_unit_test(test_process_with_exited_main_thread_is_alive),
		cmocka_unit_test(test_tree_is_root_and_descendants),
	};

	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup,
				      scratch_dir_teardown);
}
