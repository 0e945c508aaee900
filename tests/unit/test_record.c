// SPDX-License-Identifier: MIT
/*
 * Recordings: the times report takes (record_parse_time), and the schema
 * round trip: a frame written by output_record_open and replayed by
 * record_reader__replay is the same frame, histograms bucket for bucket.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "helpers.h"
#include "output/open.h"
#include "output/record_db.h"
#include "output/record_read.h"
#include <sqlite3.h>

#define NS 1000000000LL

static char tmp[] = "/tmp/synctrace-test-record-XXXXXX";

static int64_t parsed(const char *text, int64_t now)
{
	int64_t out = -1;

	assert_int_equal(record_parse_time(text, now, &out), 0);
	return out;
}

static void test_times_users_type(void **state)
{
	int64_t now = 1796500000LL * NS + 123;

	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(parsed("@1733400000", now), 1733400000LL * NS);
	assert_int_equal(parsed("@1733400000.25", now), 1733400000LL * NS + 250000000);
	assert_int_equal(parsed("2024-12-05T12:00:00Z", now), 1733400000LL * NS);
	assert_int_equal(parsed("2024-12-05T12:00:00.000001Z", now), 1733400000LL * NS + 1000);
	assert_int_equal(parsed("2024-12-05 12:00:00", now), 1733400000LL * NS);	/* TZ=UTC */
	assert_int_equal(parsed("2024-12-05 12:00", now), 1733400000LL * NS);
	assert_int_equal(parsed("2024-12-05", now), 1733356800LL * NS);
	assert_int_equal(parsed("2024-02-29T00:00:00Z", now), 1709164800LL * NS);
	assert_int_equal(parsed("10 min ago", now), now - 600 * NS);
	assert_int_equal(parsed("10min ago", now), now - 600 * NS);
	assert_int_equal(parsed("1 hour ago", now), now - 3600 * NS);
	assert_int_equal(parsed("2 days ago", now), now - 2 * 86400 * NS);
	assert_int_equal(parsed("30 s ago", now), now - 30 * NS);
	assert_int_equal(parsed("  now", now), now);
}

static void test_anything_else_is_refused(void **state)
{
	static const char *const bad[] = {
		"", " ", "ago", "10 ago", "10 lightyears ago", "10 min", "10 min ago junk",
		"-10 min ago", "999999999 weeks ago", "2023-02-29T00:00:00Z",
		"2024-12-05T24:00:00Z", "2024-12-05T12:60:00Z", "2024-13-01", "2024-00-10",
		"2024-12-5", "1969-12-31T23:59:59Z", "2024-12-05T12:00:00.1234567890Z",
		"2024-12-05T12:00:00.Z", "2024-12-05T12:00:00+01:00", "@", "@x", "@-5",
		"@99999999999", "@1.", "@12 34", "12345-01-01", "yesterday",
	};
	int64_t out = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (record_parse_time(bad[i], 1796500000LL * NS, &out) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
		assert_int_equal(out, 42);
	}
	/* too long ago for the epoch */
	assert_int_equal(record_parse_time("2 min ago", 60 * NS, &out), -EINVAL);
	assert_int_equal(record_parse_time(NULL, 0, &out), -EINVAL);
}

/* An output that keeps the frames it is handed, as copies to compare. */
struct capture {
	struct output out;
	const struct output_frame *want[2];	/* the interval, then the summary */
	int seen;
};

static void same_hist(const struct histogram *a, const struct histogram *b)
{
	uint32_t i;

	assert_true((a == NULL) == (b == NULL));
	if (!a)
		return;
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->sum, b->sum);
	assert_int_equal(a->sum_hi, b->sum_hi);
	assert_int_equal(a->has_extrema, b->has_extrema);
	if (a->has_extrema) {
		assert_int_equal(a->min, b->min);
		assert_int_equal(a->max, b->max);
	}
	assert_int_equal(a->nr, b->nr);
	for (i = 0; i < a->nr; i++) {
		assert_int_equal(a->bins[i].idx, b->bins[i].idx);
		assert_int_equal(a->bins[i].n, b->bins[i].n);
	}
}

