// SPDX-License-Identifier: MIT
/* The outputs of a run, from its command line; see run_outputs.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "cli/commands.h"
#include "cli/run_outputs.h"
#include "loader/debug_file.h"
#include "loader/elf_file.h"
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

static struct output *stdout_output(const struct env *env, enum frame_source source, bool live)
{
	struct view v = { .unit = env->unit, .show_all = env->show_all, .top = env->top,
			  .sort = env->sort };

	if (env->json)
		return output_ndjson_open(stdout, &v);
	if (source == FRAME_CALLS)
		return output_text_open(stdout, &v);
	if (env->cmd == CMD_HTTP || env->cmd == CMD_PG)
		return output_net_text_open(stdout);
	return output_dashboard_open(stdout, live && isatty(STDOUT_FILENO) ? terminal_lines : NULL);
}

static const char *command_name(enum command c)
{
	return c == CMD_LAT ? "lat" : c == CMD_COUNT ? "count" : c == CMD_WATCH ? "watch" :
	       c == CMD_HTTP ? "http" : c == CMD_PG ? "pg" : "list";
}

int run_outputs__open(struct outputs *s, const struct env *env, struct run_info *run,
		      enum frame_source source)
{
	run->command = command_name(env->cmd);
	run->argc = env->argc;
	run->argv = env->argv;
	clock_gettime(CLOCK_REALTIME, &run->start);
	return run_outputs__add(s, env, run, source, true);
}

int run_outputs__add(struct outputs *s, const struct env *env, const struct run_info *run,
		     enum frame_source source, bool live)
{
	if (env->prometheus && output_prometheus_check(env->prometheus))
		return EXIT_USAGE;
	if (outputs__add(s, stdout_output(env, source, live))) {
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
	if (env->prometheus && outputs__add(s, output_prometheus_open(env->prometheus, run))) {
		outputs__close(s);
		return EXIT_RUNTIME;
	}
	if (env->record && outputs__add(s, output_record_open(env->record, run))) {
		outputs__close(s);
		return EXIT_RUNTIME;	/* said */
	}
	if (env->html && outputs__add(s, output_html_open(env->html, run))) {
		outputs__close(s);	/* html said why */
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

double run_outputs__interval_s(const struct env *env)
{
	if (env->interval_s > 0)
		return env->interval_s;
	/* outputs that keep every interval, and --assert-each, which judges them */
	return env->prometheus || env->record || env->html || env->assert_each ?
	       EXPORT_INTERVAL_S : 0;
}

/* path's build-id as hex (malloc'd; "" when none or unreadable). */
static char *build_id_hex(const char *path)
{
	unsigned char id[DEBUG_BUILD_ID_MAX];
	struct elf_file *ef = NULL;
	size_t len = 0;
	char *hex;

	if (elf_file__open(path, &ef) || debug_file__build_id(ef, id, &len))
		len = 0;
	elf_file__close(ef);
	if (!(hex = malloc(2 * len + 1)))
		return NULL;
	return debug_build_id_hex(id, len, hex);
}

void run_outputs__binaries(struct run_info *run, const struct env *env,
			   const struct probe_site *sites, size_t n)
{
	struct run_binary *v;
	size_t i, k, nr = 0;

	if (!env->record && !env->html)
		return;
	if (!(v = calloc(n ? n : 1, sizeof(*v))))
		return;
	for (i = 0; i < n; i++) {
		const char *shown = sites[i].file ? sites[i].file : sites[i].path;

		for (k = 0; k < nr && strcmp(v[k].path, shown); k++)
			;
		if (k < nr)
			continue;
		/* named as the process names it; read where the kernel opens it */
		v[nr].path = strdup(shown);
		v[nr].build_id = build_id_hex(sites[i].path);
		if (!v[nr].path || !v[nr].build_id) {
			free((char *)v[nr].path);
			free((char *)v[nr].build_id);
			break;
		}
		nr++;
	}
	run->binaries = v;
	run->nr_binaries = nr;
}

void run_outputs__free_run(struct run_info *run)
{
	size_t i;

	for (i = 0; i < run->nr_binaries; i++) {
		free((char *)run->binaries[i].path);
		free((char *)run->binaries[i].build_id);
	}
	free((struct run_binary *)run->binaries);
	run->binaries = NULL;
	run->nr_binaries = 0;
}
