// SPDX-License-Identifier: MIT
/* Read and sum the per-CPU maps of the probes; see drain.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps/drain.h"

static const char *const drop_names[DROP_NR] = {
	[DROP_DEPTH_OVERFLOW] = "depth_overflow",
	[DROP_UNMATCHED_RETURN] = "unmatched_return",
	[DROP_MISSED_RETURN] = "missed_return",
	[DROP_STORAGE_FULL] = "storage_full",
	[DROP_TAIL_EXIT] = "tail_exit",
	[DROP_CALLS_FULL] = "calls_full",
	[DROP_NO_GOROUTINE] = "no_goroutine",
};

const char *drop_reason_name(unsigned int reason)
{
	return reason < DROP_NR ? drop_names[reason] : "unknown";
}

struct snapshot *snapshot__new(unsigned int nr_hists, unsigned int nr_counts)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->nr_hists = nr_hists;
	s->nr_counts = nr_counts;
	s->hists = calloc(nr_hists ? nr_hists : 1, sizeof(*s->hists));
	s->counts = calloc(nr_counts ? nr_counts : 1, sizeof(*s->counts));
	if (!s->hists || !s->counts) {
		snapshot__free(s);
		return NULL;
	}
	return s;
}

void snapshot__free(struct snapshot *s)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; s->hists && i < s->nr_hists; i++)
		hist_free(&s->hists[i]);
	free(s->hists);
	free(s->counts);
	free(s);
}

int snapshot__delta(struct snapshot *out, const struct snapshot *now,
		    const struct snapshot *before)
{
	unsigned int i;

	out->time_ns = now->time_ns - before->time_ns;
	for (i = 0; i < now->nr_hists; i++) {
		if (hist_delta(&out->hists[i], &now->hists[i], &before->hists[i]))
			return -ENOMEM;
		out->hists[i].min = now->hists[i].min;
		out->hists[i].max = now->hists[i].max;
		out->hists[i].has_extrema = now->hists[i].has_extrema;
	}
	for (i = 0; i < now->nr_counts; i++)
		out->counts[i] = now->counts[i] - before->counts[i];
	for (i = 0; i < DROP_NR; i++)
		out->drops[i] = now->drops[i] - before->drops[i];
	return 0;
}

void snapshot__fold_extrema(struct snapshot *run, const struct snapshot *ival)
{
	unsigned int i;

	for (i = 0; i < run->nr_hists; i++) {
		const struct histogram *h = &ival->hists[i];

		if (h->has_extrema)
			hist_fold_extrema(&run->hists[i], ~h->min, h->max);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int read_u64s(int fd, unsigned int n, uint64_t *out, uint64_t *percpu,
		     int ncpu)
{
	unsigned int k;
	int c;

	for (k = 0; k < n; k++) {
		if (bpf_map_lookup_elem(fd, &k, percpu))
			return -errno;
		out[k] = 0;
		for (c = 0; c < ncpu; c++)
			out[k] += percpu[c];
	}
	return 0;
}

static int read_hists(const struct drain_maps *m, struct snapshot *out, int ncpu)
{
	struct hist_slot *slots = calloc(ncpu, sizeof(*slots));
	uint64_t *sums = calloc(HIST_NR_BUCKETS, sizeof(*sums));
	unsigned int k, b;
	int c, err = 0;

	if (!slots || !sums) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (k = 0; k < m->nr_hists && !err; k++) {
		uint64_t sum = 0, sum_hi = 0;

		if (bpf_map_lookup_elem(m->hists_fd, &k, slots)) {
			err = -errno;
			break;
		}
		memcpy(sums, slots[0].buckets, sizeof(slots[0].buckets));
		for (c = 0; c < ncpu; c++) {
			u128_add(&sum, &sum_hi, slots[c].sum);
			for (b = 0; c && b < HIST_NR_BUCKETS; b++)
				sums[b] += slots[c].buckets[b];
		}
		err = hist_set_buckets(&out->hists[k], sums, sum, sum_hi);
	}
cleanup:
	free(slots);
	free(sums);
	return err;
}

/* Read and clear the extrema slot the kernel has just stopped writing. */
static int read_extrema(const struct drain_maps *m, struct snapshot *out,
			uint64_t slot, int ncpu)
{
	struct extrema *x = calloc(ncpu, sizeof(*x));
	struct extrema *zero = calloc(ncpu, sizeof(*zero));
	unsigned int k;
	int c, err = 0;

	if (!x || !zero) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (k = 0; k < m->nr_hists; k++) {
		__u32 key = k * 2 + (__u32)slot;
		struct histogram *h = &out->hists[k];

		if (bpf_map_lookup_elem(m->extrema_fd, &key, x) ||
		    bpf_map_update_elem(m->extrema_fd, &key, zero, BPF_ANY)) {
			err = -errno;
			goto cleanup;
		}
		h->has_extrema = 0;
		for (c = 0; c < ncpu; c++)
			hist_fold_extrema(h, x[c].min_inv, x[c].max);
	}
cleanup:
	free(x);
	free(zero);
	return err;
}

int drain__read(const struct drain_maps *m, struct snapshot *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *percpu, slot;
	int err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	/* flip first: what the kernel records from now on is the next interval's */
	slot = *m->epoch & 1;
	*m->epoch += 1;
	out->time_ns = now_ns();
	err = read_hists(m, out, ncpu);
	if (!err)
		err = read_extrema(m, out, slot, ncpu);
	if (!err && m->nr_counts)
		err = read_u64s(m->counts_fd, m->nr_counts, out->counts, percpu, ncpu);
	if (!err)
		err = read_u64s(m->drops_fd, DROP_NR, out->drops, percpu, ncpu);
	free(percpu);
	return err;
}
