/* SPDX-License-Identifier: MIT */
/* State machines from the ops maps, into an op table. */
#ifndef SYNCTRACE_OPS_STATES_H
#define SYNCTRACE_OPS_STATES_H

#include "maps/ops_table.h"

/* Read every {state, pid} into t; the current dwell counts up to t->time_ns. */
int op_states__read(int fd, struct op_table *t);
/* Copy from's states into out (out's own are not freed). */
int op_states__copy(struct op_table *out, const struct op_table *from);

#endif /* SYNCTRACE_OPS_STATES_H */
