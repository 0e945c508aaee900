// SPDX-License-Identifier: MIT
/* Finding and opening a target's file in a -p process; see proc_lookup.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "loader/libpath.h"
#include "loader/proc_lookup.h"

/* names of probes and files listed in one message before "..." */
#define LIST_MAX 3

void proc_lookup__strerror(pid_t pid, const char *shown, int rc, char *err, size_t errlen)
{
	if (rc == -ESRCH)
		snprintf(err, errlen, "pid %d: no such process", pid);
	else if (!shown && rc == -EACCES)
		snprintf(err, errlen, "pid %d: permission denied reading its maps and files in "
			 "/proc/%d: tracing another process needs CAP_SYS_PTRACE (or root)", pid, pid);
	else if (!shown)
		snprintf(err, errlen, "pid %d: cannot read /proc/%d/maps: %s", pid, pid,
			 strerror(-rc));
	else if (rc == -EXDEV)
		snprintf(err, errlen, "pid %d: %s is no longer the file it maps (replaced, or "
			 "shadowed by a mount or a link): not opened", pid, shown);
	else if (rc == -ENOENT)
		snprintf(err, errlen, "pid %d: cannot open %s: its path does not lead to it in "
			 "the process's root, and opening the mapping itself needs CAP_SYS_ADMIN",
			 pid, shown);
	else if (rc == -EACCES)
		snprintf(err, errlen, "pid %d: %s: permission denied (reading another process's "
			 "files needs CAP_SYS_PTRACE, or root)", pid, shown);
	else if (rc == -ENOEXEC)
		snprintf(err, errlen, "%s: not a valid ELF file", shown);
	else if (rc == -EMFILE)
		snprintf(err, errlen, "%s: too many files open (at most %d)", shown,
			 PROC_FILES_MAX);
	else
		snprintf(err, errlen, "%s: %s", shown, strerror(-rc));
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Does pid see the same / as we do (a chroot does not)? */
static bool same_root(const struct proc_objs *po)
{
	char path[sizeof(po->dir) + 8];
	struct stat ours, theirs;

	snprintf(path, sizeof(path), "%s/root", po->dir);
	if (stat("/", &ours) || stat(path, &theirs))
		return false;
	return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

/* The best mapped object whose basename matches name, or NULL. */
static const struct mapped_obj *by_short_name(const struct proc_objs *po, const char *name)
{
	const struct mapped_obj *best = NULL;
	int score, best_score = -1;
	size_t i;

	for (i = 0; i < po->n; i++) {
		const struct mapped_obj *o = &po->o[i];
		const char *base = base_name(o->path);

		if (!libpath__name_matches(base, name))
			continue;
		score = (!strcmp(base, name) ? 4 : 0) + (o->is_main ? 2 : 0) + (o->exec ? 1 : 0);
		if (score > best_score) {
			best_score = score;
			best = o;
		}
	}
	return best;
}

/*
 * A short name the process maps under another name: the system's NAME is a
 * link to a file it maps (/usr/bin/redis-server -> redis-check-rdb). The
 * system's file is only compared, by device and inode; the mapping is what
 * is opened.
 */
static const struct mapped_obj *by_link(const struct proc_objs *po, const char *name)
{
	char sys[PATH_MAX];
	struct stat st;

	if (!same_root(po) || libpath__resolve(name, sys, sizeof(sys)) || stat(sys, &st))
		return NULL;
	return proc_maps__find(po, major(st.st_dev), minor(st.st_dev), st.st_ino);
}

/* name made absolute from our working directory, "//" and "/./" folded. */
static char *absolute(const char *name)
{
	char cwd[PATH_MAX], *abs, *r, *w;

	if (name[0] == '/')
		abs = strdup(name);
	else if (!getcwd(cwd, sizeof(cwd)) || asprintf(&abs, "%s/%s", cwd, name) < 0)
		abs = NULL;
	if (!abs)
		return NULL;
	for (r = w = abs; *r; ) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || !r[2])))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	if (w == abs)
		*w++ = '/';
	*w = '\0';
	return abs;
}

static int open_path(const struct proc_objs *po, const char *name, const struct proc_file **out,
		     char *err, size_t errlen)
{
	char *abs = absolute(name);
	int rc;

	if (!abs)
		return -ENOMEM;
	rc = proc_files__open_in_root(po, abs, out);
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP || rc == -EISDIR)
		rc = -ENOENT;
	if (rc == -ENOENT)
		snprintf(err, errlen, "binary or library '%s' not found in pid %d", name, po->pid);
	else if (rc == -ENOEXEC)
		snprintf(err, errlen, "%s: not a valid ELF file", abs);
	else if (rc)
		proc_lookup__strerror(po->pid, abs, rc, err, errlen);
	free(abs);
	return rc;
}

