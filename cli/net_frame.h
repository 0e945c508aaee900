/* SPDX-License-Identifier: MIT */
/*
 * A net table (maps/net_drain.h) made into an output frame's socket rows
 * (output/frame.h's frame_row.net): `http` and `pg` fill whole frames from
 * it; watch --profile http|pg puts its rows beside the ops'.
 */
#ifndef SYNCTRACE_NET_FRAME_H
#define SYNCTRACE_NET_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include "maps/net_drain.h"
#include "output/frame.h"

/* The socket rows of a table, and what they point into. */
struct net_frame_rows {
	struct frame_row *rows;
	struct frame_net *nets;
	size_t nr;
	struct frame_net_totals totals;
	struct frame_count drops[NET_DROP_NR];
};

/*
 * Fill o from t's rows of the kinds in protos (a mask of 1 << NET_PROTO_*'s
 * bits: enum net_proto), in t's order; t (its texts and histograms) must
 * outlive o. 0 or -ENOMEM.
 */
int net_frame_rows__fill(struct net_frame_rows *o, const struct net_table *t,
			 unsigned int protos);
void net_frame_rows__free(struct net_frame_rows *o);

#endif /* SYNCTRACE_NET_FRAME_H */
