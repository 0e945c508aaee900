// SPDX-License-Identifier: MIT
/*
 * --json: one JSON object per line, per frame (json-c). lat and count keep
 * their shape here, watch its own (ndjson_ops.c); both are in README.md.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "output/ndjson.h"
#include "output/open.h"

#define put ndjson_put
#define json_u64 ndjson_u64

struct ndjson_output {
	struct output base;
	FILE *f;
	struct view view;
};

void ndjson_close_frame(json_object *root, const struct output_frame *f)
{
	json_object *drops = json_object_new_object();
	size_t i;

	for (i = 0; i < f->nr_drops; i++)
		put(drops, f->drops[i].name, json_u64(f->drops[i].n));
	put(root, "drops", drops);
	if (f->summary)
		put(root, "summary", json_object_new_boolean(1));
}

json_object *ndjson_buckets(const struct histogram *h)
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
		put(o, view_pct_names[i],
		    json_u64((uint64_t)llround(hist_percentile(h, view_pcts[i]))));
	put(o, "max", json_u64(any ? h->max : 0));
	put(o, "buckets", ndjson_buckets(h));
	return o;
}

static json_object *op_json(const struct output_frame *f, const struct frame_row *p)
{
	json_object *o = json_object_new_object();

	put(o, "op", json_object_new_string(p->op));
	put(o, "target", json_object_new_string(p->target));
	put(o, "count", json_u64(p->count));
	if (f->latency)
		put(o, "latency_ns", latency_json(p->latency.h));
	else
		put(o, "rate_per_s", json_object_new_double(
			f->interval_s > 0 ? round(p->count / f->interval_s * 100) / 100 : 0));
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

json_object *ndjson_calls_frame(const struct view *v, const struct output_frame *f)
{
	json_object *root, *ops;
	size_t i, n, *rows = calloc(f->nr_rows ? f->nr_rows : 1, sizeof(*rows));

	if (!rows)
		return NULL;
	root = json_object_new_object();
	ops = json_object_new_array();
	n = view_rows(v, f, rows);
	put(root, "time", time_json(&f->wall));
	put(root, "interval_s", json_object_new_double(round(f->interval_s * 1000) / 1000));
	for (i = 0; i < n; i++)
		json_object_array_add(ops, op_json(f, &f->rows[rows[i]]));
	free(rows);
	put(root, "ops", ops);
	ndjson_close_frame(root, f);
	return root;
}

static int ndjson_frame(struct output *o, const struct output_frame *f)
{
	struct ndjson_output *nd = (struct ndjson_output *)o;
	json_object *root;
	int rc;

	if (!f->summary && !f->shown)
		return 0;
	root = f->source == FRAME_CALLS ? ndjson_calls_frame(&nd->view, f) : ndjson_ops_frame(f);
	if (!root)
		return -ENOMEM;
	rc = fprintf(nd->f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	fflush(nd->f);
	return rc < 0 ? -EIO : 0;
}

static int ndjson_close(struct output *o)
{
	free(o);
	return 0;
}

static const struct output_ops ndjson_ops = {
	.name = "ndjson", .frame = ndjson_frame, .close = ndjson_close,
};

struct output *output_ndjson_open(FILE *f, const struct view *v)
{
	struct ndjson_output *nd = calloc(1, sizeof(*nd));

	if (!nd)
		return NULL;
	nd->base.ops = &ndjson_ops;
	nd->f = f;
	nd->view = *v;
	return &nd->base;
}
