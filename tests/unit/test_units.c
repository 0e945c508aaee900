// SPDX-License-Identifier: MIT
/* Durations and unsafe text as tables print them (output/units.h, output/text_safe.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "output/text_safe.h"
#include "output/units.h"
#include "maps/hist_bucket.h"

/* Histogram rows are [lower, upper) of a bucket: two bounds that differ must
 * never print the same ("0.01ms -> 0.01ms"), in any unit. */
static void test_distinct_bucket_bounds_never_print_the_same(void **state)
{
	static const enum unit units[] = { UNIT_AUTO, UNIT_NS, UNIT_US, UNIT_MS };
	char a[32], b[32];
	unsigned int u, i;

	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		/* bounds up to ~1.7e13 ns (4.8 h): beyond that, seconds are what is shown */
		for (i = 1; i + 1 < HIST_NR_BUCKETS && hist_bucket_lower(i + 1) < (1ULL << 44);
		     i++) {
			format_duration(a, sizeof(a), (double)hist_bucket_lower(i), units[u]);
			format_duration(b, sizeof(b), (double)hist_bucket_lower(i + 1), units[u]);
			if (!strcmp(a, b))
				fail_msg("unit %u: bounds %llu and %llu both print as %s", u,
					 hist_bucket_lower(i), hist_bucket_lower(i + 1), a);
		}
	}
}

static void test_durations_keep_three_significant_digits(void **state)
{
	char b[32];

	assert_string_equal(format_duration(b, sizeof(b), 12345, UNIT_MS), "0.0123ms");
	assert_string_equal(format_duration(b, sizeof(b), 12345, UNIT_AUTO), "12.3us");
	assert_string_equal(format_duration(b, sizeof(b), 587000, UNIT_AUTO), "587us");
	assert_string_equal(format_duration(b, sizeof(b), 1022000, UNIT_AUTO), "1.02ms");
	assert_string_equal(format_duration(b, sizeof(b), 999999, UNIT_AUTO), "1.00ms");
	assert_string_equal(format_duration(b, sizeof(b), 15, UNIT_AUTO), "15ns");
	assert_string_equal(format_duration(b, sizeof(b), 2.5e9, UNIT_AUTO), "2.50s");
	assert_string_equal(format_duration(b, sizeof(b), 0, UNIT_US), "0us");
	assert_string_equal(format_duration(b, sizeof(b), 76312, UNIT_US), "76.3us");
}

static void test_control_characters_are_escaped(void **state)
{
	char b[64];

	assert_string_equal(text_safe(b, sizeof(b), "a\nb\tc\x01\x7f\\", 0),
			    "a\\nb\\tc\\x01\\x7f\\\\");
	assert_int_equal(text_width("a\nb\x01"), 8);
	assert_null(strchr(text_safe(b, sizeof(b), "SELECT 1;\nDROP", 0), '\n'));
}

static void test_long_text_is_elided_in_the_middle(void **state)
{
	char b[256];

	/* the start (the verb) and the end (what differs) both stay */
	assert_string_equal(text_safe(b, sizeof(b),
				      "INSERT INTO accounts (id, owner, balance) VALUES (?, ?, 1)", 24),
			    "INSERT INTO... (?, ?, 1)");
	assert_int_equal(strlen(text_safe(b, sizeof(b), "0123456789abcdefghijklmnop", 10)), 10);
	assert_string_equal(text_safe(b, sizeof(b), "short", 10), "short");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct_bucket_bounds_never_print_the_same),
		cmocka_unit_test(test_durations_keep_three_significant_digits),
		cmocka_unit_test(test_control_characters_are_escaped),
		cmocka_unit_test(test_long_text_is_elided_in_the_middle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
