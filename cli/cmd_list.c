// SPDX-License-Identifier: MIT
/*
 * `list`: what can be probed in a file, or in every file a process maps, as
 * text or NDJSON (one object per file). A -p process's files are opened
 * through loader/proc_lookup.h, never outside its root, and named as it
 * names them.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "cli/commands.h"
#include "loader/elf_syms.h"
#include "loader/libpath.h"
#include "loader/proc_lookup.h"
#include "loader/usdt_notes.h"

/* One USDT probe: every site of a provider:name. */
struct usdt_group {
	const struct usdt_probe *first;
	size_t sites;
	bool semaphore;		/* any site has one */
};

/* What one file offers that matches the pattern. */
struct listing {
	const char *shown;
	struct elf_symtab *st;
	struct usdt_probe *probes;
	size_t nr_probes;
	const struct elf_sym **funcs;
	size_t nr_funcs;
	struct usdt_group *groups;
	size_t nr_groups;
};

static int cmp_sym_name(const void *a, const void *b)
{
	const struct elf_sym *x = *(const struct elf_sym *const *)a;
	const struct elf_sym *y = *(const struct elf_sym *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->addr > y->addr) - (x->addr < y->addr);
}

static int cmp_group(const void *a, const void *b)
{
	const struct usdt_probe *x = ((const struct usdt_group *)a)->first;
	const struct usdt_probe *y = ((const struct usdt_group *)b)->first;
	int c = strcmp(x->provider, y->provider);

	return c ? c : strcmp(x->name, y->name);
}

static bool usdt_matches(const struct usdt_probe *p, const char *pattern)
{
	char name[512];

	if (!pattern || !fnmatch(pattern, p->name, 0))
		return true;
	snprintf(name, sizeof(name), "%s:%s", p->provider, p->name);
	return !fnmatch(pattern, name, 0);
}

static int select_functions(struct listing *l, const char *pattern)
{
	size_t i, count = elf_symtab__count(l->st);

	l->funcs = calloc(count ? count : 1, sizeof(*l->funcs));
	if (!l->funcs)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const struct elf_sym *s = elf_symtab__get(l->st, i);

		if (!pattern || !fnmatch(pattern, s->name, 0))
			l->funcs[l->nr_funcs++] = s;
	}
	qsort(l->funcs, l->nr_funcs, sizeof(*l->funcs), cmp_sym_name);
	return 0;
}

/* One group per provider:name: a probe inlined in N places has N sites. */
static int group_usdt(struct listing *l, const char *pattern)
{
	size_t i, j;

	l->groups = calloc(l->nr_probes ? l->nr_probes : 1, sizeof(*l->groups));
	if (!l->groups)
		return -ENOMEM;
	for (i = 0; i < l->nr_probes; i++) {
		const struct usdt_probe *p = &l->probes[i];

		if (!usdt_matches(p, pattern))
			continue;
		for (j = 0; j < l->nr_groups; j++)
			if (!strcmp(l->groups[j].first->provider, p->provider) &&
			    !strcmp(l->groups[j].first->name, p->name))
				break;
		if (j == l->nr_groups)
			l->groups[l->nr_groups++].first = p;
		l->groups[j].sites++;
		l->groups[j].semaphore |= p->sema_offset != 0;
	}
	qsort(l->groups, l->nr_groups, sizeof(*l->groups), cmp_group);
	return 0;
}

static void listing_free(struct listing *l)
{
	free(l->funcs);
	free(l->groups);
	usdt_notes__free(l->probes, l->nr_probes);
	elf_symtab__free(l->st);
	memset(l, 0, sizeof(*l));
}

/* Read path (opened as open_path) and keep what matches pattern. */
static int listing_load(struct listing *l, const char *open_path, const char *shown,
			const char *pattern)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->shown = shown;
	rc = elf_symtab__load(open_path, &l->st);
	if (!rc)
		rc = usdt_notes__load(open_path, &l->probes, &l->nr_probes);
	if (!rc)
		rc = select_functions(l, pattern);
	if (!rc)
		rc = group_usdt(l, pattern);
	if (rc)
		listing_free(l);
	return rc;
}

static void print_text(const struct listing *l)
{
	char name[512];
	size_t i;

	printf("%s\n", l->shown);
	for (i = 0; i < l->nr_funcs; i++) {
		const struct elf_sym *s = l->funcs[i];

		if (s->version)
			snprintf(name, sizeof(name), "%s%s%s", s->name,
				 s->default_version ? "@@" : "@", s->version);
		else
			snprintf(name, sizeof(name), "%s", s->name);
		printf("  func  %-48s size %-8llu%s\n", name, (unsigned long long)s->size,
		       s->ifunc ? " ifunc" : "");
	}
	for (i = 0; i < l->nr_groups; i++) {
		const struct usdt_group *g = &l->groups[i];

		snprintf(name, sizeof(name), "%s:%s", g->first->provider, g->first->name);
		printf("  usdt  %-48s args %-3d semaphore %-3s sites %zu\n", name,
		       g->first->nargs < 0 ? 0 : g->first->nargs, g->semaphore ? "yes" : "no",
		       g->sites);
	}
}

