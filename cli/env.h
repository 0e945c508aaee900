/* SPDX-License-Identifier: MIT */
/* The parsed command line, shared by the commands. */
#ifndef SYNCTRACE_ENV_H
#define SYNCTRACE_ENV_H

#include <stdbool.h>
#include <sys/types.h>
#include "output/view.h"
#include "loader/ret_plan.h"

enum command { CMD_LAT, CMD_COUNT, CMD_LIST, CMD_WATCH, CMD_HTTP, CMD_PG };

#define MAX_TARGETS 256

struct env {
	enum command cmd;
	pid_t pid;		/* 0: none given */
	double interval_s;	/* 0: no interval output */
	double duration_s;	/* 0: until Ctrl-C / target exit */
	bool json;
	bool verbose;
	enum unit unit;
	bool show_all;		/* lat, count: rows with no calls too (--all) */
	bool mangled;		/* list: C++ and Rust names as the file spells them */
	unsigned int top;	/* lat, count: only the first N rows; 0: all */
	enum sort_key sort;	/* lat, count: row order; SORT_NONE: as given */
	int nr_ops, nr_ops_files;
	char *ops[MAX_TARGETS];		/* watch: --op lines */
	char *ops_files[MAX_TARGETS];	/* watch: --ops files */
	char *profiles[MAX_TARGETS];	/* watch: --profile names */
	int nr_profiles;
	unsigned int max_labels;	/* watch: labels per op before `other`; pg: per kind */
	unsigned int routes;		/* http: routes per side before `other` (--routes) */
	bool children;			/* watch, http, pg: -p's descendants too */
	unsigned long long slow_ns;	/* watch, http, pg: calls this slow are events; 0: none */
	enum returns_mode returns;	/* lat, watch: how returns are seen (--returns) */
	/* lat, count, watch: where the numbers go besides stdout */
	const char *prometheus;		/* --prometheus [ADDR:]PORT */
	const char *record;		/* --record FILE.db */
	const char *html;		/* --html FILE.html, written at the end */
	int nr_asserts;
	char *asserts[MAX_TARGETS];	/* --assert 'OP.METRIC<LIMIT' */
	bool assert_each;		/* --assert-each: every interval too */
	int nr_args;
	char *args[MAX_TARGETS];	/* TARGETs; for list: [BINARY] [PATTERN] */
	int argc;
	char **argv;			/* the command line, as given */
};

/* Exit codes. */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Parse argv (argv[1] is the command). Exits 2 with a message on usage errors. */
void env_parse(struct env *env, int argc, char **argv);
void env_free(struct env *env);

#endif /* SYNCTRACE_ENV_H */
