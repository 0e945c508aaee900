// SPDX-License-Identifier: MIT
/*
 * Opening a process's files without leaving its root, and the table that
 * keeps them open until exit; see proc_files.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include "loader/proc_files.h"

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
/* openat2 with RESOLVE_IN_ROOT says EAGAIN when a rename raced a ".." */
#define OPENAT2_TRIES 8

struct entry {
	struct proc_file pub;
	int fd;
	char path[32];
	char *shown;
	dev_t st_dev;		/* fstat's, to find the same file again */
	ino_t st_ino;
	unsigned int refs;
};

static struct entry *table[PROC_FILES_MAX];
static size_t nr_entries;
static bool exit_hook;
/* map_files needs CAP_SYS_ADMIN: once refused, it will be refused again */
static bool map_files_refused;

/* Out of descriptors: a tracer of many files may need more than 1024. */
static bool raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return false;
	rl.rlim_cur = rl.rlim_max;
	return !setrlimit(RLIMIT_NOFILE, &rl);
}

static int open_at(int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, flags);

	if (fd < 0 && errno == EMFILE && raise_nofile())
		fd = openat(dirfd, path, flags);
	return fd < 0 ? -errno : fd;
}

int proc_files__open_beneath(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = OPEN_FLAGS,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	bool raised = false;
	long fd = -1;
	int i;

	for (i = 0; i < OPENAT2_TRIES; i++) {
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || (errno != EAGAIN && errno != EMFILE))
			break;
		if (errno == EMFILE && (raised || !(raised = raise_nofile())))
			break;
	}
	return fd < 0 ? -errno : (int)fd;
}

static void close_all_at_exit(void)
{
	proc_files__close_all();
}

static struct entry *find_same(const struct stat *st)
{
	size_t i;

	for (i = 0; i < nr_entries; i++)
		if (table[i]->st_dev == st->st_dev && table[i]->st_ino == st->st_ino)
			return table[i];
	return NULL;
}

/*
 * Keep fd (closed on every error) as the file shown; id is its identity as
 * maps shows it, or NULL to take fstat's.
 */
static int keep(int fd, const char *shown, const struct mapped_obj *id,
		const struct proc_file **out)
{
	struct entry *e;
	struct stat st;
	int err;

	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	e = find_same(&st);
	if (e) {
		close(fd);
		e->refs++;
		*out = &e->pub;
		return 0;
	}
	if (nr_entries == PROC_FILES_MAX) {
		err = -EMFILE;
		goto cleanup;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->shown = strdup(shown))) {
		free(e);
		err = -ENOMEM;
		goto cleanup;
	}
	if (!exit_hook)
		exit_hook = !atexit(close_all_at_exit);
	e->fd = fd;
	e->refs = 1;
	e->st_dev = st.st_dev;
	e->st_ino = st.st_ino;
	snprintf(e->path, sizeof(e->path), "/proc/self/fd/%d", fd);
	e->pub.path = e->path;
	e->pub.shown = e->shown;
	e->pub.dev_major = id ? id->dev_major : major(st.st_dev);
	e->pub.dev_minor = id ? id->dev_minor : minor(st.st_dev);
	e->pub.ino = id ? id->ino : (unsigned long long)st.st_ino;
	table[nr_entries++] = e;
	*out = &e->pub;
	return 0;
cleanup:
	close(fd);
	return err;
}

static bool same_as_mapped(int fd, const struct mapped_obj *o)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_ino == o->ino && major(st.st_dev) == o->dev_major &&
	       minor(st.st_dev) == o->dev_minor;
}

int proc_files__open_root(const struct proc_objs *po)
{
	char path[sizeof(po->dir) + 8];
	int fd;

	snprintf(path, sizeof(path), "%s/root", po->dir);
	fd = open_at(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -ENOENT)
		return -ESRCH;
	return fd == -EPERM ? -EACCES : fd;
}

/* The mapping itself: the kernel's own reference, no path walked. */
static int open_mapping(const struct proc_objs *po, const struct mapped_obj *o)
{
	char path[sizeof(po->dir) + 64];
	int fd;

	if (map_files_refused)
		return -EPERM;
	snprintf(path, sizeof(path), "%s/map_files/%llx-%llx", po->dir, o->start, o->end);
	fd = open_at(AT_FDCWD, path, OPEN_FLAGS);
	if (fd == -EPERM || fd == -EACCES)
		map_files_refused = true;
	return fd;
}

int proc_files__open_mapped(const struct proc_objs *po, const struct mapped_obj *o,
			    const struct proc_file **out)
{
	char path[sizeof(po->dir) + 8];
	int fd, rootfd;

	fd = open_mapping(po, o);
	if (fd >= 0)
		return keep(fd, o->shown, o, out);
	if (fd == -ENOMEM || fd == -ESRCH)
		return fd;
	if (o->is_main) {
		/* also the kernel's reference, and open to any PTRACE_MODE_READ */
		snprintf(path, sizeof(path), "%s/exe", po->dir);
		fd = open_at(AT_FDCWD, path, OPEN_FLAGS);
	} else if (o->in_root) {
		rootfd = proc_files__open_root(po);
		if (rootfd < 0)
			return rootfd;
		fd = proc_files__open_beneath(rootfd, o->in_root);
		close(rootfd);
	} else {
		return -ENOENT;
	}
	if (fd < 0)
		return fd == -EPERM ? -EACCES : fd;
	/* a path may have been re-pointed since the process mapped it */
	if (!same_as_mapped(fd, o)) {
		close(fd);
		return -EXDEV;
	}
	return keep(fd, o->shown, o, out);
}

int proc_files__open_in_root(const struct proc_objs *po, const char *path,
			     const struct proc_file **out)
{
	const struct mapped_obj *o;
	struct stat st;
	size_t i;
	int fd, rootfd;

	for (i = 0; i < po->n; i++)
		if (!po->o[i].deleted && po->o[i].in_root && !strcmp(po->o[i].in_root, path))
			return proc_files__open_mapped(po, &po->o[i], out);
	rootfd = proc_files__open_root(po);
	if (rootfd < 0)
		return rootfd;
	fd = proc_files__open_beneath(rootfd, path);
	close(rootfd);
	if (fd < 0)
		return fd == -EPERM ? -EACCES : fd;
	/*
	 * A link to a file it maps (redis-server -> redis-check-rdb) is that
	 * file, named as the process names the mapping.
	 */
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	o = proc_maps__find(po, major(st.st_dev), minor(st.st_dev), st.st_ino);
	return keep(fd, o ? o->shown : path, o, out);
}

const struct proc_file *proc_files__lookup(const char *path)
{
	size_t i;

	for (i = 0; i < nr_entries; i++)
		if (!strcmp(table[i]->path, path))
			return &table[i]->pub;
	return NULL;
}

bool proc_files__mapped_by(const struct proc_file *f, const struct proc_objs *po)
{
	return proc_maps__find(po, f->dev_major, f->dev_minor, f->ino) != NULL;
}

static void entry_free(struct entry *e)
{
	close(e->fd);
	free(e->shown);
	free(e);
}

void proc_files__put(const struct proc_file *f)
{
	size_t i;

	for (i = 0; f && i < nr_entries; i++) {
		if (&table[i]->pub != f)
			continue;
		if (--table[i]->refs)
			return;
		entry_free(table[i]);
		table[i] = table[--nr_entries];
		return;
	}
}

void proc_files__close_all(void)
{
	while (nr_entries)
		entry_free(table[--nr_entries]);
}
