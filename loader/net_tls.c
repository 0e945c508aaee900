// SPDX-License-Identifier: MIT
/*
 * Finding the OpenSSL a process runs and attaching bpf/net_tls.h's uprobes
 * there; see net_tls.h. The files are those the process maps (opened
 * through proc_files.h, inside its root), so a container's own libssl is
 * the one probed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "loader/net_tls.h"
#include "loader/attach.h"
#include "loader/libpath.h"
#include "loader/proc_files.h"
#include "loader/proc_lookup.h"
#include "loader/proc_maps.h"
#include "loader/sym_table.h"
#include "maps/net.h"

/* The calls whose bytes are fed: each moves a byte once (SSL_read never
 * calls SSL_read_ex nor the reverse). SSL_read and SSL_write must be there. */
static const struct {
	const char *name;
	__u64 how;
	bool needed;
} tls_funcs[] = {
	{ "SSL_read", 0, true },
	{ "SSL_read_ex", NET_TLS_EX, false },
	{ "SSL_write", NET_TLS_WRITE, true },
	{ "SSL_write_ex", NET_TLS_WRITE | NET_TLS_EX, false },
};
#define NR_TLS_FUNCS (sizeof(tls_funcs) / sizeof(tls_funcs[0]))

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct net_tls {
	struct attacher *a;
	const struct bpf_program *entry, *exit, *free;
	struct file_id *seen;		/* files looked at (probed or not): once each */
	size_t nr_seen;
	const struct proc_file **pfs;	/* opened for the process, put at free */
	size_t nr_pfs;
	size_t nr_files;
};

/* Has path's file been looked at already? Remembers it if not. */
static int seen_before(struct net_tls *t, const char *path, bool *seen)
{
	struct file_id *p;
	struct stat st;
	size_t i;

	*seen = false;
	if (stat(path, &st))
		return -errno;
	for (i = 0; i < t->nr_seen; i++)
		if (t->seen[i].dev == st.st_dev && t->seen[i].ino == st.st_ino) {
			*seen = true;
			return 0;
		}
	if (!(p = realloc(t->seen, (t->nr_seen + 1) * sizeof(*p))))
		return -ENOMEM;
	t->seen = p;
	t->seen[t->nr_seen].dev = st.st_dev;
	t->seen[t->nr_seen++].ino = st.st_ino;
	return 0;
}

/* The function called name (exactly) in st, or NULL. */
static const struct sym *find_func(const struct sym_table *st, const char *name)
{
	const struct sym **m = NULL, *s = NULL;
	size_t i, n = sym_table__match(st, name, &m);

	for (i = 0; i < n && !s; i++)
		if (!strcmp(m[i]->name, name))
			s = m[i];
	free(m);
	return s;
}

static void site_of(struct probe_site *site, const struct sym *s, const char *path,
		    const char *shown, __u64 cookie)
{
	memset(site, 0, sizeof(*site));
	site->path = path;
	site->offset = s->offset;
	site->vaddr = s->addr;
	site->size = s->size;
	site->cookie = cookie;
	site->name = s->name;
	site->file = shown;
	site->usdt_nargs = 0;
}

/*
 * Probe the file at path (shown: the process's name for it) if it defines
 * SSL_read and SSL_write; filter: the process the probes fire for (0:
 * every process, the BPF filter decides). 0 (probed or not) or -errno.
 */
static int probe_file(struct net_tls *t, const char *path, const char *shown, pid_t owner,
		      pid_t filter, char *err, size_t errlen)
{
	struct sym_file f = { .path = path, .shown = shown, .pid = owner };
	struct probe_site sites[NR_TLS_FUNCS], free_site;
	const struct sym *s, *free_sym;
	struct sym_table *st = NULL;
	size_t i, n = 0;
	bool seen;
	int rc;

	rc = seen_before(t, path, &seen);
	if (rc || seen)
		return rc == -ENOENT ? 0 : rc;
	rc = sym_table__load(&f, &st);
	if (rc) {
		/* not ELF, or unreadable: it runs no OpenSSL we could probe */
		if (rc == -ENOEXEC || rc == -ENOENT || rc == -EISDIR)
			return 0;
		snprintf(err, errlen, "%s: cannot read its symbols: %s", shown, strerror(-rc));
		return rc;
	}
	for (i = 0; i < NR_TLS_FUNCS; i++) {
		s = find_func(st, tls_funcs[i].name);
		if (!s && tls_funcs[i].needed)
			goto cleanup;	/* not OpenSSL (or a stub): nothing to do */
		if (s)
			site_of(&sites[n++], s, path, shown, tls_funcs[i].how);
	}
	rc = attacher__attach(t->a, t->entry, false, filter, sites, n);
	if (!rc)
		rc = attacher__attach(t->a, t->exit, true, filter, sites, n);
	/* without SSL_free, a TLS connection's state goes when the map is full */
	if (!rc && (free_sym = find_func(st, "SSL_free"))) {
		site_of(&free_site, free_sym, path, shown, 0);
		rc = attacher__attach(t->a, t->free, false, filter, &free_site, 1);
		n++;
	}
	if (rc == -ESRCH)
		snprintf(err, errlen, "pid %d: process exited", owner);
	else if (rc)
		attacher__error(t->a, rc, n, err, errlen);
	else
		t->nr_files++;
cleanup:
	sym_table__free(st);
	return rc;
}

