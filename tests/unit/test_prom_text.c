// SPDX-License-Identifier: MIT
/* The Prometheus text: merged `le` buckets, exact numbers, escaped labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "output/prom_text.h"

static void test_groups_tile_every_value_with_at_most_4_per_octave(void **state)
{
	unsigned int g, k, in_octave;
	uint64_t v;

	(void)state;
	/* contiguous: each group starts one past the previous one's end */
	assert_int_equal(prom_group_lower(0), 0);
	for (g = 1; g < PROM_NR_GROUPS; g++)
		assert_true(prom_group_lower(g) == prom_group_upper(g - 1) + 1);
	assert_true(prom_group_upper(PROM_NR_GROUPS - 1) == UINT64_MAX);
	/* each value's exact bucket lies in the group whose bounds hold it */
	for (k = 0; k < 64; k++)
		for (v = (1ULL << k) - 1; v <= (1ULL << k) + 1 && v >= (1ULL << k) - 1; v++) {
			g = prom_group(hist_bucket_index(v));
			assert_true(prom_group_lower(g) <= v && v <= prom_group_upper(g));
		}
	/* [2^k, 2^(k+1)) holds at most PROM_GROUPS_PER_OCTAVE groups, each at
	 * most 1/4 of its lower bound wide */
	for (k = 4; k < 63; k++) {
		in_octave = prom_group(hist_bucket_index((2ULL << k) - 1)) -
			    prom_group(hist_bucket_index(1ULL << k)) + 1;
		assert_int_equal(in_octave, PROM_GROUPS_PER_OCTAVE);
		g = prom_group(hist_bucket_index(1ULL << k));
		assert_true(prom_group_upper(g) - prom_group_lower(g) + 1 == (1ULL << k) / 4);
	}
}

static void test_ns_and_counts_print_as_exact_decimals(void **state)
{
	char buf[48];

	(void)state;
	assert_string_equal(prom_decimal(buf, sizeof(buf), 1279, 9), "0.000001279");
	assert_string_equal(prom_decimal(buf, sizeof(buf), 1500000000, 9), "1.5");
	assert_string_equal(prom_decimal(buf, sizeof(buf), 3000000000, 9), "3");
	assert_string_equal(prom_decimal(buf, sizeof(buf), 0, 9), "0");
	assert_string_equal(prom_decimal(buf, sizeof(buf), UINT64_MAX, 0),
			    "18446744073709551615");
	assert_string_equal(prom_decimal(buf, sizeof(buf), UINT64_MAX, 9),
			    "18446744073.709551615");
	assert_string_equal(prom_decimal(buf, sizeof(buf), 1796512643227, 3), "1796512643.227");
}

static const char *escaped(struct prom_buf *b, const char *s)
{
	prom_buf__free(b);
	prom_buf__init(b, 1 << 16);
	prom_buf__label_value(b, s);
	assert_false(b->failed);
	return b->s;
}

