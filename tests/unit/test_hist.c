// SPDX-License-Identifier: MIT
/* Log-linear buckets and percentiles against exact answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>
#include "maps/hist.h"

static void test_small_values_get_exact_buckets(void **state)
{
	for (unsigned long long v = 0; v < HIST_SUBS; v++) {
		assert_int_equal(hist_bucket_index(v), v);
		assert_int_equal(hist_bucket_lower(v), v);
		assert_int_equal(hist_bucket_upper(v), v + 1);
	}
}

static void check_value(unsigned long long v)
{
	unsigned int i = hist_bucket_index(v);

	assert_true(i < HIST_NR_BUCKETS);
	assert_true(hist_bucket_lower(i) <= v);
	if (i != HIST_LAST_BUCKET)
		assert_true(v < hist_bucket_upper(i));
	else
		assert_true(v <= hist_bucket_upper(i));	/* 2^64 - 1, inclusive */
}

static void test_every_value_lies_within_its_bucket_bounds(void **state)
{
	unsigned long long v;
	unsigned int k;

	for (k = 0; k < 64; k++) {
		v = 1ULL << k;
		check_value(v);
		check_value(v - 1);
		check_value(v + 1);
		check_value(v + v / 3);
	}
	srand(7);
	for (k = 0; k < 100000; k++)
		check_value(((unsigned long long)rand() << 33 ^ (unsigned long long)rand() << 2 ^
			     rand()) >> (rand() % 64));
	check_value(~0ULL);
	/* every value has a bucket of its own: nothing overflows into a shared one */
	assert_int_equal(hist_bucket_index(~0ULL), HIST_LAST_BUCKET);
	assert_true(hist_bucket_index(1ULL << 63) < HIST_LAST_BUCKET);
}

