/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests: whole-file reads, inodes, scratch
 * directories and child processes that report through a pipe. */
#ifndef SYNCTRACE_TESTS_UNIT_HELPERS_H
#define SYNCTRACE_TESTS_UNIT_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

/* The whole of a non-empty file, malloc'd; fails the test otherwise. */
unsigned char *read_whole_file(const char *path, size_t *size);

/* Copy the file from to the file to (mode: its permissions); fails the test otherwise. */
void copy_file(const char *from, const char *to, mode_t mode);

/* The inode of path; fails the test if it cannot be stat'ed. */
ino_t inode_of(const char *path);

/*
 * A scratch directory for a group of tests: point scratch_dir at a writable
 * mkdtemp() template, then pass these two as the group's setup and teardown;
 * mkdtemp() fills in the template, and teardown removes everything below it.
 */
extern char *scratch_dir;
int scratch_dir_setup(void **state);
int scratch_dir_teardown(void **state);

/*
 * What a spawned child runs: it writes its report to report_fd and closes it
 * (or execs, the pipe being close-on-exec). A report starting with '!' is an
 * error message and fails the test.
 */
typedef void (*child_fn)(const char *arg, int report_fd);

/* Fork a child that runs fn(arg, fd), then waits to be killed; the report
 * is read into report (len bytes at most, with the NUL). */
pid_t spawn_child(child_fn fn, const char *arg, char *report, size_t len);
/* Kill a spawned child and reap it. */
void kill_and_reap(pid_t pid);

/* Child for spawn_child: dlopen(path), report the path ld.so loaded. */
void child_dlopen(const char *path, int report_fd);
/* Child for spawn_child: chroot(dir) and chdir("/"), report nothing. */
void child_chroot(const char *dir, int report_fd);

#endif
