// SPDX-License-Identifier: MIT
/*
 * `synctrace report FILE.db` (any range of a recording, replayed into the
 * usual outputs: the summary merged from the stored histograms) and
 * `synctrace mark [--db FILE.db] NAME` (a phase of a running recording
 * starts now). Each has its own argp parser: neither traces anything.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/run_outputs.h"
#include "output/open.h"
#include "output/record_read.h"
#include "output/record_run.h"

enum {
	OPT_SINCE = 0x200, OPT_UNTIL, OPT_OP, OPT_LABEL, OPT_PHASE, OPT_JSON, OPT_ALL, OPT_DB,
	OPT_HTML, OPT_ASSERT, OPT_ASSERT_EACH,
};

struct report_args {
	const char *db;
	const char *since, *until;
	struct record_range range;
	bool intervals;
	struct env out;			/* the outputs: --json, --all, units, --html, --assert */
	bool mark;			/* parsing mark's command line */
	const char *name;		/* mark: the phase */
};

static const struct argp_option report_options[] = {
	{ NULL, 0, NULL, 0, "Which part:", 1 },
	{ "since", OPT_SINCE, "TIME", 0, "Intervals that ended at TIME or later: '10 min ago', "
	  "'2026-12-05 10:00:00' (local), '2026-12-05T10:00:00Z', '@SECONDS'", 1 },
	{ "until", OPT_UNTIL, "TIME", 0, "Intervals that ended at TIME or earlier", 1 },
	{ "phase", OPT_PHASE, "NAME", 0, "Intervals of the phase NAME (synctrace mark)", 1 },
	{ "op", OPT_OP, "NAME", 0, "Only the rows of this op (lat/count: name or function)", 1 },
	{ "label", OPT_LABEL, "LABEL", 0, "Only the rows with this label", 1 },
	{ NULL, 0, NULL, 0, "Output:", 2 },
	{ "intervals", 'i', NULL, 0, "Print every stored interval before the summary", 2 },
	{ "json", OPT_JSON, NULL, 0, "NDJSON on stdout, as the live run's --json", 2 },
	{ "all", OPT_ALL, NULL, 0, "lat/count: show rows with no calls too", 2 },
	{ "ms", 'm', NULL, 0, "Milliseconds", 2 },
	{ "us", 'u', NULL, 0, "Microseconds", 2 },
	{ "ns", 'n', NULL, 0, "Nanoseconds", 2 },
	{ "html", OPT_HTML, "FILE", 0, "Also write the range as a self-contained HTML page", 2 },
	{ NULL, 0, NULL, 0, "Judge:", 3 },
	{ "assert", OPT_ASSERT, "CHECK", 0, "Exit 3 if the summary breaks CHECK, e.g. 'push.p95<100ms' (repeatable)", 3 },
	{ "assert-each", OPT_ASSERT_EACH, NULL, 0, "Check --assert on every stored interval too", 3 },
	{},
};

static const struct argp_option mark_options[] = {
	{ "db", OPT_DB, "FILE", 0, "The recording (default: the one a running synctrace --record "
	  "is writing)", 0 },
	{},
};

