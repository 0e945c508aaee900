// SPDX-License-Identifier: MIT
/* The files a process has mapped, from /proc/PID/maps; see proc_maps.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "loader/proc_maps.h"

#define DELETED_SUFFIX " (deleted)"
/* "/proc/PID" or "/proc/PID/task/TID" */
#define PROC_DIR_LEN 64

/* One line of /proc/PID/maps; path points into the line buffer. */
struct maps_line {
	unsigned long start, end;
	bool exec;
	unsigned int dev_major, dev_minor;
	unsigned long long ino;
	char *path;
	bool deleted;
};

/* An object being collected, with what identifies it and one mapping. */
struct obj_entry {
	struct mapped_obj obj;
	unsigned int dev_major, dev_minor;
	unsigned long long ino;
	bool deleted;
	unsigned long start, end;
};

struct obj_list {
	struct obj_entry *e;
	size_t n, cap;
};

/* Is the task whose /proc/.../stat text is buf dead, or a zombie? */
static bool stat_state_gone(const char *buf)
{
	const char *p = strrchr(buf, ')');
	long threads = 0;
	char state;
	int field;

	/* comm may hold ')' or spaces, so fields count from the last ')' */
	if (!p || p[1] != ' ')
		return false;
	state = p[2];
	if (state == 'X')
		return true;
	if (state != 'Z')
		return false;
	/*
	 * A zombie thread-group leader whose other threads still run is a
	 * live process; num_threads (field 20) counts them.
	 */
	p += 2;
	for (field = 3; field < 20 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		threads = strtol(p, NULL, 10);
	return threads <= 1;
}

int proc_alive(pid_t pid)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	/* kill(0 or negative) would address process groups */
	if (pid <= 0)
		return -ESRCH;
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	/* kill() succeeds on zombies: only /proc tells them apart */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : 0;
	buf[n] = '\0';
	return stat_state_gone(buf) ? -ESRCH : 0;
}

/* Cut " (deleted)" off path; true if it was there. */
static bool strip_deleted(char *path)
{
	size_t len = strlen(path), slen = strlen(DELETED_SUFFIX);

	if (len <= slen || strcmp(path + len - slen, DELETED_SUFFIX))
		return false;
	path[len - slen] = '\0';
	return true;
}