static void same_dist(const struct frame_dist *a, const struct frame_dist *b)
{
	same_hist(a->h, b->h);
	assert_int_equal(a->has_min, b->has_min);
	assert_int_equal(a->has_max, b->has_max);
	if (a->has_min)
		assert_int_equal(a->min, b->min);
	if (a->has_max)
		assert_int_equal(a->max, b->max);
}

static void same_text(const char *a, const char *b)
{
	assert_true((a == NULL) == (b == NULL));
	if (a)
		assert_string_equal(a, b);
}

static void same_label(const struct frame_label *a, const struct frame_label *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->is_string, b->is_string);
	assert_int_equal(a->number, b->number);
	same_text(a->text, b->text);
	same_text(a->name, b->name);
}

static void same_net(const struct frame_net *a, const struct frame_net *b)
{
	int i;

	assert_true((a == NULL) == (b == NULL));
	if (!a)
		return;
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->side, b->side);
	assert_int_equal(a->client_errors, b->client_errors);
	assert_int_equal(a->rows, b->rows);
	same_dist(&a->bytes_in, &b->bytes_in);
	same_dist(&a->bytes_out, &b->bytes_out);
	assert_int_equal(a->sse, b->sse);
	assert_int_equal(a->sse_s.opened, b->sse_s.opened);
	assert_int_equal(a->sse_s.closed, b->sse_s.closed);
	assert_int_equal(a->sse_s.events, b->sse_s.events);
	assert_int_equal(a->sse_s.open, b->sse_s.open);
	same_dist(&a->sse_s.first_event, &b->sse_s.first_event);
	same_dist(&a->sse_s.duration, &b->sse_s.duration);
	assert_int_equal(a->ws, b->ws);
	assert_int_equal(a->ws_s.opened, b->ws_s.opened);
	assert_int_equal(a->ws_s.closed, b->ws_s.closed);
	assert_int_equal(a->ws_s.open, b->ws_s.open);
	for (i = 0; i < FRAME_WS_OPCODES; i++) {
		assert_int_equal(a->ws_s.frames_in[i], b->ws_s.frames_in[i]);
		assert_int_equal(a->ws_s.frames_out[i], b->ws_s.frames_out[i]);
	}
	assert_int_equal(a->ws_s.bytes_in, b->ws_s.bytes_in);
	assert_int_equal(a->ws_s.bytes_out, b->ws_s.bytes_out);
}

