// SPDX-License-Identifier: MIT
/* The NDJSON schema (field names exactly as documented) and string escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "maps/drain.h"
#include "output/open.h"

static char nasty_op[] = "we\"ird\\op\n\t\x01";
static char target[] = "/bin/x:op";

/* A lat or count frame of one row from s, as the NDJSON output writes it. */
static json_object *render(bool lat, bool summary, struct snapshot *s)
{
	struct frame_row row = { .op = nasty_op, .target = target,
				 .count = lat ? s->hists[0].count : s->counts[0],
				 .latency = { .h = lat ? &s->hists[0] : NULL } };
	struct frame_count drops[DROP_NR];
	struct output_frame fr = { .source = FRAME_CALLS, .summary = summary, .shown = true,
			    .latency = lat, .interval_s = 2.0, .wall = { 1700000000, 123000000 },
			    .nr_rows = 1, .rows = &row, .nr_drops = DROP_NR, .drops = drops };
	struct view v = { .show_all = true };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	struct output *out = output_ndjson_open(f, &v);
	json_object *o;

	for (i = 0; i < DROP_NR; i++)
		drops[i] = (struct frame_count){ drop_reason_name((unsigned int)i), s->drops[i] };
	assert_non_null(out);
	assert_int_equal(out->ops->frame(out, &fr), 0);
	assert_int_equal(out->ops->close(out), 0);
	fclose(f);
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', len - 1));	/* one line: NDJSON */
	o = json_tokener_parse(buf);
	free(buf);
	assert_non_null(o);
	return o;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("field '%s' missing", k);
	return v;
}

static void test_lat_object_has_the_documented_fields(void **state)
{
	struct snapshot *s = snapshot__new(1, 0);
	static const char *const lat_keys[] = {
		"min", "mean", "p50", "p90", "p95", "p99", "p999", "max", "buckets",
	};
	json_object *o, *op, *lat, *b;
	size_t i;

	hist_add_value(&s->hists[0], 1000);
	hist_add_value(&s->hists[0], 1000);
	hist_add_value(&s->hists[0], 1000);
	hist_add_value(&s->hists[0], 5000);
	s->drops[DROP_MISSED_RETURN] = 2;
	o = render(true, true, s);
	assert_string_equal(json_object_get_string(get(o, "time")), "2023-11-14T22:13:20.123Z");
	assert_true(json_object_get_double(get(o, "interval_s")) == 2.0);
	assert_true(json_object_get_boolean(get(o, "summary")));
	assert_int_equal(json_object_get_int64(get(get(o, "drops"), "missed_return")), 2);
	op = json_object_array_get_idx(get(o, "ops"), 0);
	assert_string_equal(json_object_get_string(get(op, "op")), nasty_op);
	assert_string_equal(json_object_get_string(get(op, "target")), target);
	assert_int_equal(json_object_get_int64(get(op, "count")), 4);
	lat = get(op, "latency_ns");
	for (i = 0; i < sizeof(lat_keys) / sizeof(lat_keys[0]); i++)
		get(lat, lat_keys[i]);
	assert_int_equal(json_object_object_length(lat), 9);
	assert_int_equal(json_object_get_int64(get(lat, "min")), 1000);
	assert_int_equal(json_object_get_int64(get(lat, "max")), 5000);
	assert_true(json_object_get_double(get(lat, "mean")) == 2000.0);
	b = get(lat, "buckets");				/* non-empty buckets only */
	assert_int_equal(json_object_array_length(b), 2);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(
		json_object_array_get_idx(b, 0), 2)), 3);
	assert_true(json_object_get_int64(json_object_array_get_idx(
		json_object_array_get_idx(b, 1), 0)) <= 5000);
	json_object_put(o);
	snapshot__free(s);
}

static void test_count_object_has_no_latency_and_interval_no_summary(void **state)
{
	struct snapshot *s = snapshot__new(0, 1);
	json_object *o, *op, *v;

	s->counts[0] = 10;
	o = render(false, false, s);
	assert_false(json_object_object_get_ex(o, "summary", &v));
	op = json_object_array_get_idx(get(o, "ops"), 0);
	assert_false(json_object_object_get_ex(op, "latency_ns", &v));
	assert_int_equal(json_object_get_int64(get(op, "count")), 10);
	assert_true(json_object_get_double(get(op, "rate_per_s")) == 5.0);
	json_object_put(o);
	snapshot__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lat_object_has_the_documented_fields),
		cmocka_unit_test(test_count_object_has_no_latency_and_interval_no_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