/* The kernel escapes '\n' in paths as "\012"; nothing else is escaped. */
static void unescape_newlines(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (!strncmp(s, "\\012", 4)) {
			*w++ = '\n';
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static bool parse_hex(char **p, char sep, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(*p, &end, 16);
	if (end == *p || errno || *end != sep)
		return false;
	*p = end + 1;
	return true;
}

/* "start-end perms offset maj:min inode   path"; false if malformed. */
static bool parse_maps_line(char *line, struct maps_line *ml)
{
	unsigned long long start, end, off, maj, min;
	char *p = line, *q;
	size_t len;

	if (!parse_hex(&p, '-', &start) || !parse_hex(&p, ' ', &end))
		return false;
	if (strnlen(p, 5) < 5 || p[4] != ' ')
		return false;
	ml->exec = p[2] == 'x';
	p += 5;
	if (!parse_hex(&p, ' ', &off) || !parse_hex(&p, ':', &maj) ||
	    !parse_hex(&p, ' ', &min))
		return false;
	errno = 0;
	ml->ino = strtoull(p, &q, 10);
	if (q == p || errno)
		return false;
	p = q;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	if (len && p[len - 1] == '\n')
		p[--len] = '\0';
	ml->start = start;
	ml->end = end;
	ml->dev_major = maj;
	ml->dev_minor = min;
	ml->path = NULL;
	ml->deleted = false;
	/* anonymous, [heap], [vdso], [anon:name], anon_inode:...: no file */
	if (p[0] != '/')
		return true;
	ml->deleted = strip_deleted(p);
	unescape_newlines(p);
	ml->path = p;
	return true;
}

static bool same_obj(const struct obj_entry *e, const struct maps_line *ml)
{
	return e->ino == ml->ino && e->dev_major == ml->dev_major &&
	       e->dev_minor == ml->dev_minor && e->deleted == ml->deleted &&
	       !strcmp(e->obj.path, ml->path);
}

static int add_line(struct obj_list *l, const struct maps_line *ml)
{
	struct obj_entry *e;
	size_t i;

	/* mappings of one file are adjacent: search backwards */
	for (i = l->n; i > 0; i--) {
		if (same_obj(&l->e[i - 1], ml)) {
			l->e[i - 1].obj.exec |= ml->exec;
			return 0;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		e = realloc(l->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		l->e = e;
		l->cap = cap;
	}
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	e->obj.path = strdup(ml->path);
	if (!e->obj.path)
		return -ENOMEM;
	e->obj.exec = ml->exec;
	e->dev_major = ml->dev_major;
	e->dev_minor = ml->dev_minor;
	e->ino = ml->ino;
	e->deleted = ml->deleted;
	e->start = ml->start;
	e->end = ml->end;
	l->n++;
	return 0;
}

static void obj_list_free(struct obj_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->e[i].obj.path);
		free(l->e[i].obj.host_path);
	}
	free(l->e);
	l->e = NULL;
	l->n = l->cap = 0;
}

static int read_maps(const char *dir, struct obj_list *l)
{
	char path[PROC_DIR_LEN + 8], *line = NULL;
	struct maps_line ml;
	size_t cap = 0;
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/maps", dir);
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		return err == -ENOENT ? -ESRCH : err == -EPERM ? -EACCES : err;
	}
	errno = 0;
	while (getline(&line, &cap, f) > 0) {
		if (!parse_maps_line(line, &ml) || !ml.path)
			continue;
		err = add_line(l, &ml);
		if (err)
			goto cleanup;
	}
	/* reading maps of a process that is exiting fails with ESRCH */
	if (ferror(f))
		err = errno ? -errno : -EIO;
cleanup:
	free(line);
	fclose(f);
	return err;
}

/*
 * Where to read a process from: /proc/PID, unless its main thread has
 * exited (maps empty, exe and root unreadable) while other threads run;
 * then /proc/PID/task/TID of a live thread.
 */
static bool pick_live_task(pid_t pid, char *dir, size_t len)
{
	struct dirent *de;
	bool found = false;
	char path[64];
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char stat_path[128], buf[1024];
		int fd, tid = atoi(de->d_name);
		ssize_t n;

		if (tid <= 0 || tid == pid)
			continue;
		snprintf(stat_path, sizeof(stat_path), "%s/%d/stat", path, tid);
		fd = open(stat_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (stat_state_gone(buf))
			continue;
		snprintf(dir, len, "/proc/%d/task/%d", (int)pid, tid);
		found = true;
	}
	closedir(d);
	return found;
}

/* Index of the main executable in l, or -1. */
static ssize_t find_main(const char *dir, const struct obj_list *l)
{
	char path[PROC_DIR_LEN + 8], exe[PATH_MAX];
	bool deleted;
	struct stat st;
	ssize_t n;
	size_t i;

	snprintf(path, sizeof(path), "%s/exe", dir);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		deleted = strip_deleted(exe);
		for (i = 0; i < l->n; i++)
			if (l->e[i].deleted == deleted &&
			    !strcmp(l->e[i].obj.path, exe))
				return i;
	}
	/* readlink can disagree with maps (e.g. a path with a newline) */
	if (stat(path, &st))
		return -1;
	for (i = 0; i < l->n; i++)
		if (l->e[i].ino == st.st_ino &&
		    l->e[i].dev_major == major(st.st_dev) &&
		    l->e[i].dev_minor == minor(st.st_dev))
			return i;
	return -1;
}

/*
 * maps names files from our root, which is the process's own view only
 * when the file is out of our reach (another mount namespace): then
 * "/proc/PID/root" + path is the file. A chroot in our namespace shows the
 * path as we see it, so check the inode before trusting either.
 */
