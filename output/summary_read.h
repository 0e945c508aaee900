/* SPDX-License-Identifier: MIT */
/*
 * A run's numbers per op, read back for `synctrace diff`: from the summary
 * line of `lat`, `count` or `watch --json` output (NDJSON), or from the
 * summary frame of a replayed recording. lat's buckets give exact
 * histograms; watch's summary has only its printed percentiles, so those
 * of an op with several labels cannot be merged (op_stats says why).
 */
#ifndef SYNCTRACE_OUTPUT_SUMMARY_READ_H
#define SYNCTRACE_OUTPUT_SUMMARY_READ_H

#include <stdio.h>
#include "output/metrics.h"

/* One side of a diff: its ops in order of appearance. */
struct op_set {
	size_t nr;
	struct op_stats *v;
	double interval_s;
	const char *shape;	/* "lat", "count", "watch" (static) */
};

void op_set__free(struct op_set *s);
/* The op named op, or NULL. */
const struct op_stats *op_set__find(const struct op_set *s, const char *op);
/* Every op of frame f (a summary) into s, merged over its rows. 0 or -ENOMEM. */
int op_set__from_frame(struct op_set *s, const struct output_frame *f);

/* Lines past this are refused: a summary of 64 ops x 256 labels is ~10 MiB. */
#define SUMMARY_LINE_MAX (256U << 20)

/*
 * s = the last `"summary": true` line of NDJSON text in f. 0; -EINVAL with
 * the reason in err (one line, "LINE 3: ..."), e.g. a line that is not
 * JSON, no summary, a field of the wrong type; -ENOMEM; -EIO.
 */
int op_set__read_ndjson(struct op_set *s, FILE *f, char *err, size_t len);
/* The same from one summary object's text (the fuzz harness's entry). */
int op_set__parse_summary(struct op_set *s, const char *text, size_t n, char *err, size_t len);

#endif /* SYNCTRACE_OUTPUT_SUMMARY_READ_H */
