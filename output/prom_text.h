/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format (version 0.0.4), written into a
 * growing buffer: escaped label values, exact decimal numbers, and the
 * exact log-linear histograms of maps/hist.h merged into `le` buckets.
 * No server and no state here: prometheus.c owns those; the unit tests
 * check this file alone.
 */
#ifndef SYNCTRACE_OUTPUT_PROM_TEXT_H
#define SYNCTRACE_OUTPUT_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "maps/hist.h"

/*
 * The exact histograms have 16 sub-buckets per power of two; an `le`
 * series each would be 976 possible series per histogram. Four adjacent
 * sub-buckets are merged into one `le` bucket: at most 4 per power of two,
 * each at most 1/4 of its lower bound wide (histogram_quantile's error).
 */
#define PROM_MERGE_SHIFT 2
#define PROM_GROUPS_PER_OCTAVE (HIST_SUBS >> PROM_MERGE_SHIFT)
#define PROM_NR_GROUPS (HIST_NR_BUCKETS >> PROM_MERGE_SHIFT)

/* A page being written; bounded: past max, writes fail and stick. */
struct prom_buf {
	char *s;
	size_t len, cap, max;
	bool failed;		/* out of memory or past max: the page is not whole */
};

void prom_buf__init(struct prom_buf *b, size_t max);
void prom_buf__free(struct prom_buf *b);
void prom_buf__put(struct prom_buf *b, const char *s, size_t n);
void prom_buf__puts(struct prom_buf *b, const char *s);
void prom_buf__printf(struct prom_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s as a label value between quotes: \, " and newline escaped, and bytes
 * that are not UTF-8 replaced by U+FFFD (a traced process chose them). */
void prom_buf__label_value(struct prom_buf *b, const char *s);

/* The `le` group of exact bucket idx, and the exact bounds of a group:
 * the smallest and largest value in it (inclusive, as `le` is). */
static inline unsigned int prom_group(unsigned int idx)
{
	return idx >> PROM_MERGE_SHIFT;
}
uint64_t prom_group_lower(unsigned int group);
uint64_t prom_group_upper(unsigned int group);

/* n as exact decimal text, divided by 10^scale (scale 9: ns as seconds):
 * "0.000001279", "3", "12.5". buf of 48 bytes holds any. */
const char *prom_decimal(char *buf, size_t len, uint64_t n, unsigned int scale);
/* h's 128-bit sum, the same way. */
const char *prom_sum_text(char *buf, size_t len, const struct histogram *h,
			  unsigned int scale);

/*
 * One histogram's _bucket, _sum and _count lines. name: "synctrace_op_
 * latency_seconds"; labels: the series' labels already written ("op=\"x\""),
 * or ""; scale: as for prom_decimal. *lo and *hi: the range of groups
 * written so far for this series (lo > hi: none yet), widened to h's and
 * kept, so a bucket once exposed stays exposed (empty buckets between are
 * written too: a `le` series never disappears).
 */
void prom_histogram(struct prom_buf *b, const char *name, const char *labels,
		    const struct histogram *h, unsigned int scale, unsigned int *lo,
		    unsigned int *hi);

#endif /* SYNCTRACE_OUTPUT_PROM_TEXT_H */
