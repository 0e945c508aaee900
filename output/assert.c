// SPDX-License-Identifier: MIT
/*
 * --assert CHECK and --assert-each: a gate as an output. Each check is
 * judged on the summary (and on every interval with --assert-each); a
 * broken one is said on stderr in one line as it is seen, and close()
 * asks for exit 3.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "output/check.h"
#include "output/open.h"

#define EXIT_GATE 3

struct assert_output {
	struct output base;
	struct check *checks;
	int nr;
	bool each;
	bool broken;
};

static int assert_frame(struct output *o, const struct output_frame *f)
{
	struct assert_output *a = (struct assert_output *)o;
	char msg[1024], when[48];
	int i, rc;

	if (!f->summary && !a->each)
		return 0;
	for (i = 0; i < a->nr; i++) {
		rc = check__eval(&a->checks[i], f, msg, sizeof(msg));
		if (rc < 0)
			return rc;
		if (rc != CHECK_BROKEN)
			continue;
		a->broken = true;
		if (f->summary) {
			fprintf(stderr, "synctrace: assert failed: %s\n", msg);
			continue;
		}
		frame_time_text((uint64_t)f->wall.tv_sec * 1000000000ULL +
				(uint64_t)f->wall.tv_nsec, when, sizeof(when));
		fprintf(stderr, "synctrace: assert failed: %s (interval ending %s)\n", msg, when);
	}
	return 0;
}

static int assert_close(struct output *o)
{
	struct assert_output *a = (struct assert_output *)o;
	int i, code = a->broken ? EXIT_GATE : 0;

	for (i = 0; i < a->nr; i++)
		check__free(&a->checks[i]);
	free(a->checks);
	free(a);
	return code;
}

static const struct output_ops assert_ops = {
	.name = "assert", .frame = assert_frame, .close = assert_close,
};

struct output *output_assert_open(char *const *checks, int n, bool each)
{
	struct assert_output *a = calloc(1, sizeof(*a));
	char err[512];
	int rc = 0;

	if (!a || !(a->checks = calloc(n > 0 ? (size_t)n : 1, sizeof(*a->checks)))) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->base.ops = &assert_ops;
	a->each = each;
	for (; a->nr < n; a->nr++)
		if ((rc = check__parse(&a->checks[a->nr], checks[a->nr], err, sizeof(err))))
			break;
	if (rc) {
		if (rc == -EINVAL)
			fprintf(stderr, "synctrace: %s\n", err);
		assert_close(&a->base);
		errno = -rc;
		return NULL;
	}
	return &a->base;
}
