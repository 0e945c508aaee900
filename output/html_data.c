// SPDX-License-Identifier: MIT
/*
 * The numbers of the HTML report as one JSON object, embedded in the page
 * (<script type="application/json" id="synctrace-data">) for people and
 * tests to read: every column of every series drawn, and the summary
 * exactly as --json writes it. The fields are in README.md.
 */
#include <math.h>
#include "output/html.h"
#include "output/ndjson.h"

#define put ndjson_put
#define u64 ndjson_u64

static json_object *time_json(uint64_t wall_ns)
{
	char buf[48];

	frame_time_text(wall_ns, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* As --json writes a label: a number, a string, "other", or null. */
static json_object *label_json(const struct html_series *s)
{
	if (s->kind == FRAME_LABEL_NONE)
		return NULL;
	if (s->kind == FRAME_LABEL_VALUE && !s->is_string)
		return json_object_new_int64(s->number);
	return json_object_new_string(s->label);
}

static json_object *series_json(const struct html_history *h, const struct html_series *s)
{
	json_object *o = json_object_new_object(), *lat = json_object_new_object();
	json_object *count = json_object_new_array(), *errors = json_object_new_array();
	json_object *timeouts = json_object_new_array(), *buckets = json_object_new_array();
	json_object *pct[3];
	static const double pcts[] = { 0.50, 0.95, 0.99 };
	static const char *const names[] = { "p50", "p95", "p99" };
	size_t c;
	uint32_t i;
	int p;

	for (p = 0; p < 3; p++)
		pct[p] = json_object_new_array();
	put(o, "op", json_object_new_string(s->op));
	if (s->target)
		put(o, "target", json_object_new_string(s->target));
	if (s->label)
		put(o, "label", label_json(s));
	put(o, "total", json_object_new_boolean(!s->label && s->labelled));
	for (c = 0; c < h->nr_cols; c++) {
		const struct html_cell *x = &s->cells[c];
		json_object *bins = json_object_new_array();

		json_object_array_add(count, u64(x->count));
		json_object_array_add(errors, u64(x->errors));
		json_object_array_add(timeouts, u64(x->timeouts));
		for (p = 0; p < 3; p++)
			json_object_array_add(pct[p], x->lat.count ? u64((uint64_t)llround(
					      hist_percentile(&x->lat, pcts[p]))) : NULL);
		for (i = 0; i < x->lat.nr; i++) {
			json_object *b = json_object_new_array();

			json_object_array_add(b, u64(hist_bucket_lower(x->lat.bins[i].idx)));
			json_object_array_add(b, u64(hist_bucket_upper(x->lat.bins[i].idx)));
			json_object_array_add(b, u64(x->lat.bins[i].n));
			json_object_array_add(bins, b);
		}
		json_object_array_add(buckets, bins);
	}
	put(o, "count", count);
	if (s->has & FRAME_HAS_ERRORS)
		put(o, "errors", errors);
	else
		json_object_put(errors);
	if (s->has & FRAME_HAS_PAIRED)
		put(o, "timeouts", timeouts);
	else
		json_object_put(timeouts);
	if (s->has & FRAME_HAS_LATENCY) {
		for (p = 0; p < 3; p++)
			put(lat, names[p], pct[p]);
		put(lat, "buckets", buckets);
		put(o, "latency_ns", lat);
	} else {
		for (p = 0; p < 3; p++)
			json_object_put(pct[p]);
		json_object_put(buckets);
		json_object_put(lat);
	}
	return o;
}

static json_object *tracks_json(const struct html_history *h)
{
	json_object *a = json_object_new_array();
	size_t t, c;
	int k;

	for (t = 0; t < h->nr_tracks; t++) {
		const struct html_track *x = h->tracks[t];
		json_object *o = json_object_new_object(), *names = json_object_new_array();
		json_object *st = json_object_new_array();

		put(o, "machine", json_object_new_string(x->machine));
		put(o, "pid", u64(x->pid));
		for (k = 0; k < x->nr_names; k++)
			json_object_array_add(names, json_object_new_string(x->names[k]));
		put(o, "names", names);
		for (c = 0; c < h->nr_cols; c++)
			json_object_array_add(st, x->state[c] < 0 ? NULL :
					      json_object_new_int(x->state[c]));
		put(o, "state", st);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *events_json(const struct html_history *h)
{
	static const char *const kinds[] = { "error", "slow", "timeout" };
	uint64_t n = h->nr_events < HTML_MAX_EVENTS ? h->nr_events : HTML_MAX_EVENTS;
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		const struct html_event *e = html_history__event(h, i);
		json_object *o = json_object_new_object();

		put(o, "time", time_json(e->wall_ns));
		put(o, "op", json_object_new_string(e->op));
		put(o, "kind", json_object_new_string(kinds[e->kind]));
		put(o, "slow", json_object_new_boolean(e->slow));
		put(o, "pid", u64(e->pid));
		if (e->has_ret)
			put(o, "ret", json_object_new_int64(e->ret));
		if (e->label)
			put(o, "label", json_object_new_string(e->label));
		put(o, "latency_ns", u64(e->latency_ns));
		json_object_array_add(a, o);
	}
	return a;
}

json_object *html_data_json(const struct html_history *h, const struct html_run *run,
			    json_object *summary)
{
	json_object *o = json_object_new_object(), *argv = json_object_new_array();
	json_object *cols = json_object_new_array(), *series = json_object_new_array();
	size_t i;

	put(o, "command", json_object_new_string(run->command));
	for (i = 0; i < run->argc; i++)
		json_object_array_add(argv, json_object_new_string(run->argv[i]));
	put(o, "argv", argv);
	put(o, "start", time_json(run->start_ns));
	put(o, "intervals", u64(h->intervals));
	put(o, "span", u64(h->span));
	for (i = 0; i < h->nr_cols; i++) {
		json_object *c = json_object_new_object();

		put(c, "start", time_json(html_column_start(h, i)));
		put(c, "end", time_json(h->cols[i].end_ns));
		put(c, "seconds", json_object_new_double(round(h->cols[i].seconds * 1e3) / 1e3));
		put(c, "intervals", u64(h->cols[i].intervals));
		json_object_array_add(cols, c);
	}
	put(o, "columns", cols);
	for (i = 0; i < h->nr_series; i++)
		json_object_array_add(series, series_json(h, h->series[i]));
	put(o, "series", series);
	put(o, "rows_not_drawn", u64(h->rows_not_drawn));
	put(o, "states", tracks_json(h));
	put(o, "events", events_json(h));
	put(o, "events_seen", u64(h->nr_events));
	put(o, "summary", summary ? json_object_get(summary) : NULL);
	return o;
}
