/* SPDX-License-Identifier: MIT */
/*
 * The output seam: every way synctrace shows or keeps numbers is one
 * `struct output` behind these three calls, in a file of its own here
 * (text.c, dashboard.c, ndjson.c, prometheus.c, record.c, html.c, assert.c).
 * A command fills frames (output/frame.h) and hands each to every output
 * the user asked for (struct outputs); no command knows which they are.
 *
 *   open:  the output's own constructor, output_<name>_open(..., &run)
 *   frame: each interval (shown or not), then the summary, last
 *   close: the run is over; returns the exit code it asks for (0: none)
 */
#ifndef SYNCTRACE_OUTPUT_OUTPUT_H
#define SYNCTRACE_OUTPUT_OUTPUT_H

#include <stddef.h>
#include <time.h>
#include "output/frame.h"

/* What a run is, for outputs that keep it (record, HTML, Prometheus info). */
struct run_binary {
	const char *path;
	const char *build_id;		/* hex, or "" when the file has none */
};

struct run_info {
	const char *command;		/* "lat", "count", "watch", "report" */
	int argc;
	char *const *argv;		/* the whole command line */
	struct timespec start;		/* CLOCK_REALTIME when tracing began */
	size_t nr_binaries;
	const struct run_binary *binaries;	/* the files probed */
};

struct output;

struct output_ops {
	const char *name;		/* for messages: "prometheus", "record" */
	/* 0, or -errno: the run stops with an error */
	int (*frame)(struct output *o, const struct output_frame *f);
	/* frees o; the exit code the output asks for: 0, or e.g. 3 (assert) */
	int (*close)(struct output *o);
};

/* Embedded first in each output's own struct. */
struct output {
	const struct output_ops *ops;
};

#define OUTPUTS_MAX 8

/* The outputs of one run, in the order they were opened. */
struct outputs {
	struct output *v[OUTPUTS_MAX];
	size_t nr;
};

/* Take o (NULL is refused). 0, or -ENOSPC past OUTPUTS_MAX (o is closed). */
int outputs__add(struct outputs *s, struct output *o);
/* Every output's frame(); the first error, having tried each. */
int outputs__frame(struct outputs *s, const struct output_frame *f);
/* Close each; the largest exit code asked for. */
int outputs__close(struct outputs *s);

#endif /* SYNCTRACE_OUTPUT_OUTPUT_H */
