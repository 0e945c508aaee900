// SPDX-License-Identifier: MIT
/*
 * --record FILE.db: every interval's frame into SQLite (schema in
 * record_db.c, README "Recording"), one transaction per interval in WAL
 * mode, so that a synctrace killed at any moment leaves a database with
 * every interval committed before it. What stays in memory is bounded by
 * the rows the kernel tables can hold: each series (op, target, label) and
 * state machine gets an id once; frames are written and forgotten.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "output/open.h"
#include "output/record_db.h"
#include "output/record_net.h"
#include "output/record_run.h"

enum {
	ST_FRAME, ST_SERIES, ST_ROW, ST_OP, ST_MACHINE, ST_STATE, ST_EVENT, ST_DROP, ST_NET_ROW,
	ST_NET_TOTALS, ST_NR
};

static const char *const stmt_sql[ST_NR] = {
	[ST_FRAME] = "INSERT INTO frames VALUES(NULL,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_SERIES] = "INSERT INTO series VALUES(NULL,?,?,?,?,?,?,?,?)",
	[ST_ROW] = "INSERT INTO rows VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_OP] = "INSERT INTO ops VALUES(?,?,?,?,?,?,?,?,?,?)",
	[ST_MACHINE] = "INSERT INTO machines VALUES(NULL,?,?)",
	[ST_STATE] = "INSERT INTO states VALUES(?,?,?,?,?,?)",
	[ST_EVENT] = "INSERT INTO events VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_DROP] = "INSERT INTO drops VALUES(?,?,?,?)",
	[ST_NET_ROW] = record_net_row_sql,
	[ST_NET_TOTALS] = record_net_totals_sql,
};

/* A name given an id once (tsearch tree: series and machines). */
struct named {
	char *key;
	sqlite3_int64 id;
};

struct record_out {
	struct output out;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_NR];
	void *series, *machines;	/* trees of struct named */
	unsigned char *blob;		/* bins and state records, packed */
	char runtime[PATH_MAX];		/* /run/synctrace/PID.record, for `mark` */
};

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->key, ((const struct named *)b)->key);
}

static void named_free(void *p)
{
	free(((struct named *)p)->key);
	free(p);
}

static int exec(struct record_out *r, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(r->db, sql, NULL, NULL, &msg);

	if (rc)
		fprintf(stderr, "synctrace: %s: %s\n", r->path, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc ? -EIO : 0;
}

/* Bind and run st (already bound), then reset it. */
static int step(struct record_out *r, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "synctrace: %s: %s\n", r->path, sqlite3_errmsg(r->db));
		return -EIO;
	}
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, record_i64(v));
}

/* A length-prefixed key: no text can make two different ones equal. */
static char *key_of(const char *const *parts, int n, const int64_t *nums, int nn)
{
	size_t len = 1;
	char *k, *p;
	int i;

	for (i = 0; i < n; i++)
		len += 24 + (parts[i] ? strlen(parts[i]) : 0);
	len += (size_t)nn * 24;
	if (!(k = p = malloc(len)))
		return NULL;
	for (i = 0; i < n; i++)
		p += parts[i] ? sprintf(p, "%zu:%s", strlen(parts[i]), parts[i]) : sprintf(p, "-:");
	for (i = 0; i < nn; i++)
		p += sprintf(p, "%" PRId64 ";", nums[i]);
	return k;
}

/* The id of key in *tree: 1 found, 0 not (then insert() it), -ENOMEM (key freed). */
static int find(void **tree, char *key, sqlite3_int64 *id)
{
	struct named probe = { .key = key }, **found;

	if (!key)
		return -ENOMEM;
	if (!(found = tfind(&probe, tree, named_cmp)))
		return 0;
	free(key);
	*id = (*found)->id;
	return 1;
}

