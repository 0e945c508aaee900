// SPDX-License-Identifier: MIT
/*
 * Summaries read back for diff (json-c): lat's, count's and watch's --json
 * shapes (README.md), and summary frames; see summary_read.h. The text is
 * untrusted: every field is type-checked, every bucket checked against the
 * log-linear bounds, and a bad one refused in one line.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "output/summary_read.h"

void op_set__free(struct op_set *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		op_stats__free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

const struct op_stats *op_set__find(const struct op_set *s, const char *op)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].op, op))
			return &s->v[i];
	return NULL;
}

/* The op's slot, added empty when new. NULL on ENOMEM. */
static struct op_stats *slot(struct op_set *s, const char *op)
{
	struct op_stats *v;
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].op, op))
			return &s->v[i];
	if (!(v = realloc(s->v, (s->nr + 1) * sizeof(*v))))
		return NULL;
	s->v = v;
	memset(&v[s->nr], 0, sizeof(*v));
	if (!(v[s->nr].op = strdup(op)))
		return NULL;
	return &v[s->nr++];
}

int op_set__from_frame(struct op_set *s, const struct output_frame *f)
{
	char **names;
	size_t i, n;
	int err;

	if ((err = frame_op_names(f, &names, &n)))
		return err;
	s->interval_s = f->interval_s;
	s->shape = f->source == FRAME_OPS ? "watch" : f->latency ? "lat" : "count";
	for (i = 0; i < n && !err; i++) {
		struct op_stats one, *to;

		if ((err = op_stats__from_frame(&one, f, names[i], NULL)))
			break;
		if (!(to = slot(s, names[i])))
			err = -ENOMEM;
		else
			err = op_stats__merge(to, &one);
		op_stats__free(&one);
	}
	frame_op_names_free(names, n);
	return err;
}

struct reader {
	char *err;
	size_t len;
	unsigned long line;
};

static int bad(struct reader *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (r->line)
		snprintf(r->err, r->len, "line %lu: %s", r->line, why);
	else
		snprintf(r->err, r->len, "%s", why);
	return -EINVAL;
}

/* o's key as a count: an integer >= 0 (up to 2^64 - 1). 0, 1 absent, -EINVAL. */
static int get_u64(struct reader *r, json_object *o, const char *key, uint64_t *v,
		   const char *where)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return 1;
	if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0)
		return bad(r, "%s: '%s' is not a count", where, key);
	*v = json_object_get_uint64(x);
	return 0;
}

/* A number >= 0: 0, 1 absent, -EINVAL. */
static int get_num(struct reader *r, json_object *o, const char *key, double *v,
		   const char *where)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return 1;
	if (!json_object_is_type(x, json_type_int) && !json_object_is_type(x, json_type_double))
		return bad(r, "%s: '%s' is not a number", where, key);
	*v = json_object_get_double(x);
	if (!isfinite(*v) || *v < 0)
		return bad(r, "%s: '%s' is not a number >= 0", where, key);
	return 0;
}

