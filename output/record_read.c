// SPDX-License-Identifier: MIT
/*
 * A recording read back (record_read.h): the run it was, and any range of
 * it replayed as interval frames and one merged summary into the outputs.
 * The whole replay reads one snapshot (a transaction): a recording still
 * being written is read as of the moment the replay starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "output/record_db.h"
#include "output/record_load.h"
#include "output/record_read.h"

struct record_reader {
	sqlite3 *db;
	char *path;
	struct run_info run;
	char *command, *host, *kernel;
	char **argv;
	struct run_binary *binaries;
	enum frame_source source;
	bool latency;
	int schema;			/* RECORD_SCHEMA_OLDEST .. RECORD_SCHEMA_VERSION */
	struct record_dict dict;
};

/* A phase's time: [start, end), end 0 = open. */
struct segment {
	int64_t start, end;
};

static int load_run(struct record_reader *r, char *err, size_t len)
{
	sqlite3_stmt *st = NULL;
	char *start = record_db_meta(r->db, "start_ns");
	size_t cap = 0;
	int rc;

	r->command = record_db_meta(r->db, "command");
	r->host = record_db_meta(r->db, "host");
	r->kernel = record_db_meta(r->db, "kernel");
	if (!r->command || !start) {
		free(start);
		snprintf(err, len, "%s: a recording without its run (damaged)", r->path);
		return -EINVAL;
	}
	r->run.start.tv_sec = (time_t)(strtoll(start, NULL, 10) / 1000000000);
	r->run.start.tv_nsec = (long)(strtoll(start, NULL, 10) % 1000000000);
	free(start);
	r->run.command = r->command;
	/* http and pg fill watch's frames (socket rows) */
	r->source = !strcmp(r->command, "watch") || !strcmp(r->command, "http") ||
		    !strcmp(r->command, "pg") ? FRAME_OPS : FRAME_CALLS;
	r->latency = !strcmp(r->command, "lat");
	rc = sqlite3_prepare_v2(r->db, "SELECT arg FROM args ORDER BY i", -1, &st, NULL);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **v;

		rc = 0;
		if ((size_t)r->run.argc + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			if (!(v = realloc(r->argv, cap * sizeof(*v)))) {
				rc = -ENOMEM;
				break;
			}
			r->argv = v;
		}
		{
			const char *a = (const char *)sqlite3_column_text(st, 0);

			r->argv[r->run.argc] = strdup(a ? a : "");
		}
		r->argv[++r->run.argc] = NULL;
	}
	sqlite3_finalize(st);
	st = NULL;
	cap = 0;
	if (rc == SQLITE_DONE)
		rc = sqlite3_prepare_v2(r->db, "SELECT path, build_id FROM binaries", -1, &st, NULL);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct run_binary *b;
		const char *p = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);

		rc = 0;
		if (r->run.nr_binaries == cap) {
			cap = cap ? cap * 2 : 8;
			if (!(b = realloc(r->binaries, cap * sizeof(*b)))) {
				rc = -ENOMEM;
				break;
			}
			r->binaries = b;
		}
		r->binaries[r->run.nr_binaries++] = (struct run_binary){
			strdup(p ? p : ""), strdup(id ? id : "") };
	}
	sqlite3_finalize(st);
	r->run.argv = r->argv;
	r->run.binaries = r->binaries;
	if (rc != SQLITE_DONE) {
		snprintf(err, len, "%s: cannot read the run: %s", r->path,
			 rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(r->db));
		return rc == -ENOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

int record_reader__open(struct record_reader **out, const char *path, char *err, size_t len)
{
	struct record_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r || !(r->path = strdup(path))) {
		free(r);
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	if ((rc = record_db_open(&r->db, path, SQLITE_OPEN_READONLY, err, len)) ||
	    (rc = load_run(r, err, len))) {
		record_reader__free(r);
		return rc;
	}
	r->schema = record_db_schema(r->db);
	*out = r;
	return 0;
}

const struct run_info *record_reader__run(const struct record_reader *r)
{
	return &r->run;
}

enum frame_source record_reader__source(const struct record_reader *r)
{
	return r->source;
}

const char *record_reader__meta(const struct record_reader *r, const char *key)
{
	if (!strcmp(key, "host"))
		return r->host ? r->host : "";
	if (!strcmp(key, "kernel"))
		return r->kernel ? r->kernel : "";
	return "";
}

/* The segments of the phase named name; -ENOENT (err lists the phases). */
static int phase_segments(struct record_reader *r, const char *name, struct segment **seg,
			  size_t *nr, char *err, size_t len)
{
	sqlite3_stmt *st = NULL;
	char names[256] = "";
	size_t n = 0, cap = 0, used = 0;
	int rc = sqlite3_prepare_v2(r->db, "SELECT name, start_ns FROM phases ORDER BY start_ns, id",
				    -1, &st, NULL);

	*seg = NULL;
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		int64_t start = sqlite3_column_int64(st, 1);

		rc = 0;
		if (n && !(*seg)[n - 1].end)
			(*seg)[n - 1].end = start;	/* the next mark ends it */
		if (p && used < sizeof(names) - 1 && !strstr(names, p))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 used ? ", " : "", p);
		if (!p || strcmp(p, name))
			continue;
		if (n == cap) {
			struct segment *s = realloc(*seg, (cap = cap ? cap * 2 : 4) * sizeof(*s));

			if (!s) {
				rc = -ENOMEM;
				break;
			}
			*seg = s;
		}
		(*seg)[n++] = (struct segment){ start, 0 };
	}
	sqlite3_finalize(st);
	*nr = n;
	if (rc != SQLITE_DONE) {
		snprintf(err, len, "%s: cannot read the phases: %s", r->path, sqlite3_errmsg(r->db));
		return rc == -ENOMEM ? -ENOMEM : -EIO;
	}
	if (!n) {
		snprintf(err, len, "%s: no phase '%s' (%s%s)", r->path, name,
			 used ? "phases: " : "no phase was marked", names);
		return -ENOENT;
	}
	return 0;
}

