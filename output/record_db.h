/* SPDX-License-Identifier: MIT */
/*
 * What the writer (record.c, record_net.c) and the reader (record_read.c,
 * record_load.c) of a recording share: the schema (README "Recording"
 * documents it), its version, the packing of histogram buckets into BLOBs
 * and a distribution's columns.
 */
#ifndef SYNCTRACE_OUTPUT_RECORD_DB_H
#define SYNCTRACE_OUTPUT_RECORD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "maps/hist.h"
#include "output/frame.h"

/* PRAGMA user_version and meta 'schema': bumped on any change of meaning. */
#define RECORD_SCHEMA_VERSION 2
/* The oldest schema this build still reads (schema 1: no socket extras). */
#define RECORD_SCHEMA_OLDEST 1
/* meta 'format': tells a recording from any other SQLite file. */
#define RECORD_FORMAT "synctrace-record"
/* How long a writer waits for another (synctrace and `mark`), ms. */
#define RECORD_BUSY_MS 5000

extern const char record_schema_sql[];

/*
 * Open an existing recording (flags: SQLITE_OPEN_READONLY or _READWRITE),
 * checking that it is one and of a schema this build reads. 0, or -errno
 * with one line in err.
 */
int record_db_open(sqlite3 **db, const char *path, int flags, char *err, size_t len);
/* The schema of an open recording (PRAGMA user_version), -1 when unreadable. */
int record_db_schema(sqlite3 *db);
/* A meta value (malloc'd), or NULL. */
char *record_db_meta(sqlite3 *db, const char *key);

/*
 * The bins of h into out, as pairs of LEB128 varints: the bucket index's
 * step from the previous bin's (the first: the index itself), then the
 * count. Returns the bytes written (at most RECORD_BINS_MAX).
 */
size_t record_bins_pack(const struct histogram *h, unsigned char *out);
#define RECORD_BINS_MAX (HIST_NR_BUCKETS * 2 * 10)
/* h's bins from such a blob: its count from them. 0, -EINVAL (bad blob), -ENOMEM. */
int record_bins_unpack(struct histogram *h, const void *blob, size_t len);

/*
 * A distribution's 8 columns from i: count, sum, sum_hi, hmin, hmax, min,
 * max, bins (all NULL without one: has false or no histogram). blob holds
 * RECORD_BINS_MAX bytes.
 */
void record_db_bind_dist(sqlite3_stmt *st, int i, const struct frame_dist *d, bool has,
			 unsigned char *blob);
/*
 * Those columns back into d and h (h's bins replaced; d->h = h, or NULL
 * when the columns are NULL): every blob checked, a count that is not the
 * bins' sum refused. 0 or -EINVAL.
 */
int record_db_load_dist(sqlite3_stmt *st, int i, struct frame_dist *d, struct histogram *h);

/* u64 <-> SQLite's signed 64-bit integers, bit for bit. */
static inline sqlite3_int64 record_i64(uint64_t v)
{
	return (sqlite3_int64)v;
}

#endif /* SYNCTRACE_OUTPUT_RECORD_DB_H */
