/* SPDX-License-Identifier: MIT */
/*
 * The tables of socket rows (frame_row.net) as text: `http` and `pg` print
 * them (net_text.c's output), the watch dashboard draws them too.
 */
#ifndef SYNCTRACE_OUTPUT_NET_TEXT_H
#define SYNCTRACE_OUTPUT_NET_TEXT_H

#include <stdio.h>
#include "output/frame.h"

#define NET_TEXT_OP_MAX 64	/* an op's bytes, as maps/net.h keeps them */

/* A table per kind and side that has rows, SSE/WS/pg lines, the caps' overflow. */
void net_text_tables(FILE *f, const struct output_frame *fr);

#endif /* SYNCTRACE_OUTPUT_NET_TEXT_H */