int proc_lookup__file(pid_t pid, const char *name, const struct proc_file **out,
		      char *err, size_t errlen)
{
	const struct mapped_obj *o;
	struct proc_objs po;
	int rc;

	rc = proc_maps__read(pid, &po);
	if (rc) {
		proc_lookup__strerror(pid, NULL, rc, err, errlen);
		return rc;
	}
	if (name && strchr(name, '/')) {
		rc = open_path(&po, name, out, err, errlen);
		goto cleanup;
	}
	o = name ? by_short_name(&po, name) : proc_maps__main(&po);
	if (!o && name)
		o = by_link(&po, name);
	if (!o) {
		snprintf(err, errlen, "binary or library '%s' not found in pid %d",
			 name ? name : "(main executable)", pid);
		rc = -ENOENT;
		goto cleanup;
	}
	rc = proc_files__open_mapped(&po, o, out);
	if (rc) {
		proc_lookup__strerror(pid, o->shown, rc, err, errlen);
		/* not "no such file": the file is there, and would not open */
		rc = rc == -ENOENT ? -EXDEV : rc;
	}
cleanup:
	proc_maps__free(&po);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Which probed files the process maps                                 */

struct probed_file {
	const struct proc_file *f;
	const struct probe_site *first;	/* its sites, for their names */
	bool mapped;
};

static int cmp_cookie(const void *a, const void *b)
{
	const struct probe_site *x = *(const struct probe_site *const *)a;
	const struct probe_site *y = *(const struct probe_site *const *)b;

	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

/*
 * "a, b, c, +N more": the distinct names of pf's sites, in the order the
 * probes were given (their cookies).
 */
static int site_names(const struct probed_file *pf, const struct probe_site *sites,
		      size_t n, char *buf, size_t len)
{
	const struct probe_site **mine = calloc(n ? n : 1, sizeof(*mine));
	size_t i, j, nr = 0, shown = 0, more = 0, w = 0;

	if (!mine)
		return -ENOMEM;
	for (i = pf->first - sites; i < n; i++)
		if (!strcmp(sites[i].path, pf->first->path))
			mine[nr++] = &sites[i];
	qsort(mine, nr, sizeof(*mine), cmp_cookie);
	buf[0] = '\0';
	for (i = 0; i < nr; i++) {
		const char *name = mine[i]->name ? mine[i]->name : "?";

		for (j = 0; j < i && strcmp(mine[j]->name ? mine[j]->name : "?", name); j++)
			;
		if (j < i)
			continue;
		if (shown == LIST_MAX) {
			more++;
			continue;
		}
		w += snprintf(buf + w, w < len ? len - w : 0, "%s%s", shown ? ", " : "", name);
		shown++;
	}
	if (more && w < len)
		snprintf(buf + w, len - w, ", +%zu more", more);
	free(mine);
	return 0;
}

static int find_files(const struct probe_site *sites, size_t n, struct probed_file **out,
		      size_t *nr)
{
	struct probed_file *v = calloc(n ? n : 1, sizeof(*v));
	size_t i, j, k = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct proc_file *f = proc_files__lookup(sites[i].path);

		for (j = 0; f && j < k && v[j].f != f; j++)
			;
		if (f && j == k)
			v[k++] = (struct probed_file){ f, &sites[i], false };
	}
	*out = v;
	*nr = k;
	return 0;
}

/* Mark the files some process of pids maps. */
static void mark_mapped(const pid_t *pids, size_t npids, struct probed_file *v, size_t nv)
{
	struct proc_objs po;
	size_t i, j;

	for (i = 0; i < npids; i++) {
		if (proc_maps__read(pids[i], &po))
			continue;	/* exited meanwhile, or not ours to read */
		for (j = 0; j < nv; j++)
			v[j].mapped |= proc_files__mapped_by(v[j].f, &po);
		proc_maps__free(&po);
	}
}

static void none_mapped(pid_t pid, bool tree, const struct probed_file *v, size_t nv,
			char *err, size_t errlen)
{
	char files[512];
	size_t i, w = 0;

	files[0] = '\0';
	for (i = 0; i < nv && i < LIST_MAX && w < sizeof(files); i++)
		w += snprintf(files + w, sizeof(files) - w, "%s%s", i ? ", " : "", v[i].f->shown);
	if (nv > LIST_MAX && w < sizeof(files))
		snprintf(files + w, sizeof(files) - w, ", +%zu more", nv - LIST_MAX);
	if (tree)
		snprintf(err, errlen, "neither pid %d nor its descendants map any file to probe "
			 "(%s): nothing would be traced", pid, files);
	else
		snprintf(err, errlen, "pid %d maps none of the files to probe (%s): nothing would "
			 "be traced", pid, files);
}

int proc_lookup__check_mapped(pid_t pid, bool tree, const struct probe_site *sites,
			      size_t n, char *err, size_t errlen)
{
	struct probed_file *v = NULL;
	pid_t *pids = NULL, one = pid;
	size_t nv = 0, npids = 1, i, mapped = 0;
	char names[512];
	int rc;

	rc = find_files(sites, n, &v, &nv);
	if (!rc && tree)
		rc = proc_maps__tree(pid, &pids, &npids);
	if (rc)
		goto cleanup;
	mark_mapped(tree ? pids : &one, npids, v, nv);
	for (i = 0; i < nv; i++)
		mapped += v[i].mapped;
	if (nv && !mapped) {
		none_mapped(pid, tree, v, nv, err, errlen);
		rc = -ENOENT;
		goto cleanup;
	}
	for (i = 0; i < nv; i++) {
		if (v[i].mapped)
			continue;
		if ((rc = site_names(&v[i], sites, n, names, sizeof(names))))
			goto cleanup;
		if (tree)
			fprintf(stderr, "synctrace: warning: no process of pid %d's tree maps %s "
				"(%s): probed in any that loads it\n", pid, v[i].f->shown, names);
		else
			fprintf(stderr, "synctrace: warning: pid %d does not map %s (%s): probed "
				"in case it loads it\n", pid, v[i].f->shown, names);
	}
cleanup:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(v);
	free(pids);
	return rc;
}
