/* SPDX-License-Identifier: MIT */
/*
 * A socket row kept whole in a recording (schema 2): what `http`, `pg` and
 * watch --profile http|pg put in frame_row.net and output_frame.net, into
 * the net_rows and net_totals tables (record.c writes, record_load.c reads
 * through these). A schema-1 recording simply has none.
 */
#ifndef SYNCTRACE_OUTPUT_RECORD_NET_H
#define SYNCTRACE_OUTPUT_RECORD_NET_H

#include <stddef.h>
#include <sqlite3.h>
#include "output/frame.h"

/* The writer's inserts: a net_rows row, a net_totals row. */
extern const char record_net_row_sql[];
extern const char record_net_totals_sql[];

/* n (the row at frame, pos) bound to record_net_row_sql's statement; blob:
 * RECORD_BINS_MAX bytes of scratch. */
void record_net_bind_row(sqlite3_stmt *st, sqlite3_int64 frame, size_t pos,
			 const struct frame_net *n, unsigned char *blob);
void record_net_bind_totals(sqlite3_stmt *st, sqlite3_int64 frame,
			    const struct frame_net_totals *t);

/* The reader's selects (bind the frame's id as 1). */
extern const char record_net_rows_select[];
extern const char record_net_totals_select[];

/* What one frame's socket extras take (inside struct record_frame). */
struct record_net {
	struct frame_net *v;
	struct histogram *hists;	/* 4 per row: bytes in, out, SSE first event, duration */
	size_t *at;			/* the frame row each is of */
	size_t nr;
	struct frame_net_totals totals;
};

/*
 * The net_rows of the frame rows_st is bound to onto rows[0 .. nr_rows)
 * (each rows[pos].net; a socket row's latency.h made non-NULL: lat_hists
 * holds 2 histograms a row, latency first), then its net_totals into
 * *totals (NULL when none). 0, -EINVAL (damaged), -ENOMEM, -EIO.
 */
int record_net__load(struct record_net *n, sqlite3_stmt *rows_st, sqlite3_stmt *totals_st,
		     struct frame_row *rows, size_t nr_rows, struct histogram *lat_hists,
		     const struct frame_net_totals **totals);
void record_net__free(struct record_net *n);

#endif /* SYNCTRACE_OUTPUT_RECORD_NET_H */
