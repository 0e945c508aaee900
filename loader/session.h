/* SPDX-License-Identifier: MIT */
/*
 * One tracing session: the BPF skeleton opened, sized for the plan,
 * loaded (for uprobe_multi links when the kernel has them), attached, and
 * torn down. The only place user space touches the BPF object.
 */
#ifndef SYNCTRACE_SESSION_H
#define SYNCTRACE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "loader/follow.h"
#include "loader/resolve.h"
#include "maps/drain.h"

enum session_mode { SESSION_LAT, SESSION_COUNT };

struct session;

struct ret_plan;

/*
 * The kernel memory of the maps for nr_points rows of mode (per-CPU
 * histograms for lat), and for lat, of rp's ret probes (rp may be NULL).
 */
unsigned long long session__memory(enum session_mode mode, unsigned int nr_points,
				   const struct ret_plan *rp);

/*
 * -errno with a one-line message in err. With follow (root > 0), hits count
 * only in root's process tree, present and future: attach with pid 0.
 * lat: rp (or NULL) holds the functions timed at their ret instructions
 * (loader/ret_plan.h): their sites in the plan carry their rp_site in the
 * cookie (COOKIE_RP_INFO), as do rp's exits; the others get uretprobes.
 * rp must outlive the session, which may drop exits from it.
 */
int session__open(struct session **out, enum session_mode mode, unsigned int nr_points,
		  const struct follow_tree *follow, struct ret_plan *rp, char *err,
		  size_t errlen);
int session__attach(struct session *s, const struct trace_plan *plan,
		    pid_t pid, char *err, size_t errlen);
void session__maps(const struct session *s, struct drain_maps *m);
/* "uprobe session", "uprobe_multi" or "classic uprobe", for -v. */
const char *session__link_kind(const struct session *s);
size_t session__nr_links(const struct session *s);
/* Sites the kernel refused to probe (only when the plan had several). */
size_t session__skipped(const struct session *s, const struct probe_site **sites);
/* Detach everything and free. */
void session__free(struct session *s);

#endif /* SYNCTRACE_SESSION_H */