static json_object *functions_json(const struct listing *l)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->nr_funcs; i++) {
		const struct elf_sym *s = l->funcs[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "version", s->version ?
				       json_object_new_string(s->version) : NULL);
		json_object_object_add(o, "default_version",
				       json_object_new_boolean(s->version && s->default_version));
		json_object_object_add(o, "size", json_object_new_uint64(s->size));
		json_object_object_add(o, "ifunc", json_object_new_boolean(s->ifunc));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *usdt_json(const struct listing *l)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->nr_groups; i++) {
		const struct usdt_group *g = &l->groups[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "provider", json_object_new_string(g->first->provider));
		json_object_object_add(o, "name", json_object_new_string(g->first->name));
		/* null: the note's arguments are in a form synctrace does not read */
		json_object_object_add(o, "args", g->first->nargs < 0 ? NULL :
				       json_object_new_int(g->first->nargs));
		json_object_object_add(o, "semaphore", json_object_new_boolean(g->semaphore));
		json_object_object_add(o, "sites", json_object_new_uint64(g->sites));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void print_json(const struct listing *l)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(l->shown));
	json_object_object_add(o, "functions", functions_json(l));
	json_object_object_add(o, "usdt", usdt_json(l));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Print l if anything in it matched; true if it did. */
static bool print_listing(const struct env *env, const struct listing *l)
{
	if (!l->nr_funcs && !l->nr_groups)
		return false;
	if (env->json)
		print_json(l);
	else
		print_text(l);
	return true;
}

static void report_load_error(const char *shown, int rc, const char *prefix)
{
	report_error("%s%s: %s", prefix, shown, rc == -ENOEXEC || rc == -EINVAL ?
		     "not a valid ELF file" : strerror(-rc));
}

static void report_no_match(const char *what, const char *pattern)
{
	if (pattern)
		report_error("%s: no function or USDT probe matches '%s'", what, pattern);
	else
		report_error("%s: no function or USDT probe", what);
}

/* One file, opened as open_path: an error if it cannot be read or has no match. */
static int list_file(const struct env *env, const char *open_path, const char *shown,
		     const char *pattern)
{
	struct listing l;
	bool any;
	int rc = listing_load(&l, open_path, shown, pattern);

	if (rc) {
		report_load_error(shown, rc, "");
		return EXIT_RUNTIME;
	}
	any = print_listing(env, &l);
	listing_free(&l);
	if (!any)
		report_no_match(shown, pattern);
	return any ? EXIT_OK : EXIT_RUNTIME;
}

/* Every executable object pid maps; those that cannot be read are noted. */
static int list_process(const struct env *env, const char *pattern)
{
	const struct proc_file *pf;
	struct proc_objs po;
	struct listing l;
	char err[1024], what[64];
	size_t i, listed = 0;
	int rc = proc_maps__read(env->pid, &po);

	if (rc) {
		proc_lookup__strerror(env->pid, NULL, rc, err, sizeof(err));
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < po.n; i++) {
		if (!po.o[i].exec)
			continue;
		rc = proc_files__open_mapped(&po, &po.o[i], &pf);
		if (!rc) {
			/* the tables are copies: the file need not stay open */
			rc = listing_load(&l, pf->path, po.o[i].shown, pattern);
			proc_files__put(pf);
		}
		if (!rc) {
			listed += print_listing(env, &l);
			listing_free(&l);
		} else if (rc != -ENOEXEC && rc != -EINVAL) {
			/* not a JIT's memfd or a mapped device (nothing to probe there) */
			proc_lookup__strerror(env->pid, po.o[i].shown, rc, err, sizeof(err));
			fprintf(stderr, "synctrace: warning: %s: not listed\n", err);
		}
	}
	proc_maps__free(&po);
	if (!listed) {
		snprintf(what, sizeof(what), "pid %d", env->pid);
		report_no_match(what, pattern);
	}
	return listed ? EXIT_OK : EXIT_RUNTIME;
}

static int list_in_process(const struct env *env, const char *binary, const char *pattern)
{
	const struct proc_file *pf;
	char err[1024];
	int rc;

	if (proc_alive(env->pid)) {
		report_error("pid %d: no such process", env->pid);
		return EXIT_RUNTIME;
	}
	if (!binary)
		return list_process(env, pattern);
	rc = proc_lookup__file(env->pid, binary, &pf, err, sizeof(err));
	/* a lone argument naming no file it maps is the pattern (never a path) */
	if (rc == -ENOENT && env->nr_args == 1 && !strchr(binary, '/'))
		return list_process(env, binary);
	if (rc) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	rc = list_file(env, pf->path, pf->shown, pattern);
	proc_files__put(pf);
	return rc;
}

int cmd_list(const struct env *env)
{
	const char *binary = env->nr_args > 0 ? env->args[0] : NULL;
	const char *pattern = env->nr_args > 1 ? env->args[1] : NULL;
	char path[PATH_MAX];

	if (env->pid)
		return list_in_process(env, binary, pattern);
	if (libpath__resolve(binary, path, sizeof(path))) {
		report_error("binary or library '%s' not found", binary);
		return EXIT_RUNTIME;
	}
	return list_file(env, path, binary[0] == '/' ? binary : path, pattern);
}
