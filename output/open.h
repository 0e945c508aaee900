/* SPDX-License-Identifier: MIT */
/*
 * The outputs: one constructor each, one file each (output/NAME.c). Each
 * returns an output for struct outputs (output/output.h), or NULL with the
 * reason already said on stderr.
 */
#ifndef SYNCTRACE_OUTPUT_OPEN_H
#define SYNCTRACE_OUTPUT_OPEN_H

#include <stdbool.h>
#include <stdio.h>
#include "output/output.h"
#include "output/view.h"

/* lat and count tables (text.c) */
struct output *output_text_open(FILE *f, const struct view *v);
/* the watch dashboard (dashboard.c): lines > 0 redraws a terminal that tall
 * in place (the frame cut to fit); 0: frames follow each other */
struct output *output_dashboard_open(FILE *f, int (*lines)(void));
/* `http` and `pg`: the socket rows' tables per interval and summary (net_text.c) */
struct output *output_net_text_open(FILE *f);
/* one JSON object per frame, either shape (ndjson.c) */
struct output *output_ndjson_open(FILE *f, const struct view *v);
/* --html: a self-contained report page written to path at close, through a
 * temporary file beside it (created now: a bad path fails at open) (html.c) */
struct output *output_html_open(const char *path, const struct run_info *run);

/* every interval into a new SQLite database path (record.c; read back with
 * record_read.h); also announces it for `synctrace mark` while it runs */
struct output *output_record_open(const char *path, const struct run_info *run);

/*
 * /metrics for Prometheus on [ADDR:]PORT (prometheus.c; 127.0.0.1 unless an
 * IPv4 address is given), served from its own thread until close.
 * output_prometheus_check: 0, or -EINVAL with the line said (a usage error).
 */
int output_prometheus_check(const char *addr_port);
struct output *output_prometheus_open(const char *addr_port, const struct run_info *run);

/*
 * --assert CHECKs (assert.c): each judged on the summary, and on every
 * interval with each; close() returns 3 when one broke. NULL with errno
 * EINVAL when a check is malformed (said on stderr: a usage error), ENOMEM.
 */
struct output *output_assert_open(char *const *checks, int n, bool each);

#endif /* SYNCTRACE_OUTPUT_OPEN_H */
