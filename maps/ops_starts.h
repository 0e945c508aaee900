/* SPDX-License-Identifier: MIT */
/*
 * The open starts of paired ops, seen from user space: the kernel only adds
 * and removes them; expiring those past their op's timeout (timeouts) and
 * counting the rest (inflight) is done here.
 */
#ifndef SYNCTRACE_OPS_STARTS_H
#define SYNCTRACE_OPS_STARTS_H

#include <stdint.h>
#include "maps/ops_table.h"

/* An expired start, as the caller hears of it. */
struct op_expired {
	struct op_start_key key;
	struct op_start start;
	uint64_t age_ns;
};

/*
 * What user space keeps of paired ops between reads: each op's timeout
 * (0: not paired) and the timeouts counted so far per {op, label}.
 */
struct op_pairing {
	uint64_t timeout_ns[OPS_MAX];
	struct op_key_counts timeouts;	/* so far, sorted */
	void (*on_expired)(void *ctx, const struct op_expired *e);
	void *ctx;
};

/*
 * Remove the starts older than their op's timeout, at now (CLOCK_MONOTONIC
 * ns, the kernel's clock). One that no end answered is a timeout, counted
 * and heard by on_expired with its age; a fanout start that ends answered
 * has simply run its course. Called on a timer finer than the timeouts, so
 * a start expires close to its deadline, not at the next interval.
 */
int op_pairing__expire(struct op_pairing *p, int starts_fd, uint64_t now);
/* At a read (t->time_ns): expire, then the open starts by {op, label} are
 * t's inflight, and the timeouts so far its timeouts. */
int op_pairing__scan(struct op_pairing *p, int starts_fd, struct op_table *t);
void op_pairing__free(struct op_pairing *p);

#endif /* SYNCTRACE_OPS_STARTS_H */
