// SPDX-License-Identifier: MIT
/* Summaries read back for diff (output/summary_read.c): lat's buckets, watch's rows, bad text. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "output/summary_read.h"

static int parse(struct op_set *s, const char *text, char *err, size_t len)
{
	return op_set__parse_summary(s, text, strlen(text), err, len);
}

static double metric(const struct op_set *s, const char *op, enum metric m)
{
	const struct op_stats *o = op_set__find(s, op);
	struct metric_ref r = { m, false };
	const char *why = "";
	double v;

	if (!o)
		fail_msg("no op %s", op);
	if (op_stats__metric(o, r, &v, &why))
		fail_msg("%s.%s: %s", op, metric_name(m), why);
	return v;
}

/* lat's buckets are the histogram itself: p95 is the one lat printed. */
static void test_lat_buckets_give_the_same_percentiles(void **state)
{
	struct histogram h = { 0 };
	struct op_set s;
	char text[8192], err[256];
	size_t n;
	uint32_t i;
	uint64_t v;

	for (v = 1; v <= 1000; v++)
		assert_int_equal(hist_add_value(&h, v * 997), 0);
	n = (size_t)snprintf(text, sizeof(text), "{\"interval_s\": 2.0, \"ops\": [{\"op\": \"f\", "
			     "\"target\": \"x:f\", \"count\": 1000, \"latency_ns\": {\"min\": 997, "
			     "\"mean\": %.1f, \"max\": 997000, \"buckets\": [", hist_mean(&h));
	for (i = 0; i < h.nr; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s[%llu, %llu, %llu]",
				      i ? ", " : "", hist_bucket_lower(h.bins[i].idx),
				      hist_bucket_upper(h.bins[i].idx),
				      (unsigned long long)h.bins[i].n);
	snprintf(text + n, sizeof(text) - n, "]}}], \"drops\": {}, \"summary\": true}");
	h.min = 997;
	h.max = 997000;
	h.has_extrema = true;
	assert_int_equal(parse(&s, text, err, sizeof(err)), 0);
	assert_string_equal(s.shape, "lat");
	assert_true(metric(&s, "f", METRIC_P95) == hist_percentile(&h, 0.95));
	assert_true(metric(&s, "f", METRIC_P99) == hist_percentile(&h, 0.99));
	assert_true(metric(&s, "f", METRIC_MAX) == 997000);
	assert_true(metric(&s, "f", METRIC_RATE) == 500);
	op_set__free(&s);
	hist_free(&h);
}

static void test_watch_rows_sum_and_one_row_keeps_its_percentiles(void **state)
{
	static const char text[] =
		"{\"time\": \"t\", \"interval_s\": 10, \"ops\": ["
		"{\"op\": \"push\", \"label\": 1, \"count\": 90, \"errors\": 9, \"error_rate\": 0.1,"
		" \"latency_ns\": {\"count\": 90, \"sum\": 900, \"mean\": 10, \"p95\": 20}},"
		"{\"op\": \"push\", \"label\": 2, \"count\": 10, \"errors\": 1, \"error_rate\": 0.1,"
		" \"latency_ns\": {\"count\": 10, \"sum\": 200, \"mean\": 20, \"p95\": 30}},"
		"{\"op\": \"pair\", \"count\": 5, \"timeouts\": 2, \"inflight\": 1,"
		" \"latency_ns\": {\"count\": 5, \"sum\": 50, \"mean\": 10, \"p95\": 12, \"max\": 13}}],"
		" \"op_totals\": [], \"summary\": true}";
	struct metric_ref p95 = { METRIC_P95, false };
	const char *why;
	struct op_set s;
	char err[256];
	double v;

	assert_int_equal(parse(&s, text, err, sizeof(err)), 0);
	assert_string_equal(s.shape, "watch");
	assert_true(metric(&s, "push", METRIC_COUNT) == 100);
	assert_true(metric(&s, "push", METRIC_ERROR_RATE) == 0.1);
	assert_true(metric(&s, "push", METRIC_RATE) == 10);
	assert_true(metric(&s, "push", METRIC_MEAN) == 11);
	assert_int_equal(op_stats__metric(op_set__find(&s, "push"), p95, &v, &why), -ENODATA);
	assert_true(metric(&s, "pair", METRIC_P95) == 12);
	assert_true(metric(&s, "pair", METRIC_MAX) == 13);
	assert_true(metric(&s, "pair", METRIC_TIMEOUTS) == 2);
	op_set__free(&s);
}

