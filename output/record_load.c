// SPDX-License-Identifier: MIT
/*
 * One stored frame read back (record_load.h). A recording is a file anyone
 * could have edited: every value is checked to be what the writer could
 * have written (bins sorted and in range, counts that add up, blobs of the
 * right size), and a damaged row is an error, never a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/record_db.h"
#include "output/record_load.h"

char *record_strs__dup(struct record_strs *s, const char *text, bool *oom)
{
	char **v;

	if (!text)
		return NULL;
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		if (!(v = realloc(s->v, cap * sizeof(*v)))) {
			*oom = true;
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->nr] = strdup(text))) {
		*oom = true;
		return NULL;
	}
	return s->v[s->nr++];
}

void record_strs__free(struct record_strs *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static char *col_dup(sqlite3_stmt *st, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (!t)
		return NULL;
	if (!(s = strdup((const char *)t)))
		*oom = true;
	return s;
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	return (uint64_t)sqlite3_column_int64(st, i);
}

static bool col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

/* Grow *v (n elements of size) to hold i + 1; 0 or -ENOMEM. */
static int grow(void **v, size_t *cap, size_t i, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (i < *cap)
		return 0;
	while (n <= i)
		n *= 2;
	if (!(p = realloc(*v, n * size)))
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (n - *cap) * size);
	*v = p;
	*cap = n;
	return 0;
}

int record_dict__load(struct record_dict *d, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0, id;
	bool oom = false;
	int rc;

	record_dict__free(d);
	rc = sqlite3_prepare_v2(db, "SELECT id, op, target, has, label_kind, label_is_string,"
				" label_number, label_text, label_name FROM series", -1, &st, NULL);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct record_series *s;

		rc = 0;
		id = (size_t)sqlite3_column_int64(st, 0);
		/* ids count up from 1: a far larger one is a damaged file */
		if (sqlite3_column_int64(st, 0) <= 0 || id > (1U << 26) || !sqlite3_column_text(st, 1)) {
			rc = -EINVAL;
			break;
		}
		if (grow((void **)&d->series, &cap, id, sizeof(*d->series))) {
			rc = -ENOMEM;
			break;
		}
		if (id >= d->nr_series)
			d->nr_series = id + 1;
		s = &d->series[id];
		if (s->known)
			continue;
		s->known = true;
		s->op = col_dup(st, 1, &oom);
		s->target = col_dup(st, 2, &oom);
		s->has = (unsigned int)sqlite3_column_int(st, 3);
		s->text = col_dup(st, 7, &oom);
		s->name = col_dup(st, 8, &oom);
		s->label.kind = (enum frame_label_kind)sqlite3_column_int(st, 4);
		s->label.is_string = sqlite3_column_int(st, 5);
		s->label.number = sqlite3_column_int64(st, 6);
		s->label.text = s->text ? s->text : "";
		s->label.name = s->name ? s->name : "";
		/* a row without a label has a zeroed one, as its frame had */
		if (!(s->has & FRAME_HAS_LABEL))
			memset(&s->label, 0, sizeof(s->label));
		else if ((int)s->label.kind < FRAME_LABEL_VALUE || s->label.kind > FRAME_LABEL_NONE)
			rc = -EINVAL;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	st = NULL;
	cap = 0;
	if (!rc)
		rc = sqlite3_prepare_v2(db, "SELECT id, name, names FROM machines", -1, &st, NULL);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct record_machine *m;
		char *names, *p, *nl;

		rc = 0;
		id = (size_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_int64(st, 0) <= 0 || id > 4096 || !sqlite3_column_text(st, 1) ||
		    !sqlite3_column_text(st, 2)) {
			rc = -EINVAL;
			break;
		}
		if (grow((void **)&d->machines, &cap, id, sizeof(*d->machines))) {
			rc = -ENOMEM;
			break;
		}
		if (id >= d->nr_machines)
			d->nr_machines = id + 1;
		m = &d->machines[id];
		if (m->known)
			continue;
		m->known = true;
		m->name = col_dup(st, 1, &oom);
		if (!(names = col_dup(st, 2, &oom)) ||
		    !(m->names = calloc(STATE_VALUES, sizeof(*m->names)))) {
			free(names);
			oom = true;
			break;
		}
		for (p = names; *names && p && m->nr_names < STATE_VALUES; p = nl ? nl + 1 : NULL) {
			if ((nl = strchr(p, '\n')))
				*nl = '\0';
			if (!(m->names[m->nr_names++] = strdup(p)))
				oom = true;
		}
		free(names);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	if (oom)
		rc = -ENOMEM;
	else if (rc > 0)
		rc = -EIO;
	return rc;
}

