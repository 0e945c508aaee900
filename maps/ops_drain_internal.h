/* SPDX-License-Identifier: MIT */
/* Shared by the files of the ops drain (maps/ops_*.c); not for callers. */
#ifndef SYNCTRACE_OPS_DRAIN_INTERNAL_H
#define SYNCTRACE_OPS_DRAIN_INTERNAL_H

#include "maps/ops_drain.h"

int op_key_cmp(const void *a, const void *b);
/* t's row of k, added (all zero) if missing; NULL when out of memory. */
struct op_row *op_table__row(struct op_table *t, const struct op_key *k);
/* Expire starts past their timeout, count the rest as inflight (maps/ops_starts.c). */
int op_pairing__scan(struct op_pairing *p, int starts_fd, struct op_table *t);
/* Read every {state, pid} into t (maps/ops_states.c); copy them from one table to another. */
int op_states__read(int fd, struct op_table *t);
int op_states__copy(struct op_table *out, const struct op_table *from);

#endif /* SYNCTRACE_OPS_DRAIN_INTERNAL_H */
