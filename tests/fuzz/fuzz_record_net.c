// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the socket rows a recording stores (schema 2:
 * net_rows and net_totals, read by record_net__load in output/record_net.c).
 * `report` reads files anyone may have written: the input becomes the
 * column values of up to 4 net_rows rows (NULL, small or large integers,
 * blobs, text) and 0 to 2 net_totals rows in an in-memory database whose
 * tables lack their NOT NULL constraints (a hand-made file may too); what
 * loads must be a frame every output can trust (kinds and sides known,
 * every histogram there and sound, each extra on a row of the frame).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/record_db.h"
#include "output/record_net.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_record_net: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#define NET_VALUES 60		/* net_rows' columns past frame */
#define NR_ROWS 8

struct input {
	const uint8_t *p, *end;
};

static unsigned int byte(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

/* The next value into parameter i of st: its kind from one byte. */
static void bind_next(sqlite3_stmt *st, int i, struct input *in)
{
	unsigned int kind = byte(in) % 5, n, k;
	uint64_t v = 0;

	switch (kind) {
	case 0:
		sqlite3_bind_null(st, i);
		break;
	case 1:		/* small: positions, kinds, sides near their ranges */
		sqlite3_bind_int64(st, i, (int8_t)byte(in));
		break;
	case 2:
		for (k = 0; k < 8; k++)
			v = v << 8 | byte(in);
		sqlite3_bind_int64(st, i, (sqlite3_int64)v);
		break;
	default:	/* a blob (bins) or a text */
		n = byte(in) % 64;
		if (n > (size_t)(in->end - in->p))
			n = (unsigned int)(in->end - in->p);
		if (kind == 3)
			sqlite3_bind_blob(st, i, in->p, (int)n, SQLITE_TRANSIENT);
		else
			sqlite3_bind_text(st, i, (const char *)in->p, (int)n, SQLITE_TRANSIENT);
		in->p += n;
		break;
	}
}

static sqlite3 *open_db(void)
{
	char *sql = strdup(record_schema_sql), *p;
	sqlite3 *db = NULL;

	CHECK(sql);
	while ((p = strstr(sql, " NOT NULL")))
		memmove(p, p + 9, strlen(p + 9) + 1);
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	free(sql);
	return db;
}

static void check_dist(const struct frame_dist *d)
{
	const struct histogram *h = d->h;
	uint64_t sum = 0;
	uint32_t i;

	CHECK(h);
	for (i = 0; i < h->nr; i++) {
		CHECK(h->bins[i].idx < HIST_NR_BUCKETS && h->bins[i].n);
		CHECK(!i || h->bins[i].idx > h->bins[i - 1].idx);
		sum += h->bins[i].n;
	}
	CHECK(sum == h->count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sqlite3 *db;
	struct input in = { data, data + size };
	struct frame_row rows[NR_ROWS];
	struct histogram lat[2 * NR_ROWS];
	const struct frame_net_totals *totals = (const void *)1;
	struct record_net n = { 0 };
	sqlite3_stmt *ins = NULL, *tot = NULL, *sel = NULL, *selt = NULL;
	unsigned int head = byte(&in), nr_rows = head % (NR_ROWS + 1), nr_net = (head >> 4) % 5;
	unsigned int i, c, nr_tot = byte(&in) % 3;
	int rc;

	if (!db)
		db = open_db();
	CHECK(sqlite3_exec(db, "DELETE FROM net_rows; DELETE FROM net_totals", NULL, NULL,
			   NULL) == SQLITE_OK);
	CHECK(!sqlite3_prepare_v2(db, record_net_row_sql, -1, &ins, NULL));
	CHECK(!sqlite3_prepare_v2(db, record_net_totals_sql, -1, &tot, NULL));
	for (i = 0; i < nr_net; i++) {
		sqlite3_bind_int64(ins, 1, 1);
		for (c = 0; c < NET_VALUES; c++)
			bind_next(ins, (int)c + 2, &in);
		sqlite3_step(ins);	/* a duplicate (frame, pos) is refused: fine */
		sqlite3_reset(ins);
	}
	for (i = 0; i < nr_tot; i++) {
		sqlite3_bind_int64(tot, 1, 1);
		for (c = 0; c < 6; c++)
			bind_next(tot, (int)c + 2, &in);
		sqlite3_step(tot);
		sqlite3_reset(tot);
	}
	/* the frame's rows: labelled as socket rows are, but for the one the input says */
	memset(rows, 0, sizeof(rows));
	memset(lat, 0, sizeof(lat));
	for (i = 0; i < nr_rows; i++) {
		rows[i].op = "GET /x";
		if (head & 8 && i == nr_rows - 1)
			continue;
		rows[i].has = FRAME_HAS_LABEL;
		rows[i].label.text = "200";
	}
	CHECK(!sqlite3_prepare_v2(db, record_net_rows_select, -1, &sel, NULL));
	CHECK(!sqlite3_prepare_v2(db, record_net_totals_select, -1, &selt, NULL));
	sqlite3_bind_int64(sel, 1, 1);
	sqlite3_bind_int64(selt, 1, 1);
	rc = record_net__load(&n, sel, selt, rows, nr_rows, lat, &totals);
	CHECK(rc == 0 || rc == -EINVAL || rc == -EIO || rc == -ENOMEM);
	if (!rc) {
		CHECK(n.nr <= nr_rows);
		CHECK(totals == NULL || totals == &n.totals);
		for (i = 0; i < n.nr; i++) {
			const struct frame_net *x = &n.v[i];

			CHECK(n.at[i] < nr_rows && rows[n.at[i]].net == x);
			CHECK(!i || n.at[i] > n.at[i - 1]);
			CHECK(rows[n.at[i]].latency.h && rows[n.at[i]].label.text);
			CHECK(x->kind <= FRAME_NET_PG_NOTIFY);
			CHECK(!strcmp(x->side, "server") || !strcmp(x->side, "client"));
			check_dist(&x->bytes_in);
			check_dist(&x->bytes_out);
			check_dist(&x->sse_s.first_event);
			check_dist(&x->sse_s.duration);
		}
	}
	record_net__free(&n);
	sqlite3_finalize(ins);
	sqlite3_finalize(tot);
	sqlite3_finalize(sel);
	sqlite3_finalize(selt);
	return 0;
}
