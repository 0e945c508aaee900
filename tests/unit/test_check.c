// SPDX-License-Identifier: MIT
/* --assert checks (output/check.c): the grammar, and judging frames built here. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "output/check.h"

static void parse_ok(const char *text, struct check *c)
{
	char err[512] = "";

	if (check__parse(c, text, err, sizeof(err)))
		fail_msg("'%s' should parse: %s", text, err);
}

static void parse_bad(const char *text, const char *why)
{
	struct check c;
	char err[512] = "";

	if (check__parse(&c, text, err, sizeof(err)) != -EINVAL)
		fail_msg("'%s' should be refused", text);
	if (!strstr(err, why) || strncmp(err, "bad --assert '", 14) || strchr(err, '\n'))
		fail_msg("'%s': expected one line saying '%s', got '%s'", text, why, err);
}

static void test_limits_are_read_in_the_metrics_base_unit(void **state)
{
	struct check c;

	parse_ok("push.p95<100ms", &c);
	assert_string_equal(c.op, "push");
	assert_null(c.label);
	assert_int_equal(c.metric.m, METRIC_P95);
	assert_int_equal(c.cmp, CMP_LT);
	assert_true(c.limit == 100e6);
	check__free(&c);
	parse_ok("sync.error_rate <= 5%", &c);
	assert_int_equal(c.cmp, CMP_LE);
	assert_true(c.limit == 0.05);
	check__free(&c);
	parse_ok("sync.error_rate<0.05", &c);
	assert_true(c.limit == 0.05);
	check__free(&c);
	parse_ok("apply.count>=1000", &c);
	assert_int_equal(c.cmp, CMP_GE);
	assert_true(c.limit == 1000);
	check__free(&c);
	parse_ok("relay_push.rate>50/s", &c);
	assert_int_equal(c.metric.m, METRIC_RATE);
	assert_true(c.limit == 50);
	check__free(&c);
	parse_ok("x.p999==2.5us", &c);
	assert_int_equal(c.cmp, CMP_EQ);
	assert_true(c.limit == 2500);
	check__free(&c);
	parse_ok("x.max>1e3ns", &c);
	assert_true(c.limit == 1000);
	check__free(&c);
}

static void test_op_names_keep_dots_brackets_and_comparators(void **state)
{
	struct check c;

	/* parsed from the right: a Go method, a C++ template, a label */
	parse_ok("main.(*T).apply.p99<1s", &c);
	assert_string_equal(c.op, "main.(*T).apply");
	check__free(&c);
	parse_ok("q::Queue<int>::push.count>0", &c);
	assert_string_equal(c.op, "q::Queue<int>::push");
	assert_int_equal(c.cmp, CMP_GT);
	check__free(&c);
	parse_ok("push[3].p95<2ms", &c);
	assert_string_equal(c.op, "push");
	assert_string_equal(c.label, "3");
	assert_string_equal(c.whole, "push[3]");
	check__free(&c);
	parse_ok("req.value.p99<4096", &c);
	assert_string_equal(c.op, "req");
	assert_true(c.metric.value);
	check__free(&c);
	parse_ok("x.value.latency.p50<1ms", &c);
	assert_string_equal(c.op, "x.value");
	assert_false(c.metric.value);
	check__free(&c);
}

