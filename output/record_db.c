// SPDX-License-Identifier: MIT
/* A recording's schema and the helpers its writer and readers share (record_db.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "output/record_db.h"

/* A distribution's 8 columns, as rows' lat_* (record_db_bind_dist). */
#define DIST(p) " " p "_count INTEGER, " p "_sum INTEGER, " p "_sum_hi INTEGER, " p "_hmin INTEGER," \
	" " p "_hmax INTEGER, " p "_min INTEGER, " p "_max INTEGER, " p "_bins BLOB,"
#define WS_DIR(p) " " p "_cont INTEGER NOT NULL, " p "_text INTEGER NOT NULL," \
	" " p "_binary INTEGER NOT NULL, " p "_close INTEGER NOT NULL, " p "_ping INTEGER NOT NULL," \
	" " p "_pong INTEGER NOT NULL,"

/*
 * Version 2 (1 + net_rows and net_totals: a socket row kept whole). Unsigned 64-bit counters are stored in SQLite's signed 64-bit
 * integers bit for bit (read them back as unsigned). Times are ns since the
 * epoch (CLOCK_REALTIME). NULL: "not there" (a histogram without extremes,
 * an event without a return value, ...).
 */
const char record_schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE args(i INTEGER PRIMARY KEY, arg TEXT NOT NULL);"
	"CREATE TABLE binaries(path TEXT NOT NULL, build_id TEXT NOT NULL);"
	"CREATE TABLE phases(id INTEGER PRIMARY KEY, name TEXT NOT NULL, start_ns INTEGER NOT NULL);"
	/* what a row is about: written once, when first seen */
	"CREATE TABLE series(id INTEGER PRIMARY KEY, op TEXT NOT NULL, target TEXT,"
	" has INTEGER NOT NULL, label_kind INTEGER NOT NULL, label_is_string INTEGER NOT NULL,"
	" label_number INTEGER NOT NULL, label_text TEXT, label_name TEXT);"
	"CREATE TABLE frames(id INTEGER PRIMARY KEY, wall_ns INTEGER NOT NULL,"
	" interval_s REAL NOT NULL, latency INTEGER NOT NULL, shown INTEGER NOT NULL,"
	" mono_to_real_ns INTEGER NOT NULL, nr_machines INTEGER NOT NULL,"
	" probes_attached INTEGER NOT NULL, events_present INTEGER NOT NULL,"
	" ev_errors INTEGER NOT NULL, ev_slow INTEGER NOT NULL, ev_timeouts INTEGER NOT NULL,"
	" ev_lost INTEGER NOT NULL);"
	"CREATE INDEX frames_wall ON frames(wall_ns);"
	/* a row of a frame, in the frame's order (pos); histograms: count, the
	 * 128-bit sum, the histogram's extremes (hmin/hmax), the frame's
	 * (min/max) and the bins blob */
	"CREATE TABLE rows(frame INTEGER NOT NULL, pos INTEGER NOT NULL, series INTEGER NOT NULL,"
	" count INTEGER NOT NULL, errors INTEGER NOT NULL, would_block INTEGER NOT NULL,"
	" timeouts INTEGER NOT NULL, inflight INTEGER NOT NULL, unmatched INTEGER NOT NULL,"
	" lat_count INTEGER, lat_sum INTEGER, lat_sum_hi INTEGER, lat_hmin INTEGER,"
	" lat_hmax INTEGER, lat_min INTEGER, lat_max INTEGER, lat_bins BLOB,"
	" val_count INTEGER, val_sum INTEGER, val_sum_hi INTEGER, val_hmin INTEGER,"
	" val_hmax INTEGER, val_min INTEGER, val_max INTEGER, val_bins BLOB,"
	" PRIMARY KEY(frame, pos)) WITHOUT ROWID;"
	"CREATE TABLE ops(frame INTEGER NOT NULL, idx INTEGER NOT NULL, op TEXT NOT NULL,"
	" has INTEGER NOT NULL, paired INTEGER NOT NULL, labelled INTEGER NOT NULL,"
	" unmatched INTEGER NOT NULL, restarts INTEGER NOT NULL, labels INTEGER NOT NULL,"
	" label_overflow INTEGER NOT NULL, PRIMARY KEY(frame, idx)) WITHOUT ROWID;"
	/* slot names joined by newlines */
	"CREATE TABLE machines(id INTEGER PRIMARY KEY, name TEXT NOT NULL, names TEXT NOT NULL);"
	/* rec: maps/ops.h's struct state_rec as little-endian u64s */
	"CREATE TABLE states(frame INTEGER NOT NULL, pos INTEGER NOT NULL,"
	" machine INTEGER NOT NULL, pid INTEGER NOT NULL, current INTEGER NOT NULL,"
	" rec BLOB NOT NULL, PRIMARY KEY(frame, pos)) WITHOUT ROWID;"
	"CREATE TABLE events(frame INTEGER NOT NULL, pos INTEGER NOT NULL,"
	" wall_ns INTEGER NOT NULL, op TEXT NOT NULL, kind INTEGER NOT NULL, slow INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, tid INTEGER NOT NULL, ret INTEGER, error_value INTEGER,"
	" error_name TEXT, label_kind INTEGER, label_is_string INTEGER, label_number INTEGER,"
	" label_text TEXT, label_name TEXT, latency_ns INTEGER NOT NULL,"
	" PRIMARY KEY(frame, pos)) WITHOUT ROWID;"
	"CREATE TABLE drops(frame INTEGER NOT NULL, pos INTEGER NOT NULL, name TEXT NOT NULL,"
	" n INTEGER NOT NULL, PRIMARY KEY(frame, pos)) WITHOUT ROWID;"
	/* what a socket row (the rows row at the same frame and pos) has beside
	 * the common numbers: output/frame.h's struct frame_net; kind 0 http,
	 * 1 pg_query, 2 pg_error, 3 pg_notify; side 0 server, 1 client */
	"CREATE TABLE net_rows(frame INTEGER NOT NULL, pos INTEGER NOT NULL, kind INTEGER NOT NULL,"
	" side INTEGER NOT NULL, client_errors INTEGER NOT NULL, rows INTEGER NOT NULL,"
	DIST("bin") DIST("bout")
	" sse INTEGER NOT NULL, sse_opened INTEGER NOT NULL, sse_closed INTEGER NOT NULL,"
	" sse_events INTEGER NOT NULL, sse_open INTEGER NOT NULL," DIST("sse_first") DIST("sse_dur")
	" ws INTEGER NOT NULL, ws_opened INTEGER NOT NULL, ws_closed INTEGER NOT NULL,"
	" ws_open INTEGER NOT NULL," WS_DIR("ws_in") WS_DIR("ws_out")
	" ws_bytes_in INTEGER NOT NULL, ws_bytes_out INTEGER NOT NULL,"
	" PRIMARY KEY(frame, pos)) WITHOUT ROWID;"
	/* a frame's socket totals (output/frame.h's struct frame_net_totals) */
	"CREATE TABLE net_totals(frame INTEGER PRIMARY KEY, ops INTEGER NOT NULL,"
	" op_overflow INTEGER NOT NULL, labels INTEGER NOT NULL, label_overflow INTEGER NOT NULL,"
	" conns_opened INTEGER NOT NULL, conns_closed INTEGER NOT NULL);";