static char *host_path_for(const char *dir, const char *path,
			   unsigned long long ino)
{
	struct stat st;
	char *rooted;

	if (asprintf(&rooted, "%s/root%s", dir, path) < 0)
		return NULL;
	if ((stat(rooted, &st) || st.st_ino != ino) &&
	    !stat(path, &st) && st.st_ino == ino) {
		free(rooted);
		return strdup(path);
	}
	return rooted;
}

static int set_host_path(const char *dir, struct obj_entry *e)
{
	char path[PROC_DIR_LEN + 64];
	struct stat st;

	if (e->deleted) {
		/* the name now points elsewhere, or nowhere: use the mapping */
		snprintf(path, sizeof(path), "%s/map_files/%lx-%lx", dir,
			 e->start, e->end);
		if (!stat(path, &st)) {
			e->obj.host_path = strdup(path);
			return e->obj.host_path ? 0 : -ENOMEM;
		}
	}
	e->obj.host_path = host_path_for(dir, e->obj.path, e->ino);
	return e->obj.host_path ? 0 : -ENOMEM;
}

int proc_maps__objects(pid_t pid, struct mapped_obj **out, size_t *n)
{
	struct obj_list l = {};
	struct mapped_obj *objs = NULL;
	char dir[PROC_DIR_LEN];
	ssize_t main_idx;
	size_t i;
	int err;

	*out = NULL;
	*n = 0;
	err = proc_alive(pid);
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	err = read_maps(dir, &l);
	if (!err && l.n == 0 && pick_live_task(pid, dir, sizeof(dir)))
		err = read_maps(dir, &l);
	/* a process that exited while we read leaves a short or empty list */
	if (proc_alive(pid)) {
		err = -ESRCH;
		goto cleanup;
	}
	if (err)
		goto cleanup;

	main_idx = find_main(dir, &l);
	if (main_idx > 0) {
		struct obj_entry tmp = l.e[main_idx];

		memmove(&l.e[1], &l.e[0], main_idx * sizeof(l.e[0]));
		l.e[0] = tmp;
	}
	if (main_idx >= 0)
		l.e[0].obj.is_main = true;
	for (i = 0; i < l.n; i++) {
		err = set_host_path(dir, &l.e[i]);
		if (err)
			goto cleanup;
	}

	if (l.n) {
		objs = calloc(l.n, sizeof(*objs));
		if (!objs) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (i = 0; i < l.n; i++)
			objs[i] = l.e[i].obj;
	}
	*out = objs;
	*n = l.n;
	free(l.e);
	return 0;
cleanup:
	obj_list_free(&l);
	return err;
}

void proc_maps__free(struct mapped_obj *objs, size_t n)
{
	size_t i;

	if (!objs)
		return;
	for (i = 0; i < n; i++) {
		free(objs[i].path);
		free(objs[i].host_path);
	}
	free(objs);
}

int proc_maps__exe(pid_t pid, char *buf, size_t len)
{
	char dir[PROC_DIR_LEN], link[PROC_DIR_LEN + 8], exe[PATH_MAX];
	struct stat st;
	char *host;
	ssize_t n;
	int err, r;

	err = proc_alive(pid);
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	snprintf(link, sizeof(link), "%s/exe", dir);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0 && errno == ENOENT && pick_live_task(pid, dir, sizeof(dir))) {
		snprintf(link, sizeof(link), "%s/exe", dir);
		n = readlink(link, exe, sizeof(exe) - 1);
	}
	if (n < 0 || stat(link, &st)) {
		err = -errno;
		return proc_alive(pid) ? -ESRCH : err;
	}
	exe[n] = '\0';
	/* the deleted file lives on behind the magic link, not at its name */
	if (strip_deleted(exe)) {
		r = snprintf(buf, len, "%s", link);
		return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
	}
	host = host_path_for(dir, exe, st.st_ino);
	if (!host)
		return -ENOMEM;
	r = snprintf(buf, len, "%s", host);
	free(host);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

pid_t proc_tgid(pid_t pid)
{
	char path[64], line[256];
	pid_t tgid = -ESRCH;
	FILE *f;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}
