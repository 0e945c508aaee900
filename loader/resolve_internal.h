/* SPDX-License-Identifier: MIT */
/*
 * What the resolver's files (resolve_files.c), its plans (trace_plan.c)
 * and its matching of targets (resolve.c) share. Only those include it.
 */
#ifndef SYNCTRACE_RESOLVE_INTERNAL_H
#define SYNCTRACE_RESOLVE_INTERNAL_H

#include <string.h>
#include "loader/resolve.h"

/* One file's tables, loaded on first use. */
struct file_tables {
	char *open_path;	/* as we open it: with -p, /proc/self/fd/N (proc_files.h) */
	char *shown;		/* as the process names it */
	struct sym_table *syms;
	struct usdt_probe *usdt;
	size_t nr_usdt;
	bool usdt_loaded;
	bool warned;		/* of a symbol source it could not read */
	enum { RUNTIME_UNKNOWN, RUNTIME_GO, RUNTIME_OTHER } runtime;
};

struct resolver {
	pid_t pid;
	bool placement;			/* find where entry probes may move (placement.h) */
	struct file_tables **files;	/* pointers: handed out, never moved */
	size_t nr_files;
};

static inline const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The tables of the file opened as path (shown as the process names it), added if new. */
int file_tables_of(struct resolver *r, const char *path, const char *shown,
		   struct file_tables **out);

/* A point (one output row) named op, of the file shown, at the end of plan. */
int add_point(struct trace_plan *plan, const char *op, const char *shown, bool usdt);
/* A site of point cookie in file f (at vaddr, its address in the file). */
int add_site(struct trace_plan *plan, const struct file_tables *f, __u64 offset,
	     __u64 vaddr, __u64 ref_ctr, size_t cookie);
/* The last site's USDT arguments: a copy the plan owns. */
int set_usdt_args(struct trace_plan *plan, const struct usdt_probe *p);

#endif /* SYNCTRACE_RESOLVE_INTERNAL_H */
