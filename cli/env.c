// SPDX-License-Identifier: MIT
/* Command-line parsing with argp, one parser per command; see env.h. */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/env.h"
#include "cli/ops_compile.h"
#include "cli/ops_expr.h"
#include "maps/net.h"

const char *argp_program_version = "synctrace 0.1";

/* The shortest -i (and -d): each interval reads every map, 10 ms is already a lot. */
#define MIN_INTERVAL_S 0.01
const char *argp_program_bug_address = NULL;

enum {
	OPT_JSON = 0x100, OPT_OP, OPT_OPS, OPT_MAX_LABELS, OPT_SLOW, OPT_PROFILE, OPT_CHILDREN,
	OPT_ALL, OPT_TOP, OPT_SORT, OPT_RETURNS, OPT_MANGLED, OPT_PROMETHEUS, OPT_RECORD,
	OPT_HTML, OPT_ASSERT, OPT_ASSERT_EACH, OPT_ROUTES,
};

/* The options lat and count share. */
#define TRACE_OPTIONS \
	{ NULL, 0, NULL, 0, "Where:", 1 }, \
	{ "pid", 'p', "PID", 0, "Trace this process only; SYMBOL alone means its main executable", 1 }, \
	{ "children", OPT_CHILDREN, NULL, 0, "With -p, its descendant processes too, present and future", 1 }, \
	{ NULL, 0, NULL, 0, "When:", 2 }, \
	{ "interval", 'i', "SECS", 0, "Print each interval's own numbers every SECS", 2 }, \
	{ "duration", 'd', "SECS", 0, "Stop after SECS (default: Ctrl-C, or when -p's process exits)", 2 }, \
	{ NULL, 0, NULL, 0, "Output:", 3 }, \
	{ "json", OPT_JSON, NULL, 0, "NDJSON on stdout: one object per interval, then the summary", 3 }, \
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages", 3 }

/* Where lat, count and watch send their numbers besides stdout (output/). */
#define EXPORT_OPTIONS \
	{ NULL, 0, NULL, 0, "Export, record, judge:", 5 }, \
	{ "prometheus", OPT_PROMETHEUS, "[ADDR:]PORT", 0, "Serve /metrics for Prometheus (default address 127.0.0.1)", 5 }, \
	{ "record", OPT_RECORD, "FILE", 0, "Record every interval into the SQLite database FILE", 5 }, \
	{ "html", OPT_HTML, "FILE", 0, "Write a self-contained HTML report of the run to FILE at the end", 5 }, \
	{ "assert", OPT_ASSERT, "CHECK", 0, "Exit 3 if the summary breaks CHECK, e.g. 'push.p95<100ms' (repeatable)", 5 }, \
	{ "assert-each", OPT_ASSERT_EACH, NULL, 0, "Check --assert on every interval too", 5 }

/* How lat and watch see a function return. */
#define RETURNS_OPTION \
	{ "returns", OPT_RETURNS, "HOW", 0, "How returns are seen: auto (probes on the ret " \
	  "instructions in Go and OCaml, uretprobes elsewhere), uretprobe, ret-probe", 1 }

/* Which rows lat and count show. */
#define ROW_OPTIONS \
	{ "all", OPT_ALL, NULL, 0, "Show rows with no calls too (hidden by default)", 3 }, \
	{ "top", OPT_TOP, "N", 0, "Show only the N rows with the most calls (or the highest --sort)", 3 }

static const struct argp_option count_options[] = {
	TRACE_OPTIONS,
	EXPORT_OPTIONS,
	ROW_OPTIONS,
	{ "sort", OPT_SORT, "KEY", 0, "Order rows by count, largest first", 3 },
	{},
};

static const struct argp_option lat_options[] = {
	TRACE_OPTIONS,
	EXPORT_OPTIONS,
	ROW_OPTIONS,
	{ "sort", OPT_SORT, "KEY", 0, "Order rows by count, p50, p99 or max, largest first", 3 },
	RETURNS_OPTION,
	{ NULL, 0, NULL, 0, "Units (default: chosen per function):", 4 },
	{ "ms", 'm', NULL, 0, "Milliseconds", 4 },
	{ "us", 'u', NULL, 0, "Microseconds", 4 },
	{ "ns", 'n', NULL, 0, "Nanoseconds", 4 },
	{},
};

