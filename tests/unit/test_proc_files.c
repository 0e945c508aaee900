// SPDX-License-Identifier: MIT
/*
 * proc_files against real processes: the file a process maps is the file
 * opened, even deleted or shadowed by a mount and a link in its own mount
 * namespace; paths are looked up inside its root and never leave it. Ground
 * truth: the inodes the children report and stat().
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "loader/proc_files.h"
#include "tests/unit/helpers.h"

#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

static char tmp[] = "/tmp/synctrace-pf-XXXXXX";

static const struct mapped_obj *find_base(const struct proc_objs *po, const char *base)
{
	size_t i;

	for (i = 0; i < po->n; i++) {
		const char *s = strrchr(po->o[i].path, '/');

		if (s && !strcmp(s + 1, base))
			return &po->o[i];
	}
	return NULL;
}

static void expect_inode(const struct proc_file *f, ino_t ino)
{
	struct stat st;

	if (stat(f->path, &st))
		fail_msg("stat %s: %s", f->path, strerror(errno));
	if (st.st_ino != ino)
		fail_msg("%s (%s) is inode %lu, expected %lu", f->path, f->shown,
			 (unsigned long)st.st_ino, (unsigned long)ino);
}

static bool fd_open(const struct proc_file *f)
{
	return fcntl(atoi(f->path + strlen("/proc/self/fd/")), F_GETFD) >= 0;
}

static void test_mapped_library_opens_as_proc_self_fd(void **state)
{
	const struct mapped_obj *libz;
	const struct proc_file *f, *again;
	struct proc_objs po;
	char loaded[PATH_MAX];
	pid_t pid;

	pid = spawn_child(child_dlopen, "libz.so.1", loaded, sizeof(loaded));
	assert_int_equal(proc_maps__read(pid, &po), 0);
	libz = find_base(&po, "libz.so.1.2.13") ?: find_base(&po, "libz.so.1");
	assert_non_null(libz);
	assert_int_equal(proc_files__open_mapped(&po, libz, &f), 0);
	assert_int_equal(strncmp(f->path, "/proc/self/fd/", 14), 0);
	assert_string_equal(f->shown, libz->shown);
	expect_inode(f, inode_of(loaded));
	assert_int_equal(f->ino, libz->ino);
	assert_ptr_equal(proc_files__lookup(f->path), f);
	assert_true(proc_files__mapped_by(f, &po));

	/* the same file again: one entry, closed at its last use */
	assert_int_equal(proc_files__open_mapped(&po, libz, &again), 0);
	assert_ptr_equal(again, f);
	proc_files__put(again);
	assert_true(fd_open(f));
	proc_files__put(f);
	assert_null(proc_files__lookup("/proc/self/fd/0"));
	proc_maps__free(&po);
	kill_and_reap(pid);
}

static void child_exec_sleep(const char *path, int fd)
{
	execl(path, path, "1000", (char *)NULL);
	dprintf(fd, "!exec %s: %s", path, strerror(errno));
	_exit(127);
}

/* A binary replaced under a running process: still the one it runs. */
static void test_deleted_executable_opens_the_mapped_file(void **state)
{
	char path[PATH_MAX], report[16];
	const struct proc_file *f;
	struct proc_objs po;
	ino_t ino;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/sleep-copy", tmp);
	copy_file("/bin/sleep", path, 0755);
	ino = inode_of(path);
	pid = spawn_child(child_exec_sleep, path, report, sizeof(report));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(proc_maps__read(pid, &po), 0);
	assert_true(po.o[0].deleted);
	assert_int_equal(proc_files__open_mapped(&po, &po.o[0], &f), 0);
	expect_inode(f, ino);
	assert_non_null(strstr(f->shown, "sleep-copy (deleted)"));
	proc_files__put(f);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

/*
 * In a mount namespace of its own: load DIR/libevil.so from a tmpfs, then
 * shadow that tmpfs with another whose libevil.so is a link to arg's
 * target, a file of ours. Reports the inode it loaded.
 */
static const char *shadow_target = "/etc/ld.so.cache";

static void child_shadowed_library(const char *dir, int fd)
{
	char lib[PATH_MAX];
	struct stat st;

	snprintf(lib, sizeof(lib), "%s/libevil.so", dir);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", dir, "tmpfs", 0, NULL)) {
		dprintf(fd, "!namespace: %s", strerror(errno));
		goto out;
	}
	copy_file("/lib/x86_64-linux-gnu/libz.so.1", lib, 0755);
	if (!dlopen(lib, RTLD_NOW) || stat(lib, &st)) {
		dprintf(fd, "!dlopen %s: %s", lib, dlerror());
		goto out;
	}
	if (mount("none", dir, "tmpfs", 0, NULL) || symlink(shadow_target, lib)) {
		dprintf(fd, "!shadow: %s", strerror(errno));
		goto out;
	}
	dprintf(fd, "%lu", (unsigned long)st.st_ino);
out:
	close(fd);
}

