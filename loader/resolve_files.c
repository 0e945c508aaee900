// SPDX-License-Identifier: MIT
/*
 * The resolver's files: each looked up once (in the -p process's root, or
 * as a path or library name), its symbol table and USDT notes read on
 * first use and kept; see resolve.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/libpath.h"
#include "loader/proc_files.h"
#include "loader/proc_lookup.h"
#include "loader/resolve_internal.h"
#include "loader/sym_table.h"
#include "loader/usdt_notes.h"

struct resolver *resolver__new(pid_t pid)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (r) {
		r->pid = pid;
		r->placement = true;
	}
	return r;
}

void resolver__set_placement(struct resolver *r, bool on)
{
	r->placement = on;
}

void resolver__free(struct resolver *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr_files; i++) {
		free(r->files[i]->open_path);
		free(r->files[i]->shown);
		sym_table__free(r->files[i]->syms);
		usdt_notes__free(r->files[i]->usdt, r->files[i]->nr_usdt);
		free(r->files[i]);
	}
	free(r->files);
	free(r);
}

/* The tables of the file opened as path, added (not loaded yet) if new. */
int file_tables_of(struct resolver *r, const char *path, const char *shown,
			  struct file_tables **out)
{
	struct file_tables *f, **p;
	size_t i;

	for (i = 0; i < r->nr_files; i++) {
		if (!strcmp(r->files[i]->open_path, path)) {
			*out = r->files[i];
			return 0;
		}
	}
	p = realloc(r->files, (r->nr_files + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->files = p;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->open_path = strdup(path);
	f->shown = strdup(shown);
	if (!f->open_path || !f->shown) {
		free(f->open_path);
		free(f->shown);
		free(f);
		return -ENOMEM;
	}
	r->files[r->nr_files++] = f;
	*out = f;
	return 0;
}

int resolver__file(struct resolver *r, const char *binary, struct file_tables **out,
		   char *err, size_t errlen)
{
	const struct proc_file *pf;
	char path[PATH_MAX];
	int rc;

	if (r->pid > 0) {
		/* its files only, opened so that none lies outside its root */
		rc = proc_lookup__file(r->pid, binary, &pf, err, errlen);
		if (rc)
			return rc == -EINVAL ? -EIO : rc;
		return file_tables_of(r, pf->path, pf->shown, out);
	}
	rc = binary ? libpath__resolve(binary, path, sizeof(path)) : -EINVAL;
	if (rc) {
		snprintf(err, errlen, "binary or library '%s' not found", binary ? binary : "");
		return rc == -EINVAL ? -ENOENT : rc;
	}
	/* a path as the user wrote it is how they know it */
	return file_tables_of(r, path, binary[0] == '/' ? binary : path, out);
}

const char *file_tables__shown(const struct file_tables *f)
{
	return f->shown;
}

static int bad_elf(const struct file_tables *f, int rc, char *err, size_t errlen)
{
	if (rc == -ENOEXEC || rc == -EINVAL)
		snprintf(err, errlen, "%s: not a valid ELF file", f->shown);
	else
		snprintf(err, errlen, "%s: %s", f->shown, strerror(-rc));
	return rc;
}

int file_tables__syms(struct file_tables *f, pid_t pid, const struct sym_table **out,
		      char *err, size_t errlen)
{
	struct sym_file sf = { .path = f->open_path, .shown = f->shown, .pid = pid };
	int rc;

	if (!f->syms && (rc = sym_table__load(&sf, &f->syms)))
		return bad_elf(f, rc, err, errlen);
	*out = f->syms;
	return 0;
}

int file_tables__usdt(struct file_tables *f, const struct usdt_probe **out, size_t *n,
		      char *err, size_t errlen)
{
	int rc;

	if (!f->usdt_loaded) {
		rc = usdt_notes__load(f->open_path, &f->usdt, &f->nr_usdt);
		if (rc)
			return bad_elf(f, rc, err, errlen);
		f->usdt_loaded = true;
	}
	*out = f->usdt;
	*n = f->nr_usdt;
	return 0;
}

int resolver__mapped_file(struct resolver *r, const struct proc_objs *po,
			  const struct mapped_obj *o, struct file_tables **out)
{
	const struct proc_file *pf;
	size_t i;
	int rc = proc_files__open_mapped(po, o, &pf);

	if (rc)
		return rc;
	for (i = 0; i < r->nr_files; i++) {
		if (!strcmp(r->files[i]->open_path, pf->path)) {
			proc_files__put(pf);	/* the tables hold it already */
			*out = r->files[i];
			return 0;
		}
	}
	/* pf stays open, as the path names it, until exit (proc_files.h) */
	return file_tables_of(r, pf->path, pf->shown, out);
}