void record_dict__free(struct record_dict *d)
{
	size_t i;
	int k;

	for (i = 0; i < d->nr_series; i++) {
		free(d->series[i].op);
		free(d->series[i].target);
		free(d->series[i].text);
		free(d->series[i].name);
	}
	for (i = 0; i < d->nr_machines; i++) {
		for (k = 0; k < d->machines[i].nr_names; k++)
			free(d->machines[i].names[k]);
		free(d->machines[i].names);
		free(d->machines[i].name);
	}
	free(d->series);
	free(d->machines);
	memset(d, 0, sizeof(*d));
}

int record_stmts__prepare(struct record_stmts *s, sqlite3 *db, int schema)
{
	static const char rows[] =
		"SELECT series, count, errors, would_block, timeouts, inflight, unmatched,"
		" lat_count, lat_sum, lat_sum_hi, lat_hmin, lat_hmax, lat_min, lat_max, lat_bins,"
		" val_count, val_sum, val_sum_hi, val_hmin, val_hmax, val_min, val_max, val_bins"
		" FROM rows WHERE frame = ? ORDER BY pos";
	static const char ops[] = "SELECT op, has, paired, labelled, unmatched, restarts, labels,"
				  " label_overflow FROM ops WHERE frame = ? ORDER BY idx";
	static const char states[] = "SELECT machine, pid, rec FROM states WHERE frame = ? ORDER BY pos";
	static const char events[] =
		"SELECT wall_ns, op, kind, slow, pid, tid, ret, error_value, error_name, label_kind,"
		" label_is_string, label_number, label_text, label_name, latency_ns"
		" FROM events WHERE frame = ? ORDER BY pos";
	static const char drops[] = "SELECT name, n FROM drops WHERE frame = ? ORDER BY pos";

	memset(s, 0, sizeof(*s));
	if (sqlite3_prepare_v2(db, rows, -1, &s->rows, NULL) ||
	    sqlite3_prepare_v2(db, ops, -1, &s->ops, NULL) ||
	    sqlite3_prepare_v2(db, states, -1, &s->states, NULL) ||
	    sqlite3_prepare_v2(db, events, -1, &s->events, NULL) ||
	    sqlite3_prepare_v2(db, drops, -1, &s->drops, NULL) ||
	    (schema >= 2 &&
	     (sqlite3_prepare_v2(db, record_net_rows_select, -1, &s->net_rows, NULL) ||
	      sqlite3_prepare_v2(db, record_net_totals_select, -1, &s->net_totals, NULL)))) {
		record_stmts__free(s);
		return -EIO;
	}
	return 0;
}

void record_stmts__free(struct record_stmts *s)
{
	sqlite3_finalize(s->rows);
	sqlite3_finalize(s->ops);
	sqlite3_finalize(s->states);
	sqlite3_finalize(s->events);
	sqlite3_finalize(s->drops);
	sqlite3_finalize(s->net_rows);
	sqlite3_finalize(s->net_totals);
	memset(s, 0, sizeof(*s));
}

