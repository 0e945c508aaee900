// SPDX-License-Identifier: MIT
/* Trace plans: points and sites added, sorted, deduplicated, freed; see resolve.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/resolve_internal.h"
#include "loader/usdt_notes.h"

/* s interned in (*arr)[0..*n): the plan owns one copy of each string. */
static const char *intern(char ***arr, size_t *n, const char *s)
{
	char **p, *copy;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*arr)[i], s))
			return (*arr)[i];
	p = realloc(*arr, (*n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	*arr = p;
	copy = strdup(s);
	if (copy)
		(*arr)[(*n)++] = copy;
	return copy;
}

int add_point(struct trace_plan *plan, const char *op,
		     const char *shown, bool usdt)
{
	struct trace_point *p;
	size_t len = strlen(shown) + strlen(op) + 2;

	p = realloc(plan->points, (plan->nr_points + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	plan->points = p;
	p = &plan->points[plan->nr_points];
	p->op = strdup(op);
	p->target = malloc(len);
	p->usdt = usdt;
	p->mid_function = false;
	if (!p->op || !p->target) {
		free(p->op);
		free(p->target);
		return -ENOMEM;
	}
	snprintf(p->target, len, "%s:%s", shown, op);
	plan->nr_points++;
	return 0;
}

/* A site of point cookie in file f (at vaddr, its address in the file), whose open
 * path and shown name plan holds. */
int add_site(struct trace_plan *plan, const struct file_tables *f, __u64 offset,
		    __u64 vaddr, __u64 ref_ctr, size_t cookie)
{
	const char *path = intern(&plan->paths, &plan->nr_paths, f->open_path);
	const char *file = intern(&plan->files, &plan->nr_files, f->shown);
	struct probe_site *s;

	if (!path || !file)
		return -ENOMEM;
	s = realloc(plan->sites, (plan->nr_sites + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	plan->sites = s;
	s = &plan->sites[plan->nr_sites++];
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->file = file;
	s->name = plan->points[cookie].op;
	s->offset = offset;
	s->vaddr = vaddr;
	s->ref_ctr_offset = ref_ctr;
	s->cookie = cookie;
	return 0;
}

/* The last site's USDT arguments: a copy the plan owns, as the notes go with the resolver. */
int set_usdt_args(struct trace_plan *plan, const struct usdt_probe *p)
{
	struct probe_site *s = &plan->sites[plan->nr_sites - 1];
	struct usdt_arg **sets, *copy = NULL;
	size_t bytes = (p->nargs > 0 ? p->nargs : 1) * sizeof(*copy);

	sets = realloc(plan->arg_sets, (plan->nr_arg_sets + 1) * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	plan->arg_sets = sets;
	copy = malloc(bytes);
	if (!copy)
		return -ENOMEM;
	if (p->nargs > 0)
		memcpy(copy, p->args, bytes);
	sets[plan->nr_arg_sets++] = copy;
	s->usdt_args = copy;
	s->usdt_nargs = p->nargs;
	return 0;
}

/* Was a debug file of st refused (a wrong CRC or build-id)? It may be why. */
int trace_plan__check_entries(const struct trace_plan *plan, char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < plan->nr_points; i++) {
		if (plan->points[i].mid_function) {
			snprintf(msg, len, "%s is not a function's entry: nothing there returns",
				 plan->points[i].target);
			return -EINVAL;
		}
	}
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct probe_site *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

void trace_plan__finish(struct trace_plan *plan)
{
	size_t *new_id, i, n = 0, kept = 0;
	bool *used;

	qsort(plan->sites, plan->nr_sites, sizeof(*plan->sites), cmp_site);
	/* the same address named by two targets: the first target keeps it */
	for (i = 0; i < plan->nr_sites; i++) {
		if (n && plan->sites[n - 1].path == plan->sites[i].path &&
		    plan->sites[n - 1].offset == plan->sites[i].offset)
			continue;
		plan->sites[n++] = plan->sites[i];
	}
	plan->nr_sites = n;

	used = calloc(plan->nr_points + 1, sizeof(*used));
	new_id = calloc(plan->nr_points + 1, sizeof(*new_id));
	if (!used || !new_id)
		goto cleanup;
	for (i = 0; i < n; i++)
		used[plan->sites[i].cookie] = true;
	for (i = 0; i < plan->nr_points; i++) {
		if (!used[i]) {
			free(plan->points[i].op);
			free(plan->points[i].target);
			continue;
		}
		new_id[i] = kept;
		plan->points[kept++] = plan->points[i];
	}
	plan->nr_points = kept;
	for (i = 0; i < n; i++)
		plan->sites[i].cookie = new_id[plan->sites[i].cookie];
cleanup:
	free(used);
	free(new_id);
}

void trace_plan__free(struct trace_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->nr_points; i++) {
		free(plan->points[i].op);
		free(plan->points[i].target);
	}
	for (i = 0; i < plan->nr_paths; i++)
		free(plan->paths[i]);
	for (i = 0; i < plan->nr_files; i++)
		free(plan->files[i]);
	free(plan->files);
	for (i = 0; i < plan->nr_arg_sets; i++)
		free(plan->arg_sets[i]);
	free(plan->arg_sets);
	free(plan->points);
	free(plan->sites);
	free(plan->paths);
	memset(plan, 0, sizeof(*plan));
}