char *record_db_meta(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL))
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static int check(sqlite3 *db, const char *path, char *err, size_t len)
{
	sqlite3_stmt *st = NULL;
	char *format = NULL;
	int version = -1, rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0), rc = 0;
	sqlite3_finalize(st);
	if (rc) {
		snprintf(err, len, "%s: not a synctrace recording (%s)", path, sqlite3_errmsg(db));
		return -EINVAL;
	}
	format = record_db_meta(db, "format");
	rc = 0;
	if (!format || strcmp(format, RECORD_FORMAT)) {
		snprintf(err, len, "%s: not a synctrace recording", path);
		rc = -EINVAL;
	} else if (version < RECORD_SCHEMA_OLDEST || version > RECORD_SCHEMA_VERSION) {
		snprintf(err, len, "%s: a recording of schema %d; this synctrace reads schemas %d to %d",
			 path, version, RECORD_SCHEMA_OLDEST, RECORD_SCHEMA_VERSION);
		rc = -EPROTONOSUPPORT;
	}
	free(format);
	return rc;
}

int record_db_schema(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int version = -1;

	if (!sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version;
}

int record_db_open(sqlite3 **db, const char *path, int flags, char *err, size_t len)
{
	struct stat st;
	int rc;

	/* SQLite would say "unable to open database file" for all of these */
	*db = NULL;
	if (stat(path, &st)) {
		rc = -errno;
		snprintf(err, len, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s: not a synctrace recording (not a file)", path);
		return -EINVAL;
	}
	rc = sqlite3_open_v2(path, db, flags, NULL);

	if (rc) {
		snprintf(err, len, "%s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return rc == SQLITE_CANTOPEN ? -ENOENT : -EIO;
	}
	sqlite3_busy_timeout(*db, RECORD_BUSY_MS);
	sqlite3_extended_result_codes(*db, 0);
	/* anyone could have made the file: no schema (views, triggers) runs
	 * functions with side effects, and no write can corrupt it further */
	sqlite3_db_config(*db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if ((rc = check(*db, path, err, len))) {
		sqlite3_close(*db);
		*db = NULL;
	}
	return rc;
}

/* LEB128: 7 bits a byte, low first, the high bit set on all but the last. */
static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* The varint at *p (up to end) into *v; NULL when cut short or too long. */
static const unsigned char *get_varint(const unsigned char *p, const unsigned char *end,
				       uint64_t *v)
{
	unsigned int shift;

	*v = 0;
	for (shift = 0; p < end && shift < 64; shift += 7) {
		*v |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p++ & 0x80))
			return p;
	}
	return NULL;
}

size_t record_bins_pack(const struct histogram *h, unsigned char *out)
{
	uint32_t i, prev = 0;
	size_t n = 0;

	for (i = 0; i < h->nr; i++) {
		n += put_varint(out + n, h->bins[i].idx - prev);
		n += put_varint(out + n, h->bins[i].n);
		prev = h->bins[i].idx;
	}
	return n;
}

int record_bins_unpack(struct histogram *h, const void *blob, size_t len)
{
	/* SQLite hands an empty blob as NULL: no offset on it, not even 0 */
	const unsigned char *p = blob, *end = p ? p + len : p;
	uint64_t delta, n, idx = 0;
	size_t cap = 0;

	free(h->bins);
	h->bins = NULL;
	h->nr = 0;
	h->count = 0;
	while (p < end) {
		if (!(p = get_varint(p, end, &delta)) || !(p = get_varint(p, end, &n)))
			goto bad;
		/* sorted, in range, non-empty: what maps/hist.c relies on (a step
		 * past the buckets is refused before it can wrap idx around) */
		if (delta >= HIST_NR_BUCKETS || (h->nr && !delta) || !n || h->count + n < n)
			goto bad;
		idx += delta;
		if (idx >= HIST_NR_BUCKETS)
			goto bad;
		if (h->nr == cap) {
			struct hist_bin *b = realloc(h->bins, (cap = cap ? cap * 2 : 16) * sizeof(*b));

			if (!b) {
				hist_free(h);
				return -ENOMEM;
			}
			h->bins = b;
		}
		h->bins[h->nr++] = (struct hist_bin){ .idx = (uint32_t)idx, .n = n };
		h->count += n;
	}
	return 0;
bad:
	free(h->bins);
	h->bins = NULL;
	h->nr = 0;
	h->count = 0;
	return -EINVAL;
}

void record_db_bind_dist(sqlite3_stmt *st, int i, const struct frame_dist *d, bool has,
			 unsigned char *blob)
{
	const struct histogram *h = d->h;
	int k;

	if (!has || !h) {
		for (k = 0; k < 8; k++)
			sqlite3_bind_null(st, i + k);
		return;
	}
	sqlite3_bind_int64(st, i, record_i64(h->count));
	sqlite3_bind_int64(st, i + 1, record_i64(h->sum));
	sqlite3_bind_int64(st, i + 2, record_i64(h->sum_hi));
	if (h->has_extrema) {
		sqlite3_bind_int64(st, i + 3, record_i64(h->min));
		sqlite3_bind_int64(st, i + 4, record_i64(h->max));
	}
	if (d->has_min)
		sqlite3_bind_int64(st, i + 5, record_i64(d->min));
	if (d->has_max)
		sqlite3_bind_int64(st, i + 6, record_i64(d->max));
	sqlite3_bind_blob(st, i + 7, blob, (int)record_bins_pack(h, blob), SQLITE_TRANSIENT);
}

static bool col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	return (uint64_t)sqlite3_column_int64(st, i);
}

int record_db_load_dist(sqlite3_stmt *st, int i, struct frame_dist *d, struct histogram *h)
{
	memset(d, 0, sizeof(*d));
	if (col_null(st, i))
		return 0;
	if (record_bins_unpack(h, sqlite3_column_blob(st, i + 7),
			       (size_t)sqlite3_column_bytes(st, i + 7)))
		return -EINVAL;
	if (h->count != col_u64(st, i))
		return -EINVAL;
	h->sum = col_u64(st, i + 1);
	h->sum_hi = col_u64(st, i + 2);
	h->has_extrema = !col_null(st, i + 3);
	h->min = col_u64(st, i + 3);
	h->max = col_u64(st, i + 4);
	d->has_min = !col_null(st, i + 5);
	d->min = col_u64(st, i + 5);
	d->has_max = !col_null(st, i + 6);
	d->max = col_u64(st, i + 6);
	d->h = h;
	return 0;
}