static const struct argp_option watch_options[] = {
	{ "op", OPT_OP, "LINE", 0, "An op: 'NAME PROBE [error=PRED] [value=EXPR] [by=EXPR] [count]' (repeatable)", 0 },
	{ "ops", OPT_OPS, "FILE", 0, "Ops file: one 'op ...' or 'state ...' line each, '#' comments (repeatable)", 0 },
	{ "profile", OPT_PROFILE, "NAME", 0, "A ready ops file from profiles/: postgres-logical, libpq, sqlite, openssl, node, redis-replication, usdt-sync (repeatable)", 0 },
	{ "max-labels", OPT_MAX_LABELS, "N", 0, "Labels per op before the rest go to 'other' (default 256)", 0 },
	{ "slow", OPT_SLOW, "DURATION", 0, "Report calls this slow or slower as events (e.g. 50ms)", 0 },
	TRACE_OPTIONS,
	EXPORT_OPTIONS,
	RETURNS_OPTION,
	{},
};

/* What http and pg share: one process (and its tree), when, where the numbers go. */
#define NET_OPTIONS \
	{ NULL, 0, NULL, 0, "Where:", 1 }, \
	{ "pid", 'p', "PID", 0, "The process whose sockets are read (required)", 1 }, \
	{ "children", OPT_CHILDREN, NULL, 0, "Its descendant processes too, present and future", 1 }, \
	{ NULL, 0, NULL, 0, "When:", 2 }, \
	{ "interval", 'i', "SECS", 0, "Print each interval's own numbers every SECS", 2 }, \
	{ "duration", 'd', "SECS", 0, "Stop after SECS (default: Ctrl-C, or when the process exits)", 2 }, \
	{ NULL, 0, NULL, 0, "Output:", 3 }, \
	{ "json", OPT_JSON, NULL, 0, "NDJSON on stdout: one object per interval, then the summary", 3 }, \
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages and the maps' memory", 3 }, \
	{ "slow", OPT_SLOW, "DURATION", 0, "Report exchanges this slow or slower as events (e.g. 200ms)", 3 }

static const struct argp_option http_options[] = {
	NET_OPTIONS,
	{ "routes", OPT_ROUTES, "N", 0, "Routes per side before the rest go to 'other' (default 100)", 3 },
	EXPORT_OPTIONS,
	{},
};

static const struct argp_option pg_options[] = {
	NET_OPTIONS,
	{ "max-labels", OPT_MAX_LABELS, "N", 0, "Command tags, SQLSTATEs and channels per kind before the rest go to 'other' (default 100)", 3 },
	EXPORT_OPTIONS,
	{},
};

static const struct argp_option list_options[] = {
	{ "pid", 'p', "PID", 0, "List every object this process has mapped", 0 },
	{ "json", OPT_JSON, NULL, 0, "NDJSON on stdout: one object per file", 0 },
	{ "mangled", OPT_MANGLED, NULL, 0, "C++ and Rust names as the file spells them, not demangled", 0 },
	{ "verbose", 'v', NULL, 0, "Say where each function was found (symtab, dynsym, gopclntab, debug file...)", 0 },
	{},
};

static const char lat_doc[] =
"Latency histogram of each call, entry to return, per thread.\n"
"\n"
"TARGET is [BINARY_OR_LIB:]SYMBOL_GLOB. A library may be a path or a short\n"
"name (libpq, libssl, libc); with -p it is the copy that process maps.\n"
"\n"
"Examples:\n"
"  synctrace lat -p 4242 relay_handle_push        # one function of pid 4242\n"
"  synctrace lat -p 4242 'libpq:PQexec*' -i 1     # every PQexec*, each second\n"
"  synctrace lat /usr/bin/relayd:apply_change     # all processes running it\n"
"  synctrace lat -p 4242 -d 10 --json 'relay_*'   # NDJSON summary after 10 s\n";

static const char count_doc[] =
"Call counts of functions or USDT probes.\n"
"\n"
"TARGET is [BINARY_OR_LIB:]SYMBOL_GLOB or usdt:[BINARY_OR_LIB:]PROVIDER:NAME.\n"
"\n"
"Examples:\n"
"  synctrace count -p 4242 'relay_*' -i 1   # calls and calls/s each second\n"
"  synctrace count 'libsqlite3:sqlite3_*'   # every process using libsqlite3\n"
"  synctrace count -p 4242 usdt:relay:push  # a USDT probe's hits\n";

