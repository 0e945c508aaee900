// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for --assert checks (output/check.c): the input, up to
 * its first NUL, as a CHECK. What parses has an op, a known metric and a
 * finite limit >= 0, and is judged on a small frame without harm, its
 * message one printable line; what does not parse leaves nothing behind
 * and says why in one printable line that starts "bad --assert '".
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/check.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_check: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static void one_printable_line(const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);

	CHECK(n < max);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= ' ' && s[i] != 0x7f);
}

static void judge(const struct check *c)
{
	static struct histogram h;
	struct frame_row rows[2];
	struct frame_op ops[1];
	struct output_frame f;
	char msg[1024];
	int rc, summary;

	if (!h.count) {
		CHECK(hist_add_value(&h, 1500) == 0);
		CHECK(hist_add_value(&h, 90000) == 0);
	}
	rows[0] = (struct frame_row){ .op = "push", .count = 2, .errors = 1,
		.has = FRAME_HAS_ERRORS | FRAME_HAS_LATENCY | FRAME_HAS_LABEL | FRAME_HAS_VALUE,
		.label = { .kind = FRAME_LABEL_VALUE, .text = "3" },
		.latency = { .h = &h }, .value = { .h = &h } };
	rows[1] = (struct frame_row){ .op = "push[3]", .count = 0, .has = FRAME_HAS_PAIRED };
	ops[0] = (struct frame_op){ .op = "idle", .has = FRAME_HAS_LATENCY };
	for (summary = 0; summary < 2; summary++) {
		f = (struct output_frame){ .source = FRAME_OPS, .summary = summary,
			.interval_s = summary ? 2 : 0, .nr_rows = 2, .rows = rows,
			.nr_ops = 1, .ops = ops };
		memset(msg, 'X', sizeof(msg));
		msg[0] = '\0';
		rc = check__eval(c, &f, msg, sizeof(msg));
		CHECK(rc == CHECK_HOLDS || rc == CHECK_BROKEN || rc == CHECK_SKIPPED);
		if (rc == CHECK_BROKEN)
			CHECK(msg[0]);
		one_printable_line(msg, sizeof(msg));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), err[512];
	struct check c;
	int rc;

	CHECK(text);
	memset(err, 'X', sizeof(err));
	rc = check__parse(&c, text, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc) {
		CHECK(!c.text && !c.op && !c.label && !c.whole);
		one_printable_line(err, sizeof(err));
		CHECK(!strncmp(err, "bad --assert '", 14));
	} else {
		CHECK(c.op && *c.op && !strcmp(c.text, text));
		CHECK(c.metric.m < METRIC_NR && c.cmp <= CMP_EQ);
		CHECK(isfinite(c.limit) && c.limit >= 0);
		CHECK(!c.label == !c.whole);
		judge(&c);
		check__free(&c);
	}
	free(text);
	return 0;
}