static bool in_phase(const struct segment *seg, size_t nr, int64_t t)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (t >= seg[i].start && (!seg[i].end || t < seg[i].end))
			return true;
	return false;
}

/* Only what range asks for: rows (op, label), ops, events. */
static void filter(struct record_frame *fr, const struct record_range *range)
{
	size_t i, n = 0;

	if (!range->op && !range->label)
		return;
	for (i = 0; i < fr->f.nr_rows; i++) {
		const struct frame_row *x = &fr->rows[i];

		if (range->op && strcmp(x->op, range->op) && (!x->target || strcmp(x->target, range->op)))
			continue;
		if (range->label && (!(x->has & FRAME_HAS_LABEL) || !x->label.text ||
				     strcmp(x->label.text, range->label)))
			continue;
		fr->series[n] = fr->series[i];
		fr->rows[n++] = *x;
	}
	fr->f.nr_rows = n;
	for (i = n = 0; range->op && i < fr->f.nr_ops; i++)
		if (!strcmp(fr->ops[i].op, range->op))
			fr->ops[n++] = fr->ops[i];
	if (range->op)
		fr->f.nr_ops = n;
	for (i = n = 0; i < fr->f.events.nr; i++) {
		const struct frame_event *e = &fr->events[i];

		if ((range->op && strcmp(e->op, range->op)) ||
		    (range->label && (!e->labelled || strcmp(e->label.text, range->label))))
			continue;
		fr->events[n++] = *e;
	}
	fr->f.events.nr = n;
}

static int replay(struct record_reader *r, const struct record_range *range,
		  struct outputs *outs, struct record_merge *m, char *err, size_t len)
{
	struct record_stmts s = { 0 };
	struct segment *seg = NULL;
	const struct output_frame *sum;
	struct output_frame summary;
	sqlite3_stmt *st = NULL;
	size_t nr_seg = 0;
	int rc;

