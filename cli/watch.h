/* SPDX-License-Identifier: MIT */
/*
 * `watch` internals: the events heard from the kernel (errors and slow calls
 * through the ring buffer, timeouts from user space), and a reading made
 * into an output frame (output/frame.h).
 */
#ifndef SYNCTRACE_WATCH_H
#define SYNCTRACE_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cli/ops_compile.h"
#include "maps/ops_drain.h"
#include "output/frame.h"

/* The last events kept of each kind (errors, slow calls, timeouts): a flood
 * of one kind cannot push the others out of sight. */
#define WATCH_RECENT_PER_KIND 5
#define WATCH_KINDS 3
#define WATCH_RECENT (WATCH_RECENT_PER_KIND * WATCH_KINDS)
#define WATCH_TIMEOUT (1U << 8)		/* an event kind beside OPE_ERROR and OPE_SLOW */

struct watch_event {
	struct op_event e;		/* a timeout: ts of the expiry, latency = age, no tid */
	uint64_t seq;			/* 1 for the first event heard */
};

struct ring_buffer;

struct watch_events {
	struct ring_buffer *rb;
	/* by kind (error, slow, timeout): the last ones, kind_seq[k] heard so far */
	struct watch_event recent[WATCH_KINDS][WATCH_RECENT_PER_KIND];
	uint64_t kind_seq[WATCH_KINDS];
	uint64_t seq;			/* events heard so far */
	uint64_t errors, slow, timeouts;	/* by kind (a slow error is both) */
};

/* Listen on the events ring buffer (fd of the BPF map). -errno. */
int watch_events__open(struct watch_events *w, int ring_fd);
/* Take in what waits in the ring buffer; the fd to poll for more. */
int watch_events__consume(struct watch_events *w);
int watch_events__fd(const struct watch_events *w);
/* A start expired in user space, heard as an event (op_pairing's on_expired). */
void watch_events__on_expired(void *ctx, const struct op_expired *e);
/*
 * The recent events with seq >= first_seq, oldest first, into out (room
 * for WATCH_RECENT): the last few of each kind. Returns how many.
 */
size_t watch_events__recent(const struct watch_events *w, uint64_t first_seq,
			    const struct watch_event **out);
void watch_events__free(struct watch_events *w);

/* What one frame shows, from watch's own structures. */
struct watch_frame {
	const struct ops_program *prog;
	const struct op_table *t;	/* the interval's own numbers, or the run's */
	const struct op_names *names;
	const struct watch_events *ev;
	uint64_t ev_errors, ev_slow, ev_timeouts;	/* heard in the frame's time */
	uint64_t first_seq;		/* events from this seq on are the frame's */
	int64_t mono_to_real_ns;	/* add to a BPF timestamp for wall time */
	bool summary, shown;
	unsigned int probes_attached;
};

/* The output frame of a watch_frame, and what it points into. */
struct watch_frame_out {
	struct output_frame f;
	struct frame_row *rows;
	char (*labels)[OPS_STR_MAX + 8];	/* each row's label text */
	struct frame_op ops[OPS_MAX];
	struct frame_state *states;
	struct frame_event events[WATCH_RECENT];
	char event_labels[WATCH_RECENT][OPS_STR_MAX + 8];
	struct frame_count drops[OPD_NR];
};

/* Fill o from f (f's tables must outlive o). 0 or -ENOMEM. */
int watch_frame__fill(struct watch_frame_out *o, const struct watch_frame *f);
void watch_frame__free(struct watch_frame_out *o);

#endif /* SYNCTRACE_WATCH_H */
