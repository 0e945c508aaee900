/* SPDX-License-Identifier: MIT */
/*
 * What the unit tests of the ops language share (test_ops_spec.c,
 * test_ops_options.c, test_ops_file.c): one file-wide ops_file the lines
 * are parsed into, emptied after each test, and the two ways a line is
 * expected to parse. Included once by each test file, after <cmocka.h>.
 */
#ifndef SYNCTRACE_TESTS_UNIT_OPS_PARSE_TEST_H
#define SYNCTRACE_TESTS_UNIT_OPS_PARSE_TEST_H

#include <errno.h>
#include <string.h>
#include "cli/ops_spec.h"

/* cmocka passes every test a state; these tests use the file-wide f instead. */
#define UNUSED __attribute__((unused))

static struct ops_file f;
static char err[512];

/* A test's teardown: f empty again. */
static int reset(void **state UNUSED)
{
	ops_file__free(&f);
	err[0] = '\0';
	return 0;
}

static inline void parse_ok(const char *line, int lineno)
{
	int rc = ops_parse_line(&f, line, "app.ops", lineno, err, sizeof(err));

	if (rc)
		fail_msg("'%s': expected 0, got %d: %s", line, rc, err);
}

/* The line fails with -EINVAL, err starts with prefix and contains phrase. */
static inline void parse_fails(const char *line, const char *file, int lineno,
			       const char *prefix, const char *phrase)
{
	int rc = ops_parse_line(&f, line, file, lineno, err, sizeof(err));

	if (rc != -EINVAL)
		fail_msg("'%s': expected -EINVAL, got %d", line, rc);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("'%s': expected prefix '%s' in: %s", line, prefix, err);
	if (!strstr(err, phrase))
		fail_msg("'%s': expected '%s' in: %s", line, phrase, err);
	if (strchr(err, '\n'))
		fail_msg("'%s': message is not one line: %s", line, err);
}

#endif /* SYNCTRACE_TESTS_UNIT_OPS_PARSE_TEST_H */
