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
#include "loader/placement.h"
#include "loader/proc_lookup.h"
#include "loader/resolve.h"
#include "loader/sym_table.h"
#include "loader/target_spec.h"
#include "loader/usdt_notes.h"

/* One USDT probe: every site of a provider:name. */
struct usdt_group {
	const struct usdt_probe *first;
	size_t sites;
	bool semaphore;		/* any site has one */
};

/* A function as a row shows it: demangled, or (--mangled) as the file spells it. */
struct func_row {
	const struct sym *s;
	const char *name;
	struct placement place;	/* -v: where its entry probe goes */
};

/* What one file offers that matches the pattern (the tables are the resolver's). */
struct listing {
	const char *shown;
	const struct sym_table *st;
	const struct usdt_probe *probes;
	size_t nr_probes;
	struct func_row *funcs;
	size_t nr_funcs;
	struct usdt_group *groups;
	size_t nr_groups;
};

static int cmp_row(const void *a, const void *b)
{
	const struct func_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->s->addr > y->s->addr) - (x->s->addr < y->s->addr);
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

/*
 * The functions pattern names, as a target's symbol reads (target_spec__glob():
 * Go's "(*" is literal) and as the resolver matches it (demangled names too).
 */
static int select_functions(struct listing *l, const char *pattern, bool mangled)
{
	char *glob = pattern ? target_spec__glob(pattern) : NULL;
	const struct sym **m = NULL;
	size_t i, n;

	if (pattern && !glob)
		return -ENOMEM;
	n = sym_table__list(l->st, glob, &m);
	free(glob);
	l->funcs = calloc(n ? n : 1, sizeof(*l->funcs));
	if (!l->funcs) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		l->funcs[i] = (struct func_row){
			.s = m[i],
			.name = mangled ? m[i]->name : sym_table__shown(l->st, m[i]),
		};
	l->nr_funcs = n;
	free(m);
	qsort(l->funcs, l->nr_funcs, sizeof(*l->funcs), cmp_row);
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
	memset(l, 0, sizeof(*l));
}

/* -v: where each function's entry probe goes (loader/placement.h). */
static int place_functions(struct listing *l, struct file_tables *f)
{
	const struct sym **m = calloc(l->nr_funcs ? l->nr_funcs : 1, sizeof(*m));
	struct placement *pl = calloc(l->nr_funcs ? l->nr_funcs : 1, sizeof(*pl));
	size_t i;
	int rc = -ENOMEM;

	if (m && pl) {
		for (i = 0; i < l->nr_funcs; i++)
			m[i] = l->funcs[i].s;
		/* code that cannot be read is listed all the same, at +0 */
		rc = file_tables__placements(f, m, l->nr_funcs, pl) == -ENOMEM ? -ENOMEM : 0;
		for (i = 0; !rc && i < l->nr_funcs; i++)
			l->funcs[i].place = pl[i];
	}
	free(m);
	free(pl);
	return rc;
}

/* Read f (for env's process, or none) and keep what matches pattern; err says why not. */
static int listing_load(struct listing *l, struct file_tables *f, const struct env *env,
			const char *pattern, char *err, size_t errlen)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->shown = file_tables__shown(f);
	rc = file_tables__syms(f, env->pid, &l->st, err, errlen);
	if (!rc)
		rc = file_tables__usdt(f, &l->probes, &l->nr_probes, err, errlen);
	if (!rc)
		rc = select_functions(l, pattern, env->mangled);
	if (!rc)
		rc = group_usdt(l, pattern);
	if (!rc && env->verbose && !env->no_placement)
		rc = place_functions(l, f);
	if (rc)
		listing_free(l);
	return rc;
}

/*
 * -v: where its entry probe goes, for a count (and ops that read nothing)
 * and for lat (a return armed there); then where the function was found,
 * last on the line.
 */
static void print_verbose(const struct func_row *r, const struct sym *s)
{
	char count[160], lat[160];

	printf("%s", s->ifunc ? "" : "      ");
	if (r->place.why != PLACE_NONE) {
		placement__describe(&r->place, 0, count, sizeof(count));
		placement__describe(&r->place, PLACE_NEEDS_RETURN, lat, sizeof(lat));
		if (!strcmp(count, lat))
			printf(" entry %s;", count);
		else
			printf(" entry %s, lat %s;", count, lat);
	}
	printf(" from %s", sym_source__name(s->source));
}