static void test_malformed_checks_say_why_in_one_line(void **state)
{
	parse_bad("push.p95", "expected OP.METRIC<LIMIT");
	parse_bad("push.p95=1ms", "expected OP.METRIC<LIMIT");
	parse_bad("p95<1ms", "expected OP.METRIC");
	parse_bad(".p95<1ms", "expected OP.METRIC");
	parse_bad("push.p96<1ms", "unknown metric 'p96'");
	parse_bad("push.p95<100", "a latency's limit needs a unit");
	parse_bad("push.p95<100parsecs", "a latency's limit needs a unit");
	parse_bad("push.count<5ms", "count takes a plain number");
	parse_bad("push.count<-1", "not a number >= 0");
	parse_bad("push.count<inf", "not a number >= 0");
	parse_bad("push.count<0x10", "not a number >= 0");
	parse_bad("push.count<", "not a number >= 0");
	parse_bad("push.error_rate<5", "error_rate is a percentage");
	parse_bad("push.value.count<5", "values have percentiles");
	parse_bad("push[].p95<1ms", "an empty label");
	parse_bad("push\n.p95<\x1b[2J", "bad --assert 'push\\n.p95<\\x1b[2J'");
	/* the pieces quoted in the reason are escaped too (found by fuzz_check) */
	parse_bad("sync.er\x01rate<4%", "unknown metric 'er\\x01rate'");
	parse_bad("push.count<1\x1b[2J", "takes a plain number, not '\\x1b[2J'");
}

/* One op over two labels and a second op; histograms filled value by value. */
struct fixture {
	struct histogram lat[2], val;
	struct frame_row rows[3];
	struct frame_op ops[2];
	struct output_frame f;
};

static void fixture_init(struct fixture *x, bool summary)
{
	uint64_t v;

	memset(x, 0, sizeof(*x));
	for (v = 1; v <= 100; v++)
		assert_int_equal(hist_add_value(&x->lat[0], v * 1000), 0);	/* 1..100 us */
	for (v = 1; v <= 100; v++)
		assert_int_equal(hist_add_value(&x->lat[1], v * 1000000), 0);	/* 1..100 ms */
	for (v = 1; v <= 10; v++)
		assert_int_equal(hist_add_value(&x->val, v), 0);
	x->rows[0] = (struct frame_row){ .op = "push", .count = 100, .errors = 5,
		.has = FRAME_HAS_ERRORS | FRAME_HAS_LATENCY | FRAME_HAS_LABEL,
		.label = { .kind = FRAME_LABEL_VALUE, .text = "1" },
		.latency = { .h = &x->lat[0] } };
	x->rows[1] = (struct frame_row){ .op = "push", .count = 100, .errors = 15,
		.has = FRAME_HAS_ERRORS | FRAME_HAS_LATENCY | FRAME_HAS_LABEL,
		.label = { .kind = FRAME_LABEL_VALUE, .text = "2" },
		.latency = { .h = &x->lat[1] } };
	x->rows[2] = (struct frame_row){ .op = "read", .count = 10, .has = FRAME_HAS_VALUE,
		.value = { .h = &x->val, .has_max = true, .max = 10 } };
	x->ops[0] = (struct frame_op){ .op = "push", .has = x->rows[0].has, .labelled = true };
	x->ops[1] = (struct frame_op){ .op = "idle", .has = FRAME_HAS_LATENCY };
	x->f = (struct output_frame){ .source = FRAME_OPS, .summary = summary, .interval_s = 4,
		.nr_rows = 3, .rows = x->rows, .nr_ops = 2, .ops = x->ops };
}

static void fixture_free(struct fixture *x)
{
	hist_free(&x->lat[0]);
	hist_free(&x->lat[1]);
	hist_free(&x->val);
}

static int eval(const char *text, const struct output_frame *f, char *msg, size_t len)
{
	struct check c;
	int rc;

	parse_ok(text, &c);
	msg[0] = '\0';
	rc = check__eval(&c, f, msg, len);
	check__free(&c);
	return rc;
}

