/* SPDX-License-Identifier: MIT */
/*
 * From targets to probe sites: which file, which offsets. A plan holds the
 * trace points (one output row each: a function or a USDT probe) and the
 * sites to attach, whose cookie is the point's index.
 */
#ifndef SYNCTRACE_RESOLVE_H
#define SYNCTRACE_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "loader/target_spec.h"
#include "loader/attach.h"

struct trace_point {
	char *op;	/* "relay_push", or "provider:name" for USDT */
	char *target;	/* "/usr/bin/relayd:relay_push", the path as the process sees it */
	bool usdt;
	/* A raw target past a function's entry (BIN:0xADDR, SYM+OFF): no return
	 * probe can go there, its stack holds no return address on top. */
	bool mid_function;
};

struct trace_plan {
	struct trace_point *points;
	size_t nr_points;
	struct probe_site *sites;	/* sorted by path, then offset */
	size_t nr_sites;
	char **paths;			/* owned; sites point into these */
	size_t nr_paths;
	char **files;			/* owned: the files as the process names them */
	size_t nr_files;
	struct usdt_arg **arg_sets;	/* owned; USDT sites point into these */
	size_t nr_arg_sets;
};

struct resolver;

/*
 * pid > 0: resolve in that process: its mapped files, and paths in its
 * root, opened through proc_files.h (open until exit).
 */
struct resolver *resolver__new(pid_t pid);
void resolver__free(struct resolver *r);

/*
 * On (the default): each function's site carries where its entry probe
 * may move (place_skip, place_writes: loader/placement.h); the command
 * moves it with placement__apply(). Off: every site stays at its entry.
 */
void resolver__set_placement(struct resolver *r, bool on);

/*
 * Add the points and sites of one target to plan. Returns 0, or -errno
 * with a one-line message in err (-EINVAL: the user's words are off;
 * -ENOENT: nothing found). Sites already in the plan are not added twice.
 */
int resolver__add(struct resolver *r, const struct target_spec *t,
		  struct trace_plan *plan, char *err, size_t errlen);

/*
 * One file as the resolver finds and reads it, for `list` as for targets:
 * one lookup, one symbol table (sym_table.h), one set of messages. Owned
 * by the resolver; tables are read on first use and kept.
 */
struct file_tables;
struct proc_objs;
struct mapped_obj;
struct sym_table;
struct sym;
struct usdt_probe;

/*
 * The file binary names: with a pid, a file it maps or one in its root
 * (NULL: its main executable); without, a path or a library name
 * (libpath.h). 0 or -errno with a one-line message in err.
 */
int resolver__file(struct resolver *r, const char *binary, struct file_tables **out,
		   char *err, size_t errlen);
/* The file o of po, a process's mappings: 0 or the -errno of proc_files__open_mapped(). */
int resolver__mapped_file(struct resolver *r, const struct proc_objs *po,
			  const struct mapped_obj *o, struct file_tables **out);
/* As the process names it (without a pid: as the user named it, or where it was found). */
const char *file_tables__shown(const struct file_tables *f);
/* Its functions, read for process pid (> 0: debug files in its root): 0, or -errno with "FILE: REASON" in err. */
int file_tables__syms(struct file_tables *f, pid_t pid, const struct sym_table **out,
		      char *err, size_t errlen);
/*
 * Where the entry probes of f's functions m[0..n) (its symbols loaded:
 * file_tables__syms()) may move: placement.h. 0 or -errno (out: all at +0).
 */
struct placement;
int file_tables__placements(struct file_tables *f, const struct sym **m, size_t n,
			    struct placement *out);
int file_tables__usdt(struct file_tables *f, const struct usdt_probe **out, size_t *n,
		      char *err, size_t errlen);

/*
 * -EINVAL with "TARGET is not a function's entry" in msg if a point of
 * plan is mid-function (lat and ops that wait for a return cannot time
 * it); 0 otherwise.
 */
int trace_plan__check_entries(const struct trace_plan *plan, char *msg, size_t len);

/* Sort the sites for attaching; drop points left without sites. */
void trace_plan__finish(struct trace_plan *plan);
void trace_plan__free(struct trace_plan *plan);

#endif /* SYNCTRACE_RESOLVE_H */