static int load_rows(struct record_frame *fr, sqlite3_stmt *st, const struct record_dict *d)
{
	size_t cap = 0, hcap = 0, scap = 0, n = 0, i;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct frame_row *x;
		const struct record_series *s;
		int64_t id = sqlite3_column_int64(st, 0);

		if (id <= 0 || (size_t)id >= d->nr_series || !d->series[id].known)
			return -EINVAL;
		s = &d->series[id];
		if (grow((void **)&fr->rows, &cap, n, sizeof(*fr->rows)) ||
		    grow((void **)&fr->series, &scap, n, sizeof(*fr->series)) ||
		    grow((void **)&fr->hists, &hcap, 2 * n + 1, sizeof(*fr->hists)))
			return -ENOMEM;
		fr->series[n] = id;
		x = &fr->rows[n];
		fr->f.nr_rows = ++n;
		fr->nr_hists = 2 * n;	/* freed with the frame from here */
		x->op = s->op;
		x->target = s->target;
		x->has = s->has;
		x->label = s->label;
		x->count = col_u64(st, 1);
		x->errors = col_u64(st, 2);
		x->would_block = col_u64(st, 3);
		x->timeouts = col_u64(st, 4);
		x->inflight = col_u64(st, 5);
		x->unmatched = col_u64(st, 6);
		if (record_db_load_dist(st, 7, &x->latency, &fr->hists[2 * (n - 1)]) ||
		    record_db_load_dist(st, 15, &x->value, &fr->hists[2 * (n - 1) + 1]))
			return -EINVAL;
	}
	/* the histograms have stopped moving: point at them */
	for (i = 0; i < n; i++) {
		if (fr->rows[i].latency.h)
			fr->rows[i].latency.h = &fr->hists[2 * i];
		if (fr->rows[i].value.h)
			fr->rows[i].value.h = &fr->hists[2 * i + 1];
	}
	fr->f.rows = fr->rows;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int load_ops(struct record_frame *fr, sqlite3_stmt *st, bool *oom)
{
	size_t cap = 0, n = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct frame_op *o;

		if (n >= OPS_MAX || !sqlite3_column_text(st, 0))
			return -EINVAL;
		if (grow((void **)&fr->ops, &cap, n, sizeof(*fr->ops)))
			return -ENOMEM;
		o = &fr->ops[n++];
		o->op = record_strs__dup(&fr->strs, (const char *)sqlite3_column_text(st, 0), oom);
		o->has = (unsigned int)sqlite3_column_int(st, 1);
		o->paired = sqlite3_column_int(st, 2);
		o->labelled = sqlite3_column_int(st, 3);
		o->unmatched = col_u64(st, 4);
		o->restarts = col_u64(st, 5);
		o->labels = col_u64(st, 6);
		o->label_overflow = col_u64(st, 7);
	}
	fr->f.ops = fr->ops;
	fr->f.nr_ops = n;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int load_states(struct record_frame *fr, sqlite3_stmt *st, const struct record_dict *d)
{
	size_t cap = 0, rcap = 0, n = 0, i, k;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const unsigned char *blob = sqlite3_column_blob(st, 2);
		const struct record_machine *m;
		uint64_t *v;

		if (id <= 0 || (size_t)id >= d->nr_machines || !d->machines[id].known ||
		    sqlite3_column_bytes(st, 2) != (int)sizeof(struct state_rec))
			return -EINVAL;
		m = &d->machines[id];
		if (grow((void **)&fr->states, &cap, n, sizeof(*fr->states)) ||
		    grow((void **)&fr->recs, &rcap, n, sizeof(*fr->recs)))
			return -ENOMEM;
		v = (uint64_t *)&fr->recs[n];
		for (k = 0; k < sizeof(struct state_rec) / 8; k++) {
			int b;

			v[k] = 0;
			for (b = 7; b >= 0; b--)
				v[k] = v[k] << 8 | blob[k * 8 + (size_t)b];
		}
		fr->states[n++] = (struct frame_state){
			.machine = m->name, .pid = (uint32_t)sqlite3_column_int64(st, 1),
			.names = (const char *const *)m->names, .nr_names = m->nr_names,
		};
	}
	for (i = 0; i < n; i++)
		fr->states[i].rec = &fr->recs[i];
	fr->f.states = fr->states;
	fr->f.nr_states = n;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int load_events(struct record_frame *fr, sqlite3_stmt *st, bool *oom)
{
	size_t cap = 0, n = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct frame_event *e;
		int kind = sqlite3_column_int(st, 2);

		if (kind < FRAME_EV_ERROR || kind > FRAME_EV_TIMEOUT || !sqlite3_column_text(st, 1))
			return -EINVAL;
		if (grow((void **)&fr->events, &cap, n, sizeof(*fr->events)))
			return -ENOMEM;
		e = &fr->events[n++];
		e->wall_ns = col_u64(st, 0);
		e->op = record_strs__dup(&fr->strs, (const char *)sqlite3_column_text(st, 1), oom);
		e->kind = (enum frame_event_kind)kind;
		e->slow = sqlite3_column_int(st, 3);
		e->pid = (uint32_t)sqlite3_column_int64(st, 4);
		e->tid = (uint32_t)sqlite3_column_int64(st, 5);
		e->has_ret = !col_null(st, 6);
		e->ret = sqlite3_column_int64(st, 6);
		e->has_error_value = !col_null(st, 7);
		e->error_value = sqlite3_column_int64(st, 7);
		e->error_name = record_strs__dup(&fr->strs, (const char *)sqlite3_column_text(st, 8),
						 oom);
		e->labelled = !col_null(st, 9);
		if (e->labelled) {
			int lk = sqlite3_column_int(st, 9);
			const char *t = (const char *)sqlite3_column_text(st, 12);
			const char *nm = (const char *)sqlite3_column_text(st, 13);

			if (lk < FRAME_LABEL_VALUE || lk > FRAME_LABEL_NONE)
				return -EINVAL;
			e->label.kind = (enum frame_label_kind)lk;
			e->label.is_string = sqlite3_column_int(st, 10);
			e->label.number = sqlite3_column_int64(st, 11);
			e->label.text = record_strs__dup(&fr->strs, t ? t : "", oom);
			e->label.name = record_strs__dup(&fr->strs, nm ? nm : "", oom);
		}
		e->latency_ns = col_u64(st, 14);
	}
	fr->f.events.v = fr->events;
	fr->f.events.nr = n;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int load_drops(struct record_frame *fr, sqlite3_stmt *st, bool *oom)
{
	size_t cap = 0, n = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!sqlite3_column_text(st, 0))
			return -EINVAL;
		if (grow((void **)&fr->drops, &cap, n, sizeof(*fr->drops)))
			return -ENOMEM;
		fr->drops[n].name = record_strs__dup(&fr->strs,
						     (const char *)sqlite3_column_text(st, 0), oom);
		fr->drops[n++].n = col_u64(st, 1);
	}
	fr->f.drops = fr->drops;
	fr->f.nr_drops = n;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int record_frame__load(struct record_frame *fr, struct record_stmts *s, sqlite3_stmt *st,
		       const struct record_dict *d, enum frame_source source, char *err,
		       size_t len)
{
	sqlite3_stmt *each[] = { s->rows, s->ops, s->states, s->events, s->drops, s->net_rows,
				 s->net_totals };
	uint64_t wall;
	bool oom = false;
	size_t i;
	int rc;

	memset(fr, 0, sizeof(*fr));
	fr->id = sqlite3_column_int64(st, 0);
	wall = col_u64(st, 1);
	fr->f = (struct output_frame){
		.source = source, .summary = false, .latency = sqlite3_column_int(st, 3),
		.shown = sqlite3_column_int(st, 4),
		.wall = { .tv_sec = (time_t)(wall / 1000000000), .tv_nsec = (long)(wall % 1000000000) },
		.interval_s = sqlite3_column_double(st, 2),
		.mono_to_real_ns = sqlite3_column_int64(st, 5),
		.nr_machines = (unsigned int)sqlite3_column_int64(st, 6),
		.probes_attached = (unsigned int)sqlite3_column_int64(st, 7),
		.events = { .present = sqlite3_column_int(st, 8), .errors = col_u64(st, 9),
			    .slow = col_u64(st, 10), .timeouts = col_u64(st, 11),
			    .lost = col_u64(st, 12) },
	};
	for (i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		if (!each[i])
			continue;	/* a schema without that table */
		sqlite3_reset(each[i]);
		sqlite3_bind_int64(each[i], 1, fr->id);
	}
	rc = load_rows(fr, s->rows, d);
	if (!rc)
		rc = load_ops(fr, s->ops, &oom);
	if (!rc)
		rc = load_states(fr, s->states, d);
	if (!rc)
		rc = load_events(fr, s->events, &oom);
	if (!rc)
		rc = load_drops(fr, s->drops, &oom);
	if (!rc && s->net_rows)
		rc = record_net__load(&fr->net, s->net_rows, s->net_totals, fr->rows,
				      fr->f.nr_rows, fr->hists, &fr->f.net);
	for (i = 0; i < sizeof(each) / sizeof(each[0]); i++)
		if (each[i])
			sqlite3_reset(each[i]);
	if (!rc && oom)
		rc = -ENOMEM;
	if (rc)
		snprintf(err, len, "interval %lld of the recording is %s", (long long)fr->id,
			 rc == -EINVAL ? "damaged" : rc == -ENOMEM ? "too large for memory" :
			 "unreadable");
	return rc;
}

void record_frame__free(struct record_frame *fr)
{
	size_t i;

	for (i = 0; i < fr->nr_hists; i++)
		hist_free(&fr->hists[i]);
	free(fr->rows);
	free(fr->series);
	free(fr->hists);
	free(fr->ops);
	free(fr->states);
	free(fr->recs);
	free(fr->events);
	free(fr->drops);
	record_net__free(&fr->net);
	record_strs__free(&fr->strs);
	memset(fr, 0, sizeof(*fr));
}