/* Run the bound insert and keep key (taken) with the new id. 0 or -errno. */
static int insert(struct record_out *r, void **tree, char *key, sqlite3_stmt *st,
		  sqlite3_int64 *id)
{
	struct named *n;
	int err;

	if ((err = step(r, st)) || !(n = calloc(1, sizeof(*n)))) {
		free(key);
		return err ? err : -ENOMEM;
	}
	n->key = key;
	n->id = *id = sqlite3_last_insert_rowid(r->db);
	if (!tsearch(n, tree, named_cmp)) {
		named_free(n);
		return -ENOMEM;
	}
	return 0;
}

static int series_id(struct record_out *r, const struct frame_row *x, sqlite3_int64 *id)
{
	const struct frame_label *l = &x->label;
	bool labelled = x->has & FRAME_HAS_LABEL;
	const char *parts[] = { x->op, x->target, labelled ? l->text : NULL };
	int64_t nums[] = { labelled ? (int64_t)l->kind : -1, labelled && l->is_string,
			   labelled ? l->number : 0 };
	sqlite3_stmt *st = r->st[ST_SERIES];
	char *key = key_of(parts, 3, nums, 3);
	int rc = find(&r->series, key, id);

	if (rc)
		return rc < 0 ? rc : 0;
	bind_text(st, 1, x->op);
	bind_text(st, 2, x->target);
	sqlite3_bind_int(st, 3, (int)x->has);
	sqlite3_bind_int(st, 4, labelled ? (int)l->kind : -1);
	sqlite3_bind_int(st, 5, labelled && l->is_string);
	sqlite3_bind_int64(st, 6, labelled ? l->number : 0);
	bind_text(st, 7, labelled ? l->text : NULL);
	bind_text(st, 8, labelled ? l->name : NULL);
	return insert(r, &r->series, key, st, id);
}

static int put_row(struct record_out *r, sqlite3_int64 frame, size_t pos, const struct frame_row *x)
{
	sqlite3_stmt *st = r->st[ST_ROW];
	sqlite3_int64 series;
	int err = series_id(r, x, &series);

	if (err)
		return err;
	sqlite3_bind_int64(st, 1, frame);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
	sqlite3_bind_int64(st, 3, series);
	bind_u64(st, 4, x->count);
	bind_u64(st, 5, x->errors);
	bind_u64(st, 6, x->would_block);
	bind_u64(st, 7, x->timeouts);
	bind_u64(st, 8, x->inflight);
	bind_u64(st, 9, x->unmatched);
	record_db_bind_dist(st, 10, &x->latency, x->has & FRAME_HAS_LATENCY, r->blob);
	record_db_bind_dist(st, 18, &x->value, x->has & FRAME_HAS_VALUE,
			    r->blob + RECORD_BINS_MAX);
	if ((err = step(r, st)) || !x->net)
		return err;
	/* a socket row's extras beside it, at the same (frame, pos) */
	record_net_bind_row(r->st[ST_NET_ROW], frame, pos, x->net, r->blob);
	return step(r, r->st[ST_NET_ROW]);
}

static int put_op(struct record_out *r, sqlite3_int64 frame, size_t i, const struct frame_op *o)
{
	sqlite3_stmt *st = r->st[ST_OP];

	sqlite3_bind_int64(st, 1, frame);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
	bind_text(st, 3, o->op);
	sqlite3_bind_int(st, 4, (int)o->has);
	sqlite3_bind_int(st, 5, o->paired);
	sqlite3_bind_int(st, 6, o->labelled);
	bind_u64(st, 7, o->unmatched);
	bind_u64(st, 8, o->restarts);
	bind_u64(st, 9, o->labels);
	bind_u64(st, 10, o->label_overflow);
	return step(r, st);
}

