/* SPDX-License-Identifier: MIT */
/*
 * watch --profile http|pg beside ops: the socket object loaded next to the
 * ops object, read at the same moments, its rows appended to each of
 * watch's frames (cmd_watch.c).
 */
#ifndef SYNCTRACE_WATCH_NET_H
#define SYNCTRACE_WATCH_NET_H

#include <stdbool.h>
#include "cli/env.h"
#include "cli/net_frame.h"
#include "loader/net_session.h"
#include "output/frame.h"

struct watch_net {
	unsigned int protos;		/* 0: no socket profile */
	struct net_session *s;
	struct net_maps maps;
	struct net_table zero, prev, frame;	/* frame: the numbers the next merge shows */
	bool have_prev;
	struct net_frame_rows rows;
	struct frame_row *merged;	/* the ops' rows, then the sockets' */
	struct frame_count *drops;	/* the ops' drops, then the sockets' (net_...) */
	char drop_names[NET_DROP_NR][32];
};

/*
 * Load and attach for protos within budget bytes, and take the zero reading.
 * 0, or an exit code with the reason said (EXIT_USAGE past the budget).
 */
int watch_net__start(struct watch_net *n, const struct env *env, unsigned int protos,
		     unsigned long long budget);
/* A reading: the interval since the last one is what the next merge shows. -errno (said). */
int watch_net__reading(struct watch_net *n);
/* The run since the zero point (after the last reading), for the summary. -errno (said). */
int watch_net__summary(struct watch_net *n);
/* Append the sockets' rows and drops to f (they live until the next merge). -ENOMEM. */
int watch_net__merge(struct watch_net *n, struct output_frame *f);
void watch_net__free(struct watch_net *n);

#endif /* SYNCTRACE_WATCH_NET_H */
