/* SPDX-License-Identifier: MIT */
/* Inside the NDJSON output: what its two shapes share (ndjson.c, ndjson_ops.c). */
#ifndef SYNCTRACE_OUTPUT_NDJSON_H
#define SYNCTRACE_OUTPUT_NDJSON_H

#include <json-c/json.h>
#include "output/frame.h"
#include "output/view.h"

static inline void ndjson_put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static inline json_object *ndjson_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* A histogram's non-empty buckets: [[lower, upper, count], ...]. */
json_object *ndjson_buckets(const struct histogram *h);
/* What every frame ends with: "drops", and "summary": true for a summary. */
void ndjson_close_frame(json_object *root, const struct output_frame *f);
/* A FRAME_CALLS frame: lat's and count's shape, its rows chosen by v (NULL: no memory). */
json_object *ndjson_calls_frame(const struct view *v, const struct output_frame *f);
/* A FRAME_OPS frame (watch's shape; the fields are in the README). */
json_object *ndjson_ops_frame(const struct output_frame *f);

#endif /* SYNCTRACE_OUTPUT_NDJSON_H */
