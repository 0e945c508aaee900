// SPDX-License-Identifier: MIT
/*
 * Socket rows kept whole in a recording (record_net.h): frame_net and the
 * frame's net totals into net_rows / net_totals, and back, every value
 * checked as record_load.c checks the rest (a damaged file is an error,
 * never a crash: the outputs then trust every pointer of the frame).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/record_db.h"
#include "output/record_net.h"

#define DIST(p) " " p "_count, " p "_sum, " p "_sum_hi, " p "_hmin, " p "_hmax, " p "_min," \
	" " p "_max, " p "_bins,"
#define WS_DIR(p) " " p "_cont, " p "_text, " p "_binary, " p "_close, " p "_ping, " p "_pong,"

/* The columns in the order of the table (record_db.c), so the insert binds them by place. */
#define NET_COLS "pos, kind, side, client_errors, rows," DIST("bin") DIST("bout") \
	" sse, sse_opened, sse_closed, sse_events, sse_open," DIST("sse_first") DIST("sse_dur") \
	" ws, ws_opened, ws_closed, ws_open," WS_DIR("ws_in") WS_DIR("ws_out") \
	" ws_bytes_in, ws_bytes_out"
#define NET_NR_COLS 61		/* frame and the 60 above */

const char record_net_row_sql[] =
	"INSERT INTO net_rows VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
const char record_net_totals_sql[] = "INSERT INTO net_totals VALUES(?,?,?,?,?,?,?)";
const char record_net_rows_select[] = "SELECT " NET_COLS " FROM net_rows WHERE frame = ?"
				      " ORDER BY pos";
const char record_net_totals_select[] = "SELECT ops, op_overflow, labels, label_overflow,"
					" conns_opened, conns_closed FROM net_totals WHERE frame = ?";

/* Columns of the select (the insert's parameters are these + 2: frame first, 1-based). */
enum {
	C_POS, C_KIND, C_SIDE, C_CLIENT_ERRORS, C_ROWS, C_BIN, C_BOUT = C_BIN + 8,
	C_SSE = C_BOUT + 8, C_SSE_OPENED, C_SSE_CLOSED, C_SSE_EVENTS, C_SSE_OPEN, C_SSE_FIRST,
	C_SSE_DUR = C_SSE_FIRST + 8, C_WS = C_SSE_DUR + 8, C_WS_OPENED, C_WS_CLOSED, C_WS_OPEN,
	C_WS_IN, C_WS_OUT = C_WS_IN + FRAME_WS_OPCODES, C_WS_BYTES_IN = C_WS_OUT + FRAME_WS_OPCODES,
	C_WS_BYTES_OUT, C_NR,
};
_Static_assert(C_NR + 1 == NET_NR_COLS, "net_rows: a column for each field");

static void bind_u64(sqlite3_stmt *st, int col, uint64_t v)
{
	sqlite3_bind_int64(st, col + 2, record_i64(v));
}

void record_net_bind_row(sqlite3_stmt *st, sqlite3_int64 frame, size_t pos,
			 const struct frame_net *n, unsigned char *blob)
{
	int i;

	sqlite3_bind_int64(st, 1, frame);
	bind_u64(st, C_POS, pos);
	bind_u64(st, C_KIND, (uint64_t)n->kind);
	bind_u64(st, C_SIDE, n->side && !strcmp(n->side, "client"));
	bind_u64(st, C_CLIENT_ERRORS, n->client_errors);
	bind_u64(st, C_ROWS, n->rows);
	/* SQLITE_TRANSIENT copies each blob: one scratch serves every dist */
	record_db_bind_dist(st, C_BIN + 2, &n->bytes_in, true, blob);
	record_db_bind_dist(st, C_BOUT + 2, &n->bytes_out, true, blob);
	bind_u64(st, C_SSE, n->sse);
	bind_u64(st, C_SSE_OPENED, n->sse_s.opened);
	bind_u64(st, C_SSE_CLOSED, n->sse_s.closed);
	bind_u64(st, C_SSE_EVENTS, n->sse_s.events);
	bind_u64(st, C_SSE_OPEN, n->sse_s.open);
	record_db_bind_dist(st, C_SSE_FIRST + 2, &n->sse_s.first_event, true, blob);
	record_db_bind_dist(st, C_SSE_DUR + 2, &n->sse_s.duration, true, blob);
	bind_u64(st, C_WS, n->ws);
	bind_u64(st, C_WS_OPENED, n->ws_s.opened);
	bind_u64(st, C_WS_CLOSED, n->ws_s.closed);
	bind_u64(st, C_WS_OPEN, n->ws_s.open);
	for (i = 0; i < FRAME_WS_OPCODES; i++) {
		bind_u64(st, C_WS_IN + i, n->ws_s.frames_in[i]);
		bind_u64(st, C_WS_OUT + i, n->ws_s.frames_out[i]);
	}
	bind_u64(st, C_WS_BYTES_IN, n->ws_s.bytes_in);
	bind_u64(st, C_WS_BYTES_OUT, n->ws_s.bytes_out);
}

void record_net_bind_totals(sqlite3_stmt *st, sqlite3_int64 frame,
			    const struct frame_net_totals *t)
{
	sqlite3_bind_int64(st, 1, frame);
	sqlite3_bind_int64(st, 2, record_i64(t->ops));
	sqlite3_bind_int64(st, 3, record_i64(t->op_overflow));
	sqlite3_bind_int64(st, 4, record_i64(t->labels));
	sqlite3_bind_int64(st, 5, record_i64(t->label_overflow));
	sqlite3_bind_int64(st, 6, record_i64(t->conns_opened));
	sqlite3_bind_int64(st, 7, record_i64(t->conns_closed));
}

