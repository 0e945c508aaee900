// SPDX-License-Identifier: MIT
/*
 * Finding the OpenSSL a process runs and attaching bpf/net.bpf.c's TLS
 * uprobes there; see net_tls.h. The files are those the process maps (opened
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

/*
 * The calls whose bytes are fed, each with its entry and return programs
 * (bpf/net.bpf.c): each moves a byte once (SSL_read never calls
 * SSL_read_ex nor the reverse). SSL_read and SSL_write must be there (an
 * OpenSSL before 1.1.1 has no _ex); SSL_free has no return program.
 */
static const struct {
	const char *name, *entry, *exit;
	bool needed;
} tls_funcs[] = {
	{ "SSL_read", "net_ssl_read_enter", "net_ssl_read_exit", true },
	{ "SSL_write", "net_ssl_write_enter", "net_ssl_write_exit", true },
	{ "SSL_read_ex", "net_ssl_read_ex_enter", "net_ssl_read_ex_exit", false },
	{ "SSL_write_ex", "net_ssl_write_ex_enter", "net_ssl_write_ex_exit", false },
	{ "SSL_free", "net_ssl_free", NULL, false },
};
#define NR_TLS_FUNCS (sizeof(tls_funcs) / sizeof(tls_funcs[0]))

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct net_tls {
	struct attacher *a;
	const struct bpf_program *entry[NR_TLS_FUNCS], *exit[NR_TLS_FUNCS];
	struct file_id *seen;		/* files looked at (probed or not): once each */
	size_t nr_seen;
	const struct proc_file **pfs;	/* opened for the process, put at free */
	size_t nr_pfs;
	size_t nr_files;
	char *names;			/* the probed files, as the processes name them */
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

/* Add shown to the names of the probed files. */
static int add_name(struct net_tls *t, const char *shown)
{
	size_t have = t->names ? strlen(t->names) : 0;
	char *p = realloc(t->names, have + strlen(shown) + 3);

	if (!p)
		return -ENOMEM;
	t->names = p;
	sprintf(p + have, "%s%s", have ? ", " : "", shown);
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
		    const char *shown)
{
	memset(site, 0, sizeof(*site));
	site->path = path;
	site->offset = s->offset;
	site->vaddr = s->addr;
	site->size = s->size;
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
	const struct sym *syms[NR_TLS_FUNCS];
	struct sym_table *st = NULL;
	struct probe_site site;
	size_t i;
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
		syms[i] = find_func(st, tls_funcs[i].name);
		if (!syms[i] && tls_funcs[i].needed)
			goto cleanup;	/* not OpenSSL (or a stub): nothing to do */
	}
	/* without SSL_free, a TLS connection's state stays until the map is full */
	for (i = 0; i < NR_TLS_FUNCS && !rc; i++) {
		if (!syms[i])
			continue;
		site_of(&site, syms[i], path, shown);
		rc = attacher__attach(t->a, t->entry[i], false, filter, &site, 1);
		if (!rc && t->exit[i])
			rc = attacher__attach(t->a, t->exit[i], true, filter, &site, 1);
	}
	if (rc == -ESRCH)
		snprintf(err, errlen, "pid %d: process exited", owner);
	else if (rc)
		attacher__error(t->a, rc, 1, err, errlen);
	else if (!(rc = add_name(t, shown)))
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
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	for (i = 0; i < NR_TLS_FUNCS && !rc; i++) {
		t->entry[i] = bpf_object__find_program_by_name(obj, tls_funcs[i].entry);
		if (tls_funcs[i].exit)
			t->exit[i] = bpf_object__find_program_by_name(obj, tls_funcs[i].exit);
		if (!t->entry[i] || (tls_funcs[i].exit && !t->exit[i])) {
			snprintf(err, errlen, "the socket BPF object has no program for %s",
				 tls_funcs[i].name);
			rc = -ENOENT;
		}
	}
	if (rc)
		goto cleanup;
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

const char *net_tls__files(const struct net_tls *t)
{
	return t && t->names ? t->names : "";
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
	free(t->names);
	free(t);
}
