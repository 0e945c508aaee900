/* SPDX-License-Identifier: MIT */
/* From parsed ops (cli/ops_spec.h) to what the kernel side needs: one
 * struct op_cfg per op, one struct state_cfg per state machine, the USDT
 * argument specs, and the probe sites with their cookies (maps/ops.h). */
#ifndef SYNCTRACE_OPS_COMPILE_H
#define SYNCTRACE_OPS_COMPILE_H

#include <stddef.h>
#include <sys/types.h>
#include "cli/ops_spec.h"
#include "loader/resolve.h"
#include "loader/ret_plan.h"
#include "maps/ops.h"

#define OPS_DEFAULT_MAX_LABELS 256

struct ops_options {
	unsigned int max_labels;	/* per op, before `other` */
	unsigned long long slow_ns;	/* calls this slow are events; 0: none */
	enum returns_mode returns;	/* how a side that waits for a return sees it */
	bool no_placement;		/* entry probes stay at +0 (loader/placement.h) */
};

struct ops_program {
	size_t nr_ops, nr_states;
	struct op_cfg cfgs[OPS_MAX];
	const struct op_spec *specs[OPS_MAX];
	bool returns[OPS_MAX];			/* the op records at a function's return */
	struct state_cfg state_cfgs[OPS_STATES_MAX];
	const struct state_spec *state_specs[OPS_STATES_MAX];
	struct op_site_info *site_infos;	/* the cookie's bits 32-63: index + 1 */
	size_t nr_site_infos;
	struct probe_site *sites;		/* sorted by path */
	size_t nr_sites;
	struct trace_plan *plans;		/* own the site paths */
	size_t nr_plans;
	struct ret_plan *rp;			/* functions timed at their ret instructions */
};

/*
 * 0; -EINVAL (unsupported or invalid: usage error) or -ENOENT etc.
 * (resolution) with "FILE:LINE: message" in err.
 */
int ops_compile(const struct ops_file *f, pid_t pid, const struct ops_options *opt,
		struct ops_program *out, char *err, size_t errlen);
void ops_program__free(struct ops_program *p);

#endif /* SYNCTRACE_OPS_COMPILE_H */
