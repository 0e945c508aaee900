// SPDX-License-Identifier: MIT
/*
 * Socket rows from a net table to the outputs: the NDJSON field names of
 * the issue 12 contract (README "http", "pg") and the Prometheus families,
 * without the kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "cli/net_frame.h"
#include "output/open.h"
#include "output/prom_totals.h"

static struct net_row_key key(unsigned int kind, unsigned int side, const char *op,
			      const char *label)
{
	struct net_row_key k;

	memset(&k, 0, sizeof(k));
	k.kind = (__u8)kind;
	k.side = (__u8)side;
	snprintf(k.op, sizeof(k.op), "%s", op);
	snprintf(k.label, sizeof(k.label), "%s", label);
	return k;
}

static void hist(struct net_table *t, const struct net_row_key *k, unsigned int dist,
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

/* An SSE route with 3 streams (1 closed), a WebSocket route, a pg query row and a pg error. */
static void table(struct net_table *t)
{
	struct net_row_key sse = key(NET_KIND_HTTP, NET_SIDE_SERVER, "GET /stream", "200");
	struct net_row_key ws = key(NET_KIND_HTTP, NET_SIDE_SERVER, "GET /ws", "101");
	struct net_row_key q = key(NET_KIND_PG_QUERY, NET_SIDE_CLIENT, "pg_query", "INSERT");
	struct net_row_key e = key(NET_KIND_PG_ERROR, NET_SIDE_CLIENT, "pg_error", "23505");
	struct net_counters c;

	memset(t, 0, sizeof(*t));
	memset(&c, 0, sizeof(c));
	c.count = 3;
	c.sse_opened = 3;
	c.sse_closed = 1;
	c.sse_events = 40;
	c.lat_min_inv = ~1000ULL;
	c.lat_max = 3000;
	assert_int_equal(net_table__add_row(t, &sse, &c, 1, sizeof(c)), 0);
	memset(&c, 0, sizeof(c));
	c.count = 1;
	c.ws_opened = 1;
	c.ws_frames_in[NET_WS_TEXT] = 7;
	c.ws_frames_in[NET_WS_PING] = 2;
	c.ws_frames_out[NET_WS_TEXT] = 5;
	c.ws_bytes_in = 700;
	assert_int_equal(net_table__add_row(t, &ws, &c, 1, sizeof(c)), 0);
	memset(&c, 0, sizeof(c));
	c.count = 10;
	c.errors = 2;
	c.rows = 8;
	assert_int_equal(net_table__add_row(t, &q, &c, 1, sizeof(c)), 0);
	memset(&c, 0, sizeof(c));
	c.count = 2;
	assert_int_equal(net_table__add_row(t, &e, &c, 1, sizeof(c)), 0);
	net_table__sort(t);
	hist(t, &sse, NET_DIST_LATENCY, 2000, 3);
	hist(t, &sse, NET_DIST_SSE_FIRST, 500000, 3);
	hist(t, &sse, NET_DIST_BYTES_OUT, 300, 3);
	t->totals.op_overflow = 4;
}

static void frame(struct output_frame *f, struct net_frame_rows *r, const struct net_table *t)
{
	assert_int_equal(net_frame_rows__fill(r, t, NET_PROTO_HTTP | NET_PROTO_PG), 0);
	*f = (struct output_frame){
		.source = FRAME_OPS, .summary = true, .shown = true, .interval_s = 2.0,
		.wall = { 1700000000, 0 }, .nr_rows = r->nr, .rows = r->rows,
		.nr_drops = NET_DROP_NR, .drops = r->drops, .net = &r->totals,
	};
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("field '%s' missing", k);
	return v;
}

static uint64_t u(json_object *o, const char *k)
{
	return (uint64_t)json_object_get_uint64(get(o, k));
}

static json_object *row(json_object *root, const char *op)
{
	json_object *ops = get(root, "ops");
	size_t i;

	for (i = 0; i < json_object_array_length(ops); i++) {
		json_object *r = json_object_array_get_idx(ops, i);

		if (!strcmp(json_object_get_string(get(r, "op")), op))
			return r;
	}
	fail_msg("no row %s", op);
	return NULL;
}