static void bad(const char *text, const char *why)
{
	struct op_set s;
	char err[256] = "";

	if (parse(&s, text, err, sizeof(err)) != -EINVAL)
		fail_msg("should be refused: %s", text);
	if (!strstr(err, why))
		fail_msg("%s: expected '%s', got '%s'", text, why, err);
	assert_int_equal(s.nr, 0);
}

static void test_bad_summaries_are_refused_with_a_reason(void **state)
{
	bad("{\"ops\": [], \"summary\": true", "not JSON");
	bad("{\"interval_s\": 1, \"ops\": []}", "not a summary");
	bad("{\"ops\": [], \"summary\": true}", "no interval_s");
	bad("{\"interval_s\": -1, \"ops\": [], \"summary\": true}", ">= 0");
	bad("{\"interval_s\": 1, \"ops\": [{\"count\": 1}], \"summary\": true}", "no op name");
	bad("{\"interval_s\": 1, \"ops\": [{\"op\": \"f\", \"count\": -1}], \"summary\": true}",
	    "not a count");
	bad("{\"interval_s\": 1, \"ops\": [{\"op\": \"f\", \"count\": 1.5}], \"summary\": true}",
	    "not a count");
	bad("{\"interval_s\": 1, \"ops\": [{\"op\": \"f\", \"count\": 1, \"latency_ns\": "
	    "{\"buckets\": [[16, 18, 1]]}}], \"summary\": true}", "not a synctrace bucket");
	bad("{\"interval_s\": 1, \"ops\": [{\"op\": \"f\", \"count\": 2, \"latency_ns\": "
	    "{\"buckets\": [[16, 17, 1]]}}], \"summary\": true}", "buckets hold 1 calls");
	bad("{\"interval_s\": 1, \"ops\": [{\"op\": \"f\", \"count\": 2, \"latency_ns\": "
	    "{\"buckets\": [[16, 17]]}}], \"summary\": true}", "not [lower, upper, count]");
	bad("{\"interval_s\": 1, \"ops\": [{\"op\": \"f\", \"count\": 2, \"latency_ns\": "
	    "{\"min\": 5, \"max\": 4}}], \"summary\": true}", "min > max");
}

static void test_the_last_summary_line_is_read(void **state)
{
	static const char text[] =
		"{\"interval_s\": 1, \"ops\": [{\"op\": \"a\", \"count\": 1}]}\n\n"
		"{\"interval_s\": 2, \"ops\": [{\"op\": \"a\", \"count\": 7}], \"summary\": true}\n"
		"{\"interval_s\": 3, \"ops\": [{\"op\": \"a\", \"count\": 9}], \"summary\": true}\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct op_set s;
	char err[256];

	assert_non_null(f);
	assert_int_equal(op_set__read_ndjson(&s, f, err, sizeof(err)), 0);
	assert_true(metric(&s, "a", METRIC_COUNT) == 9);
	op_set__free(&s);
	fclose(f);
	f = fmemopen((void *)"{\"a\": 1}\nnot json\n", 18, "r");
	assert_int_equal(op_set__read_ndjson(&s, f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2: not JSON"));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lat_buckets_give_the_same_percentiles),
		cmocka_unit_test(test_watch_rows_sum_and_one_row_keeps_its_percentiles),
		cmocka_unit_test(test_bad_summaries_are_refused_with_a_reason),
		cmocka_unit_test(test_the_last_summary_line_is_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