static void test_label_values_are_escaped_and_made_utf8(void **state)
{
	struct prom_buf b = { 0 };

	(void)state;
	assert_string_equal(escaped(&b, "plain /r/1"), "\"plain /r/1\"");
	assert_string_equal(escaped(&b, "a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
	/* a traced process's bytes: a lone continuation byte, an overlong '/',
	 * a surrogate, a truncated sequence each become U+FFFD */
	assert_string_equal(escaped(&b, "x\x80y"), "\"x\xef\xbf\xbdy\"");
	assert_string_equal(escaped(&b, "\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	assert_string_equal(escaped(&b, "\xed\xa0\x80"),
			    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	assert_string_equal(escaped(&b, "\xe2\x82"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	/* well-formed UTF-8 stays as it is */
	assert_string_equal(escaped(&b, "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "\"r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	prom_buf__free(&b);
}

static void test_buffer_past_its_bound_fails_and_stays_failed(void **state)
{
	struct prom_buf b;

	(void)state;
	prom_buf__init(&b, 16);
	prom_buf__puts(&b, "0123456789");
	assert_false(b.failed);
	prom_buf__printf(&b, "%s", "0123456789");
	assert_true(b.failed);
	prom_buf__puts(&b, "x");
	assert_true(b.failed);
	assert_int_equal(b.len, 10);
	prom_buf__free(&b);
}

/* The count at `le` of each _bucket line, in order. */
static size_t bucket_lines(const char *page, char les[][32], uint64_t *counts, size_t max)
{
	const char *p = page;
	size_t n = 0;

	while ((p = strstr(p, "_bucket{")) && n < max) {
		const char *le = strstr(p, "le=\"") + 4;
		size_t len = (size_t)(strchr(le, '"') - le);

		memcpy(les[n], le, len);
		les[n][len] = '\0';
		counts[n++] = strtoull(strchr(le, ' ') + 1, NULL, 10);
		p = le;
	}
	return n;
}

static void test_histogram_buckets_are_cumulative_and_never_disappear(void **state)
{
	struct histogram h = { 0 };
	unsigned int lo = 1, hi = 0;
	char les[64][32];
	uint64_t counts[64];
	struct prom_buf b;
	size_t n;

	(void)state;
	/* 1000 ns, twice 1300 ns (same octave, next group), 5000 ns */
	assert_int_equal(hist_add_value(&h, 1000), 0);
	assert_int_equal(hist_add_value(&h, 1300), 0);
	assert_int_equal(hist_add_value(&h, 1300), 0);
	assert_int_equal(hist_add_value(&h, 5000), 0);
	prom_buf__init(&b, 1 << 20);
	prom_histogram(&b, "m_seconds", "op=\"x\"", &h, 9, &lo, &hi);
	assert_false(b.failed);
	n = bucket_lines(b.s, les, counts, 64);
	/* from 1000's group (896..1023) to 5000's (4096..5119), each group, +Inf */
	assert_string_equal(les[0], "0.000001023");
	assert_int_equal(counts[0], 1);
	assert_string_equal(les[1], "0.000001279");
	assert_int_equal(counts[1], 1);
	assert_string_equal(les[2], "0.000001535");
	assert_int_equal(counts[2], 3);
	assert_string_equal(les[n - 2], "0.000005119");
	assert_int_equal(counts[n - 2], 4);
	assert_string_equal(les[n - 1], "+Inf");
	assert_int_equal(counts[n - 1], 4);
	for (size_t i = 1; i < n; i++)
		assert_true(counts[i] >= counts[i - 1]);
	assert_non_null(strstr(b.s, "m_seconds_sum{op=\"x\"} 0.0000086\n"));
	assert_non_null(strstr(b.s, "m_seconds_count{op=\"x\"} 4\n"));

	/* a later page of a histogram that only has the 5000: the range
	 * already exposed stays, its lower buckets at 0 */
	prom_buf__free(&b);
	hist_free(&h);
	memset(&h, 0, sizeof(h));
	assert_int_equal(hist_add_value(&h, 5000), 0);
	prom_buf__init(&b, 1 << 20);
	prom_histogram(&b, "m_seconds", "op=\"x\"", &h, 9, &lo, &hi);
	assert_int_equal(bucket_lines(b.s, les, counts, 64), n);
	assert_string_equal(les[0], "0.000001023");
	assert_int_equal(counts[0], 0);
	assert_int_equal(counts[n - 1], 1);
	prom_buf__free(&b);
	hist_free(&h);
}

static void test_empty_and_top_histograms_have_inf_once(void **state)
{
	struct histogram h = { 0 };
	unsigned int lo = 1, hi = 0;
	struct prom_buf b;

	(void)state;
	prom_buf__init(&b, 1 << 20);
	prom_histogram(&b, "v", "", &h, 0, &lo, &hi);
	assert_string_equal(b.s, "v_bucket{le=\"+Inf\"} 0\nv_sum 0\nv_count 0\n");
	prom_buf__free(&b);
	/* the top group ends at 2^64 - 1: it is +Inf, not a bucket of its own */
	assert_int_equal(hist_add_value(&h, UINT64_MAX), 0);
	prom_buf__init(&b, 1 << 20);
	prom_histogram(&b, "v", "", &h, 0, &lo, &hi);
	assert_string_equal(b.s, "v_bucket{le=\"+Inf\"} 1\nv_sum 18446744073709551615\n"
			    "v_count 1\n");
	prom_buf__free(&b);
	hist_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_tile_every_value_with_at_most_4_per_octave),
		cmocka_unit_test(test_ns_and_counts_print_as_exact_decimals),
		cmocka_unit_test(test_label_values_are_escaped_and_made_utf8),
		cmocka_unit_test(test_buffer_past_its_bound_fails_and_stays_failed),
		cmocka_unit_test(test_histogram_buckets_are_cumulative_and_never_disappear),
		cmocka_unit_test(test_empty_and_top_histograms_have_inf_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