static void same_frame(const struct output_frame *a, const struct output_frame *b)
{
	size_t i;
	int k;

	assert_int_equal(a->source, b->source);
	assert_int_equal(a->latency, b->latency);
	assert_int_equal(a->wall.tv_sec, b->wall.tv_sec);
	assert_int_equal(a->wall.tv_nsec, b->wall.tv_nsec);
	assert_true(a->interval_s == b->interval_s);
	assert_int_equal(a->mono_to_real_ns, b->mono_to_real_ns);
	assert_int_equal(a->nr_machines, b->nr_machines);
	assert_int_equal(a->probes_attached, b->probes_attached);
	assert_int_equal(a->nr_rows, b->nr_rows);
	for (i = 0; i < a->nr_rows; i++) {
		const struct frame_row *x = &a->rows[i], *y = &b->rows[i];

		assert_string_equal(x->op, y->op);
		same_text(x->target, y->target);
		assert_int_equal(x->has, y->has);
		same_label(&x->label, &y->label);
		assert_int_equal(x->count, y->count);
		assert_int_equal(x->errors, y->errors);
		assert_int_equal(x->would_block, y->would_block);
		assert_int_equal(x->timeouts, y->timeouts);
		assert_int_equal(x->inflight, y->inflight);
		assert_int_equal(x->unmatched, y->unmatched);
		same_dist(&x->latency, &y->latency);
		same_dist(&x->value, &y->value);
		same_net(x->net, y->net);
	}
	assert_true((a->net == NULL) == (b->net == NULL));
	if (a->net) {
		assert_int_equal(a->net->ops, b->net->ops);
		assert_int_equal(a->net->op_overflow, b->net->op_overflow);
		assert_int_equal(a->net->labels, b->net->labels);
		assert_int_equal(a->net->label_overflow, b->net->label_overflow);
		assert_int_equal(a->net->conns_opened, b->net->conns_opened);
		assert_int_equal(a->net->conns_closed, b->net->conns_closed);
	}
	assert_int_equal(a->nr_ops, b->nr_ops);
	for (i = 0; i < a->nr_ops; i++) {
		const struct frame_op *x = &a->ops[i], *y = &b->ops[i];

		assert_string_equal(x->op, y->op);
		assert_int_equal(x->has, y->has);
		assert_int_equal(x->paired, y->paired);
		assert_int_equal(x->labelled, y->labelled);
		assert_int_equal(x->unmatched, y->unmatched);
		assert_int_equal(x->restarts, y->restarts);
		assert_int_equal(x->labels, y->labels);
		assert_int_equal(x->label_overflow, y->label_overflow);
	}
	assert_int_equal(a->nr_states, b->nr_states);
	for (i = 0; i < a->nr_states; i++) {
		assert_string_equal(a->states[i].machine, b->states[i].machine);
		assert_int_equal(a->states[i].pid, b->states[i].pid);
		assert_int_equal(a->states[i].nr_names, b->states[i].nr_names);
		for (k = 0; k < a->states[i].nr_names; k++)
			assert_string_equal(a->states[i].names[k], b->states[i].names[k]);
		assert_memory_equal(a->states[i].rec, b->states[i].rec, sizeof(struct state_rec));
	}
	assert_int_equal(a->events.present, b->events.present);
	assert_int_equal(a->events.errors, b->events.errors);
	assert_int_equal(a->events.slow, b->events.slow);
	assert_int_equal(a->events.timeouts, b->events.timeouts);
	assert_int_equal(a->events.lost, b->events.lost);
	assert_int_equal(a->events.nr, b->events.nr);
	for (i = 0; i < a->events.nr; i++) {
		const struct frame_event *x = &a->events.v[i], *y = &b->events.v[i];

		assert_int_equal(x->wall_ns, y->wall_ns);
		assert_string_equal(x->op, y->op);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->slow, y->slow);
		assert_int_equal(x->pid, y->pid);
		assert_int_equal(x->tid, y->tid);
		assert_int_equal(x->has_ret, y->has_ret);
		assert_int_equal(x->has_error_value, y->has_error_value);
		if (x->has_ret)
			assert_int_equal(x->ret, y->ret);
		if (x->has_error_value)
			assert_int_equal(x->error_value, y->error_value);
		same_text(x->error_name, y->error_name);
		assert_int_equal(x->labelled, y->labelled);
		if (x->labelled)
			same_label(&x->label, &y->label);
		assert_int_equal(x->latency_ns, y->latency_ns);
	}
	assert_int_equal(a->nr_drops, b->nr_drops);
	for (i = 0; i < a->nr_drops; i++) {
		assert_string_equal(a->drops[i].name, b->drops[i].name);
		assert_int_equal(a->drops[i].n, b->drops[i].n);
	}
}

static int capture_frame(struct output *o, const struct output_frame *f)
{
	struct capture *c = (struct capture *)o;

	assert_true(c->seen < 2);
	assert_int_equal(f->summary, c->seen == 1);
	same_frame(c->want[c->seen++], f);
	return 0;
}

static int capture_close(struct output *o)
{
	return 0;
}

static const struct output_ops capture_ops = { "capture", capture_frame, capture_close };

/* Only a summary, of nothing. */
static int empty_frame(struct output *o, const struct output_frame *f)
{
	struct capture *c = (struct capture *)o;

	assert_true(f->summary);
	assert_int_equal(f->nr_rows, 0);
	assert_int_equal(f->events.nr, 0);
	assert_true(f->interval_s == 0);
	c->seen++;
	return 0;
}

