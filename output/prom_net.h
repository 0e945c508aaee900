/* SPDX-License-Identifier: MIT */
/*
 * Socket rows (`http`, `pg`, watch --profile http|pg) on the Prometheus
 * page: their own families (synctrace_http_*, synctrace_pg_*) with labels
 * a dashboard groups by (side, method, route, status; tag, sqlstate,
 * channel), running totals kept beside the row's (prom_totals.h), and the
 * open streams as gauges. Every series is in README.md.
 */
#ifndef SYNCTRACE_OUTPUT_PROM_NET_H
#define SYNCTRACE_OUTPUT_PROM_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "maps/hist.h"
#include "output/frame.h"
#include "output/prom_text.h"

struct prom_totals;

/* A socket row's running totals (monotonic but for the open gauges). */
struct prom_net {
	enum frame_net_kind kind;
	bool sse, ws;			/* seen in any frame */
	uint64_t client_errors, rows, bytes_in, bytes_out;
	uint64_t sse_opened, sse_closed, sse_events, sse_open;
	struct histogram sse_first;
	unsigned int first_lo, first_hi;	/* `le` groups exposed so far */
	uint64_t ws_opened, ws_closed, ws_open;
	uint64_t ws_frames_in[FRAME_WS_OPCODES], ws_frames_out[FRAME_WS_OPCODES];
	uint64_t ws_bytes_in, ws_bytes_out;
};

/* The escaped label set of a socket row (malloc'd; NULL: out of memory). */
char *prom_net_labels(const struct frame_row *r);
/* Add a frame's socket row into *x (made on first use). 0 or -ENOMEM. */
int prom_net_add(struct prom_net **x, const struct frame_net *n);
void prom_net_free(struct prom_net *x);
/* The socket families of t's rows, and the caps' and connections' totals. */
void prom_net_render(struct prom_buf *b, const struct prom_totals *t);

#endif /* SYNCTRACE_OUTPUT_PROM_NET_H */
