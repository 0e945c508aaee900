/* SPDX-License-Identifier: MIT */
/*
 * The files synctrace reads and attaches to on behalf of a -p process. Each
 * is opened once, in a way that cannot leave that process's root (the
 * mapping itself, or a lookup confined to its root), and is then named
 * "/proc/self/fd/N" everywhere: libelf reads that, and the kernel's uprobe
 * attach resolves it to that very file. The descriptors live in one
 * bounded table until exit.
 */
#ifndef SYNCTRACE_PROC_FILES_H
#define SYNCTRACE_PROC_FILES_H

#include <stdbool.h>
#include "loader/proc_maps.h"

#define PROC_FILES_MAX 4096

struct proc_file {
	const char *path;	/* "/proc/self/fd/N": what we and the kernel open */
	const char *shown;	/* the name the process gives it, for every message */
	/* what it is, as /proc/PID/maps would show it: to tell whether a
	 * process maps it */
	unsigned int dev_major, dev_minor;
	unsigned long long ino;
};

/*
 * Open o, an object of po: the mapping itself (/proc/PID/map_files/, which
 * needs CAP_SYS_ADMIN), else the main executable's /proc/PID/exe or o's
 * path looked up inside the process's root, whose device and inode must
 * be o's. Returns 0, -ESRCH (the process is gone), -EXDEV (what o's path
 * names now is another file: replaced, or shadowed by a mount or a link),
 * -ENOENT (o lies outside its root, or its path is gone), -ENOEXEC (not a
 * regular file), -EACCES, -EMFILE (the table is full), -ENOMEM.
 * The same file opened twice is one entry, shared.
 */
int proc_files__open_mapped(const struct proc_objs *po, const struct mapped_obj *o,
			    const struct proc_file **out);

/*
 * Open path (absolute, as the process names it) inside po's process's
 * root: symlinks and ".." cannot climb out, /proc magic links are refused.
 * A path that names a file the process maps (under that name) opens the
 * mapping itself; one that leads to a file it maps is named as the mapping.
 * Returns 0 or -errno as above (-ENOENT: no such file in its root).
 */
int proc_files__open_in_root(const struct proc_objs *po, const char *path,
			     const struct proc_file **out);

/*
 * The two steps of the lookup above, for files that are only read and
 * not kept (separate debug files): po's process's root as an O_PATH
 * directory descriptor (-ESRCH, -EACCES, ...), and path opened read-only
 * below rootfd, which is its "/" at every step (symlinks and ".." cannot
 * climb out, /proc magic links are refused). Both return a descriptor the
 * caller closes, or -errno.
 */
int proc_files__open_root(const struct proc_objs *po);
int proc_files__open_beneath(int rootfd, const char *path);

/* The entry whose path ("/proc/self/fd/N") is path, or NULL. */
const struct proc_file *proc_files__lookup(const char *path);

/* Does the process of po map f? */
bool proc_files__mapped_by(const struct proc_file *f, const struct proc_objs *po);

/* Drop one use of f (opened by one of the above); the last closes it. */
void proc_files__put(const struct proc_file *f);

/* Close every file (also done at exit). */
void proc_files__close_all(void);

#endif /* SYNCTRACE_PROC_FILES_H */