static const char watch_doc[] =
"Sync-aware ops: calls, errors, values, latency, timeouts and in-flight\n"
"starts per op and label; state machines; recent errors and slow calls.\n"
"Without -p, every process running the binaries the ops name.\n"
"\n"
"Examples:\n"
"  synctrace watch -p 4242 --op 'push relay_handle_push error=ret<0'\n"
"  synctrace watch -p 4242 --op 'req fxo_request value=arg1 by=pid' --json\n"
"  synctrace watch -p 4242 --ops app.ops -i 1 --slow 50ms\n"
"  synctrace watch --profile postgres-logical -i 2\n"
"  synctrace watch --op 'rt send(arg0) -> on_ack(arg0) timeout=30s'\n";

static const char http_doc[] =
"HTTP/1.x exchanges of a process, read at its sockets (any language): per\n"
"side, route template and status, count, errors (5xx) and 4xx, latency from\n"
"the request's first byte to the response's last, bytes; Server-Sent Events\n"
"and WebSocket streams.\n"
"\n"
"Examples:\n"
"  synctrace http -p 4242 -i 1                  # each second, then the summary\n"
"  synctrace http -p 4242 --children --json     # a server and its workers\n"
"  synctrace http -p 4242 --slow 200ms --prometheus 9464\n";

static const char pg_doc[] =
"PostgreSQL wire protocol of a process, client or server, read at its\n"
"sockets: queries by command tag (latency to ReadyForQuery, errors, rows),\n"
"errors by SQLSTATE, notifications by channel.\n"
"\n"
"Examples:\n"
"  synctrace pg -p 4242 -i 1\n"
"  synctrace pg -p $(pgrep -o postgres) --children -d 30 --json\n";

static const char list_doc[] =
"Functions (with size) and USDT probes of a binary or library, or of every\n"
"object a process has mapped, filtered by a glob PATTERN.\n"
"\n"
"Examples:\n"
"  synctrace list /usr/bin/relayd 'relay_*'\n"
"  synctrace list -p 4242 libpq 'PQ*'\n"
"  synctrace list -p 4242\n"
"  synctrace list -p 4242 --json 'relay_*'\n"
"  synctrace list ./engine 'sync::*'          # C++ and Rust names, demangled\n";

/* Seconds, at least min: an interval of a nanosecond would only spin. */
static int parse_seconds(const char *arg, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min) || v > 86400 * 365 ||
	    isspace((unsigned char)*arg))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Digits only: " 12", "+12" and "0x12" are not pids. */
static int parse_pid(const char *arg, pid_t *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*arg))
		return -EINVAL;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0 || v > 0x3fffffff)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

