/* SPDX-License-Identifier: MIT */
/* From parsed ops (cli/ops_spec.h) to what the kernel side needs: one
 * struct op_cfg per op, and the probe sites with their cookies. */
#ifndef SYNCTRACE_OPS_COMPILE_H
#define SYNCTRACE_OPS_COMPILE_H

#include <stddef.h>
#include <sys/types.h>
#include "cli/ops_spec.h"
#include "loader/resolve.h"
#include "maps/ops.h"

struct ops_program {
	size_t nr_ops;
	struct op_cfg cfgs[OPS_MAX];
	const struct op_spec *specs[OPS_MAX];
	struct probe_site *sites;	/* sorted by path */
	size_t nr_sites;
	struct trace_plan *plans;	/* own the site paths */
};

/*
 * 0; -EINVAL (unsupported or invalid: usage error) or -ENOENT etc.
 * (resolution) with "FILE:LINE: message" in err.
 */
int ops_compile(const struct ops_file *f, pid_t pid, struct ops_program *out,
		char *err, size_t errlen);
void ops_program__free(struct ops_program *p);

#endif /* SYNCTRACE_OPS_COMPILE_H */