static uint64_t col_u64(sqlite3_stmt *st, int col)
{
	return (uint64_t)sqlite3_column_int64(st, col);
}

/* One net_rows row into n (its dists into h[0..3], still to be pointed at). */
static int load_one(sqlite3_stmt *st, struct frame_net *n, struct histogram *h)
{
	int64_t kind = sqlite3_column_int64(st, C_KIND), side = sqlite3_column_int64(st, C_SIDE);
	int i;

	if (kind < FRAME_NET_HTTP || kind > FRAME_NET_PG_NOTIFY || side < 0 || side > 1)
		return -EINVAL;
	n->kind = (enum frame_net_kind)kind;
	n->side = side ? "client" : "server";
	n->client_errors = col_u64(st, C_CLIENT_ERRORS);
	n->rows = col_u64(st, C_ROWS);
	n->sse = sqlite3_column_int64(st, C_SSE) != 0;
	n->sse_s.opened = col_u64(st, C_SSE_OPENED);
	n->sse_s.closed = col_u64(st, C_SSE_CLOSED);
	n->sse_s.events = col_u64(st, C_SSE_EVENTS);
	n->sse_s.open = col_u64(st, C_SSE_OPEN);
	n->ws = sqlite3_column_int64(st, C_WS) != 0;
	n->ws_s.opened = col_u64(st, C_WS_OPENED);
	n->ws_s.closed = col_u64(st, C_WS_CLOSED);
	n->ws_s.open = col_u64(st, C_WS_OPEN);
	for (i = 0; i < FRAME_WS_OPCODES; i++) {
		n->ws_s.frames_in[i] = col_u64(st, C_WS_IN + i);
		n->ws_s.frames_out[i] = col_u64(st, C_WS_OUT + i);
	}
	n->ws_s.bytes_in = col_u64(st, C_WS_BYTES_IN);
	n->ws_s.bytes_out = col_u64(st, C_WS_BYTES_OUT);
	if (record_db_load_dist(st, C_BIN, &n->bytes_in, &h[0]) ||
	    record_db_load_dist(st, C_BOUT, &n->bytes_out, &h[1]) ||
	    record_db_load_dist(st, C_SSE_FIRST, &n->sse_s.first_event, &h[2]) ||
	    record_db_load_dist(st, C_SSE_DUR, &n->sse_s.duration, &h[3]))
		return -EINVAL;
	return 0;
}

static int load_rows(struct record_net *n, sqlite3_stmt *st, size_t nr_rows,
		     const struct frame_row *rows)
{
	size_t cap = 0;
	int64_t last = -1;
	int rc, err;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t pos = sqlite3_column_int64(st, C_POS);

		/* at most one per row of the frame, in order; a socket row has its label's text */
		if (pos <= last || pos < 0 || (uint64_t)pos >= nr_rows ||
		    !(rows[pos].has & FRAME_HAS_LABEL) || !rows[pos].label.text)
			return -EINVAL;
		last = pos;
		if (n->nr == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct frame_net *v = realloc(n->v, c * sizeof(*v));
			struct histogram *h = NULL;
			size_t *at = NULL;

			if (v)
				n->v = v;
			if (v && (h = realloc(n->hists, 4 * c * sizeof(*h))))
				n->hists = h;
			if (h && (at = realloc(n->at, c * sizeof(*at))))
				n->at = at;
			if (!at)
				return -ENOMEM;
			memset(n->v + cap, 0, (c - cap) * sizeof(*v));
			memset(n->hists + 4 * cap, 0, 4 * (c - cap) * sizeof(*h));
			cap = c;
		}
		n->at[n->nr] = (size_t)pos;
		err = load_one(st, &n->v[n->nr], &n->hists[4 * n->nr]);
		n->nr++;	/* its histograms are freed with n from here */
		if (err)
			return err;
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int load_totals(struct record_net *n, sqlite3_stmt *st,
		       const struct frame_net_totals **totals)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -EIO;
	n->totals = (struct frame_net_totals){
		.ops = col_u64(st, 0), .op_overflow = col_u64(st, 1), .labels = col_u64(st, 2),
		.label_overflow = col_u64(st, 3), .conns_opened = col_u64(st, 4),
		.conns_closed = col_u64(st, 5),
	};
	*totals = &n->totals;
	/* frame is the table's key: a second row is a hand-made table */
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -EINVAL : -EIO;
}

int record_net__load(struct record_net *n, sqlite3_stmt *rows_st, sqlite3_stmt *totals_st,
		     struct frame_row *rows, size_t nr_rows, struct histogram *lat_hists,
		     const struct frame_net_totals **totals)
{
	size_t i;
	int rc;

	*totals = NULL;
	if ((rc = load_rows(n, rows_st, nr_rows, rows)))
		return rc;
	/* the arrays have stopped moving: point at them. Every histogram a
	 * socket row has is there (empty when none was stored), as live */
	for (i = 0; i < n->nr; i++) {
		struct frame_net *x = &n->v[i];
		struct frame_row *r = &rows[n->at[i]];

		x->bytes_in.h = &n->hists[4 * i];
		x->bytes_out.h = &n->hists[4 * i + 1];
		x->sse_s.first_event.h = &n->hists[4 * i + 2];
		x->sse_s.duration.h = &n->hists[4 * i + 3];
		if (!r->latency.h)
			r->latency.h = &lat_hists[2 * n->at[i]];
		r->net = x;
	}
	return load_totals(n, totals_st, totals);
}

void record_net__free(struct record_net *n)
{
	size_t i;

	for (i = 0; i < 4 * n->nr; i++)
		hist_free(&n->hists[i]);
	free(n->v);
	free(n->hists);
	free(n->at);
	memset(n, 0, sizeof(*n));
}
