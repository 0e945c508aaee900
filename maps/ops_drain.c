// SPDX-License-Identifier: MIT
/* Drain the hashes of bpf/ops.bpf.c into an op table; see ops_drain.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps/map_batch.h"
#include "maps/ops_drain.h"
#include "maps/ops_states.h"

static const char *const drop_names[OPD_NR] = {
	[OPD_DEPTH_OVERFLOW] = "depth_overflow",
	[OPD_UNMATCHED_RETURN] = "unmatched_return",
	[OPD_STATS_FULL] = "stats_full",
	[OPD_READ_FAILED] = "read_failed",
	[OPD_STARTS_FULL] = "starts_full",
	[OPD_EVENTS_LOST] = "events_lost",
	[OPD_STATE_UNKNOWN] = "state_unknown",
	[OPD_STATES_FULL] = "states_full",
	[OPD_MISSED_RETURN] = "missed_return",
	[OPD_TAIL_EXIT] = "tail_exit",
	[OPD_CALLS_FULL] = "calls_full",
	[OPD_NO_GOROUTINE] = "no_goroutine",
};

const char *op_drop_name(unsigned int reason)
{
	return reason < OPD_NR ? drop_names[reason] : "unknown";
}

struct rows_ctx {
	struct op_table *t;
	size_t cap;
	int ncpu;
	size_t stride;		/* bytes of one CPU's counters in a per-CPU value */
};

static void sum_counters(const char *pc, int ncpu, size_t stride, struct op_row *r)
{
	uint64_t min_inv = 0, lat_min_inv = 0;
	int cpu;

	for (cpu = 0; cpu < ncpu; cpu++) {
		const struct op_counters *c = (const void *)(pc + cpu * stride);

		r->calls += c->calls;
		r->errors += c->errors;
		r->would_block += c->would_block;
		if (c->value_min_inv > min_inv)
			min_inv = c->value_min_inv;
		if (c->value_max > r->value_max)
			r->value_max = c->value_max;
		if (c->lat_max > r->lat_max)
			r->lat_max = c->lat_max;
		if (c->lat_min_inv > lat_min_inv)
			lat_min_inv = c->lat_min_inv;
	}
	r->value_min = ~min_inv;
	r->lat_min = ~lat_min_inv;
}

static int on_stats(void *ctx, const void *key, const void *value)
{
	struct rows_ctx *c = ctx;
	struct op_table *t = c->t;
	struct op_row *r;

	if (t->nr_rows == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;

		if (!(r = realloc(t->rows, cap * sizeof(*r))))
			return -ENOMEM;
		t->rows = r;
		c->cap = cap;
	}
	r = &t->rows[t->nr_rows++];
	memset(r, 0, sizeof(*r));
	r->key = *(const struct op_key *)key;
	sum_counters(value, c->ncpu, c->stride, r);
	return 0;
}

struct hists_ctx {
	struct op_table *t;
	size_t field;		/* offsetof the histogram in struct op_row */
};

/* A shared histogram (one copy, not per CPU) onto the row of its key. */
static int on_hist(void *ctx, const void *key, const void *value)
{
	const struct op_hist *oh = value;
	struct hists_ctx *c = ctx;
	struct op_row *r = op_table__find(c->t, key);

	/* a row created after the stats were read: the next read has it */
	if (!r)
		return 0;
	return hist_set_buckets((struct histogram *)((char *)r + c->field),
				(const uint64_t *)oh->buckets, oh->sum, oh->sum_hi);
}

/*
 * Percentiles stay within the run's exact extremes (an interval's own lie
 * within them too): one value of 3000 reads p50 3000, not its bucket's
 * middle.
 */
static void clamp_to_run_extrema(struct op_row *r)
{
	if (r->value.count) {
		r->value.min = r->value_min;
		r->value.max = r->value_max;
		r->value.has_extrema = true;
	}
	if (r->lat.count) {
		r->lat.min = r->lat_min;
		r->lat.max = r->lat_max;
		r->lat.has_extrema = true;
	}
}