/* The files of pid that may hold OpenSSL: its executable and any libssl. */
static bool maybe_openssl(const struct mapped_obj *o)
{
	const char *base = strrchr(o->path, '/');

	base = base ? base + 1 : o->path;
	return o->exec && (o->is_main || libpath__name_matches(base, "libssl"));
}

static int probe_process(struct net_tls *t, pid_t pid, pid_t filter, char *err, size_t errlen)
{
	const struct proc_file *pf, **p;
	struct proc_objs po;
	size_t i;
	int rc = proc_maps__read(pid, &po);

	if (rc) {
		proc_lookup__strerror(pid, NULL, rc, err, errlen);
		return rc;
	}
	for (i = 0; i < po.n && !rc; i++) {
		if (!maybe_openssl(&po.o[i]))
			continue;
		rc = proc_files__open_mapped(&po, &po.o[i], &pf);
		if (rc == -ESRCH) {
			proc_lookup__strerror(pid, NULL, rc, err, errlen);
			break;
		}
		if (rc) {
			/* a file we may not open is one we could not probe anyway */
			fprintf(stderr, "synctrace: warning: pid %d: %s: TLS not traced: %s\n",
				pid, po.o[i].shown, strerror(-rc));
			rc = 0;
			continue;
		}
		if (!(p = realloc(t->pfs, (t->nr_pfs + 1) * sizeof(*p)))) {
			proc_files__put(pf);
			rc = -ENOMEM;
			break;
		}
		t->pfs = p;
		t->pfs[t->nr_pfs++] = pf;
		rc = probe_file(t, pf->path, pf->shown, pid, filter, err, errlen);
	}
	proc_maps__free(&po);
	return rc;
}

/*
 * This system's libssl (the ld.so.cache's), by path, for filter (0: every
 * process): a libssl loaded later (a child exec'ed, a dlopen) is probed
 * as it maps it. Absent or not OpenSSL: nothing.
 */
static int probe_system_libssl(struct net_tls *t, pid_t filter, char *err, size_t errlen)
{
	char lib[4096];

	if (libpath__resolve("libssl", lib, sizeof(lib)))
		return 0;
	return probe_file(t, lib, lib, 0, filter, err, errlen);
}

/* --children: root's tree now, then the system's libssl for what it starts later. */
static int probe_tree(struct net_tls *t, pid_t root, char *err, size_t errlen)
{
	pid_t *pids = NULL;
	size_t i, n = 0;
	int rc = proc_maps__tree(root, &pids, &n);

	for (i = 0; i < n && !rc; i++) {
		rc = probe_process(t, pids[i], 0, err, errlen);
		/* a descendant that exited meanwhile is no loss; the root is */
		if (rc == -ESRCH && pids[i] != root)
			rc = 0;
	}
	free(pids);
	return rc ? rc : probe_system_libssl(t, 0, err, errlen);
}

int net_tls__attach(struct bpf_object *obj, pid_t pid, pid_t root, struct net_tls **out,
		    char *err, size_t errlen)
{
	struct net_tls *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->entry = bpf_object__find_program_by_name(obj, "net_tls_entry");
	t->exit = bpf_object__find_program_by_name(obj, "net_tls_exit");
	t->free = bpf_object__find_program_by_name(obj, "net_tls_free");
	if (!t->entry || !t->exit || !t->free) {
		snprintf(err, errlen, "the socket BPF object has no TLS programs");
		rc = -ENOENT;
		goto cleanup;
	}
	/* one classic link per site: a handful of functions per file */
	if (!(t->a = attacher__new(false))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (root > 0)
		rc = probe_tree(t, root, err, errlen);
	else if (!(rc = probe_process(t, pid, pid, err, errlen)))
		rc = probe_system_libssl(t, pid, err, errlen);
cleanup:
	if (rc) {
		net_tls__free(t);
		return rc;
	}
	*out = t;
	return 0;
}

size_t net_tls__nr_links(const struct net_tls *t)
{
	return t ? attacher__nr_links(t->a) : 0;
}

size_t net_tls__nr_files(const struct net_tls *t)
{
	return t ? t->nr_files : 0;
}

void net_tls__free(struct net_tls *t)
{
	size_t i;

	if (!t)
		return;
	attacher__free(t->a);
	for (i = 0; i < t->nr_pfs; i++)
		proc_files__put(t->pfs[i]);
	free(t->pfs);
	free(t->seen);
	free(t);
}
