/* SPDX-License-Identifier: MIT */
/*
 * What a process has mapped, read from /proc/PID/maps, with each file named
 * as the process sees it and as we can open it (through /proc/PID/root, so
 * processes in containers work).
 */
#ifndef SYNCTRACE_PROC_MAPS_H
#define SYNCTRACE_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mapped_obj {
	char *path;	 /* as /proc/PID/maps names it, " (deleted)" cut */
	char *host_path; /* the same file as we can open it */
	bool is_main;	 /* the process's main executable (/proc/PID/exe) */
	bool exec;	 /* has at least one executable mapping */
};

/*
 * Unique file-backed objects mapped by pid, in order of first appearance,
 * except that the main executable is always first. Skips anonymous and
 * [vdso]/[stack]/... mappings. host_path is "/proc/PID/root" + path, or
 * path itself when only that has the mapped inode (a chroot inside our
 * mount namespace, where the kernel shows paths from our root); for a
 * deleted (replaced) file it is /proc/PID/map_files/<range> of one of its
 * mappings when that exists, so the file the process runs can still be
 * probed.
 * Returns 0, or -ESRCH (no such process, a zombie, or it exited while we
 * read), -EACCES, -ENOMEM. On success the caller owns *out (may be NULL
 * with *n == 0, e.g. for a kernel thread).
 */
int proc_maps__objects(pid_t pid, struct mapped_obj **out, size_t *n);
void proc_maps__free(struct mapped_obj *objs, size_t n);

/*
 * Host path of pid's main executable: "/proc/PID/root" + readlink of
 * /proc/PID/exe (checked by inode as above), or "/proc/PID/exe" itself
 * when the file was deleted.
 * Returns 0, -ESRCH if no such process, -ENAMETOOLONG if len is too small,
 * or another -errno (-ENOENT for a kernel thread, -EACCES).
 */
int proc_maps__exe(pid_t pid, char *buf, size_t len);

/* 0 if pid exists and is not a zombie, -ESRCH otherwise. */
int proc_alive(pid_t pid);

/* The process (thread group) that pid belongs to: pid itself for a process,
 * its leader for a thread; -ESRCH if there is no such task. */
pid_t proc_tgid(pid_t pid);

#endif /* SYNCTRACE_PROC_MAPS_H */
