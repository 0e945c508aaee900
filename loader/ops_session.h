/* SPDX-License-Identifier: MIT */
/* The ops BPF object (bpf/ops.bpf.c): sized, configured, loaded, attached. */
#ifndef SYNCTRACE_OPS_SESSION_H
#define SYNCTRACE_OPS_SESSION_H

#include <stddef.h>
#include <sys/types.h>
#include "loader/attach.h"
#include "maps/ops.h"
#include "maps/ops_drain.h"

struct ops_session;

/* Room for nr_keys {op, label} pairs. -errno with a message in err. */
int ops_session__open(struct ops_session **out, unsigned int nr_keys,
		      char *err, size_t errlen);
int ops_session__configure(struct ops_session *s, unsigned int op,
			   const struct op_cfg *cfg);
/* sites sorted by path; cookies from OP_COOKIE(). CALL sites get a return probe. */
int ops_session__attach(struct ops_session *s, const struct probe_site *sites,
			size_t n, pid_t pid, char *err, size_t errlen);
void ops_session__maps(const struct ops_session *s, struct ops_maps *m);
void ops_session__free(struct ops_session *s);

#endif /* SYNCTRACE_OPS_SESSION_H */