static void test_an_ops_labels_merge_exactly(void **state)
{
	struct fixture x;
	char msg[512];

	fixture_init(&x, true);
	/* 200 calls over both labels: the 95th percentile is the 190th, ~90 ms */
	assert_int_equal(eval("push.count==200", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("push.rate==50", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("push.errors==20", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("push.error_rate==10%", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("push.p95>85ms", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("push.p95<95ms", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("push.p50<1.1ms", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	/* one label's row */
	assert_int_equal(eval("push[1].p95<100us", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("push[2].error_rate==15%", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("read.value.max==10", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	fixture_free(&x);
}

static void test_a_broken_check_says_value_and_limit(void **state)
{
	struct fixture x;
	char msg[512];

	fixture_init(&x, true);
	assert_int_equal(eval("push.p95<10ms", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_non_null(strstr(msg, "push.p95 = "));
	assert_non_null(strstr(msg, "ms, not < 10.0ms"));
	assert_int_equal(eval("push.error_rate<5%", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_string_equal(msg, "push.error_rate = 10.00%, not < 5.00%");
	assert_int_equal(eval("push.count>=1000", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_string_equal(msg, "push.count = 200, not >= 1000");
	fixture_free(&x);
}

static void test_what_cannot_be_measured_breaks_the_summary_only(void **state)
{
	struct fixture x;
	char msg[512];

	fixture_init(&x, true);
	/* declared, never called: counts are 0, latency has nothing to measure */
	assert_int_equal(eval("idle.count==0", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	assert_int_equal(eval("idle.p95<1ms", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_string_equal(msg, "idle.p95: no calls to measure");
	assert_int_equal(eval("nope.count==0", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_string_equal(msg, "nope.count: no op 'nope' in this run");
	assert_int_equal(eval("read.error_rate<1%", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_string_equal(msg, "read.error_rate: counts no errors (no error= in its op)");
	assert_int_equal(eval("read.p95<1ms", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_int_equal(eval("push[9].p95<1ms", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	assert_int_equal(eval("push[9].count==0", &x.f, msg, sizeof(msg)), CHECK_HOLDS);
	/* an interval without calls has nothing too slow in it */
	x.f.summary = false;
	assert_int_equal(eval("idle.p95<1ms", &x.f, msg, sizeof(msg)), CHECK_SKIPPED);
	assert_int_equal(eval("nope.count==0", &x.f, msg, sizeof(msg)), CHECK_BROKEN);
	fixture_free(&x);
}

static void test_printed_percentiles_of_several_rows_are_not_merged(void **state)
{
	struct op_stats a = { .rows = 1, .count = 10 }, b = { .rows = 1, .count = 30 }, m = { 0 };
	struct metric_ref p95 = { METRIC_P95, false }, mean = { METRIC_MEAN, false };
	const char *why;
	double v;

	a.latency = (struct stat_dist){ .present = true, .count = 10,
		.known = 1U << (METRIC_P95 - METRIC_FIRST_DIST) | 1U << (METRIC_MEAN - METRIC_FIRST_DIST) };
	a.latency.v[METRIC_P95 - METRIC_FIRST_DIST] = 100;
	a.latency.v[METRIC_MEAN - METRIC_FIRST_DIST] = 10;
	b.latency = a.latency;
	b.latency.count = 30;
	b.latency.v[METRIC_MEAN - METRIC_FIRST_DIST] = 30;
	assert_int_equal(op_stats__merge(&m, &a), 0);
	assert_int_equal(op_stats__metric(&m, p95, &v, &why), 0);
	assert_true(v == 100);
	assert_int_equal(op_stats__merge(&m, &b), 0);
	assert_int_equal(op_stats__metric(&m, p95, &v, &why), -ENODATA);
	assert_int_equal(op_stats__metric(&m, mean, &v, &why), 0);
	assert_true(v == 25);		/* weighted: (10 * 10 + 30 * 30) / 40 */
	op_stats__free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_are_read_in_the_metrics_base_unit),
		cmocka_unit_test(test_op_names_keep_dots_brackets_and_comparators),
		cmocka_unit_test(test_malformed_checks_say_why_in_one_line),
		cmocka_unit_test(test_an_ops_labels_merge_exactly),
		cmocka_unit_test(test_a_broken_check_says_value_and_limit),
		cmocka_unit_test(test_what_cannot_be_measured_breaks_the_summary_only),
		cmocka_unit_test(test_printed_percentiles_of_several_rows_are_not_merged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