/* lat's buckets: [[lower, upper, n], ...], each exactly one log-linear bucket. */
static int read_buckets(struct reader *r, json_object *arr, struct stat_dist *d,
			const char *where)
{
	uint64_t *dense = NULL, total = 0;
	size_t i, n;
	int rc = 0;

	if (!json_object_is_type(arr, json_type_array))
		return bad(r, "%s: 'buckets' is not an array", where);
	if (!(dense = calloc(HIST_NR_BUCKETS, sizeof(*dense))))
		return -ENOMEM;
	n = json_object_array_length(arr);
	for (i = 0; i < n && !rc; i++) {
		json_object *b = json_object_array_get_idx(arr, i), *x[3];
		uint64_t v[3];
		unsigned int k, idx;

		if (!json_object_is_type(b, json_type_array) || json_object_array_length(b) != 3) {
			rc = bad(r, "%s: bucket %zu is not [lower, upper, count]", where, i);
			break;
		}
		for (k = 0; k < 3; k++) {
			x[k] = json_object_array_get_idx(b, k);
			if (!json_object_is_type(x[k], json_type_int) ||
			    json_object_get_int64(x[k]) < 0) {
				rc = bad(r, "%s: bucket %zu is not three counts", where, i);
				break;
			}
			v[k] = json_object_get_uint64(x[k]);
		}
		if (rc)
			break;
		idx = hist_bucket_index(v[0]);
		if (hist_bucket_lower(idx) != v[0] || hist_bucket_upper(idx) != v[1] || !v[2] ||
		    dense[idx] + v[2] < v[2] || total + v[2] < v[2]) {
			rc = bad(r, "%s: bucket %zu [%llu, %llu, %llu] is not a synctrace bucket",
				 where, i, (unsigned long long)v[0], (unsigned long long)v[1],
				 (unsigned long long)v[2]);
			break;
		}
		dense[idx] += v[2];
		total += v[2];
	}
	if (!rc && total != d->count)
		rc = bad(r, "%s: buckets hold %llu calls, count says %llu", where,
			 (unsigned long long)total, (unsigned long long)d->count);
	if (!rc)
		rc = hist_set_buckets(&d->h, dense, 0, 0);
	free(dense);
	if (rc)
		return rc;
	d->exact = true;
	return 0;
}

/* A latency_ns or value object: buckets (lat), else the printed numbers (watch). */
static int read_dist(struct reader *r, json_object *o, struct stat_dist *d, uint64_t count,
		     const char *where)
{
	json_object *buckets;
	double mean = 0, x;
	unsigned int m;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return bad(r, "%s is not an object", where);
	d->present = true;
	d->count = count;
	if ((rc = get_u64(r, o, "count", &d->count, where)) < 0)
		return rc;
	if ((rc = get_u64(r, o, "min", &d->min, where)) < 0)
		return rc;
	d->has_min = !rc && d->count;
	if ((rc = get_u64(r, o, "max", &d->max, where)) < 0)
		return rc;
	d->has_max = !rc && d->count;
	if (d->has_min && d->has_max && d->min > d->max)
		return bad(r, "%s: min > max", where);
	if (json_object_object_get_ex(o, "buckets", &buckets)) {
		if ((rc = read_buckets(r, buckets, d, where)))
			return rc;
		if ((rc = get_num(r, o, "mean", &mean, where)) < 0)
			return rc;
		/* the sum, from the mean printed to 0.1: the mean is what is compared */
		x = round(mean * (double)d->count);
		d->h.sum = x < 1.8e19 ? (uint64_t)x : UINT64_MAX;
		d->h.min = d->min;
		d->h.max = d->max;
		d->h.has_extrema = d->has_min && d->has_max;
		return 0;
	}
	for (m = METRIC_FIRST_DIST; m < METRIC_NR; m++) {
		if ((rc = get_num(r, o, metric_name((enum metric)m), &x, where)) < 0)
			return rc;
		if (rc)
			continue;
		d->v[m - METRIC_FIRST_DIST] = x;
		d->known |= 1U << (m - METRIC_FIRST_DIST);
	}
	return 0;
}

