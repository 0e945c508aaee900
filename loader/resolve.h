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
 * Add the points and sites of one target to plan. Returns 0, or -errno
 * with a one-line message in err (-EINVAL: the user's words are off;
 * -ENOENT: nothing found). Sites already in the plan are not added twice.
 */
int resolver__add(struct resolver *r, const struct target_spec *t,
		  struct trace_plan *plan, char *err, size_t errlen);

/* Sort the sites for attaching; drop points left without sites. */
void trace_plan__finish(struct trace_plan *plan);
void trace_plan__free(struct trace_plan *plan);

#endif /* SYNCTRACE_RESOLVE_H */
