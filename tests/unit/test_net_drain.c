// SPDX-License-Identifier: MIT
/*
 * The net table (maps/net_drain.c) without the kernel: per-CPU counters
 * summed and extremes folded, the row order, histograms onto their rows,
 * and the interval between two readings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "maps/net_drain.h"

#define NCPU 3

static struct net_row_key key(unsigned int kind, unsigned int side, const char *op,
			      const char *label, bool other_op, bool other_label)
{
	struct net_row_key k;

	memset(&k, 0, sizeof(k));
	k.kind = (__u8)kind;
	k.side = (__u8)side;
	k.other_op = other_op;
	k.other_label = other_label;
	snprintf(k.op, sizeof(k.op), "%s", op);
	snprintf(k.label, sizeof(k.label), "%s", label);
	return k;
}

/* One row on NCPU CPUs: count n on each, 5xx on CPU 1, latency min/max per CPU. */
static void add(struct net_table *t, const struct net_row_key *k, uint64_t n,
		const uint64_t lat_min[NCPU], const uint64_t lat_max[NCPU])
{
	struct net_counters c[NCPU];
	int cpu;

	memset(c, 0, sizeof(c));
	for (cpu = 0; cpu < NCPU; cpu++) {
		c[cpu].count = n;
		c[cpu].bytes_in = 100 * n;
		c[cpu].sse_opened = n;
		c[cpu].ws_frames_in[NET_WS_TEXT] = n;
		c[cpu].lat_min_inv = lat_min[cpu] ? ~lat_min[cpu] : 0;
		c[cpu].lat_max = lat_max[cpu];
	}
	c[1].errors = 2;
	c[2].sse_closed = n;
	assert_int_equal(net_table__add_row(t, k, c, NCPU, sizeof(c[0])), 0);
}

static void test_per_cpu_counters_are_summed_and_extremes_folded(void **state)
{
	const uint64_t mins[NCPU] = { 900, 0, 300 }, maxs[NCPU] = { 1000, 0, 5000 };
	struct net_row_key k = key(NET_KIND_HTTP, NET_SIDE_SERVER, "GET /items/:id", "200",
				   false, false);
	struct net_table t = { 0 };
	struct net_row *r;

	add(&t, &k, 4, mins, maxs);
	net_table__sort(&t);
	r = net_table__find(&t, &k);
	assert_non_null(r);
	assert_int_equal(r->c.count, 12);
	assert_int_equal(r->c.errors, 2);
	assert_int_equal(r->c.bytes_in, 1200);
	assert_int_equal(r->c.ws_frames_in[NET_WS_TEXT], 12);
	assert_int_equal(r->lat_min, 300);	/* the smallest of the CPUs that saw one */
	assert_int_equal(r->lat_max, 5000);
	assert_int_equal(r->sse_open, 8);	/* 12 opened, 4 closed */
	net_table__free(&t);
}

static void test_rows_sort_by_kind_side_op_label_with_other_last(void **state)
{
	const uint64_t z[NCPU] = { 0 };
	struct net_row_key keys[] = {
		key(NET_KIND_PG_QUERY, NET_SIDE_CLIENT, "pg_query", "INSERT", false, false),
		key(NET_KIND_HTTP, NET_SIDE_CLIENT, "GET /a", "200", false, false),
		key(NET_KIND_HTTP, NET_SIDE_SERVER, "other", "200", true, false),
		key(NET_KIND_HTTP, NET_SIDE_SERVER, "POST /sync/push", "other", false, true),
		key(NET_KIND_HTTP, NET_SIDE_SERVER, "POST /sync/push", "500", false, false),
		key(NET_KIND_HTTP, NET_SIDE_SERVER, "GET /z", "200", false, false),
		key(NET_KIND_HTTP, NET_SIDE_SERVER, "POST /sync/push", "200", false, false),
	};
	const char *want[][2] = {
		{ "GET /z", "200" }, { "POST /sync/push", "200" }, { "POST /sync/push", "500" },
		{ "POST /sync/push", "other" }, { "other", "200" }, { "GET /a", "200" },
		{ "pg_query", "INSERT" },
	};
	struct net_table t = { 0 };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		add(&t, &keys[i], 1, z, z);
	net_table__sort(&t);
	assert_int_equal(t.nr_rows, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < t.nr_rows; i++) {
		assert_string_equal(t.rows[i].key.op, want[i][0]);
		assert_string_equal(t.rows[i].key.label, want[i][1]);
	}
	assert_int_equal(t.rows[5].key.side, NET_SIDE_CLIENT);
	for (i = 0; i < t.nr_rows; i++) {
		struct net_row *r = net_table__find(&t, &keys[i]);

		assert_non_null(r);
		assert_int_equal(net_key_cmp(&r->key, &keys[i]), 0);
	}
	net_table__free(&t);
}

/* A kernel histogram of n values v. */
static void set_hist(struct net_table *t, const struct net_row_key *k, unsigned int dist,
		     uint64_t v, uint64_t n)
{
	struct net_hist_key hk = { .row = *k, .dist = dist };
	struct net_hist *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->buckets[hist_bucket_index(v)] = n;
	h->sum = v * n;
	assert_int_equal(net_table__set_hist(t, &hk, h), 0);
	free(h);
}