static int put_state(struct record_out *r, sqlite3_int64 frame, size_t pos,
		     const struct frame_state *s)
{
	sqlite3_stmt *st = r->st[ST_MACHINE];
	const char *parts[STATE_VALUES + 1];
	sqlite3_int64 machine;
	size_t len = 1, k;
	char *names, *p, *key;
	int i, n = s->nr_names < STATE_VALUES ? s->nr_names : STATE_VALUES, err;

	for (i = 0; i < n; i++)
		len += strlen(s->names[i]) + 1;
	if (!(names = p = calloc(1, len)))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "\n" : "", s->names[i]);
	parts[0] = s->machine;
	parts[1] = names;
	key = key_of(parts, 2, NULL, 0);
	if (!(err = find(&r->machines, key, &machine))) {
		bind_text(st, 1, s->machine);
		bind_text(st, 2, names);
		err = insert(r, &r->machines, key, st, &machine);
	}
	free(names);
	if (err < 0)
		return err;
	st = r->st[ST_STATE];
	sqlite3_bind_int64(st, 1, frame);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
	sqlite3_bind_int64(st, 3, machine);
	sqlite3_bind_int64(st, 4, s->pid);
	sqlite3_bind_int(st, 5, (int)frame_state_current(s));
	/* the struct is u64s only: packed little-endian, one by one */
	for (k = 0; k < sizeof(*s->rec) / 8; k++) {
		uint64_t v;
		int b;

		memcpy(&v, (const unsigned char *)s->rec + k * 8, 8);
		for (b = 0; b < 8; b++)
			r->blob[k * 8 + b] = (unsigned char)(v >> (8 * b));
	}
	sqlite3_bind_blob(st, 6, r->blob, (int)sizeof(*s->rec), SQLITE_TRANSIENT);
	return step(r, st);
}

static int put_event(struct record_out *r, sqlite3_int64 frame, size_t pos,
		     const struct frame_event *e)
{
	sqlite3_stmt *st = r->st[ST_EVENT];

	sqlite3_bind_int64(st, 1, frame);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
	bind_u64(st, 3, e->wall_ns);
	bind_text(st, 4, e->op);
	sqlite3_bind_int(st, 5, (int)e->kind);
	sqlite3_bind_int(st, 6, e->slow);
	sqlite3_bind_int64(st, 7, e->pid);
	sqlite3_bind_int64(st, 8, e->tid);
	if (e->has_ret)
		sqlite3_bind_int64(st, 9, e->ret);
	if (e->has_error_value)
		sqlite3_bind_int64(st, 10, e->error_value);
	bind_text(st, 11, e->error_name);
	if (e->labelled) {
		sqlite3_bind_int(st, 12, (int)e->label.kind);
		sqlite3_bind_int(st, 13, e->label.is_string);
		sqlite3_bind_int64(st, 14, e->label.number);
		bind_text(st, 15, e->label.text);
		bind_text(st, 16, e->label.name);
	}
	bind_u64(st, 17, e->latency_ns);
	return step(r, st);
}

static int put_frame(struct record_out *r, const struct output_frame *f)
{
	sqlite3_stmt *st = r->st[ST_FRAME];
	sqlite3_int64 id;
	size_t i;
	int err;

	bind_u64(st, 1, (uint64_t)f->wall.tv_sec * 1000000000ULL + (uint64_t)f->wall.tv_nsec);
	sqlite3_bind_double(st, 2, f->interval_s);
	sqlite3_bind_int(st, 3, f->latency);
	sqlite3_bind_int(st, 4, f->shown);
	sqlite3_bind_int64(st, 5, f->mono_to_real_ns);
	sqlite3_bind_int64(st, 6, f->nr_machines);
	sqlite3_bind_int64(st, 7, f->probes_attached);
	sqlite3_bind_int(st, 8, f->events.present);
	bind_u64(st, 9, f->events.errors);
	bind_u64(st, 10, f->events.slow);
	bind_u64(st, 11, f->events.timeouts);
	bind_u64(st, 12, f->events.lost);
	if ((err = step(r, st)))
		return err;
	id = sqlite3_last_insert_rowid(r->db);
	for (i = 0; i < f->nr_rows && !err; i++)
		err = put_row(r, id, i, &f->rows[i]);
	for (i = 0; i < f->nr_ops && !err; i++)
		err = put_op(r, id, i, &f->ops[i]);
	for (i = 0; i < f->nr_states && !err; i++)
		err = put_state(r, id, i, &f->states[i]);
	for (i = 0; i < f->events.nr && !err; i++)
		err = put_event(r, id, i, &f->events.v[i]);
	for (i = 0; i < f->nr_drops && !err; i++) {
		st = r->st[ST_DROP];
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		bind_text(st, 3, f->drops[i].name);
		bind_u64(st, 4, f->drops[i].n);
		err = step(r, st);
	}
	if (!err && f->net) {
		record_net_bind_totals(r->st[ST_NET_TOTALS], id, f->net);
		err = step(r, r->st[ST_NET_TOTALS]);
	}
	return err;
}

