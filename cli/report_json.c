// SPDX-License-Identifier: MIT
/* NDJSON rendering of a report with json-c; the schema is in README.md. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "cli/report.h"

const double report_pcts[NR_PCTS] = { 0.50, 0.90, 0.95, 0.99, 0.999 };
const char *const report_pct_names[NR_PCTS] = { "p50", "p90", "p95", "p99", "p999" };

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

json_object *report_buckets_json(const struct histogram *h)
{
	json_object *arr = json_object_new_array();
	uint32_t i;

	for (i = 0; i < h->nr; i++) {
		json_object *b = json_object_new_array();

		json_object_array_add(b, json_u64(hist_bucket_lower(h->bins[i].idx)));
		json_object_array_add(b, json_u64(hist_bucket_upper(h->bins[i].idx)));
		json_object_array_add(b, json_u64(h->bins[i].n));
		json_object_array_add(arr, b);
	}
	return arr;
}

static json_object *latency_json(const struct histogram *h)
{
	json_object *o = json_object_new_object();
	bool any = h->count > 0;
	int i;

	put(o, "min", json_u64(any ? h->min : 0));
	put(o, "mean", json_object_new_double(round(hist_mean(h) * 10) / 10));
	for (i = 0; i < NR_PCTS; i++)
		put(o, report_pct_names[i],
		    json_u64((uint64_t)llround(hist_percentile(h, report_pcts[i]))));
	put(o, "max", json_u64(any ? h->max : 0));
	put(o, "buckets", report_buckets_json(h));
	return o;
}

static json_object *op_json(const struct report *r, size_t i)
{
	const struct trace_point *p = &r->plan->points[i];
	json_object *o = json_object_new_object();
	uint64_t count;

	put(o, "op", json_object_new_string(p->op));
	put(o, "target", json_object_new_string(p->target));
	if (r->lat) {
		count = r->snap->hists[i].count;
		put(o, "count", json_u64(count));
		put(o, "latency_ns", latency_json(&r->snap->hists[i]));
	} else {
		count = r->snap->counts[i];
		put(o, "count", json_u64(count));
		put(o, "rate_per_s", json_object_new_double(
			r->interval_s > 0 ? round(count / r->interval_s * 100) / 100 : 0));
	}
	return o;
}

static json_object *time_json(const struct timespec *ts)
{
	char buf[64];
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", ts->tv_nsec / 1000000);
	return json_object_new_string(buf);
}

int report_json(FILE *f, const struct report *r)
{
	json_object *root = json_object_new_object();
	json_object *ops = json_object_new_array();
	json_object *drops = json_object_new_object();
	size_t i, n, *rows = calloc(r->plan->nr_points ? r->plan->nr_points : 1, sizeof(*rows));
	int rc;

	if (!rows) {
		json_object_put(root);
		json_object_put(ops);
		json_object_put(drops);
		return -ENOMEM;
	}
	n = report_rows(r, rows);
	put(root, "time", time_json(&r->wall));
	put(root, "interval_s", json_object_new_double(round(r->interval_s * 1000) / 1000));
	for (i = 0; i < n; i++)
		json_object_array_add(ops, op_json(r, rows[i]));
	free(rows);
	put(root, "ops", ops);
	for (i = 0; i < DROP_NR; i++)
		put(drops, drop_reason_name(i), json_u64(r->snap->drops[i]));
	put(root, "drops", drops);
	if (r->summary)
		put(root, "summary", json_object_new_boolean(1));
	rc = fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	fflush(f);
	return rc < 0 ? -EIO : 0;
}