/* One row of ops[] into its op's stats. */
static int read_row(struct reader *r, struct op_set *s, json_object *o, size_t i)
{
	struct op_stats row = { .rows = 1, .interval_s = s->interval_s }, *to;
	json_object *x, *name;
	char where[48];
	int rc;

	snprintf(where, sizeof(where), "ops[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return bad(r, "%s is not an object", where);
	if (!json_object_object_get_ex(o, "op", &name) ||
	    !json_object_is_type(name, json_type_string) || !json_object_get_string_len(name) ||
	    strlen(json_object_get_string(name)) != (size_t)json_object_get_string_len(name))
		return bad(r, "%s: no op name", where);
	if ((rc = get_u64(r, o, "count", &row.count, where)))
		return rc < 0 ? rc : bad(r, "%s: no count", where);
	if ((rc = get_u64(r, o, "errors", &row.errors, where)) < 0)
		return rc;
	row.has_errors = !rc;
	if ((rc = get_u64(r, o, "timeouts", &row.timeouts, where)) < 0)
		return rc;
	row.has_timeouts = !rc;
	rc = 0;
	if (json_object_object_get_ex(o, "latency_ns", &x))
		rc = read_dist(r, x, &row.latency, row.count, where);
	if (!rc && json_object_object_get_ex(o, "value", &x))
		rc = read_dist(r, x, &row.value, 0, where);
	if (!rc) {
		to = slot(s, json_object_get_string(name));
		rc = to ? op_stats__merge(to, &row) : -ENOMEM;
	}
	op_stats__free(&row);
	return rc;
}

static int read_summary(struct reader *r, struct op_set *s, json_object *root)
{
	json_object *ops, *x;
	size_t i, n;
	int rc;

	if ((rc = get_num(r, root, "interval_s", &s->interval_s, "the summary")))
		return rc < 0 ? rc : bad(r, "the summary has no interval_s");
	if (!json_object_object_get_ex(root, "ops", &ops) ||
	    !json_object_is_type(ops, json_type_array))
		return bad(r, "the summary has no ops array");
	s->shape = json_object_object_get_ex(root, "op_totals", &x) ? "watch" : "count";
	n = json_object_array_length(ops);
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ops, i);

		if (json_object_object_get_ex(o, "latency_ns", &x) &&
		    json_object_object_get_ex(x, "buckets", &x))
			s->shape = "lat";
		if ((rc = read_row(r, s, o, i)))
			return rc;
	}
	return 0;
}

static bool is_summary(json_object *o)
{
	json_object *x;

	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "summary", &x) &&
	       json_object_is_type(x, json_type_boolean) && json_object_get_boolean(x);
}

/* text as one JSON value, or NULL (the reason in r). */
static json_object *parse(struct reader *r, const char *text, size_t n)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	if (!tok) {
		bad(r, "out of memory");
		return NULL;
	}
	if (n > INT32_MAX) {
		json_tokener_free(tok);
		bad(r, "a line too long");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, text, (int)n);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		bad(r, "not JSON (is it lat, count or watch --json output?)");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int op_set__parse_summary(struct op_set *s, const char *text, size_t n, char *err, size_t len)
{
	struct reader r = { err, len, 0 };
	json_object *o = parse(&r, text, n);
	int rc;

	memset(s, 0, sizeof(*s));
	if (!o)
		return -EINVAL;
	rc = is_summary(o) ? read_summary(&r, s, o) : bad(&r, "not a summary (\"summary\": true)");
	json_object_put(o);
	if (rc)
		op_set__free(s);
	return rc;
}

static bool blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

int op_set__read_ndjson(struct op_set *s, FILE *f, char *err, size_t len)
{
	struct reader r = { err, len, 0 };
	json_object *last = NULL, *o;
	unsigned long last_line = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		r.line++;
		if (blank(line, (size_t)n))
			continue;
		if ((size_t)n > SUMMARY_LINE_MAX) {
			rc = bad(&r, "longer than %u MiB", SUMMARY_LINE_MAX >> 20);
			goto cleanup;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (!(o = parse(&r, line, (size_t)n))) {
			rc = -EINVAL;
			goto cleanup;
		}
		if (!is_summary(o)) {
			json_object_put(o);
			continue;
		}
		json_object_put(last);
		last = o;
		last_line = r.line;
	}
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;	/* EISDIR for a directory */
		goto cleanup;
	}
	if (!last) {
		r.line = 0;
		rc = bad(&r, "no summary line (\"summary\": true): is it lat, count or watch "
			 "--json output?");
		goto cleanup;
	}
	r.line = last_line;
	rc = read_summary(&r, s, last);
cleanup:
	json_object_put(last);
	free(line);
	if (rc)
		op_set__free(s);
	return rc;
}