static int record_frame(struct output *o, const struct output_frame *f)
{
	struct record_out *r = (struct record_out *)o;
	char sql[96];
	int err;

	/* the summary is what the intervals add up to: `report` merges it
	 * again; only that the run ended cleanly is kept */
	if (f->summary) {
		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta VALUES('end_ns','%llu')",
			 (unsigned long long)f->wall.tv_sec * 1000000000ULL + (unsigned long long)f->wall.tv_nsec);
		return exec(r, sql);
	}
	if ((err = exec(r, "BEGIN")))
		return err;
	if ((err = put_frame(r, f))) {
		exec(r, "ROLLBACK");
		/* ids given in the rolled-back transaction are gone: learn them again */
		tdestroy(r->series, named_free);
		tdestroy(r->machines, named_free);
		r->series = r->machines = NULL;
		return err;
	}
	return exec(r, "COMMIT");
}

static int record_close(struct output *o)
{
	struct record_out *r = (struct record_out *)o;
	int i;

	if (r->runtime[0])
		unlink(r->runtime);
	for (i = 0; i < ST_NR; i++)
		sqlite3_finalize(r->st[i]);
	sqlite3_close(r->db);
	tdestroy(r->series, named_free);
	tdestroy(r->machines, named_free);
	free(r->blob);
	free(r->path);
	free(r);
	return 0;
}

static const struct output_ops record_ops = { "record", record_frame, record_close };

struct output *output_record_open(const char *path, const struct run_info *run)
{
	struct record_out *r = calloc(1, sizeof(*r));
	int fd, i;

	if (!r || !(r->path = strdup(path)) ||
	    !(r->blob = malloc(2 * RECORD_BINS_MAX + sizeof(struct state_rec)))) {
		fprintf(stderr, "synctrace: out of memory\n");
		goto fail;
	}
	r->out.ops = &record_ops;
	/* a new file only: a recording is one run, never appended to or overwritten */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "synctrace: --record %s: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (a recording is never overwritten)" : "");
		goto fail;
	}
	close(fd);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL)) {
		fprintf(stderr, "synctrace: --record %s: %s\n", path, sqlite3_errmsg(r->db));
		goto fail_unlink;
	}
	sqlite3_busy_timeout(r->db, RECORD_BUSY_MS);
	/* WAL: a reader (report) and a second writer (mark) beside us; NORMAL:
	 * a commit survives synctrace's death (not the machine's power) */
	if (exec(r, "PRAGMA journal_mode=WAL") || exec(r, "PRAGMA synchronous=NORMAL") ||
	    exec(r, "BEGIN") || exec(r, record_schema_sql) ||
	    record_run_write(r->db, path, run) || exec(r, "COMMIT"))
		goto fail_unlink;
	for (i = 0; i < ST_NR; i++)
		if (sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->st[i],
				       NULL)) {
			fprintf(stderr, "synctrace: %s: %s\n", path, sqlite3_errmsg(r->db));
			goto fail_unlink;
		}
	record_run_announce(path, r->runtime, sizeof(r->runtime));
	return &r->out;
fail_unlink:
	for (i = 0; i < ST_NR; i++) {
		sqlite3_finalize(r->st[i]);
		r->st[i] = NULL;
	}
	sqlite3_close(r->db);
	r->db = NULL;
	unlink(path);
fail:
	if (r)
		record_close(&r->out);
	return NULL;
}