static void test_delta_is_the_interval_and_gauges_stay_now(void **state)
{
	const uint64_t mins[NCPU] = { 1000, 1000, 1000 }, maxs[NCPU] = { 4000, 4000, 4000 };
	struct net_row_key a = key(NET_KIND_HTTP, NET_SIDE_SERVER, "GET /stream", "200", false,
				   false);
	struct net_row_key b = key(NET_KIND_HTTP, NET_SIDE_SERVER, "POST /sync/push", "201",
				   false, false);
	struct net_table before = { 0 }, now = { 0 }, d = { 0 };
	struct net_row *r;

	add(&before, &a, 2, mins, maxs);
	net_table__sort(&before);
	set_hist(&before, &a, NET_DIST_LATENCY, 2000, 6);
	before.time_ns = 1000;
	before.drops[NET_DROP_LOST_SYNC] = 1;
	before.totals.ops = 1;
	before.totals.op_overflow = 3;

	add(&now, &a, 5, mins, maxs);
	add(&now, &b, 1, mins, maxs);
	net_table__sort(&now);
	set_hist(&now, &a, NET_DIST_LATENCY, 2000, 15);
	set_hist(&now, &b, NET_DIST_BYTES_IN, 300, 3);
	now.time_ns = 3000;
	now.drops[NET_DROP_LOST_SYNC] = 4;
	now.totals.ops = 2;
	now.totals.op_overflow = 10;

	assert_int_equal(net_table__delta(&d, &now, &before), 0);
	assert_int_equal(d.time_ns, 2000);
	assert_int_equal(d.nr_rows, 2);
	r = net_table__find(&d, &a);
	assert_non_null(r);
	assert_int_equal(r->c.count, 9);	/* 15 - 6 */
	assert_int_equal(r->c.errors, 0);	/* 2 - 2 */
	assert_int_equal(r->c.sse_opened, 9);
	assert_int_equal(r->sse_open, 10);	/* a gauge: now's 15 - 5 */
	assert_int_equal(r->dist[NET_DIST_LATENCY].count, 9);
	assert_int_equal(r->dist[NET_DIST_LATENCY].sum, 18000);
	assert_int_equal(r->lat_max, 4000);	/* the run's */
	assert_int_equal(r->c.lat_max, 4000);
	r = net_table__find(&d, &b);
	assert_non_null(r);			/* new in now: all of it */
	assert_int_equal(r->c.count, 3);
	assert_int_equal(r->dist[NET_DIST_BYTES_IN].count, 3);
	assert_int_equal(d.drops[NET_DROP_LOST_SYNC], 3);
	assert_int_equal(d.totals.ops, 2);
	assert_int_equal(d.totals.op_overflow, 7);
	net_table__free(&d);
	net_table__free(&now);
	net_table__free(&before);
}

static void test_a_histogram_of_no_row_or_unknown_dist_is_skipped(void **state)
{
	const uint64_t z[NCPU] = { 0 };
	struct net_row_key a = key(NET_KIND_PG_ERROR, NET_SIDE_CLIENT, "pg_error", "23505", false,
				   false);
	struct net_row_key gone = key(NET_KIND_PG_ERROR, NET_SIDE_CLIENT, "pg_error", "42P01",
				      false, false);
	struct net_table t = { 0 };

	add(&t, &a, 1, z, z);
	net_table__sort(&t);
	set_hist(&t, &gone, NET_DIST_LATENCY, 10, 1);
	set_hist(&t, &a, NET_DIST_NR + 3, 10, 1);
	assert_int_equal(t.rows[0].dist[NET_DIST_LATENCY].count, 0);
	net_table__free(&t);
}

static void test_key_texts_are_cut_at_their_size(void **state)
{
	const uint64_t z[NCPU] = { 0 };
	struct net_row_key k = key(NET_KIND_HTTP, NET_SIDE_SERVER, "", "", false, false);
	struct net_table t = { 0 };

	memset(k.op, 'a', sizeof(k.op));	/* no NUL: a kernel bug must not overrun */
	memset(k.label, 'b', sizeof(k.label));
	add(&t, &k, 1, z, z);
	assert_int_equal(strlen(t.rows[0].key.op), NET_OP_MAX - 1);
	assert_int_equal(strlen(t.rows[0].key.label), NET_LABEL_MAX - 1);
	assert_string_equal(net_drop_name(NET_DROP_PIPELINE_FULL), "pipeline_full");
	assert_string_equal(net_drop_name(99), "unknown");
	assert_string_equal(net_ws_opcode_name(NET_WS_PONG), "pong");
	net_table__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_cpu_counters_are_summed_and_extremes_folded),
		cmocka_unit_test(test_rows_sort_by_kind_side_op_label_with_other_last),
		cmocka_unit_test(test_delta_is_the_interval_and_gauges_stay_now),
		cmocka_unit_test(test_a_histogram_of_no_row_or_unknown_dist_is_skipped),
		cmocka_unit_test(test_key_texts_are_cut_at_their_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