static int read_rows(const struct ops_maps *m, struct op_table *t, int ncpu)
{
	struct rows_ctx rc = { t, 0, ncpu, (sizeof(struct op_counters) + 7) & ~(size_t)7 };
	struct hists_ctx lat = { t, offsetof(struct op_row, lat) };
	struct hists_ctx val = { t, offsetof(struct op_row, value) };
	size_t i;
	int err;

	err = map_batch_each(m->stats_fd, sizeof(struct op_key),
			     map_percpu_value_size(sizeof(struct op_counters)), on_stats, &rc);
	if (err)
		return err;
	if (t->nr_rows)
		qsort(t->rows, t->nr_rows, sizeof(*t->rows), op_key_cmp);
	/* histograms are shared by the CPUs: one copy each */
	err = map_batch_each(m->lat_fd, sizeof(struct op_key), sizeof(struct op_hist), on_hist,
			     &lat);
	if (!err)
		err = map_batch_each(m->val_fd, sizeof(struct op_key), sizeof(struct op_hist),
				     on_hist, &val);
	for (i = 0; i < t->nr_rows; i++)
		clamp_to_run_extrema(&t->rows[i]);
	return err;
}

static void read_totals(int fd, struct op_table *t)
{
	__u32 i;

	for (i = 0; i < OPS_MAX; i++)
		if (bpf_map_lookup_elem(fd, &i, &t->totals[i]))
			memset(&t->totals[i], 0, sizeof(t->totals[i]));
}

static int read_drops(int fd, int ncpu, struct op_table *t)
{
	uint64_t *d = calloc(ncpu, sizeof(*d));
	__u32 i;
	int c;

	if (!d)
		return -ENOMEM;
	for (i = 0; i < OPD_NR; i++)
		if (!bpf_map_lookup_elem(fd, &i, d))
			for (c = 0; c < ncpu; c++)
				t->drops[i] += d[c];
	free(d);
	return 0;
}

int op_table__read(const struct ops_maps *m, struct op_pairing *pairing, struct op_table *t)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct timespec ts;

	memset(t, 0, sizeof(*t));
	if (ncpu <= 0)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	err = read_rows(m, t, ncpu);
	if (!err) {
		read_totals(m->totals_fd, t);
		if (pairing)
			err = op_pairing__scan(pairing, m->starts_fd, t);
	}
	if (!err)
		err = op_states__read(m->states_fd, t);
	if (!err)
		err = read_drops(m->drops_fd, ncpu, t);
	return err;
}

/* o = n - b for one row: the counters and both histograms. */
static int row_delta(struct op_row *o, const struct op_row *n, const struct op_row *b)
{
	*o = *n;
	o->lat.bins = o->value.bins = NULL;
	o->lat.nr = o->value.nr = 0;
	if (!b)
		return hist_copy(&o->lat, &n->lat) || hist_copy(&o->value, &n->value) ? -ENOMEM : 0;
	o->calls -= b->calls;
	o->errors -= b->errors;
	o->would_block -= b->would_block;
	o->timeouts -= b->timeouts;
	if (hist_delta(&o->lat, &n->lat, &b->lat) || hist_delta(&o->value, &n->value, &b->value))
		return -ENOMEM;
	return 0;
}

int op_table__delta(struct op_table *out, const struct op_table *now,
		    const struct op_table *before)
{
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->rows = calloc(now->nr_rows ? now->nr_rows : 1, sizeof(*out->rows));
	if (!out->rows)
		return -ENOMEM;
	out->time_ns = now->time_ns - before->time_ns;
	for (i = 0; i < now->nr_rows && !err; i++) {
		err = row_delta(&out->rows[i], &now->rows[i],
				op_table__find(before, &now->rows[i].key));
		out->nr_rows = i + 1;	/* freed with the table, even half-made */
	}
	for (i = 0; i < OPD_NR; i++)
		out->drops[i] = now->drops[i] - before->drops[i];
	for (i = 0; i < OPS_MAX; i++) {
		out->totals[i] = now->totals[i];	/* labels: a gauge */
		out->totals[i].label_overflow -= before->totals[i].label_overflow;
		out->totals[i].unmatched -= before->totals[i].unmatched;
		out->totals[i].restarts -= before->totals[i].restarts;
	}
	return err ? err : op_states__copy(out, now);
}
