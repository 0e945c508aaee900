// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the /proc parsers (loader/proc_parse.h): each input
 * as /proc/PID/stat text, and each of its lines as a /proc/PID/maps line.
 * The kernel writes both, but a parser of ours must not trust even that.
 * Seed it with real lines (tests/fuzz/fuzz.mk makes them).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/proc_parse.h"

/* A broken invariant is a finding even when nothing was read out of bounds. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_proc: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static void check_stat(const uint8_t *data, size_t size)
{
	struct proc_stat st, again;
	int rc = proc_parse_stat((const char *)data, size, &st);

	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(proc_parse_stat((const char *)data, size, &again) == rc);
	if (rc)
		return;
	CHECK(memchr(data, ')', size));
	CHECK(st.ppid >= 0 && st.num_threads >= 0);
	CHECK(st.state == again.state && st.ppid == again.ppid &&
	      st.num_threads == again.num_threads);
}

/* line: NUL-terminated, len bytes, a copy the parser may cut. */
static void check_maps_line(char *line, size_t len)
{
	char *copy = strndup(line, len);
	struct maps_line ml;
	bool ok;

	CHECK(copy);
	ok = proc_parse_maps_line(line, &ml);
	if (ok) {
		CHECK(ml.start <= ml.end);
		CHECK(ml.dev_major <= 0xfff && ml.dev_minor <= 0xfffff);
		if (ml.path) {
			/* in the line, whole, and a file: a path from the root */
			CHECK(ml.path > line && ml.path < line + len);
			CHECK(ml.path + strlen(ml.path) <= line + len);
			CHECK(ml.path[0] == '/');
		}
		/* " (deleted)" was at the end of what was given */
		if (ml.deleted)
			CHECK(strstr(copy, PROC_DELETED_SUFFIX));
	}
	/* the same text parses the same way */
	{
		struct maps_line m2;
		char *again = strdup(copy);

		CHECK(again);
		CHECK(proc_parse_maps_line(again, &m2) == ok);
		if (ok) {
			CHECK(m2.start == ml.start && m2.end == ml.end && m2.ino == ml.ino);
			CHECK(!m2.path == !ml.path && (!ml.path || !strcmp(m2.path, ml.path)));
		}
		free(again);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *nl;

	check_stat(data, size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* as getline() hands them over: up to and with the newline */
	for (line = buf; line < buf + size && *line; line = nl + 1) {
		char saved;

		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		saved = nl[1];
		nl[1] = '\0';
		check_maps_line(line, (size_t)(nl + 1 - line));
		nl[1] = saved;
	}
	free(buf);
	return 0;
}
