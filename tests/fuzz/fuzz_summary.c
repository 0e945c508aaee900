// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the summaries diff reads back
 * (output/summary_read.c): the input as NDJSON text. What reads has ops
 * with names, and every metric of every op is a finite number >= 0 or a
 * reason; what does not read leaves nothing behind and says why in one
 * printable line.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/summary_read.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_summary: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size ? size : 1, "r");
	struct op_set s;
	char err[512];
	size_t i, n;
	int rc, m, value;

	if (!f)
		return 0;
	if (!size)
		fgetc(f);	/* fmemopen needs a size > 0: read it past its end */
	memset(err, 'X', sizeof(err));
	rc = op_set__read_ndjson(&s, f, err, sizeof(err));
	fclose(f);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		CHECK(s.nr == 0 && !s.v);
		n = strnlen(err, sizeof(err));
		CHECK(n > 0 && n < sizeof(err));
		for (i = 0; i < n; i++)
			CHECK((unsigned char)err[i] >= ' ' && err[i] != 0x7f);
		return 0;
	}
	CHECK(s.shape && isfinite(s.interval_s) && s.interval_s >= 0);
	for (i = 0; i < s.nr; i++) {
		CHECK(s.v[i].op && *s.v[i].op);
		for (value = 0; value < 2; value++)
			for (m = 0; m < METRIC_NR; m++) {
				struct metric_ref r = { (enum metric)m, value };
				const char *why = NULL;
				double v;

				if (op_stats__metric(&s.v[i], r, &v, &why))
					CHECK(why && *why);
				else
					CHECK(!isnan(v) && v >= 0);
			}
	}
	op_set__free(&s);
	return 0;
}
