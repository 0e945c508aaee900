// SPDX-License-Identifier: MIT
/* A recording's schema and the helpers its writer and readers share (record_db.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/record_db.h"

/*
 * Version 1. Unsigned 64-bit counters are stored in SQLite's signed 64-bit
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
	" n INTEGER NOT NULL, PRIMARY KEY(frame, pos)) WITHOUT ROWID;";

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
	} else if (version != RECORD_SCHEMA_VERSION) {
		snprintf(err, len, "%s: a recording of schema %d; this synctrace reads schema %d",
			 path, version, RECORD_SCHEMA_VERSION);
		rc = -EPROTONOSUPPORT;
	}
	free(format);
	return rc;
}

int record_db_open(sqlite3 **db, const char *path, int flags, char *err, size_t len)
{
	int rc = sqlite3_open_v2(path, db, flags, NULL);

	if (rc) {
		snprintf(err, len, "%s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return rc == SQLITE_CANTOPEN ? -ENOENT : -EIO;
	}
	sqlite3_busy_timeout(*db, RECORD_BUSY_MS);
	sqlite3_extended_result_codes(*db, 0);
	if ((rc = check(*db, path, err, len))) {
		sqlite3_close(*db);
		*db = NULL;
	}
	return rc;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void record_bins_pack(const struct histogram *h, unsigned char *out)
{
	uint32_t i;

	for (i = 0; i < h->nr; i++, out += RECORD_BIN_BYTES) {
		put_le(out, h->bins[i].idx, 4);
		put_le(out + 4, h->bins[i].n, 8);
	}
}

int record_bins_unpack(struct histogram *h, const void *blob, size_t len)
{
	const unsigned char *p = blob;
	size_t i, nr = len / RECORD_BIN_BYTES;

	free(h->bins);
	h->bins = NULL;
	h->nr = 0;
	h->count = 0;
	if (len % RECORD_BIN_BYTES || nr > HIST_NR_BUCKETS)
		return -EINVAL;
	if (!nr)
		return 0;
	if (!(h->bins = calloc(nr, sizeof(*h->bins))))
		return -ENOMEM;
	for (i = 0; i < nr; i++, p += RECORD_BIN_BYTES) {
		h->bins[i].idx = (uint32_t)get_le(p, 4);
		h->bins[i].n = get_le(p + 4, 8);
		/* sorted, in range, non-empty: what maps/hist.c relies on */
		if (h->bins[i].idx >= HIST_NR_BUCKETS || !h->bins[i].n ||
		    (i && h->bins[i].idx <= h->bins[i - 1].idx)) {
			free(h->bins);
			h->bins = NULL;
			h->nr = 0;
			h->count = 0;
			return -EINVAL;
		}
		h->count += h->bins[i].n;
		h->nr = (uint32_t)(i + 1);
	}
	return 0;
}
