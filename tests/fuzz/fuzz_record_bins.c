// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the histogram blobs a recording stores
 * (record_bins_unpack, output/record_db.c): `report` reads files anyone may
 * have written, so any blob must decode to a histogram maps/hist.c can trust
 * (bins sorted, in range, non-empty, count their sum) or be refused; and
 * what decodes must pack back to a blob that decodes to the same bins.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/record_db.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_record_bins: %s:%d: %s\n",\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct histogram h = { 0 }, back = { 0 };
	unsigned char *blob;
	uint64_t sum = 0;
	uint32_t i;

	if (record_bins_unpack(&h, data, size))
		return 0;
	for (i = 0; i < h.nr; i++) {
		CHECK(h.bins[i].idx < HIST_NR_BUCKETS && h.bins[i].n > 0);
		CHECK(!i || h.bins[i].idx > h.bins[i - 1].idx);
		sum += h.bins[i].n;
	}
	CHECK(sum == h.count);
	/* at most two 10-byte varints a bin */
	blob = malloc(20 * (size_t)h.nr + 1);
	CHECK(blob);
	CHECK(!record_bins_unpack(&back, blob, record_bins_pack(&h, blob)));
	CHECK(back.nr == h.nr && back.count == h.count);
	CHECK(!h.nr || !memcmp(back.bins, h.bins, h.nr * sizeof(*h.bins)));
	free(blob);
	hist_free(&h);
	hist_free(&back);
	return 0;
}
