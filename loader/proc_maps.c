// SPDX-License-Identifier: MIT
/*
 * The files a process has mapped, from /proc/PID/maps, and the two /proc
 * text formats behind it (proc_parse.h); see proc_maps.h.
 */
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
#include "loader/proc_parse.h"

/* "/proc/PID" or "/proc/PID/task/TID" */
#define PROC_DIR_LEN 64
/* a stat line is well under this (comm is 16 bytes at most) */
#define STAT_BUF 1024

/* ------------------------------------------------------------------ */
/* Parsers (proc_parse.h): every field checked, nothing trusted         */

/* Hex digits, at most 16, then sep. */
static bool parse_hex(char **p, char sep, unsigned long long *v)
{
	unsigned long long x = 0;
	char *s = *p;
	int n = 0;

	for (; n < 16; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		x = x << 4 | (unsigned int)d;
	}
	if (!n || *s != sep)
		return false;
	*v = x;
	*p = s + 1;
	return true;
}

/* Decimal digits of s[0..len), optionally negative, without overflow. */
static bool parse_dec(const char *s, size_t len, long long *v)
{
	bool neg = len && *s == '-';
	unsigned long long x = 0;
	size_t i = neg;

	if (i == len)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (unsigned long long)LLONG_MAX / 10)
			return false;
		x = x * 10 + (unsigned int)(s[i] - '0');
		if (x > (unsigned long long)LLONG_MAX)
			return false;
	}
	*v = neg ? -(long long)x : (long long)x;
	return true;
}

