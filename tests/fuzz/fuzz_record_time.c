// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the times `report --since/--until` take
 * (output/record_time.c): typed by users, so any text must parse to a time
 * in range or be refused, never read past its end or overflow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/record_read.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_record_time: %s:%d: %s\n",\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the first 8 bytes: "now" (any int64, negative ones refused) */
	int64_t now = 0, out = 42;
	char *text;
	int rc;

	if (size >= 8) {
		memcpy(&now, data, 8);
		data += 8;
		size -= 8;
	}
	/* an exact-size copy: ASan sees any read past the NUL */
	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = record_parse_time(text, now, &out);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc)
		CHECK(out == 42);
	else
		CHECK(out >= 0);
	free(text);
	return 0;
}