	if (range->phase && (rc = phase_segments(r, range->phase, &seg, &nr_seg, err, len)))
		return rc;
	if ((rc = record_dict__load(&r->dict, r->db))) {
		snprintf(err, len, "%s: the recording's series are %s", r->path,
			 rc == -EINVAL ? "damaged" : "unreadable");
		goto cleanup;
	}
	if (record_stmts__prepare(&s, r->db, r->schema) ||
	    sqlite3_prepare_v2(r->db, "SELECT * FROM frames WHERE wall_ns >= ? AND wall_ns <= ?"
			       " ORDER BY id", -1, &st, NULL)) {
		snprintf(err, len, "%s: %s", r->path, sqlite3_errmsg(r->db));
		rc = -EIO;
		goto cleanup;
	}
	sqlite3_bind_int64(st, 1, range->since_ns ? range->since_ns : INT64_MIN);
	sqlite3_bind_int64(st, 2, range->until_ns ? range->until_ns : INT64_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct record_frame fr;

		if (seg && !in_phase(seg, nr_seg, sqlite3_column_int64(st, 1)))
			continue;
		rc = record_frame__load(&fr, &s, st, &r->dict, r->source, err, len);
		if (!rc) {
			filter(&fr, range);
			fr.f.shown = !range->hide_intervals;
			if ((rc = outputs__frame(outs, &fr.f)))
				snprintf(err, len, "cannot write an interval: %s", strerror(-rc));
			else if ((rc = record_merge__add(m, &fr)))
				snprintf(err, len, "out of memory");
		}
		record_frame__free(&fr);
		if (rc)
			goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, len, "%s: %s", r->path, sqlite3_errmsg(r->db));
		rc = -EIO;
		goto cleanup;
	}
	if ((rc = record_merge__frame(m, &sum))) {
		snprintf(err, len, "out of memory");
		goto cleanup;
	}
	summary = *sum;
	/* a range without intervals ends where it was asked to, or now */
	if (!summary.wall.tv_sec && !summary.wall.tv_nsec) {
		if (range->until_ns) {
			summary.wall.tv_sec = (time_t)(range->until_ns / 1000000000);
			summary.wall.tv_nsec = (long)(range->until_ns % 1000000000);
		} else {
			clock_gettime(CLOCK_REALTIME, &summary.wall);
		}
	}
	if ((rc = outputs__frame(outs, &summary)))
		snprintf(err, len, "cannot write the summary: %s", strerror(-rc));
cleanup:
	sqlite3_finalize(st);
	record_stmts__free(&s);
	free(seg);
	return rc;
}

int record_reader__replay(struct record_reader *r, const struct record_range *range,
			  struct outputs *outs, char *err, size_t len)
{
	struct record_merge *m = NULL;
	int rc;

	if (record_merge__new(&m, r->source, r->latency)) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	/* one snapshot of a recording that may still be growing */
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL)) {
		snprintf(err, len, "%s: %s", r->path, sqlite3_errmsg(r->db));
		record_merge__free(m);
		return -EIO;
	}
	rc = replay(r, range, outs, m, err, len);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	record_merge__free(m);
	return rc;
}

void record_reader__free(struct record_reader *r)
{
	size_t i;

	if (!r)
		return;
	record_dict__free(&r->dict);
	sqlite3_close(r->db);
	for (i = 0; i < (size_t)r->run.argc; i++)
		free(r->argv[i]);
	for (i = 0; i < r->run.nr_binaries; i++) {
		free((char *)r->binaries[i].path);
		free((char *)r->binaries[i].build_id);
	}
	free(r->argv);
	free(r->binaries);
	free(r->command);
	free(r->host);
	free(r->kernel);
	free(r->path);
	free(r);
}

int record_mark(const char *path, const char *name, int64_t wall_ns, char *err, size_t len)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int rc;

	if ((rc = record_db_open(&db, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, err, len)))
		return rc;
	rc = sqlite3_prepare_v2(db, "INSERT INTO phases VALUES(NULL, ?, ?)", -1, &st, NULL);
	if (!rc) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, wall_ns);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : 1;
	}
	if (rc)
		snprintf(err, len, "%s: cannot mark the phase: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc ? -EIO : 0;
}
