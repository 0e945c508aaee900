// SPDX-License-Identifier: MIT
/*
 * Ops files as untrusted input (cli/ops_spec.h): only regular files are read,
 * never more than OPS_FILE_MAX bytes, and the limits of a run (ops, states,
 * selectors) fail at the line that passes them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "tests/unit/ops_parse_test.h"
#include "tests/unit/helpers.h"

#define GUARD_SECONDS 3	/* a hang guard: each parse here is immediate */

/* scratch_dir/name holding len bytes of text; the path is static. */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", scratch_dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

/* A file of n lines made by line(i, buf) (1-based i). */
static const char *write_lines(const char *name, int n, void (*line)(int, char *, size_t))
{
	size_t cap = (size_t)n * 64 + 1, len = 0;
	char *text = malloc(cap);
	const char *path;
	int i;

	assert_non_null(text);
	for (i = 1; i <= n; i++) {
		line(i, text + len, cap - len);
		len += strlen(text + len);
	}
	path = write_file(name, text, len);
	free(text);
	return path;
}

/*
 * ops_parse_file(path) in a child that SIGALRM ends after GUARD_SECONDS: a
 * parse that blocks (a FIFO) or reads without end (/dev/zero) fails the
 * test rather than hanging it. The child's result and message come back.
 */
static int parse_in_child(const char *path, char *msg, size_t len)
{
	char buf[600] = "";
	int fds[2], status, rc, pos = 0;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct ops_file cf = {};

		close(fds[0]);
		alarm(GUARD_SECONDS);
		rc = ops_parse_file(&cf, path, msg, len);
		dprintf(fds[1], "%d %s", rc, rc ? msg : "");
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("%s: the parse was killed by signal %d after %d s: it blocked or read "
			 "without bound", path, WTERMSIG(status), GUARD_SECONDS);
	buf[got] = '\0';
	assert_int_equal(sscanf(buf, "%d %n", &rc, &pos), 1);
	snprintf(msg, len, "%s", buf + pos);
	return rc;
}

static void assert_refused(const char *path, int want_rc, const char *why)
{
	char want[300];
	int rc = parse_in_child(path, err, sizeof(err));

	snprintf(want, sizeof(want), "%s: %s", path, why);
	if (rc != want_rc || strncmp(err, want, strlen(want)))
		fail_msg("%s: expected %d '%s...', got %d '%s'", path, want_rc, want, rc, err);
}

static void test_devices_fifos_and_directories_are_refused_unread(void **state UNUSED)
{
	char fifo[256];

	snprintf(fifo, sizeof(fifo), "%s/fifo.ops", scratch_dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_refused("/dev/zero", -EINVAL, "not a regular file");
	assert_refused(fifo, -EINVAL, "not a regular file");
	assert_refused("/dev/null", -EINVAL, "not a regular file");
	assert_refused(scratch_dir, -EINVAL, "not a regular file");
	unlink(fifo);
}

static void test_file_over_the_size_bound_is_refused(void **state UNUSED)
{
	char *text = malloc(OPS_FILE_MAX + 1);
	const char *path;
	size_t i;

	assert_non_null(text);
	/* comment lines of 32 bytes: 32768 lines, OPS_FILE_MAX bytes, parse */
	for (i = 0; i < OPS_FILE_MAX; i++)
		text[i] = i % 32 == 31 ? '\n' : i % 32 ? ' ' : '#';
	path = write_file("max.ops", text, OPS_FILE_MAX);
	assert_int_equal(parse_in_child(path, err, sizeof(err)), 0);
	/* one byte more is refused before a line is parsed */
	text[OPS_FILE_MAX] = '#';
	path = write_file("over.ops", text, OPS_FILE_MAX + 1);
	assert_refused(path, -EFBIG, "too big for an ops file");
	free(text);
}

static void op_line(int i, char *buf, size_t len)
{
	snprintf(buf, len, "op o%d f%d\n", i, i);
}

static void state_line(int i, char *buf, size_t len)
{
	snprintf(buf, len, "state s%d f%d(arg0)\n", i, i);
}

static void selector_line(int i, char *buf, size_t len)
{
	snprintf(buf, len, "sel%d=/usr/bin/x%d\n", i, i);
}

/* path:line: message, and f kept what came before */
static void assert_fails_at(const char *path, int line, const char *msg)
{
	char want[300];
	int rc = ops_parse_file(&f, path, err, sizeof(err));

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	if (rc != -EINVAL || strcmp(err, want))
		fail_msg("expected -EINVAL '%s', got %d '%s'", want, rc, err);
}

/* 40,000 lines: the 65th op stops the parse there, not after the last line. */
static void test_65th_op_fails_at_its_own_line(void **state UNUSED)
{
	assert_fails_at(write_lines("ops.ops", 40000, op_line), 65, "too many ops (at most 64)");
	assert_int_equal(f.nr_ops, OPS_MAX);
	assert_string_equal(f.ops[OPS_MAX - 1].name, "o64");
}

static void test_17th_state_and_65th_selector_fail_at_their_line(void **state UNUSED)
{
	assert_fails_at(write_lines("states.ops", 40000, state_line), 17,
			"too many states (at most 16)");
	assert_int_equal(f.nr_states, OPS_STATES_MAX);
	assert_fails_at(write_lines("sels.ops", 40000, selector_line), 65,
			"too many selectors (at most 64)");
	assert_int_equal(f.nr_sels, OPS_SELECTORS_MAX);
}

/* The limits are those of a run: files and --op lines add up. */
static void test_limits_count_over_files_and_op_lines(void **state UNUSED)
{
	const char *path = write_lines("60.ops", 60, op_line);
	char line[64];
	int i;

	assert_int_equal(ops_parse_file(&f, path, err, sizeof(err)), 0);
	for (i = 1; i <= 4; i++) {
		snprintf(line, sizeof(line), "op extra%d g", i);
		assert_int_equal(ops_parse_line(&f, line, NULL, i, err, sizeof(err)), 0);
	}
	assert_int_equal(ops_parse_line(&f, "op extra5 g", NULL, 5, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--op:5: too many ops (at most 64)");
	assert_int_equal(f.nr_ops, OPS_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_devices_fifos_and_directories_are_refused_unread,
					  reset),
		cmocka_unit_test_teardown(test_file_over_the_size_bound_is_refused, reset),
		cmocka_unit_test_teardown(test_65th_op_fails_at_its_own_line, reset),
		cmocka_unit_test_teardown(test_17th_state_and_65th_selector_fail_at_their_line,
					  reset),
		cmocka_unit_test_teardown(test_limits_count_over_files_and_op_lines, reset),
	};
	char tmp[] = "/tmp/test_ops_file.XXXXXX";

	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup, scratch_dir_teardown);
}