static enum sort_key parse_sort(struct argp_state *state, const char *arg)
{
	static const struct { const char *name; enum sort_key key; bool lat_only; } keys[] = {
		{ "count", SORT_COUNT, false }, { "p50", SORT_P50, true },
		{ "p99", SORT_P99, true }, { "max", SORT_MAX, true },
	};
	const struct env *env = state->input;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(arg, keys[i].name))
			continue;
		if (keys[i].lat_only && env->cmd != CMD_LAT)
			argp_error(state, "--sort %s needs latencies: use lat, or --sort count", arg);
		return keys[i].key;
	}
	argp_error(state, "invalid --sort '%s': expected count%s", arg,
		   env->cmd == CMD_LAT ? ", p50, p99 or max" : "");
	return SORT_NONE;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct env *env = state->input;

	switch (key) {
	case 'p':
		if (parse_pid(arg, &env->pid))
			argp_error(state, "invalid PID '%s'", arg);
		break;
	case 'i':
		if (parse_seconds(arg, MIN_INTERVAL_S, &env->interval_s))
			argp_error(state, "invalid interval '%s': expected seconds >= %g", arg,
				   MIN_INTERVAL_S);
		break;
	case 'd':
		if (parse_seconds(arg, MIN_INTERVAL_S, &env->duration_s))
			argp_error(state, "invalid duration '%s': expected seconds >= %g", arg,
				   MIN_INTERVAL_S);
		break;
	case OPT_JSON:
		env->json = true;
		break;
	case 'v':
		env->verbose = true;
		break;
	case 'm':
		env->unit = UNIT_MS;
		break;
	case 'u':
		env->unit = UNIT_US;
		break;
	case 'n':
		env->unit = UNIT_NS;
		break;
	case OPT_OP:
		if (env->nr_ops >= MAX_TARGETS)
			argp_error(state, "too many --op (at most %d)", MAX_TARGETS);
		env->ops[env->nr_ops++] = arg;
		break;
	case OPT_OPS:
		if (env->nr_ops_files >= MAX_TARGETS)
			argp_error(state, "too many --ops (at most %d)", MAX_TARGETS);
		env->ops_files[env->nr_ops_files++] = arg;
		break;
	case OPT_CHILDREN:
		env->children = true;
		break;
	case OPT_ALL:
		env->show_all = true;
		break;
	case OPT_MANGLED:
		env->mangled = true;
		break;
	case OPT_TOP: {
		long long v;

		if (ops_parse_int(arg, &v) || v < 1 || v > 1000000)
			argp_error(state, "invalid --top '%s': expected a number of rows >= 1", arg);
		env->top = (unsigned int)v;
		break;
	}
	case OPT_SORT:
		env->sort = parse_sort(state, arg);
		break;
	case OPT_PROFILE:
		if (env->nr_profiles >= MAX_TARGETS)
			argp_error(state, "too many --profile (at most %d)", MAX_TARGETS);
		env->profiles[env->nr_profiles++] = arg;
		break;
	case OPT_MAX_LABELS: {
		long long v;

		if (ops_parse_int(arg, &v) || v < 1 || v > 65536)
			argp_error(state, "invalid --max-labels '%s': expected 1..65536", arg);
		env->max_labels = (unsigned int)v;
		break;
	}
	case OPT_RETURNS:
		if (returns_mode__parse(arg, &env->returns))
			argp_error(state, "invalid --returns '%s': expected auto, uretprobe or ret-probe",
				   arg);
		break;
	case OPT_SLOW:
		if (ops_parse_duration(arg, &env->slow_ns))
			argp_error(state, "invalid --slow '%s': expected a duration (50ms, 2s)", arg);
		break;
	case OPT_ROUTES: {
		long long v;

		if (ops_parse_int(arg, &v) || v < 1 || v > NET_ROUTES_LIMIT)
			argp_error(state, "invalid --routes '%s': expected 1..%d", arg,
				   NET_ROUTES_LIMIT);
		env->routes = (unsigned int)v;
		break;
	}
	case OPT_PROMETHEUS:
		env->prometheus = arg;
		break;
	case OPT_RECORD:
		env->record = arg;
		break;
	case OPT_HTML:
		env->html = arg;
		break;
	case OPT_ASSERT:
		if (env->nr_asserts >= MAX_TARGETS)
			argp_error(state, "too many --assert (at most %d)", MAX_TARGETS);
		env->asserts[env->nr_asserts++] = arg;
		break;
	case OPT_ASSERT_EACH:
		env->assert_each = true;
		break;
	case ARGP_KEY_ARG:
		if (env->cmd == CMD_WATCH)
			argp_error(state, "watch takes ops with --op or --ops, not '%s'", arg);
		if (env->cmd == CMD_HTTP || env->cmd == CMD_PG)
			argp_error(state, "%s takes no argument ('%s'): the process is -p PID",
				   env->cmd == CMD_HTTP ? "http" : "pg", arg);
		if (env->nr_args >= MAX_TARGETS)
			argp_error(state, "too many arguments (at most %d)", MAX_TARGETS);
		if (env->cmd == CMD_LIST && env->nr_args >= 2)
			argp_error(state, "list takes at most [BINARY_OR_LIB] [PATTERN]");
		env->args[env->nr_args++] = arg;
		break;
	case ARGP_KEY_END:
		if (env->assert_each && !env->nr_asserts)
			argp_error(state, "--assert-each needs an --assert");
		if ((env->cmd == CMD_HTTP || env->cmd == CMD_PG) && !env->pid) {
			/* one line: reading every process's sockets is not offered */
			fprintf(stderr, "synctrace: %s needs -p PID (the process whose sockets "
				"are read)\n", env->cmd == CMD_HTTP ? "http" : "pg");
			exit(EXIT_USAGE);
		}
		if (env->children && !env->pid)
			argp_error(state, "--children needs -p PID (without -p every process is traced)");
		if (env->cmd == CMD_WATCH && !env->nr_ops && !env->nr_ops_files && !env->nr_profiles)
			argp_error(state, "no op given: use --op LINE, --ops FILE or --profile NAME");
		if ((env->cmd == CMD_LAT || env->cmd == CMD_COUNT) && env->nr_args == 0)
			argp_error(state, "no TARGET given");
		if (env->cmd == CMD_LIST && env->nr_args == 0 && !env->pid)
			argp_error(state, "list needs a BINARY_OR_LIB or -p PID");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void usage_and_exit(FILE *f, int code)
{
	fprintf(f,
		"Usage: synctrace COMMAND [OPTION...] ARGS...\n"
		"Trace what a running sync engine does: latency histograms and call\n"
		"counts of any function or USDT probe, without rebuilding it.\n\n"
		"Commands:\n"
		"  lat    [-p PID] [-i SECS] [-d SECS] [--json] [-m|-u|-n] TARGET...\n"
		"  count  [-p PID] [-i SECS] [-d SECS] [--json] TARGET...\n"
		"  list   [-p PID] [--json] [--mangled] [-v] [BINARY_OR_LIB] [PATTERN]\n"
		"  watch  [-p PID] --op LINE... | --ops FILE | --profile NAME [-i SECS] [-d SECS] [--json]\n"
		"         [--slow DURATION] [--max-labels N]\n"
		"  http   -p PID [--children] [-i SECS] [-d SECS] [--json] [--routes N] [--slow DURATION]\n"
		"  pg     -p PID [--children] [-i SECS] [-d SECS] [--json] [--max-labels N]\n"
		"  report FILE.db [--since TIME] [--until TIME] [--phase NAME] [--op NAME]\n"
		"         [--label L] [-i] [--json] [--html FILE] [--assert CHECK]\n"
		"  mark   [--db FILE.db] NAME\n"
		"  diff   BASE NEW [--warn PCT] [--fail PCT] [--metric LIST] [--json]\n\n"
		"lat, count, watch, http and pg also take --prometheus [ADDR:]PORT, --record FILE.db,\n"
		"--html FILE and --assert CHECK (e.g. 'push.p95<100ms'): exit 3 when broken.\n\n"
		"'synctrace COMMAND --help' for a command's options and examples.\n");
	exit(code);
}

void env_parse(struct env *env, int argc, char **argv)
{
	static const struct { const char *name; enum command cmd; } cmds[] = {
		{ "lat", CMD_LAT }, { "count", CMD_COUNT }, { "list", CMD_LIST },
		{ "watch", CMD_WATCH }, { "http", CMD_HTTP }, { "pg", CMD_PG },
	};
	struct argp lat = { .options = lat_options, .parser = parse_opt,
			    .args_doc = "TARGET...", .doc = lat_doc };
	struct argp count = { .options = count_options, .parser = parse_opt,
			      .args_doc = "TARGET...", .doc = count_doc };
	struct argp list = { .options = list_options, .parser = parse_opt,
			     .args_doc = "[BINARY_OR_LIB] [PATTERN]", .doc = list_doc };
	struct argp watch = { .options = watch_options, .parser = parse_opt,
			      .doc = watch_doc };
	struct argp http = { .options = http_options, .parser = parse_opt, .doc = http_doc };
	struct argp pg = { .options = pg_options, .parser = parse_opt, .doc = pg_doc };
	struct argp *parsers[] = { &lat, &count, &list, &watch, &http, &pg };
	char name[64];
	size_t i;

	argp_err_exit_status = EXIT_USAGE;
	memset(env, 0, sizeof(*env));
	env->max_labels = OPS_DEFAULT_MAX_LABELS;
	if (argc < 2)
		usage_and_exit(stderr, EXIT_USAGE);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help") ||
	    !strcmp(argv[1], "--usage") || !strcmp(argv[1], "-?"))
		usage_and_exit(stdout, EXIT_OK);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("%s\n", argp_program_version);
		exit(EXIT_OK);
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "synctrace: unknown command '%s' (try lat, count, list, watch, http, pg, report, mark or diff)\n", argv[1]);
		exit(EXIT_USAGE);
	}
	env->cmd = cmds[i].cmd;
	env->routes = NET_ROUTES_DEFAULT;
	if (env->cmd == CMD_PG)
		env->max_labels = NET_LABELS_DEFAULT;
	/* the command line as given, for recordings (argp reorders argv) */
	env->argv = calloc((size_t)argc + 1, sizeof(*env->argv));
	if (env->argv) {
		memcpy(env->argv, argv, (size_t)argc * sizeof(*argv));
		env->argc = argc;
	}
	snprintf(name, sizeof(name), "synctrace %s", cmds[i].name);
	argp_parse(parsers[i], argc - 1, argv + 1, 0, NULL, env);
}

void env_free(struct env *env)
{
	free(env->argv);
	env->argv = NULL;
}
