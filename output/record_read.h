/* SPDX-License-Identifier: MIT */
/*
 * Reading a recording (`--record FILE.db`, output/record.c) back: the run it
 * was, and any part of it replayed as frames into the usual outputs: every
 * stored interval in the range, then ONE summary merged exactly from the
 * stored buckets (never an average of percentiles). `report` is built on
 * it, and so are `diff` and the HTML report of a recording.
 */
#ifndef SYNCTRACE_OUTPUT_RECORD_READ_H
#define SYNCTRACE_OUTPUT_RECORD_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "output/output.h"

/*
 * What part of a recording; zero = all of it. An interval is in the range
 * when its END (the frame's wall time) is in [since, until] and in the
 * phase: from the mark that named it to the next mark.
 */
struct record_range {
	int64_t since_ns, until_ns;	/* wall clock ns since the epoch; 0 = open end */
	const char *phase;		/* a phase named by `mark`, or NULL */
	const char *op, *label;		/* only rows of this op (or target) / label text, or NULL */
	bool hide_intervals;		/* intervals with shown = false (report without -i) */
};

/* "10 min ago", "2026-12-05 10:00:00" (local), "2026-12-05T10:00:00Z",
 * "@1733400000[.5]", "now": ns since the epoch. 0 or -EINVAL */
int record_parse_time(const char *text, int64_t now_ns, int64_t *out_ns);
/* CLOCK_REALTIME now, as record_parse_time's now_ns. */
int64_t record_time_now(void);

struct record_reader;

/* Open path read-only (a recording still being written is fine: WAL).
 * 0, or -errno with the reason in err (one line). */
int record_reader__open(struct record_reader **r, const char *path, char *err, size_t len);
/* The run that was recorded: command, command line, start, binaries. */
const struct run_info *record_reader__run(const struct record_reader *r);
/* The frames' shape: FRAME_CALLS (lat, count) or FRAME_OPS (watch). */
enum frame_source record_reader__source(const struct record_reader *r);
/* "host" or "kernel" of the run; "" when unknown. */
const char *record_reader__meta(const struct record_reader *r, const char *key);
/*
 * Hands every stored interval frame in range (in order, shown = true unless
 * range->hide_intervals) and then ONE summary frame (histograms merged
 * exactly from the stored buckets) to outs. An empty range still gets its
 * (empty) summary. An unknown phase is -ENOENT. 0 or -errno with err set.
 */
int record_reader__replay(struct record_reader *r, const struct record_range *range,
			  struct outputs *outs, char *err, size_t len);
void record_reader__free(struct record_reader *r);

/* `synctrace mark`: a phase named name starting at wall_ns, written into
 * the recording at path (a second writer beside synctrace: WAL). 0 or -errno. */
int record_mark(const char *path, const char *name, int64_t wall_ns, char *err, size_t len);

#endif /* SYNCTRACE_OUTPUT_RECORD_READ_H */
