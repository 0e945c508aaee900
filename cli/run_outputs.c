// SPDX-License-Identifier: MIT
/* The outputs of a run, from its command line; see run_outputs.h. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "cli/commands.h"
#include "cli/run_outputs.h"
#include "output/open.h"

/* Drained this often (seconds) for outputs that keep intervals when -i is not given. */
#define EXPORT_INTERVAL_S 1.0

/* The terminal's height, for a dashboard that must fit it (24 if unknown). */
static int terminal_lines(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < 10)
		return 24;
	return ws.ws_row;
}

static struct output *stdout_output(const struct env *env, enum frame_source source)
{
	struct view v = { .unit = env->unit, .show_all = env->show_all, .top = env->top,
			  .sort = env->sort };

	if (env->json)
		return output_ndjson_open(stdout, &v);
	if (source == FRAME_CALLS)
		return output_text_open(stdout, &v);
	return output_dashboard_open(stdout, isatty(STDOUT_FILENO) ? terminal_lines : NULL);
}

static const char *command_name(enum command c)
{
	return c == CMD_LAT ? "lat" : c == CMD_COUNT ? "count" : c == CMD_WATCH ? "watch" : "list";
}

int run_outputs__open(struct outputs *s, const struct env *env, struct run_info *run,
		      enum frame_source source)
{
	run->command = command_name(env->cmd);
	run->argc = env->argc;
	run->argv = env->argv;
	clock_gettime(CLOCK_REALTIME, &run->start);
	if (outputs__add(s, stdout_output(env, source))) {
		report_error("out of memory");
		return EXIT_RUNTIME;
	}
	/* before the recording: a malformed check is said before anything is attached */
	if (env->nr_asserts &&
	    outputs__add(s, output_assert_open(env->asserts, env->nr_asserts, env->assert_each))) {
		if (errno == EINVAL) {
			outputs__close(s);
			return EXIT_USAGE;
		}
		report_error("out of memory");
		outputs__close(s);
		return EXIT_RUNTIME;
	}
	if (env->record && outputs__add(s, output_record_open(env->record, run)))
		return EXIT_RUNTIME;	/* said */
	return EXIT_OK;
}

double run_outputs__interval_s(const struct env *env)
{
	if (env->interval_s > 0)
		return env->interval_s;
	/* --assert-each judges intervals: there must be some */
	return env->prometheus || env->record || env->assert_each ? EXPORT_INTERVAL_S : 0;
}
