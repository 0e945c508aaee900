/* SPDX-License-Identifier: MIT */
/*
 * A gate's check: 'push.p95<100ms', 'sync.error_rate<5%', 'apply.count>=1000',
 * 'relay_push.rate>50', 'push[3].p95<=2ms', 'req.value.p99<4096'. Parsed once
 * (bad syntax is a usage error before anything is attached), judged on
 * frames through output/metrics.h. The grammar is in README.md ("diff and
 * --assert: gates for CI").
 */
#ifndef SYNCTRACE_OUTPUT_CHECK_H
#define SYNCTRACE_OUTPUT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include "output/frame.h"
#include "output/metrics.h"

enum check_cmp { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ };

struct check {
	char *text;		/* as written */
	char *op;		/* the op, without [LABEL] */
	char *label;		/* OP[LABEL]: that label's row only; else NULL */
	char *whole;		/* with a label: OP[LABEL] as one name (Go's Map[...]) */
	struct metric_ref metric;
	enum check_cmp cmp;
	double limit;		/* in the metric's base unit: ns, a fraction, per second */
};

/* 0; -EINVAL with the reason in err (one line, the text quoted safely); -ENOMEM. */
int check__parse(struct check *c, const char *text, char *err, size_t len);
void check__free(struct check *c);
const char *check_cmp_text(enum check_cmp cmp);
/* v cmp limit */
bool check_holds(enum check_cmp cmp, double v, double limit);

enum check_result { CHECK_HOLDS, CHECK_BROKEN, CHECK_SKIPPED };

/*
 * Judge c on f: a check_result, or -ENOMEM. A broken check's reason goes
 * into msg: "push.p95 = 152ms, not < 100ms", "push.p95: no calls to
 * measure". On an interval frame (f->summary false) a check with no call to
 * measure is CHECK_SKIPPED; on the summary it is broken.
 */
int check__eval(const struct check *c, const struct output_frame *f, char *msg, size_t len);

#endif /* SYNCTRACE_OUTPUT_CHECK_H */
