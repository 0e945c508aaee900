/* SPDX-License-Identifier: MIT */
/*
 * What a process has mapped, read from /proc/PID/maps: each file with its
 * device and inode (what it really is), the path we see and the path the
 * process names it by. Opening those files is proc_files.h's job.
 */
#ifndef SYNCTRACE_PROC_MAPS_H
#define SYNCTRACE_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mapped_obj {
	char *path;	/* as /proc/PID/maps names it to us, " (deleted)" cut */
	char *shown;	/* as the process names it: path less its root's prefix,
			 * with " (deleted)" for a deleted (replaced) file */
	const char *in_root;	/* into path: the part below the process's root,
				 * NULL when the file lies outside that root */
	bool is_main;	/* the process's main executable (/proc/PID/exe) */
	bool exec;	/* has at least one executable mapping */
	bool deleted;
	unsigned int dev_major, dev_minor;	/* as maps shows them */
	unsigned long long ino;
	unsigned long long start, end;	/* one of its mappings (map_files/START-END) */
};

struct proc_objs {
	pid_t pid;
	char dir[64];		/* /proc/PID, or /proc/PID/task/TID of a live thread
				 * when the main thread has exited */
	struct mapped_obj *o;	/* the main executable first */
	size_t n;
};

/*
 * Unique file-backed objects mapped by pid, in order of first appearance,
 * except that the main executable is always first. Skips anonymous and
 * [vdso]/[stack]/... mappings. Returns 0, or -ESRCH (no such process, a
 * zombie, or it exited while we read), -EACCES (not allowed to read its
 * maps or follow its root: another user's or a more privileged process,
 * without CAP_SYS_PTRACE), -ENOMEM. On success the caller frees po (po->n may be
 * 0, e.g. for a kernel thread).
 */
int proc_maps__read(pid_t pid, struct proc_objs *po);
void proc_maps__free(struct proc_objs *po);

/* The main executable, or NULL when maps does not show it. */
const struct mapped_obj *proc_maps__main(const struct proc_objs *po);

/* The object with this device and inode (as maps shows them), or NULL. */
const struct mapped_obj *proc_maps__find(const struct proc_objs *po, unsigned int dev_major,
					 unsigned int dev_minor, unsigned long long ino);

/* 0 if pid exists and is not a zombie, -ESRCH otherwise. */
int proc_alive(pid_t pid);

/* The process (thread group) that pid belongs to: pid itself for a process,
 * its leader for a thread; -ESRCH if there is no such task. */
pid_t proc_tgid(pid_t pid);

/*
 * root and the processes descending from it now, root first (from the
 * parent of each process in /proc/N/stat). Returns 0 or -ENOMEM; the
 * caller frees *out.
 */
int proc_maps__tree(pid_t root, pid_t **out, size_t *n);

#endif /* SYNCTRACE_PROC_MAPS_H */
