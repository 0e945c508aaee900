/* SPDX-License-Identifier: MIT */
/* The ops BPF object (bpf/ops.bpf.c): sized, configured, loaded, attached. */
#ifndef SYNCTRACE_OPS_SESSION_H
#define SYNCTRACE_OPS_SESSION_H

#include <stddef.h>
#include <sys/types.h>
#include "loader/attach.h"
#include "loader/follow.h"
#include "loader/ret_plan.h"
#include "maps/ops.h"
#include "maps/ops_drain.h"

struct ops_session;

/* How big the maps are made, and which processes count. */
struct ops_setup {
	unsigned int stats;		/* {op, label} rows, `other` included */
	unsigned int lat_rows, val_rows;	/* the rows of ops with latency, with value= */
	unsigned int labels;		/* labels admitted, over all ops */
	unsigned int starts;		/* open starts of paired ops */
	unsigned int states;		/* {state machine, process} pairs */
	unsigned int nr_state_machines;	/* with states: an exit hook closes their dwell */
	unsigned int events_bytes;	/* the ring buffer: a power of 2, >= 4096 */
	struct follow_tree follow;	/* root > 0: only it and its descendants */
	/*
	 * Functions timed at their ret instructions (or NULL): their sites'
	 * cookies carry their rp_site (OP_COOKIE_RP), the exits' too. Must
	 * outlive the session, which may drop exits from it.
	 */
	struct ret_plan *rp;
};

/*
 * The kernel memory the maps of sz take, preallocated: their elements and
 * hash buckets (an estimate within a few percent; the histograms dominate).
 */
unsigned long long ops_setup__memory(const struct ops_setup *sz);

/* -errno with a message in err. */
int ops_session__open(struct ops_session **out, const struct ops_setup *sz,
		      char *err, size_t errlen);
int ops_session__configure(struct ops_session *s, unsigned int op,
			   const struct op_cfg *cfg);
int ops_session__configure_state(struct ops_session *s, unsigned int state,
				 const struct state_cfg *cfg);
/* infos[i] is the site info of cookie index i + 1. */
int ops_session__set_site_infos(struct ops_session *s, const struct op_site_info *infos,
				size_t n);
/*
 * sites sorted by path; cookies from OP_COOKIE(). AT_RETURN sites get a
 * uretprobe, unless timed at their rets: then the setup's rp's exits are
 * probed, once the entries are attached.
 */
int ops_session__attach(struct ops_session *s, const struct probe_site *sites,
			size_t n, pid_t pid, char *err, size_t errlen);
void ops_session__maps(const struct ops_session *s, struct ops_maps *m);
size_t ops_session__nr_links(const struct ops_session *s);
const char *ops_session__link_kind(const struct ops_session *s);
/* The programs are sleepable: a read may fault in a page the process has not touched. */
bool ops_session__sleepable(const struct ops_session *s);
void ops_session__free(struct ops_session *s);

#endif /* SYNCTRACE_OPS_SESSION_H */