bool proc_strip_deleted(char *path)
{
	size_t len = strlen(path), slen = strlen(PROC_DELETED_SUFFIX);

	if (len <= slen || strcmp(path + len - slen, PROC_DELETED_SUFFIX))
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

bool proc_parse_maps_line(char *line, struct maps_line *ml)
{
	unsigned long long start, end, off, maj, min;
	long long ino;
	char *p = line, *q;
	size_t len;

	if (!parse_hex(&p, '-', &start) || !parse_hex(&p, ' ', &end) || start > end)
		return false;
	if (strnlen(p, 5) < 5 || p[4] != ' ')
		return false;
	ml->exec = p[2] == 'x';
	p += 5;
	if (!parse_hex(&p, ' ', &off) || !parse_hex(&p, ':', &maj) ||
	    !parse_hex(&p, ' ', &min) || maj > 0xfff || min > 0xfffff)
		return false;
	for (q = p; *q >= '0' && *q <= '9'; q++)
		;
	if (!parse_dec(p, q - p, &ino) || (*q && *q != ' ' && *q != '\n'))
		return false;
	p = q;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	if (len && p[len - 1] == '\n')
		p[--len] = '\0';
	ml->start = start;
	ml->end = end;
	ml->dev_major = (unsigned int)maj;
	ml->dev_minor = (unsigned int)min;
	ml->ino = (unsigned long long)ino;
	ml->path = NULL;
	ml->deleted = false;
	/* anonymous, [heap], [vdso], [anon:name], anon_inode:...: no file */
	if (p[0] != '/')
		return true;
	ml->deleted = proc_strip_deleted(p);
	unescape_newlines(p);
	ml->path = p;
	return true;
}

int proc_parse_stat(const char *buf, size_t len, struct proc_stat *out)
{
	const char *end = buf + len, *p = memrchr(buf, ')', len), *f;
	struct proc_stat st = {};
	long long v;
	int field;

	if (!p)
		return -EINVAL;
	/* fields 3 (state) to 20 (num_threads), one space before each */
	for (p++, field = 3; field <= 20; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		for (f = ++p; p < end && *p != ' ' && *p != '\n'; p++)
			;
		if (p == f)
			return -EINVAL;
		if (field == 3 && p - f != 1)
			return -EINVAL;
		if (field == 3)
			st.state = *f;
		else if (field == 4 && (!parse_dec(f, p - f, &v) || v < 0 || v > INT_MAX))
			return -EINVAL;
		else if (field == 4)
			st.ppid = (int)v;
		else if (field == 20 && (!parse_dec(f, p - f, &v) || v < 0))
			return -EINVAL;
		else if (field == 20)
			st.num_threads = (long)v;
	}
	*out = st;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Processes                                                           */

static int read_stat(const char *path, struct proc_stat *st)
{
	char buf[STAT_BUF];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	return proc_parse_stat(buf, (size_t)n, st);
}

/*
 * Is the task dead, or a zombie? A zombie thread-group leader whose other
 * threads still run is a live process: num_threads counts them.
 */
static bool stat_gone(const struct proc_stat *st)
{
	return st->state == 'X' || (st->state == 'Z' && st->num_threads <= 1);
}

int proc_alive(pid_t pid)
{
	struct proc_stat st;
	char path[64];
	int err;

	/* kill(0 or negative) would address process groups */
	if (pid <= 0)
		return -ESRCH;
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	/* kill() succeeds on zombies: only /proc tells them apart */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	err = read_stat(path, &st);
	if (err == -ENOENT || err == -ESRCH)
		return -ESRCH;
	return !err && stat_gone(&st) ? -ESRCH : 0;
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
		char stat_path[128];
		struct proc_stat st;
		int tid = atoi(de->d_name);

		if (tid <= 0 || tid == pid)
			continue;
		snprintf(stat_path, sizeof(stat_path), "%s/%d/stat", path, tid);
		if (read_stat(stat_path, &st) || stat_gone(&st))
			continue;
		snprintf(dir, len, "/proc/%d/task/%d", (int)pid, tid);
		found = true;
	}
	closedir(d);
	return found;
}

/* ------------------------------------------------------------------ */
/* Mapped objects                                                      */

struct obj_list {
	struct mapped_obj *o;
	size_t n, cap;
};

static bool same_obj(const struct mapped_obj *o, const struct maps_line *ml)
{
	return o->ino == ml->ino && o->dev_major == ml->dev_major &&
	       o->dev_minor == ml->dev_minor && o->deleted == ml->deleted &&
	       !strcmp(o->path, ml->path);
}

static int add_line(struct obj_list *l, const struct maps_line *ml)
{
	struct mapped_obj *o;
	size_t i;

	/* mappings of one file are adjacent: search backwards */
	for (i = l->n; i > 0; i--) {
		if (same_obj(&l->o[i - 1], ml)) {
			l->o[i - 1].exec |= ml->exec;
			return 0;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		o = realloc(l->o, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		l->o = o;
		l->cap = cap;
	}
	o = &l->o[l->n];
	memset(o, 0, sizeof(*o));
	o->path = strdup(ml->path);
	if (!o->path)
		return -ENOMEM;
	o->exec = ml->exec;
	o->deleted = ml->deleted;
	o->dev_major = ml->dev_major;
	o->dev_minor = ml->dev_minor;
	o->ino = ml->ino;
	o->start = ml->start;
	o->end = ml->end;
	l->n++;
	return 0;
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
		if (!proc_parse_maps_line(line, &ml) || !ml.path)
			continue;
		err = add_line(l, &ml);
		if (err)
			goto cleanup;
	}
	/* reading maps of a process that is exiting fails with ESRCH */
	if (ferror(f))
		err = errno ? -errno : -EIO;
	if (err == -EPERM)
		err = -EACCES;
cleanup:
	free(line);
	fclose(f);
	return err;
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
		deleted = proc_strip_deleted(exe);
		for (i = 0; i < l->n; i++)
			if (l->o[i].deleted == deleted && !strcmp(l->o[i].path, exe))
				return i;
	}
	/* readlink can disagree with maps (e.g. a path with a newline) */
	if (stat(path, &st))
		return -1;
	for (i = 0; i < l->n; i++)
		if (l->o[i].ino == st.st_ino && l->o[i].dev_major == major(st.st_dev) &&
		    l->o[i].dev_minor == minor(st.st_dev))
			return i;
	return -1;
}

/*
 * The process's root as we see it: "" for our own root (or a root out of
 * our reach, another mount namespace's, where maps shows paths from it),
 * else a chroot's directory ("/srv/jail"), which maps paths start with.
 * -EACCES when we may read its maps but not follow its root (a process
 * with capabilities we lack, without CAP_SYS_PTRACE): none of its files
 * could be opened then.
 */
static int root_prefix(const char *dir, char *buf, size_t len)
{
	char link[PROC_DIR_LEN + 8];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/root", dir);
	n = readlink(link, buf, len - 1);
	if (n < 0 && (errno == EACCES || errno == EPERM))
		return -EACCES;
	if (n <= 0 || buf[0] != '/') {
		buf[0] = '\0';
		return 0;
	}
	buf[n] = '\0';
	if (!strcmp(buf, "/"))
		buf[0] = '\0';
	return 0;
}

/* shown and in_root of each object, from the root's prefix. */
static int set_names(struct mapped_obj *o, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *rel = o->path;

	if (plen && !strncmp(o->path, prefix, plen) && o->path[plen] == '/')
		rel = o->path + plen;
	o->in_root = plen && rel == o->path ? NULL : rel;
	if (asprintf(&o->shown, "%s%s", rel, o->deleted ? PROC_DELETED_SUFFIX : "") < 0) {
		o->shown = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void obj_list_free(struct obj_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->o[i].path);
		free(l->o[i].shown);
	}
	free(l->o);
	memset(l, 0, sizeof(*l));
}

int proc_maps__read(pid_t pid, struct proc_objs *po)
{
	char prefix[PATH_MAX];
	struct obj_list l = {};
	ssize_t main_idx;
	size_t i;
	int err;

	memset(po, 0, sizeof(*po));
	err = proc_alive(pid);
	if (err)
		return err;
	po->pid = pid;
	snprintf(po->dir, sizeof(po->dir), "/proc/%d", (int)pid);
	err = read_maps(po->dir, &l);
	if (!err && l.n == 0 && pick_live_task(pid, po->dir, sizeof(po->dir)))
		err = read_maps(po->dir, &l);
	/* a process that exited while we read leaves a short or empty list */
	if (proc_alive(pid)) {
		err = -ESRCH;
		goto cleanup;
	}
	if (err)
		goto cleanup;

	main_idx = find_main(po->dir, &l);
	if (main_idx > 0) {
		struct mapped_obj tmp = l.o[main_idx];

		memmove(&l.o[1], &l.o[0], main_idx * sizeof(l.o[0]));
		l.o[0] = tmp;
	}
	if (main_idx >= 0)
		l.o[0].is_main = true;
	err = root_prefix(po->dir, prefix, sizeof(prefix));
	for (i = 0; !err && i < l.n; i++)
		err = set_names(&l.o[i], prefix);
	if (err)
		goto cleanup;
	po->o = l.o;
	po->n = l.n;
	return 0;
cleanup:
	obj_list_free(&l);
	return err;
}

void proc_maps__free(struct proc_objs *po)
{
	struct obj_list l = { po->o, po->n, po->n };

	obj_list_free(&l);
	memset(po, 0, sizeof(*po));
}

const struct mapped_obj *proc_maps__main(const struct proc_objs *po)
{
	return po->n && po->o[0].is_main ? &po->o[0] : NULL;
}

const struct mapped_obj *proc_maps__find(const struct proc_objs *po, unsigned int dev_major,
					 unsigned int dev_minor, unsigned long long ino)
{
	size_t i;

	for (i = 0; i < po->n; i++)
		if (po->o[i].ino == ino && po->o[i].dev_major == dev_major &&
		    po->o[i].dev_minor == dev_minor)
			return &po->o[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Process trees                                                       */

struct pid_pair {
	pid_t pid, ppid;
};

/* Every process in /proc with its parent. */
static int all_processes(struct pid_pair **out, size_t *n)
{
	struct pid_pair *v = NULL, *nv;
	size_t cap = 0, len = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[64];
		struct proc_stat st;
		int pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_stat(path, &st))
			continue;	/* gone since readdir */
		if (len == cap) {
			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[len++] = (struct pid_pair){ pid, st.ppid };
	}
	closedir(d);
	*out = v;
	*n = len;
	return 0;
}

int proc_maps__tree(pid_t root, pid_t **out, size_t *n)
{
	struct pid_pair *all = NULL;
	size_t nall = 0, len = 1, i, j;
	pid_t *tree;
	int err;

	*out = NULL;
	*n = 0;
	err = all_processes(&all, &nall);
	if (err)
		return err;
	tree = calloc(nall + 1, sizeof(*tree));
	if (!tree) {
		free(all);
		return -ENOMEM;
	}
	tree[0] = root;
	/* breadth first: each member's children join the end of the list */
	for (i = 0; i < len; i++)
		for (j = 0; j < nall; j++)
			if (all[j].ppid == tree[i] && all[j].pid != root && len <= nall)
				tree[len++] = all[j].pid;
	free(all);
	*out = tree;
	*n = len;
	return 0;
}