static pid_t spawn_shadowed(char *dir, size_t len, ino_t *ino)
{
	char report[32];
	pid_t pid;

	snprintf(dir, len, "%s/ns", tmp);
	mkdir(dir, 0755);
	pid = spawn_child(child_shadowed_library, dir, report, sizeof(report));
	*ino = strtoul(report, NULL, 10);
	assert_true(*ino > 0);
	return pid;
}

static void test_shadowed_library_opens_the_mapped_file(void **state)
{
	const struct mapped_obj *evil;
	const struct proc_file *f;
	char dir[PATH_MAX - 32], lib[PATH_MAX];
	struct proc_objs po;
	ino_t ino;
	pid_t pid;

	pid = spawn_shadowed(dir, sizeof(dir), &ino);
	assert_int_equal(proc_maps__read(pid, &po), 0);
	evil = find_base(&po, "libevil.so");
	assert_non_null(evil);
	assert_int_equal(proc_files__open_mapped(&po, evil, &f), 0);
	expect_inode(f, ino);
	proc_files__put(f);
	/* naming its path opens what it maps, not what the path leads to */
	snprintf(lib, sizeof(lib), "%s/libevil.so", dir);
	assert_int_equal(proc_files__open_in_root(&po, lib, &f), 0);
	expect_inode(f, ino);
	proc_files__put(f);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

/* Drop CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE: map_files is then refused. */
static int drop_map_files_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	data[CAP_CHECKPOINT_RESTORE / 32].effective &= ~(1U << (CAP_CHECKPOINT_RESTORE % 32));
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/*
 * Without map_files, the library's path is looked up in the process's
 * root: there it leads to another file, which must be refused (-EXDEV).
 */
static void test_shadowed_library_without_map_files_is_refused(void **state)
{
	char dir[PATH_MAX - 32];
	struct proc_objs po;
	int status, rc;
	ino_t ino;
	pid_t pid, checker;

	pid = spawn_shadowed(dir, sizeof(dir), &ino);
	checker = fork();
	assert_true(checker >= 0);
	if (checker == 0) {
		const struct proc_file *f;

		if (drop_map_files_caps() || proc_maps__read(pid, &po) ||
		    !find_base(&po, "libevil.so"))
			_exit(200);
		rc = proc_files__open_mapped(&po, find_base(&po, "libevil.so"), &f);
		_exit(rc < 0 ? -rc : 201);
	}
	assert_int_equal(waitpid(checker, &status, 0), checker);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXDEV);
	kill_and_reap(pid);
}

/* A chroot with a file, and links that point out of it. */
static void make_jail(char *root, size_t len)
{
	char path[PATH_MAX];

	snprintf(root, len, "%s/jail", tmp);
	mkdir(root, 0755);
	snprintf(path, sizeof(path), "%s/opt", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/opt/fake.so", root);
	copy_file("/lib/x86_64-linux-gnu/libz.so.1", path, 0755);
	snprintf(path, sizeof(path), "%s/opt/abs", root);
	assert_int_equal(symlink("/etc/ld.so.cache", path), 0);
	snprintf(path, sizeof(path), "%s/opt/rel", root);
	assert_int_equal(symlink("../../../../../../../../etc/ld.so.cache", path), 0);
	snprintf(path, sizeof(path), "%s/opt/magic", root);
	assert_int_equal(symlink("/proc/1/root/etc/ld.so.cache", path), 0);
}

static void test_paths_in_a_chroot_stay_inside_it(void **state)
{
	static const char *const outside[] = {
		"/etc/ld.so.cache", "/opt/abs", "/opt/rel", "/opt/magic",
		"/opt/../../../etc/ld.so.cache",
	};
	char root[PATH_MAX - 32], file[PATH_MAX], report[16];
	const struct proc_file *f;
	struct proc_objs po;
	size_t i;
	pid_t pid;
	int rc;

	make_jail(root, sizeof(root));
	pid = spawn_child(child_chroot, root, report, sizeof(report));
	assert_int_equal(proc_maps__read(pid, &po), 0);
	assert_int_equal(proc_files__open_in_root(&po, "/opt/fake.so", &f), 0);
	snprintf(file, sizeof(file), "%s/opt/fake.so", root);
	expect_inode(f, inode_of(file));
	assert_string_equal(f->shown, "/opt/fake.so");
	assert_false(proc_files__mapped_by(f, &po));
	proc_files__put(f);
	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		rc = proc_files__open_in_root(&po, outside[i], &f);
		if (rc != -ENOENT && rc != -ELOOP)
			fail_msg("%s in the chroot: got %d, expected -ENOENT or -ELOOP",
				 outside[i], rc);
	}
	assert_int_equal(proc_files__open_in_root(&po, "/opt", &f), -ENOEXEC);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped_library_opens_as_proc_self_fd),
		cmocka_unit_test(test_deleted_executable_opens_the_mapped_file),
		cmocka_unit_test(test_shadowed_library_opens_the_mapped_file),
		cmocka_unit_test(test_shadowed_library_without_map_files_is_refused),
		cmocka_unit_test(test_paths_in_a_chroot_stay_inside_it),
	};

	if (geteuid() != 0) {
		print_message("not root: chroot, mounts and map_files need it\n");
		return 0;
	}
	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup, scratch_dir_teardown);
}
