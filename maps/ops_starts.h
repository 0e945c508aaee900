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
	struct op_table expired;	/* rows with key and timeouts only */
	void (*on_expired)(void *ctx, const struct op_expired *e);
	void *ctx;
};

/* Expire starts past their timeout, count the rest as inflight in t. */
int op_pairing__scan(struct op_pairing *p, int starts_fd, struct op_table *t);
void op_pairing__free(struct op_pairing *p);

#endif /* SYNCTRACE_OPS_STARTS_H */
