// SPDX-License-Identifier: MIT
/* Drain the maps of bpf/net.bpf.c into a net table; see net_drain.h. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps/map_batch.h"
#include "maps/net_drain.h"

/* struct net_counters is __u64s only: deltas and sums go word by word. */
#define NET_WORDS (sizeof(struct net_counters) / sizeof(__u64))
_Static_assert(sizeof(struct net_counters) % sizeof(__u64) == 0, "net_counters: u64s only");

static const char *const drop_names[NET_DROP_NR] = {
	[NET_DROP_CONNS_FULL] = "conns_full",
	[NET_DROP_ROWS_FULL] = "rows_full",
	[NET_DROP_READ_FAILED] = "read_failed",
	[NET_DROP_LOST_SYNC] = "lost_sync",
	[NET_DROP_PIPELINE_FULL] = "pipeline_full",
	[NET_DROP_EVENTS_LOST] = "events_lost",
};

static const char *const opcode_names[NET_WS_OPCODES] = {
	[NET_WS_CONT] = "cont", [NET_WS_TEXT] = "text", [NET_WS_BINARY] = "binary",
	[NET_WS_CLOSE] = "close", [NET_WS_PING] = "ping", [NET_WS_PONG] = "pong",
};

const char *net_drop_name(unsigned int reason)
{
	return reason < NET_DROP_NR ? drop_names[reason] : "unknown";
}

const char *net_side_name(unsigned int side)
{
	return side == NET_SIDE_CLIENT ? "client" : "server";
}

const char *net_ws_opcode_name(unsigned int opcode)
{
	return opcode < NET_WS_OPCODES ? opcode_names[opcode] : "unknown";
}

/* Word w of struct net_counters is a run's extreme (folded, never added). */
static bool is_extreme(size_t w)
{
	return w == offsetof(struct net_counters, lat_min_inv) / sizeof(__u64) ||
	       w == offsetof(struct net_counters, lat_max) / sizeof(__u64);
}

/* A text field of a key, bounded even if the kernel left no NUL in it. */
static int text_cmp(const char *a, const char *b, size_t len)
{
	return strncmp(a, b, len);
}

int net_key_cmp(const void *a, const void *b)
{
	const struct net_row_key *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->side != y->side)
		return x->side < y->side ? -1 : 1;
	if (!!x->other_op != !!y->other_op)
		return x->other_op ? 1 : -1;
	if ((c = text_cmp(x->op, y->op, NET_OP_MAX)))
		return c;
	if (!!x->other_label != !!y->other_label)
		return x->other_label ? 1 : -1;
	return text_cmp(x->label, y->label, NET_LABEL_MAX);
}

struct net_row *net_table__find(const struct net_table *t, const struct net_row_key *k)
{
	if (!t->nr_rows)
		return NULL;
	return bsearch(k, t->rows, t->nr_rows, sizeof(*t->rows), net_key_cmp);
}

/* The gauges and extremes a row's counters give. */
static void derive(struct net_row *r)
{
	r->lat_min = ~r->c.lat_min_inv;
	r->lat_max = r->c.lat_max;
	r->sse_open = r->c.sse_opened > r->c.sse_closed ? r->c.sse_opened - r->c.sse_closed : 0;
	r->ws_open = r->c.ws_opened > r->c.ws_closed ? r->c.ws_opened - r->c.ws_closed : 0;
}

int net_table__add_row(struct net_table *t, const struct net_row_key *k, const void *percpu,
		       int ncpu, size_t stride)
{
	__u64 *sum;
	struct net_row *r;
	size_t w;
	int cpu;

	if (t->nr_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? 2 * t->cap_rows : 64;

		if (!(r = realloc(t->rows, cap * sizeof(*r))))
			return -ENOMEM;
		t->rows = r;
		t->cap_rows = cap;
	}
	r = &t->rows[t->nr_rows++];
	memset(r, 0, sizeof(*r));
	r->key = *k;
	/* the texts end in a NUL whatever the kernel wrote */
	r->key.op[NET_OP_MAX - 1] = '\0';
	r->key.label[NET_LABEL_MAX - 1] = '\0';
	sum = (__u64 *)&r->c;
	for (cpu = 0; cpu < ncpu; cpu++) {
		const struct net_counters *c = (const void *)((const char *)percpu + cpu * stride);
		const __u64 *v = (const __u64 *)c;

		for (w = 0; w < NET_WORDS; w++)
			if (!is_extreme(w))
				sum[w] += v[w];
		/* extremes fold, they do not add */
		if (c->lat_min_inv > r->c.lat_min_inv)
			r->c.lat_min_inv = c->lat_min_inv;
		if (c->lat_max > r->c.lat_max)
			r->c.lat_max = c->lat_max;
	}
	derive(r);
	return 0;
}

void net_table__sort(struct net_table *t)
{
	if (t->nr_rows > 1)
		qsort(t->rows, t->nr_rows, sizeof(*t->rows), net_key_cmp);
}

/* A kernel histogram onto row r's distribution dist (< NET_DIST_NR). */
static int net_row_set_hist(struct net_row *r, unsigned int dist, const struct net_hist *h)
{
	struct histogram *d = &r->dist[dist];

	if (hist_set_buckets(d, (const uint64_t *)h->buckets, h->sum, h->sum_hi))
		return -ENOMEM;
	/* latency percentiles stay within the run's exact extremes */
	if (dist == NET_DIST_LATENCY && d->count && r->c.lat_min_inv) {
		d->min = r->lat_min;
		d->max = r->lat_max;
		d->has_extrema = true;
	}
	return 0;
}

