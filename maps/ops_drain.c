// SPDX-License-Identifier: MIT
/* Drain the per-CPU hashes of bpf/ops.bpf.c; see ops_drain.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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
};

const char *op_drop_name(unsigned int reason)
{
	return reason < OPD_NR ? drop_names[reason] : "unknown";
}

/* Sum a histogram's ncpu copies; absent (no value or no latency) is empty. */
static void read_hist(int fd, const struct op_key *k, struct op_hist *pc, int ncpu,
		      struct histogram *h)
{
	unsigned int b;
	int c;

	hist_reset(h);
	if (bpf_map_lookup_elem(fd, k, pc))
		return;
	for (c = 0; c < ncpu; c++) {
		h->sum += pc[c].sum;
		for (b = 0; b < HIST_NR_BUCKETS; b++)
			h->buckets[b] += pc[c].buckets[b];
	}
	hist_recount(h);
}

static void read_counters(const struct op_counters *pc, int ncpu, struct op_row *r)
{
	uint64_t min_inv = 0, lat_min_inv = 0;
	int c;

	for (c = 0; c < ncpu; c++) {
		r->calls += pc[c].calls;
		r->errors += pc[c].errors;
		r->value_sum += pc[c].value_sum;
		if (pc[c].value_min_inv > min_inv)
			min_inv = pc[c].value_min_inv;
		if (pc[c].value_max > r->value_max)
			r->value_max = pc[c].value_max;
		if (pc[c].lat_max > r->lat_max)
			r->lat_max = pc[c].lat_max;
		if (pc[c].lat_min_inv > lat_min_inv)
			lat_min_inv = pc[c].lat_min_inv;
	}
	r->value_min = ~min_inv;
	r->lat_min = ~lat_min_inv;
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
		r->value.has_extrema = 1;
	}
	if (r->lat.count) {
		r->lat.min = r->lat_min;
		r->lat.max = r->lat_max;
		r->lat.has_extrema = 1;
	}
}

static int read_rows(const struct ops_maps *m, struct op_table *t, int ncpu)
{
	struct op_counters *cnt = calloc(ncpu, sizeof(*cnt));
	struct op_hist *hist = calloc(ncpu, sizeof(*hist));
	struct op_key k, next, *prev = NULL;
	size_t cap = 0;
	int err = 0;

	if (!cnt || !hist) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (!bpf_map_get_next_key(m->stats_fd, prev, &next)) {
		struct op_row *r;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(m->stats_fd, &k, cnt))
			continue; /* deleted meanwhile */
		if (t->nr_rows == cap) {
			cap = cap ? cap * 2 : 16;
			r = realloc(t->rows, cap * sizeof(*r));
			if (!r) {
				err = -ENOMEM;
				goto cleanup;
			}
			t->rows = r;
		}
		r = &t->rows[t->nr_rows++];
		memset(r, 0, sizeof(*r));
		r->key = k;
		read_counters(cnt, ncpu, r);
		/* histograms are shared by the CPUs: one copy each */
		read_hist(m->lat_fd, &k, hist, 1, &r->lat);
		read_hist(m->val_fd, &k, hist, 1, &r->value);
		clamp_to_run_extrema(r);
	}
cleanup:
	free(cnt);
	free(hist);
	return err;
}

static void read_totals(int fd, struct op_table *t)
{
	__u32 i;

	for (i = 0; i < OPS_MAX; i++)
		if (bpf_map_lookup_elem(fd, &i, &t->totals[i]))
			memset(&t->totals[i], 0, sizeof(t->totals[i]));
}

int op_table__read(const struct ops_maps *m, struct op_pairing *pairing, struct op_table *t)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct timespec ts;
	uint64_t *d;
	__u32 i;
	int c;

	memset(t, 0, sizeof(*t));
	if (ncpu <= 0)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	err = read_rows(m, t, ncpu);
	if (err)
		return err;
	if (t->nr_rows)	/* rows is NULL then, which qsort may not be given */
		qsort(t->rows, t->nr_rows, sizeof(*t->rows), op_key_cmp);
	read_totals(m->totals_fd, t);
	if (pairing && (err = op_pairing__scan(pairing, m->starts_fd, t)))
		return err;
	if ((err = op_states__read(m->states_fd, t)))
		return err;
	d = calloc(ncpu, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (i = 0; i < OPD_NR; i++)
		if (!bpf_map_lookup_elem(m->drops_fd, &i, d))
			for (c = 0; c < ncpu; c++)
				t->drops[i] += d[c];
	free(d);
	return 0;
}

int op_table__delta(struct op_table *out, const struct op_table *now,
		    const struct op_table *before)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->rows = calloc(now->nr_rows ? now->nr_rows : 1, sizeof(*out->rows));
	if (!out->rows)
		return -ENOMEM;
	out->nr_rows = now->nr_rows;
	out->time_ns = now->time_ns - before->time_ns;
	for (i = 0; i < now->nr_rows; i++) {
		const struct op_row *n = &now->rows[i];
		const struct op_row *b = !before->nr_rows ? NULL :
			bsearch(&n->key, before->rows, before->nr_rows, sizeof(*b), op_key_cmp);
		struct op_row *o = &out->rows[i];

		*o = *n;
		if (!b)
			continue;
		o->calls -= b->calls;
		o->errors -= b->errors;
		o->value_sum -= b->value_sum;
		o->timeouts -= b->timeouts;
		hist_delta(&o->lat, &n->lat, &b->lat);
		hist_delta(&o->value, &n->value, &b->value);
	}
	for (i = 0; i < OPD_NR; i++)
		out->drops[i] = now->drops[i] - before->drops[i];
	for (i = 0; i < OPS_MAX; i++) {
		out->totals[i] = now->totals[i];	/* labels: a gauge */
		out->totals[i].label_overflow -= before->totals[i].label_overflow;
		out->totals[i].unmatched -= before->totals[i].unmatched;
		out->totals[i].restarts -= before->totals[i].restarts;
	}
	return op_states__copy(out, now);
}
