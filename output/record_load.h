/* SPDX-License-Identifier: MIT */
/*
 * Inside the reader of recordings: one stored frame read back with the
 * memory it points into (record_load.c), and the summary merged from such
 * frames (record_merge.c). Only record_read.c and the tests use it.
 */
#ifndef SYNCTRACE_OUTPUT_RECORD_LOAD_H
#define SYNCTRACE_OUTPUT_RECORD_LOAD_H

#include <stdbool.h>
#include <sqlite3.h>
#include "output/frame.h"
#include "output/record_net.h"

/* Strings a frame points into, freed together. */
struct record_strs {
	char **v;
	size_t nr, cap;
};

/* A series (what a row is about), read once. */
struct record_series {
	bool known;
	char *op, *target, *text, *name;
	unsigned int has;
	struct frame_label label;
};

/* A state machine's name and slot names. */
struct record_machine {
	bool known;
	char *name;
	int nr_names;
	char **names;
};

/* The series and machines of a recording by id (read again before each replay). */
struct record_dict {
	struct record_series *series;
	size_t nr_series;		/* ids 0 .. nr_series-1 (0 unused) */
	struct record_machine *machines;
	size_t nr_machines;
};

int record_dict__load(struct record_dict *d, sqlite3 *db);
void record_dict__free(struct record_dict *d);

struct record_frame {
	struct output_frame f;
	int64_t id;			/* frames.id: their order */
	struct frame_row *rows;
	int64_t *series;		/* each row's series id */
	struct histogram *hists;	/* 2 per row as read: latency, value */
	size_t nr_hists;		/* (rows may be filtered out later) */
	struct frame_op *ops;
	struct frame_state *states;
	struct state_rec *recs;
	struct frame_event *events;
	struct frame_count *drops;
	struct record_net net;		/* socket rows' extras (schema 2) */
	struct record_strs strs;
};

/* Statements a reader prepares once (record_load.c). */
struct record_stmts {
	sqlite3_stmt *rows, *ops, *states, *events, *drops;
	sqlite3_stmt *net_rows, *net_totals;	/* NULL before schema 2 */
};

/* For a recording of schema (record_db_schema). 0 or -EIO. */
int record_stmts__prepare(struct record_stmts *s, sqlite3 *db, int schema);
void record_stmts__free(struct record_stmts *s);

/*
 * The frame of the frames-table row st is on (a "SELECT * FROM frames"),
 * with everything it holds, source as given. 0, -EINVAL (a damaged row:
 * err says which), -ENOMEM, -EIO.
 */
int record_frame__load(struct record_frame *fr, struct record_stmts *s, sqlite3_stmt *st,
		       const struct record_dict *d, enum frame_source source, char *err,
		       size_t len);
void record_frame__free(struct record_frame *fr);

/* A copy of s kept with the frame; NULL stays NULL. NULL on ENOMEM with *oom set. */
char *record_strs__dup(struct record_strs *s, const char *text, bool *oom);
void record_strs__free(struct record_strs *s);

/* The summary of frames merged one by one. */
struct record_merge;

int record_merge__new(struct record_merge **m, enum frame_source source, bool latency);
/* f's numbers into the summary (f already filtered). 0 or -ENOMEM. */
int record_merge__add(struct record_merge *m, const struct record_frame *f);
/* The summary (valid until the merge is freed). 0 or -ENOMEM. */
int record_merge__frame(struct record_merge *m, const struct output_frame **f);
void record_merge__free(struct record_merge *m);

#endif /* SYNCTRACE_OUTPUT_RECORD_LOAD_H */
