/* SPDX-License-Identifier: MIT */
/*
 * The ops language (DESIGN.md §2): ops files and --op lines parsed into
 * plain structs, checked for everything that can be known without a process.
 */
#ifndef SYNCTRACE_OPS_SPEC_H
#define SYNCTRACE_OPS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include "cli/ops_expr.h"
#include "loader/target_spec.h"

#define OPS_NAME_MAX 63		/* op, state, selector and state value names */
#define OPS_LINE_MAX 4096
#define OPS_FILE_MAX (1 << 20)	/* bytes of one ops file */
#define OPS_SELECTORS_MAX 64	/* NAME=PATH lines, all files together */
#define STATE_MAX_NAMES 16
#define OPS_DEFAULT_TIMEOUT_NS 60000000000ULL

/* [SEL:]TARGET[(EXPR)] */
struct probe_spec {
	char *text;			/* [SEL:]TARGET as written, without the key */
	char *selector;			/* the selector used, or NULL */
	struct target_spec target;	/* with a selector, binary is a copy of its PATH */
	bool has_key;
	struct expr key;		/* op: the pairing key; state: the value */
	bool has_key2;
	struct expr key2;		/* op: the key's second part, PROBE(EXPR, EXPR) */
};

struct op_spec {
	char name[OPS_NAME_MAX + 1];
	struct probe_spec start;
	bool paired;			/* start -> end; else entry -> return of start */
	struct probe_spec end;
	struct pred error;		/* error=PRED */
	struct pred when;		/* when=PRED: hits of the end (or only) probe
					 * for which it is false are ignored */
	struct pred would_block;	/* would_block=PRED: such calls did no work */
	bool fanout;			/* fanout: a start answers every end of its key */
	bool has_value;
	struct expr value;		/* value=EXPR, never a string */
	bool has_label;
	struct expr label;		/* by=[NAME:]EXPR */
	char label_name[OPS_NAME_MAX + 1];	/* what a label is ("client"), or "" */
	unsigned long long timeout_ns;	/* OPS_DEFAULT_TIMEOUT_NS unless set; 0 for count */
	bool timeout_set;
	bool count_only;		/* count: no latency */
	bool unmatched_set;
	bool ignore_unmatched;		/* unmatched=ignore: the end probe also ends
					 * other ops, its lone ends are not counted */
	unsigned int options_given;	/* bit i: the ith option of ops_options.c */
	const char *file;		/* owned by the ops_file */
	int line;
};

struct state_spec {
	char name[OPS_NAME_MAX + 1];
	struct probe_spec probe;	/* probe.key is the state value, always there */
	char *names[STATE_MAX_NAMES];	/* names[i]: the name of value values[i] */
	long long values[STATE_MAX_NAMES];	/* i, unless names= gave NAME:VALUE */
	int nr_names;
	const char *file;
	int line;
};

/* NAME=PATH: a process, by its executable; SEL:TARGET probes in it. */
struct selector {
	char name[OPS_NAME_MAX + 1];
	char *path;
	const char *file;
	int line;
};

/* Zero it before the first parse; one ops_file may take several files and --op lines. */
struct ops_file {
	struct op_spec *ops;
	size_t nr_ops;
	struct state_spec *states;
	size_t nr_states;
	struct selector *sels;
	size_t nr_sels;
	char **files;			/* file names the specs point to ("--op" for --op) */
	size_t nr_files;
	bool follow_children;		/* `children`: with -p, its descendants too */
};

/*
 * Parse one declaration (a comment or a blank line adds nothing) into f.
 * The op, state and selector that would pass OPS_MAX, OPS_STATES_MAX or
 * OPS_SELECTORS_MAX (counted over all of f) is an error on its own line.
 * file is the name for messages and op_spec.file (NULL: "--op"), lineno its
 * 1-based line (for --op, the index of the --op). Returns 0, or -EINVAL
 * (-ENOMEM) with one line "FILE:LINE: message" in err; no spec is then added.
 */
int ops_parse_line(struct ops_file *f, const char *line, const char *file, int lineno,
		   char *err, size_t errlen);

/*
 * Parse every line of path into f, stopping at the first error (f keeps the
 * lines before it). path must be a regular file of at most OPS_FILE_MAX
 * bytes (a FIFO or a device is refused without being read). Returns 0, or
 * -errno with one line in err: "FILE:LINE: message", or "FILE: No such file
 * or directory", "FILE: not a regular file ...", "FILE: too big ...".
 */
int ops_parse_file(struct ops_file *f, const char *path, char *err, size_t errlen);

void ops_file__free(struct ops_file *f);

#endif /* SYNCTRACE_OPS_SPEC_H */