static void test_ndjson_fields_are_the_contract(void **state)
{
	struct net_table t;
	struct net_frame_rows r;
	struct output_frame f;
	struct view v = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct output *out = output_ndjson_open(mem, &v);
	json_object *root, *x, *y;

	table(&t);
	frame(&f, &r, &t);
	assert_int_equal(out->ops->frame(out, &f), 0);
	out->ops->close(out);
	fclose(mem);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	x = row(root, "GET /stream");
	assert_string_equal(json_object_get_string(get(x, "label")), "200");
	assert_string_equal(json_object_get_string(get(x, "side")), "server");
	assert_int_equal(u(x, "count"), 3);
	assert_int_equal(u(x, "client_errors"), 0);
	assert_int_equal(u(get(x, "bytes_out"), "sum"), 900);
	assert_int_equal(u(get(x, "latency_ns"), "max"), 3000);
	y = get(x, "sse");
	assert_int_equal(u(y, "opened"), 3);
	assert_int_equal(u(y, "closed"), 1);
	assert_int_equal(u(y, "open"), 2);
	assert_int_equal(u(y, "events"), 40);
	assert_int_equal(u(get(y, "first_event_ns"), "count"), 3);
	assert_int_equal(u(get(y, "duration_ns"), "count"), 0);
	assert_false(json_object_object_get_ex(x, "ws", NULL));
	y = get(row(root, "GET /ws"), "ws");
	assert_int_equal(u(y, "opened"), 1);
	assert_int_equal(u(y, "open"), 1);
	assert_int_equal(u(y, "frames_in"), 9);
	assert_int_equal(u(y, "frames_out"), 5);
	assert_int_equal(u(y, "bytes_in"), 700);
	assert_int_equal(u(get(y, "opcodes_in"), "ping"), 2);
	assert_int_equal(u(get(y, "opcodes_out"), "text"), 5);
	x = row(root, "pg_query");
	assert_string_equal(json_object_get_string(get(x, "side")), "client");
	assert_int_equal(u(x, "errors"), 2);
	assert_int_equal(u(x, "rows"), 8);
	assert_false(json_object_object_get_ex(x, "client_errors", NULL));
	assert_false(json_object_object_get_ex(x, "bytes_in", NULL));
	x = row(root, "pg_error");
	assert_string_equal(json_object_get_string(get(x, "label")), "23505");
	assert_false(json_object_object_get_ex(x, "latency_ns", NULL));
	assert_int_equal(u(get(root, "net"), "op_overflow"), 4);
	assert_int_equal(u(get(root, "drops"), "lost_sync"), 0);
	json_object_put(root);
	free(buf);
	net_frame_rows__free(&r);
	net_table__free(&t);
}

static void test_prometheus_families_and_open_gauges(void **state)
{
	struct prom_totals pt = { 0 };
	struct net_table t;
	struct net_frame_rows r;
	struct output_frame f;
	struct prom_buf b;

	table(&t);
	frame(&f, &r, &t);
	f.summary = false;	/* Prometheus adds intervals */
	assert_int_equal(prom_totals__add(&pt, &f), 0);
	assert_int_equal(prom_totals__add(&pt, &f), 0);	/* twice: counters add, gauges do not */
	prom_buf__init(&b, 1 << 20);
	prom_net_render(&b, &pt);
	assert_false(b.failed);
	assert_non_null(strstr(b.s, "synctrace_http_requests_total{side=\"server\",method=\"GET\","
				   "route=\"/stream\",status=\"200\"} 6\n"));
	assert_non_null(strstr(b.s, "synctrace_http_sse_streams_open{side=\"server\",method=\"GET\","
				   "route=\"/stream\",status=\"200\"} 2\n"));
	assert_non_null(strstr(b.s, "synctrace_http_sse_events_total{side=\"server\",method=\"GET\","
				   "route=\"/stream\",status=\"200\"} 80\n"));
	assert_non_null(strstr(b.s, "synctrace_http_websockets_open{side=\"server\",method=\"GET\","
				   "route=\"/ws\",status=\"101\"} 1\n"));
	assert_non_null(strstr(b.s, "synctrace_http_websocket_frames_total{side=\"server\","
				   "method=\"GET\",route=\"/ws\",status=\"101\",direction=\"in\","
				   "opcode=\"ping\"} 4\n"));
	assert_non_null(strstr(b.s, "synctrace_pg_queries_total{side=\"client\",tag=\"INSERT\"} 20\n"));
	assert_non_null(strstr(b.s, "synctrace_pg_query_errors_total{side=\"client\",tag=\"INSERT\"} 4\n"));
	assert_non_null(strstr(b.s, "synctrace_pg_rows_total{side=\"client\",tag=\"INSERT\"} 16\n"));
	assert_non_null(strstr(b.s, "synctrace_pg_errors_total{side=\"client\",sqlstate=\"23505\"} 4\n"));
	assert_non_null(strstr(b.s, "synctrace_net_capped_total{cap=\"op\"} 8\n"));
	/* an SSE family only for rows with streams */
	assert_null(strstr(b.s, "synctrace_http_sse_streams_open{side=\"server\",method=\"GET\","
				"route=\"/ws\""));
	prom_buf__free(&b);
	prom_totals__free(&pt);
	net_frame_rows__free(&r);
	net_table__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson_fields_are_the_contract),
		cmocka_unit_test(test_prometheus_families_and_open_gauges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