static void test_buckets_are_contiguous_and_at_most_one_sixteenth_wide(void **state)
{
	unsigned int i;

	for (i = 0; i < HIST_LAST_BUCKET; i++) {
		unsigned long long lo = hist_bucket_lower(i), hi = hist_bucket_upper(i);

		assert_int_equal(hi, hist_bucket_lower(i + 1));
		assert_true(hi > lo);
		if (i >= HIST_SUBS)
			assert_true((hi - lo) * HIST_SUBS <= lo);
		/* the index of a bucket's lower bound is the bucket */
		assert_int_equal(hist_bucket_index(lo), i);
		assert_int_equal(hist_bucket_index(hi - 1), i);
	}
	/* the last bucket is as narrow as the others: [31 * 2^59, 2^64) */
	assert_int_equal(hist_bucket_lower(HIST_LAST_BUCKET), 31ULL << 59);
	assert_int_equal(hist_bucket_index((31ULL << 59) - 1), HIST_LAST_BUCKET - 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void fill(struct histogram *h, uint64_t *v, size_t n)
{
	size_t i;

	hist_free(h);
	for (i = 0; i < n; i++)
		assert_int_equal(hist_add_value(h, v[i]), 0);
	qsort(v, n, sizeof(*v), cmp_u64);
}

/* Nearest rank on the sorted values vs the histogram: within one bucket. */
static void check_percentiles(struct histogram *h, const uint64_t *sorted, size_t n)
{
	static const double ps[] = { 0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0 };
	size_t i;

	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		size_t rank = (size_t)ceil(ps[i] * (double)n);
		uint64_t exact = sorted[(rank ? rank : 1) - 1];
		unsigned int b = hist_bucket_index(exact);
		double width = (double)(hist_bucket_upper(b) - hist_bucket_lower(b));
		double got = hist_percentile(h, ps[i]);

		if (fabs(got - (double)exact) > width)
			fail_msg("p%g: histogram %.1f, exact %llu, bucket width %.0f", ps[i] * 100,
				 got, (unsigned long long)exact, width);
	}
	assert_int_equal(h->min, sorted[0]);
	assert_int_equal(h->max, sorted[n - 1]);
}

#define N 200000
static uint64_t vals[N];
static struct histogram hist;

static void test_percentiles_within_one_bucket_uniform(void **state)
{
	srand(1);
	for (size_t i = 0; i < N; i++)
		vals[i] = 1000 + (uint64_t)rand() % 1000000;
	fill(&hist, vals, N);
	check_percentiles(&hist, vals, N);
	assert_int_equal(hist.count, N);
}

static void test_percentiles_within_one_bucket_bimodal(void **state)
{
	srand(2);
	for (size_t i = 0; i < N; i++)
		vals[i] = rand() % 10 ? 50000 + rand() % 5000 : 5000000 + rand() % 100000;
	fill(&hist, vals, N);
	check_percentiles(&hist, vals, N);
}

static void test_percentiles_within_one_bucket_heavy_tailed(void **state)
{
	srand(3);
	for (size_t i = 0; i < N; i++) {
		double u = (rand() + 1.0) / ((double)RAND_MAX + 2.0);

		vals[i] = (uint64_t)(10000.0 / pow(u, 1 / 1.2)); /* Pareto, alpha 1.2 */
	}
	fill(&hist, vals, N);
	check_percentiles(&hist, vals, N);
}

/* LSNs, offsets, timestamps: values anywhere in 2^0..2^63, which used to
 * share one overflow bucket from 2^40 on (p99.9 came out below the mean). */
static void test_percentiles_within_one_bucket_over_the_whole_64_bit_range(void **state)
{
	srand(4);
	for (size_t i = 0; i < N; i++) {
		unsigned int k = (unsigned int)(rand() % 64);
		uint64_t r = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 2 ^ (uint64_t)rand();

		vals[i] = (1ULL << k) | (r & ((1ULL << k) - 1));	/* in [2^k, 2^(k+1)) */
	}
	fill(&hist, vals, N);
	check_percentiles(&hist, vals, N);
	assert_true(hist.nr > 900);	/* sparse, but every octave has its buckets */
}

static void test_sum_and_mean_are_exact_past_2_to_the_64(void **state)
{
	uint64_t v[] = { 1ULL << 63, 1ULL << 63, 1ULL << 63, 6 };
	char text[48];

	fill(&hist, v, 4);
	assert_int_equal(hist.sum_hi, 1);
	assert_int_equal(hist.sum, (1ULL << 63) + 6);
	assert_string_equal(hist_sum_text(&hist, text, sizeof(text)), "27670116110564327430");
	assert_true(fabs(hist_mean(&hist) - 6917529027641081857.5) < 1e4);
}

/* {0, 0, 3000, 3000}: the median is 0, not a point inside the bucket of 0 */
static void test_small_values_are_their_own_percentiles(void **state)
{
	uint64_t v[] = { 0, 0, 3000, 3000, 7, 7, 7 };

	fill(&hist, v, 4);
	assert_true(hist_percentile(&hist, 0.5) == 0.0);
	assert_true(hist_percentile(&hist, 0.99) == 3000.0);
	fill(&hist, v + 4, 3);
	assert_true(hist_percentile(&hist, 0.5) == 7.0);
}

static void test_mean_is_exact(void **state)
{
	uint64_t v[] = { 10, 20, 30, 1000000 };

	fill(&hist, v, 4);
	assert_true(fabs(hist_mean(&hist) - 250015.0) < 1e-9);
}

static uint64_t bin_count(const struct histogram *h, unsigned int idx)
{
	for (uint32_t i = 0; i < h->nr; i++)
		if (h->bins[i].idx == idx)
			return h->bins[i].n;
	return 0;
}

static void test_delta_of_monotonic_counters_is_the_interval(void **state)
{
	static uint64_t ka[HIST_NR_BUCKETS], kb[HIST_NR_BUCKETS];
	struct histogram a = { 0 }, b = { 0 }, d = { 0 };

	ka[20] = 5;
	kb[20] = 8;
	kb[30] = 2;
	assert_int_equal(hist_set_buckets(&a, ka, 500, 0), 0);
	assert_int_equal(hist_set_buckets(&b, kb, 900, 0), 0);
	assert_int_equal(hist_delta(&d, &b, &a), 0);
	assert_int_equal(d.count, 5);
	assert_int_equal(d.nr, 2);
	assert_int_equal(bin_count(&d, 20), 3);
	assert_int_equal(bin_count(&d, 30), 2);
	assert_int_equal(d.sum, 400);
	/* a 128-bit sum borrows across the halves */
	a.sum = ~0ULL - 1;
	a.sum_hi = 0;
	b.sum = 3;
	b.sum_hi = 1;
	assert_int_equal(hist_delta(&d, &b, &a), 0);
	assert_int_equal(d.sum, 5);
	assert_int_equal(d.sum_hi, 0);
	/* merging adds them back */
	assert_int_equal(hist_merge(&d, &a), 0);
	assert_int_equal(d.count, 10);
	assert_int_equal(d.sum, 3);
	assert_int_equal(d.sum_hi, 1);
	hist_free(&a);
	hist_free(&b);
	hist_free(&d);
}

static void test_extrema_fold_keeps_zero_as_a_real_value(void **state)
{
	static struct histogram h;

	hist_fold_extrema(&h, 0, 0);		/* an empty kernel slot */
	assert_false(h.has_extrema);
	hist_fold_extrema(&h, ~0ULL, 7);	/* min 0, max 7 */
	assert_true(h.has_extrema);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, 7);
	hist_fold_extrema(&h, ~3ULL, 9);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, 9);
}

static void test_empty_histogram_percentile_is_zero(void **state)
{
	static struct histogram h;

	assert_true(hist_percentile(&h, 0.99) == 0.0);
	assert_true(hist_mean(&h) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_values_get_exact_buckets),
		cmocka_unit_test(test_every_value_lies_within_its_bucket_bounds),
		cmocka_unit_test(test_buckets_are_contiguous_and_at_most_one_sixteenth_wide),
		cmocka_unit_test(test_percentiles_within_one_bucket_uniform),
		cmocka_unit_test(test_percentiles_within_one_bucket_bimodal),
		cmocka_unit_test(test_percentiles_within_one_bucket_heavy_tailed),
		cmocka_unit_test(test_percentiles_within_one_bucket_over_the_whole_64_bit_range),
		cmocka_unit_test(test_sum_and_mean_are_exact_past_2_to_the_64),
		cmocka_unit_test(test_small_values_are_their_own_percentiles),
		cmocka_unit_test(test_mean_is_exact),
		cmocka_unit_test(test_delta_of_monotonic_counters_is_the_interval),
		cmocka_unit_test(test_extrema_fold_keeps_zero_as_a_real_value),
		cmocka_unit_test(test_empty_histogram_percentile_is_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