static error_t report_opt(int key, char *arg, struct argp_state *state)
{
	struct report_args *a = state->input;

	switch (key) {
	case OPT_SINCE:
		a->since = arg;
		break;
	case OPT_UNTIL:
		a->until = arg;
		break;
	case OPT_PHASE:
		a->range.phase = arg;
		break;
	case OPT_OP:
		a->range.op = arg;
		break;
	case OPT_LABEL:
		a->range.label = arg;
		break;
	case 'i':
		a->intervals = true;
		break;
	case OPT_JSON:
		a->out.json = true;
		break;
	case OPT_ALL:
		a->out.show_all = true;
		break;
	case 'm':
		a->out.unit = UNIT_MS;
		break;
	case 'u':
		a->out.unit = UNIT_US;
		break;
	case 'n':
		a->out.unit = UNIT_NS;
		break;
	case OPT_HTML:
		a->out.html = arg;
		break;
	case OPT_ASSERT:
		if (a->out.nr_asserts >= MAX_TARGETS)
			argp_error(state, "too many --assert (at most %d)", MAX_TARGETS);
		a->out.asserts[a->out.nr_asserts++] = arg;
		break;
	case OPT_ASSERT_EACH:
		a->out.assert_each = true;
		break;
	case OPT_DB:
		a->db = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->mark) {
			if (a->name)
				argp_error(state, "one phase NAME, not '%s' too", arg);
			a->name = arg;
		} else {
			if (a->db)
				argp_error(state, "one recording, not '%s' too", arg);
			a->db = arg;
		}
		break;
	case ARGP_KEY_END:
		if (a->out.assert_each && !a->out.nr_asserts)
			argp_error(state, "--assert-each needs an --assert");
		if (a->mark && !a->name)
			argp_error(state, "which phase? synctrace mark NAME");
		if (!a->mark && !a->db)
			argp_error(state, "which recording? synctrace report FILE.db");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --since/--until into the range; EXIT_USAGE (said) when one is not a time. */
static int parse_times(struct report_args *a)
{
	int64_t now = record_time_now();

	if (a->since && record_parse_time(a->since, now, &a->range.since_ns)) {
		report_error("invalid --since '%s': expected '10 min ago', '2026-12-05 10:00:00', "
			     "'2026-12-05T10:00:00Z' or '@SECONDS'", a->since);
		return EXIT_USAGE;
	}
	if (a->until && record_parse_time(a->until, now, &a->range.until_ns)) {
		report_error("invalid --until '%s': expected '10 min ago', '2026-12-05 10:00:00', "
			     "'2026-12-05T10:00:00Z' or '@SECONDS'", a->until);
		return EXIT_USAGE;
	}
	/* 0 means "open": a time of exactly the epoch is 1 ns after it */
	if (a->since && !a->range.since_ns)
		a->range.since_ns = 1;
	if (a->until && !a->range.until_ns)
		a->range.until_ns = 1;
	if (a->since && a->until && a->range.until_ns < a->range.since_ns) {
		report_error("--until '%s' is before --since '%s'", a->until, a->since);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	struct argp argp = { .options = report_options, .parser = report_opt,
			     .args_doc = "FILE.db",
			     .doc = "The summary of a recording (--record), or of a part of it, "
				    "merged from its stored histograms.\v"
				    "Examples:\n"
				    "  synctrace report run.db\n"
				    "  synctrace report run.db --since '10 min ago' --op push\n"
				    "  synctrace report run.db --phase stress --json\n"
				    "  synctrace report run.db --phase stress --assert 'push.p95<100ms'\n"
				    "  synctrace report run.db --html run.html" };
	struct report_args a = { 0 };
	struct record_reader *r = NULL;
	struct outputs outs = { 0 };
	char err[512];
	int rc, code;

	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc - 1, argv + 1, 0, NULL, &a);
	if ((code = parse_times(&a)))
		return code;
	a.range.hide_intervals = !a.intervals;
	if ((rc = record_reader__open(&r, a.db, err, sizeof(err)))) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	if ((code = run_outputs__add(&outs, &a.out, record_reader__run(r),
				     record_reader__source(r), false))) {
		record_reader__free(r);
		return code;
	}
	rc = record_reader__replay(r, &a.range, &outs, err, sizeof(err));
	if (rc)
		report_error("%s", err);
	code = outputs__close(&outs);
	record_reader__free(r);
	return rc ? EXIT_RUNTIME : code;
}

/* A phase name: printable, no spaces, at most 64 bytes (it is typed again in --phase). */
static bool valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int cmd_mark(int argc, char **argv)
{
	struct argp argp = { .options = mark_options, .parser = report_opt, .args_doc = "NAME",
			     .doc = "Name the phase that starts now (warmup, baseline, stress) in a "
				    "recording being written; `report --phase NAME` reads it.\v"
				    "Without --db: the one recording a running synctrace --record "
				    "is writing." };
	struct report_args a = { .mark = true };
	char path[PATH_MAX], err[PATH_MAX + 256];
	int64_t now = record_time_now();

	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc - 1, argv + 1, 0, NULL, &a);
	if (!valid_name(a.name)) {
		report_error("invalid phase name '%s': 1 to 64 printable characters, no spaces", a.name);
		return EXIT_USAGE;
	}
	if (!a.db) {
		if (record_run_find(path, sizeof(path), err, sizeof(err))) {
			report_error("%s", err);
			return EXIT_RUNTIME;
		}
		a.db = path;
	}
	if (record_mark(a.db, a.name, now, err, sizeof(err))) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "synctrace: phase '%s' starts now in %s\n", a.name, a.db);
	return EXIT_OK;
}