static const struct output_ops empty_ops = { "empty", empty_frame, capture_close };

/* The frame's histograms: values 0..n-1 spread over their buckets, and big ones. */
static void fill_hist(struct histogram *h, uint64_t n, uint64_t big)
{
	uint64_t v;

	for (v = 0; v < n; v++)
		assert_int_equal(hist_add_value(h, v * 37), 0);
	assert_int_equal(hist_add_value(h, big), 0);
	assert_int_equal(hist_add_value(h, UINT64_MAX), 0);	/* sum past 2^64 */
}

static void round_trip(const char *name, struct output_frame *f, const char *command)
{
	char path[256], err[256];
	char *argv[] = { "synctrace", (char *)command, "x", NULL };
	struct run_info run = { .command = command, .argc = 3, .argv = argv };
	struct run_binary bin = { "/usr/bin/x", "00ff" };
	struct capture c = { .out.ops = &capture_ops, .want = { f, f } };
	struct capture empty = { .out.ops = &empty_ops };
	struct outputs outs = { 0 };
	struct record_reader *r;
	struct record_range all = { 0 };
	struct output *o;
	const struct run_info *got;

	snprintf(path, sizeof(path), "%s/%s.db", scratch_dir, name);
	setenv("SYNCTRACE_RUNTIME_DIR", scratch_dir, 1);
	run.binaries = &bin;
	run.nr_binaries = 1;
	clock_gettime(CLOCK_REALTIME, &run.start);
	assert_non_null(o = output_record_open(path, &run));
	assert_int_equal(o->ops->frame(o, f), 0);
	assert_int_equal(o->ops->close(o), 0);
	/* a recording is never overwritten */
	assert_null(output_record_open(path, &run));

	assert_int_equal(record_reader__open(&r, path, err, sizeof(err)), 0);
	got = record_reader__run(r);
	assert_string_equal(got->command, command);
	assert_int_equal(got->argc, 3);
	assert_string_equal(got->argv[2], "x");
	assert_int_equal(got->start.tv_sec, run.start.tv_sec);
	assert_int_equal(got->nr_binaries, 1);
	assert_string_equal(got->binaries[0].path, "/usr/bin/x");
	assert_string_equal(got->binaries[0].build_id, "00ff");
	assert_int_equal(outputs__add(&outs, &c.out), 0);
	/* one interval: the summary is that interval again, as a summary */
	assert_int_equal(record_reader__replay(r, &all, &outs, err, sizeof(err)), 0);
	assert_int_equal(c.seen, 2);
	/* a phase nobody marked */
	all.phase = "stress";
	c.seen = 0;
	assert_int_equal(record_reader__replay(r, &all, &outs, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no phase 'stress'"));
	/* marked after the interval: the phase has none of it, and an empty summary */
	assert_int_equal(record_mark(path, "stress", f->wall.tv_sec * NS + f->wall.tv_nsec + 1,
				     err, sizeof(err)), 0);
	outs.nr = 0;
	empty.want[0] = NULL;
	assert_int_equal(outputs__add(&outs, &empty.out), 0);
	assert_int_equal(record_reader__replay(r, &all, &outs, err, sizeof(err)), 0);
	assert_int_equal(empty.seen, 1);
	record_reader__free(r);
}

static void test_a_watch_frame_comes_back_as_itself(void **state)
{
	static const char *const names[] = { "idle", "busy" };
	struct histogram h[4] = { 0 };
	struct state_rec rec;
	struct frame_row rows[3];
	struct frame_op ops[2] = {
		{ "push", FRAME_HAS_LATENCY | FRAME_HAS_VALUE | FRAME_HAS_LABEL | FRAME_HAS_ERRORS,
		  false, true, 0, 0, 2, 1 },
		{ "ack", FRAME_HAS_PAIRED | FRAME_HAS_UNMATCHED | FRAME_HAS_LATENCY, true, false,
		  3, 1, 0, 0 },
	};
	struct frame_state st = { "sync", 4242, names, 2, &rec };
	struct frame_event ev[2] = {
		{ .wall_ns = 1796500000123456789ULL, .op = "push", .kind = FRAME_EV_ERROR,
		  .slow = true, .pid = 7, .tid = 8, .has_ret = true, .ret = -5,
		  .has_error_value = true, .error_value = -5, .labelled = true,
		  .label = { FRAME_LABEL_VALUE, true, 99, "/r/1", "route" }, .latency_ns = 12345 },
		{ .wall_ns = 1796500000123456999ULL, .op = "ack", .kind = FRAME_EV_TIMEOUT,
		  .pid = 7, .latency_ns = 5000000000ULL },
	};
	struct frame_count drops[2] = { { "ringbuf", 0 }, { "labels", 17 } };
	struct output_frame f = {
		.source = FRAME_OPS, .wall = { 1796500001, 5 }, .interval_s = 1.000123,
		.mono_to_real_ns = -123456789, .nr_rows = 3, .rows = rows, .nr_ops = 2, .ops = ops,
		.nr_machines = 1, .nr_states = 1, .states = &st,
		.events = { true, 1, 1, 1, 2, 2, ev }, .nr_drops = 2, .drops = drops,
		.probes_attached = 3,
	};
	size_t i;

	memset(&rec, 0, sizeof(rec));
	rec.cur_since = 123456789ULL << 4 | 1;
	rec.time_in[0] = 1000;
	rec.time_in[1] = UINT64_MAX;
	rec.trans[0][1] = 3;
	rec.recent_head = 3;
	rec.recent[2] = (struct state_transition){ 77, 0, 1 };
	fill_hist(&h[0], 300, 1ULL << 40);
	fill_hist(&h[1], 20, 5);
	fill_hist(&h[2], 3, 9);
	h[0].has_extrema = true;
	h[0].min = 0;
	h[0].max = UINT64_MAX;
	rows[0] = (struct frame_row){ .op = "push", .has = ops[0].has,
		.label = { FRAME_LABEL_VALUE, true, -3, "/r/1", "route" },
		.count = 320, .errors = 4, .latency = { &h[0], true, true, 0, UINT64_MAX },
		.value = { &h[1], false, true, 0, 5 } };
	rows[1] = (struct frame_row){ .op = "push", .has = ops[0].has,
		.label = { FRAME_LABEL_OTHER, false, 0, "other", "route" },
		.count = 1, .latency = { &h[3], false, true, 0, 0 }, .value = { &h[3] } };
	rows[2] = (struct frame_row){ .op = "ack", .has = ops[1].has, .count = 5, .timeouts = 1,
		.inflight = 2, .unmatched = 3, .latency = { &h[2], true, true, 0, 1ULL << 63 } };
	round_trip("watch", &f, "watch");
	for (i = 0; i < 4; i++)
		hist_free(&h[i]);
}

/* An `http` frame as cli/net_frame.c fills it, in net_key_cmp's order:
 * HTTP server, HTTP client, pg_query, pg_error. */
static void socket_frame(struct output_frame *f, struct frame_row *rows, struct frame_net *nets,
			 struct frame_net_totals *t, struct histogram *h)
{
	static struct frame_count drops[2] = { { "conns_full", 0 }, { "lost_sync", 3 } };
	int i;

	fill_hist(&h[0], 50, 1ULL << 30);	/* latency */
	fill_hist(&h[1], 40, 1 << 20);		/* bytes in */
	fill_hist(&h[2], 10, 77);		/* bytes out */
	fill_hist(&h[3], 5, 1000000);		/* SSE first event */
	fill_hist(&h[4], 2, 5000000000ULL);	/* SSE duration */
	/* h[5]: empty, as a row without streams has them */
	memset(nets, 0, 4 * sizeof(*nets));
	for (i = 0; i < 4; i++) {
		nets[i].bytes_in.h = nets[i].bytes_out.h = &h[5];
		nets[i].sse_s.first_event.h = nets[i].sse_s.duration.h = &h[5];
	}
	nets[0] = (struct frame_net){ .kind = FRAME_NET_HTTP, .side = "server",
		.client_errors = 7, .bytes_in = { &h[1] }, .bytes_out = { &h[2] }, .sse = true,
		.ws = true };
	nets[0].sse_s.opened = 4;
	nets[0].sse_s.closed = 1;
	nets[0].sse_s.events = 123;
	nets[0].sse_s.open = 3;
	nets[0].sse_s.first_event.h = &h[3];
	nets[0].sse_s.duration.h = &h[4];
	nets[0].ws_s.opened = 2;
	nets[0].ws_s.closed = 2;
	nets[0].ws_s.open = 0;
	for (i = 0; i < FRAME_WS_OPCODES; i++) {
		nets[0].ws_s.frames_in[i] = (uint64_t)i * 3 + 1;
		nets[0].ws_s.frames_out[i] = (uint64_t)i * 5 + 2;
	}
	nets[0].ws_s.bytes_in = UINT64_MAX;
	nets[0].ws_s.bytes_out = 1ULL << 40;
	nets[1].kind = FRAME_NET_HTTP;
	nets[1].side = "client";
	nets[1].bytes_in.h = &h[2];
	nets[2].kind = FRAME_NET_PG_QUERY;
	nets[2].side = "client";
	nets[2].rows = 1ULL << 35;
	nets[3].kind = FRAME_NET_PG_ERROR;
	nets[3].side = "client";
	rows[0] = (struct frame_row){ .op = "GET /stream", .target = "server",
		.has = FRAME_HAS_LABEL | FRAME_HAS_ERRORS | FRAME_HAS_LATENCY,
		.label = { FRAME_LABEL_VALUE, true, 0, "200", "status" }, .count = 50,
		.errors = 0, .latency = { &h[0], true, true, 10, 1ULL << 30 }, .net = &nets[0] };
	rows[1] = (struct frame_row){ .op = "POST /items/:id", .target = "client",
		.has = FRAME_HAS_LABEL | FRAME_HAS_ERRORS | FRAME_HAS_LATENCY,
		.label = { FRAME_LABEL_OTHER, true, 0, "other", "status" }, .count = 0,
		.latency = { &h[5] }, .net = &nets[1] };
	rows[2] = (struct frame_row){ .op = "pg_query", .target = "client",
		.has = FRAME_HAS_LABEL | FRAME_HAS_ERRORS | FRAME_HAS_LATENCY,
		.label = { FRAME_LABEL_VALUE, true, 0, "INSERT", "tag" }, .count = 9, .errors = 1,
		.latency = { &h[0], true, true, 10, 1ULL << 30 }, .net = &nets[2] };
	rows[3] = (struct frame_row){ .op = "pg_error", .target = "client", .has = FRAME_HAS_LABEL,
		.label = { FRAME_LABEL_VALUE, true, 0, "23505", "sqlstate" }, .count = 1,
		.latency = { &h[5] }, .net = &nets[3] };
	*t = (struct frame_net_totals){ 3, 1, 4, 2, 10, 9 };
	*f = (struct output_frame){
		.source = FRAME_OPS, .wall = { 1796500002, 7 }, .interval_s = 1.5,
		.mono_to_real_ns = 42, .nr_rows = 4, .rows = rows, .nr_drops = 2, .drops = drops,
		.probes_attached = 12, .net = t,
	};
}

static void test_a_socket_frame_comes_back_whole(void **state)
{
	struct histogram h[6] = { 0 };
	struct frame_row rows[4];
	struct frame_net nets[4];
	struct frame_net_totals t;
	struct output_frame f;
	int i;

	socket_frame(&f, rows, nets, &t, h);
	round_trip("http", &f, "http");
	for (i = 0; i < 6; i++)
		hist_free(&h[i]);
}

/* Writes f into name.db, then runs sql on it (sqlite3 as anyone could). */
static void recorded_then(const char *name, struct output_frame *f, const char *sql,
			  char *path, size_t len)
{
	char *argv[] = { "synctrace", "http", NULL };
	struct run_info run = { .command = "http", .argc = 2, .argv = argv };
	struct output *o;
	sqlite3 *db;

	snprintf(path, len, "%s/%s.db", scratch_dir, name);
	setenv("SYNCTRACE_RUNTIME_DIR", scratch_dir, 1);
	assert_non_null(o = output_record_open(path, &run));
	assert_int_equal(o->ops->frame(o, f), 0);
	assert_int_equal(o->ops->close(o), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL))
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Counts what a replay hands over: rows with socket extras, frames with totals. */
struct nets_seen {
	struct output out;
	int frames, nets, totals;
};

static int nets_frame(struct output *o, const struct output_frame *f)
{
	struct nets_seen *c = (struct nets_seen *)o;
	size_t i;

	c->frames++;
	for (i = 0; i < f->nr_rows; i++)
		c->nets += f->rows[i].net != NULL;
	c->totals += f->net != NULL;
	return 0;
}

static const struct output_ops nets_ops = { "nets", nets_frame, capture_close };

static int replay_file(const char *path, struct nets_seen *c, char *err, size_t len)
{
	struct outputs outs = { 0 };
	struct record_range all = { 0 };
	struct record_reader *r;
	int rc;

	memset(c, 0, sizeof(*c));
	c->out.ops = &nets_ops;
	assert_int_equal(outputs__add(&outs, &c->out), 0);
	if ((rc = record_reader__open(&r, path, err, len)))
		return rc;
	rc = record_reader__replay(r, &all, &outs, err, len);
	record_reader__free(r);
	return rc;
}

/* A schema-1 recording (before net_rows) reads as it did: rows without extras. */
static void test_a_schema_1_recording_still_reads(void **state)
{
	struct histogram h[6] = { 0 };
	struct frame_row rows[4];
	struct frame_net nets[4];
	struct frame_net_totals t;
	struct output_frame f;
	struct nets_seen c;
	char path[256], err[256] = "";
	int i;

	socket_frame(&f, rows, nets, &t, h);
	recorded_then("schema1", &f, "DROP TABLE net_rows; DROP TABLE net_totals;"
		      " UPDATE meta SET value = '1' WHERE key = 'schema'; PRAGMA user_version = 1;",
		      path, sizeof(path));
	assert_int_equal(replay_file(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.frames, 2);
	assert_int_equal(c.nets, 0);
	assert_int_equal(c.totals, 0);
	/* and the same file as schema 2 has them, both frames */
	recorded_then("schema2", &f, "SELECT 1", path, sizeof(path));
	assert_int_equal(replay_file(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nets, 8);
	assert_int_equal(c.totals, 2);
	/* a newer schema is refused in one line */
	recorded_then("schema3", &f, "PRAGMA user_version = 3", path, sizeof(path));
	assert_int_equal(replay_file(path, &c, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "schema 3"));
	for (i = 0; i < 6; i++)
		hist_free(&h[i]);
}

/* A net_rows row anyone edited: refused with one line, never trusted. */
static void test_damaged_socket_rows_are_refused(void **state)
{
	static const char *const edits[] = {
		"UPDATE net_rows SET kind = 4 WHERE pos = 0",
		"UPDATE net_rows SET side = 2 WHERE pos = 1",
		"UPDATE net_rows SET pos = 4 WHERE pos = 3",
		"UPDATE net_rows SET pos = -1 WHERE pos = 0",
		"UPDATE net_rows SET bin_bins = x'05' WHERE pos = 0",
		"UPDATE net_rows SET sse_first_count = 1 WHERE pos = 0",
		"UPDATE series SET has = 0 WHERE op = 'pg_error'",
		"DROP TABLE net_totals; CREATE TABLE net_totals(frame, ops, op_overflow, labels,"
		" label_overflow, conns_opened, conns_closed);"
		" INSERT INTO net_totals VALUES(1,0,0,0,0,0,0), (1,0,0,0,0,0,0)",
		"DROP TABLE net_rows; CREATE TABLE net_rows(frame, pos)",
	};
	struct histogram h[6] = { 0 };
	struct frame_row rows[4];
	struct frame_net nets[4];
	struct frame_net_totals t;
	struct output_frame f;
	struct nets_seen c;
	char path[256], name[32], err[256];
	size_t i;

	socket_frame(&f, rows, nets, &t, h);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		snprintf(name, sizeof(name), "damaged%zu", i);
		recorded_then(name, &f, edits[i], path, sizeof(path));
		err[0] = '\0';
		if (!replay_file(path, &c, err, sizeof(err)))
			fail_msg("'%s' was read", edits[i]);
		assert_non_null(strchr(err, ' '));
		assert_null(strchr(err, '\n'));
	}
	for (i = 0; i < 6; i++)
		hist_free(&h[i]);
}

static void test_a_count_frame_comes_back_as_itself(void **state)
{
	struct frame_row rows[2] = {
		{ .op = "relay_push", .target = "/usr/bin/relayd:relay_push", .has = FRAME_HAS_RATE,
		  .count = 12 },
		{ .op = "libpq:PQexec", .target = "/usr/lib/libpq.so.5:PQexec",
		  .has = FRAME_HAS_RATE },
	};
	struct frame_count drops[1] = { { "lost", 0 } };
	struct output_frame f = {
		.source = FRAME_CALLS, .wall = { 1796500001, 999999999 }, .interval_s = 0.5,
		.nr_rows = 2, .rows = rows, .nr_drops = 1, .drops = drops,
	};

	round_trip("count", &f, "count");
}

/* A stored histogram blob is untrusted: bins must come back sorted and in
 * range, or be refused (fuzz_record_bins found a step that wrapped around). */
static void test_bad_histogram_blobs_are_refused(void **state)
{
	/* idx 5, then a step of 2^64 - 3: back to 2 if added without a check */
	static const unsigned char wrap[] = { 0x05, 0x01, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0x01, 0x01 };
	static const unsigned char repeat[] = { 0x05, 0x01, 0x00, 0x01 };	/* idx 5 twice */
	static const unsigned char empty_bin[] = { 0x05, 0x00 };		/* a count of 0 */
	static const unsigned char cut[] = { 0x05, 0x81 };			/* a varint cut short */
	static const unsigned char good[] = { 0x05, 0x01, 0x03, 0x02 };	/* idx 5 and 8 */
	struct histogram h = { 0 };

	assert_int_equal(record_bins_unpack(&h, wrap, sizeof(wrap)), -EINVAL);
	assert_int_equal(record_bins_unpack(&h, repeat, sizeof(repeat)), -EINVAL);
	assert_int_equal(record_bins_unpack(&h, empty_bin, sizeof(empty_bin)), -EINVAL);
	assert_int_equal(record_bins_unpack(&h, cut, sizeof(cut)), -EINVAL);
	assert_int_equal(h.nr, 0);
	assert_int_equal(record_bins_unpack(&h, good, sizeof(good)), 0);
	assert_int_equal(h.nr, 2);
	assert_int_equal(h.bins[1].idx, 8);
	assert_int_equal(h.count, 3);
	hist_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_users_type),
		cmocka_unit_test(test_anything_else_is_refused),
		cmocka_unit_test(test_a_watch_frame_comes_back_as_itself),
		cmocka_unit_test(test_a_count_frame_comes_back_as_itself),
		cmocka_unit_test(test_a_socket_frame_comes_back_whole),
		cmocka_unit_test(test_a_schema_1_recording_still_reads),
		cmocka_unit_test(test_damaged_socket_rows_are_refused),
		cmocka_unit_test(test_bad_histogram_blobs_are_refused),
	};

	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup, scratch_dir_teardown);
}