static void print_text(const struct listing *l, bool verbose)
{
	char name[512];
	size_t i;

	printf("%s\n", l->shown);
	if (verbose) {
		const char *const *notes;
		size_t n = sym_table__notes(l->st, &notes);

		for (i = 0; i < n; i++)
			printf("  debug %s\n", notes[i]);
	}
	for (i = 0; i < l->nr_funcs; i++) {
		const struct sym *s = l->funcs[i].s;
		/* C++ names run to kilobytes: printed whole, not cut to a buffer */
		int len = printf("  func  %s%s%s", l->funcs[i].name,
				 s->version ? (s->default_version ? "@@" : "@") : "",
				 s->version ? s->version : "");

		printf("%*s size %-8llu%s", len < 56 ? 56 - len : 0, "",
		       (unsigned long long)s->size, s->ifunc ? " ifunc" : "");
		if (verbose)
			print_verbose(&l->funcs[i], s);
		putchar('\n');
	}
	for (i = 0; i < l->nr_groups; i++) {
		const struct usdt_group *g = &l->groups[i];

		snprintf(name, sizeof(name), "%s:%s", g->first->provider, g->first->name);
		printf("  usdt  %-48s args %-3d semaphore %-3s sites %zu\n", name,
		       g->first->nargs < 0 ? 0 : g->first->nargs, g->semaphore ? "yes" : "no",
		       g->sites);
	}
}

/* -v: where its entry probe goes, for a count and for lat, with why. */
static void placement_json(json_object *o, const struct placement *p)
{
	char why[160];

	if (p->why == PLACE_NONE)
		return;
	placement__describe(p, 0, why, sizeof(why));
	json_object_object_add(o, "entry_offset", json_object_new_uint64(p->skip));
	json_object_object_add(o, "entry_offset_lat", json_object_new_uint64(
				       p->writes & PLACE_NEEDS_RETURN ? 0 : p->skip));
	json_object_object_add(o, "placement", json_object_new_string(why));
}

static json_object *functions_json(const struct listing *l)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->nr_funcs; i++) {
		const struct sym *s = l->funcs[i].s;
		json_object *o = json_object_new_object();

		/* both, whatever --mangled says: demangled, and as the file spells it */
		json_object_object_add(o, "name",
				       json_object_new_string(sym_table__shown(l->st, s)));
		json_object_object_add(o, "mangled", json_object_new_string(s->name));
		json_object_object_add(o, "version", s->version ?
				       json_object_new_string(s->version) : NULL);
		json_object_object_add(o, "default_version",
				       json_object_new_boolean(s->version && s->default_version));
		json_object_object_add(o, "size", json_object_new_uint64(s->size));
		json_object_object_add(o, "ifunc", json_object_new_boolean(s->ifunc));
		json_object_object_add(o, "source",
				       json_object_new_string(sym_source__name(s->source)));
		placement_json(o, &l->funcs[i].place);
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
		print_text(l, env->verbose);
	return true;
}

static void report_no_match(const char *what, const char *pattern)
{
	if (pattern)
		report_error("%s: no function or USDT probe matches '%s'", what, pattern);
	else
		report_error("%s: no function or USDT probe", what);
}

/* One file: an error if it cannot be read or has no match. */
static int list_file(const struct env *env, struct file_tables *f, const char *pattern)
{
	struct listing l;
	char err[1024];
	bool any;
	int rc = listing_load(&l, f, env, pattern, err, sizeof(err));

	if (rc) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	any = print_listing(env, &l);
	listing_free(&l);
	if (!any)
		report_no_match(file_tables__shown(f), pattern);
	return any ? EXIT_OK : EXIT_RUNTIME;
}

/* Every executable object pid maps; those that cannot be read are noted. */
static int list_process(const struct env *env, struct resolver *r, const char *pattern)
{
	struct file_tables *f;
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
		rc = resolver__mapped_file(r, &po, &po.o[i], &f);
		if (!rc)
			rc = listing_load(&l, f, env, pattern, err, sizeof(err));
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

static int list_target(const struct env *env, struct resolver *r, const char *binary,
		       const char *pattern)
{
	struct file_tables *f;
	char err[1024];
	int rc;

	if (env->pid && proc_alive(env->pid)) {
		report_error("pid %d: no such process", env->pid);
		return EXIT_RUNTIME;
	}
	if (env->pid && !binary)
		return list_process(env, r, pattern);
	rc = resolver__file(r, binary, &f, err, sizeof(err));
	/* a lone argument naming no file it maps is the pattern (never a path) */
	if (env->pid && rc == -ENOENT && env->nr_args == 1 && !strchr(binary, '/'))
		return list_process(env, r, binary);
	if (rc) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	return list_file(env, f, pattern);
}

int cmd_list(const struct env *env)
{
	const char *binary = env->nr_args > 0 ? env->args[0] : NULL;
	const char *pattern = env->nr_args > 1 ? env->args[1] : NULL;
	struct resolver *r = resolver__new(env->pid);
	int rc;

	if (!r) {
		report_error("out of memory");
		return EXIT_RUNTIME;
	}
	rc = list_target(env, r, binary, pattern);
	resolver__free(r);
	return rc;
}