int net_table__set_hist(struct net_table *t, const struct net_hist_key *k,
			const struct net_hist *h)
{
	struct net_row_key row = k->row;
	struct net_row *r;

	if (k->dist >= NET_DIST_NR)
		return 0;	/* a distribution this synctrace does not know */
	row.op[NET_OP_MAX - 1] = '\0';
	row.label[NET_LABEL_MAX - 1] = '\0';
	if (!(r = net_table__find(t, &row)))
		return 0;
	return net_row_set_hist(r, k->dist, h);
}

struct read_ctx {
	struct net_table *t;
	const struct net_maps *m;
	int ncpu;
	size_t stride;
	void *percpu;			/* ncpu counters, one lookup's */
	struct net_hist *hist;
};

/* A row of net_rows: its counters from net_counts, its histograms from net_dists. */
static int on_row(void *ctx, const void *key, const void *value)
{
	struct read_ctx *c = ctx;
	const struct net_row_slot *slot = value;
	struct net_hist_key hk = { .row = *(const struct net_row_key *)key };
	__u32 id = slot->id;
	int err;

	if (bpf_map_lookup_elem(c->m->counts_fd, &id, c->percpu))
		return 0;	/* an id past the array: never, the kernel checks */
	err = net_table__add_row(c->t, key, c->percpu, c->ncpu, c->stride);
	if (err)
		return err;
	/* the table is sorted once, after: the row is the last one for now */
	for (hk.dist = 0; hk.dist < NET_DIST_NR; hk.dist++) {
		id = slot->dist[hk.dist];
		if (!id)
			continue;
		id -= 1;
		if (bpf_map_lookup_elem(c->m->dists_fd, &id, c->hist))
			continue;
		err = net_row_set_hist(&c->t->rows[c->t->nr_rows - 1], hk.dist, c->hist);
		if (err)
			return err;
	}
	return 0;
}

static int read_drops(int fd, int ncpu, struct net_table *t)
{
	uint64_t *d = calloc((size_t)ncpu, sizeof(*d));
	__u32 i;
	int c;

	if (!d)
		return -ENOMEM;
	for (i = 0; i < NET_DROP_NR; i++)
		if (!bpf_map_lookup_elem(fd, &i, d))
			for (c = 0; c < ncpu; c++)
				t->drops[i] += d[c];
	free(d);
	return 0;
}

int net_table__read(const struct net_maps *m, struct net_table *t)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct read_ctx rc = { .t = t, .m = m, .ncpu = ncpu,
			       .stride = (sizeof(struct net_counters) + 7) & ~(size_t)7 };
	struct timespec ts;
	__u32 zero = 0;

	memset(t, 0, sizeof(*t));
	if (ncpu <= 0)
		return -EINVAL;
	rc.percpu = calloc((size_t)ncpu, rc.stride);
	rc.hist = malloc(sizeof(*rc.hist));	/* shared by the CPUs: one copy */
	err = rc.percpu && rc.hist ? 0 : -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (!err)
		err = map_batch_each(m->rows_fd, sizeof(struct net_row_key),
				     sizeof(struct net_row_slot), on_row, &rc);
	free(rc.percpu);
	free(rc.hist);
	if (err)
		return err;
	net_table__sort(t);
	if (bpf_map_lookup_elem(m->totals_fd, &zero, &t->totals))
		memset(&t->totals, 0, sizeof(t->totals));
	return read_drops(m->drops_fd, ncpu, t);
}

/* o = n - b for one row: counters, histograms; gauges and extremes n's. */
static int row_delta(struct net_row *o, const struct net_row *n, const struct net_row *b)
{
	__u64 *ow = (__u64 *)&o->c;
	const __u64 *bw;
	size_t w;
	int d;

	*o = *n;
	for (d = 0; d < NET_DIST_NR; d++) {
		o->dist[d].bins = NULL;
		o->dist[d].nr = 0;
	}
	if (!b) {
		for (d = 0; d < NET_DIST_NR; d++)
			if (hist_copy(&o->dist[d], &n->dist[d]))
				return -ENOMEM;
		return 0;
	}
	bw = (const __u64 *)&b->c;
	for (w = 0; w < NET_WORDS; w++)
		if (!is_extreme(w))
			ow[w] -= bw[w];
	for (d = 0; d < NET_DIST_NR; d++)
		if (hist_delta(&o->dist[d], &n->dist[d], &b->dist[d]))
			return -ENOMEM;
	return 0;
}

int net_table__delta(struct net_table *out, const struct net_table *now,
		     const struct net_table *before)
{
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->rows = calloc(now->nr_rows ? now->nr_rows : 1, sizeof(*out->rows));
	if (!out->rows)
		return -ENOMEM;
	out->cap_rows = now->nr_rows ? now->nr_rows : 1;
	out->time_ns = now->time_ns - before->time_ns;
	for (i = 0; i < now->nr_rows && !err; i++) {
		err = row_delta(&out->rows[i], &now->rows[i],
				net_table__find(before, &now->rows[i].key));
		out->nr_rows = i + 1;	/* freed with the table, even half-made */
	}
	for (i = 0; i < NET_DROP_NR; i++)
		out->drops[i] = now->drops[i] - before->drops[i];
	out->totals = now->totals;	/* ops, labels: gauges */
	out->totals.op_overflow -= before->totals.op_overflow;
	out->totals.label_overflow -= before->totals.label_overflow;
	out->totals.conns_opened -= before->totals.conns_opened;
	out->totals.conns_closed -= before->totals.conns_closed;
	return err;
}

void net_table__free(struct net_table *t)
{
	size_t i;
	int d;

	for (i = 0; i < t->nr_rows; i++)
		for (d = 0; d < NET_DIST_NR; d++)
			hist_free(&t->rows[i].dist[d]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
