/* SPDX-License-Identifier: MIT */
/*
 * `watch` internals: the events heard from the kernel (errors and slow calls
 * through the ring buffer, timeouts from user space), and what one frame of
 * output shows, for the JSON and dashboard renderers.
 */
#ifndef SYNCTRACE_WATCH_H
#define SYNCTRACE_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cli/ops_compile.h"
#include "maps/ops_drain.h"

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

/* What one frame shows. */
struct watch_frame {
	const struct ops_program *prog;
	const struct op_table *t;	/* the interval's own numbers, or the run's */
	const struct op_names *names;
	const struct watch_events *ev;
	uint64_t ev_errors, ev_slow, ev_timeouts;	/* heard in the frame's time */
	uint64_t first_seq;		/* events from this seq on are the frame's */
	int64_t mono_to_real_ns;	/* add to a BPF timestamp for wall time */
	bool summary;
};

/* A label as JSON or text: the number, the string's text, or "other". */
const char *watch_label_text(const struct watch_frame *f, const struct op_key *k,
			     char *buf, size_t len);
bool watch_label_is_string(const struct watch_frame *f, __u32 op);
/* The name of a state machine's slot: its names= entry, or the number. */
const char *watch_state_name(const struct state_spec *st, unsigned int slot, char *buf,
			     size_t len);
/* Wall time of a BPF timestamp, as "2026-11-23T10:00:00.123456Z". */
void watch_time_text(const struct watch_frame *f, uint64_t ts, char *buf, size_t len);

void watch_json(FILE *out, const struct watch_frame *f);
/* lines > 0: redraw a terminal of that many lines in place, the frame cut to fit;
 * 0: frames follow each other (a pipe, a file). */
void watch_text(FILE *out, const struct watch_frame *f, int lines);

#endif /* SYNCTRACE_WATCH_H */
