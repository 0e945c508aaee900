/* SPDX-License-Identifier: MIT */
/*
 * Reading the maps of bpf/net.bpf.c (maps/net.h): one row per {kind, side,
 * op, label} with its per-CPU counters summed and its histograms by {row,
 * dist}, the shared totals and the drops; rows sorted, and the difference
 * of two readings (an interval, or the run since the zero point).
 */
#ifndef SYNCTRACE_NET_DRAIN_H
#define SYNCTRACE_NET_DRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "maps/hist.h"
#include "maps/net.h"

/* The map fds of bpf/net.bpf.c to drain. */
struct net_maps {
	int rows_fd;		/* hash: struct net_row_key -> struct net_row_slot */
	int counts_fd;		/* per-CPU array: row id -> struct net_counters */
	int dists_fd;		/* array: histogram id -> struct net_hist */
	int totals_fd;		/* array [1] of struct net_totals */
	int drops_fd;		/* per-CPU array [NET_DROP_NR] of __u64 */
};

struct net_row {
	struct net_row_key key;
	struct net_counters c;		/* summed over the CPUs; lat_min_inv/lat_max: the run's */
	uint64_t lat_min, lat_max;	/* whole run; valid when dist[NET_DIST_LATENCY].count */
	uint64_t sse_open, ws_open;	/* gauges at the reading: opened - closed */
	struct histogram dist[NET_DIST_NR];
};

struct net_table {
	uint64_t time_ns;		/* CLOCK_MONOTONIC at the reading; a delta: its span */
	struct net_row *rows;		/* sorted by net_key_cmp */
	size_t nr_rows, cap_rows;
	struct net_totals totals;	/* a delta: ops and labels stay gauges */
	uint64_t drops[NET_DROP_NR];
};

/*
 * Order of rows: kind, side, op (an `other` op last), label (an `other`
 * label last). The texts compare as bytes up to their NUL.
 */
int net_key_cmp(const void *a, const void *b);
/* t's row of k, or NULL (t sorted). */
struct net_row *net_table__find(const struct net_table *t, const struct net_row_key *k);
/*
 * A row from one lookup of the per-CPU rows map: ncpu values of
 * struct net_counters, stride bytes apart, summed (extremes folded).
 * Appended: net_table__sort() before finding. 0 or -ENOMEM.
 */
int net_table__add_row(struct net_table *t, const struct net_row_key *k, const void *percpu,
		       int ncpu, size_t stride);
void net_table__sort(struct net_table *t);
/* A histogram of the kernel onto its row (a row not read yet is left for the next reading). */
int net_table__set_hist(struct net_table *t, const struct net_hist_key *k,
			const struct net_hist *h);
/* Totals since load, rows sorted. 0 or -errno. */
int net_table__read(const struct net_maps *m, struct net_table *t);
/*
 * out = now - before, rows matched by key (a row new in now is all new);
 * gauges (open streams, admitted ops and labels) are now's, extremes the run's.
 */
int net_table__delta(struct net_table *out, const struct net_table *now,
		     const struct net_table *before);
/* Frees the rows' histograms too. */
void net_table__free(struct net_table *t);
/* "conns_full", ... (the JSON names of enum net_drop). */
const char *net_drop_name(unsigned int reason);
/* "server" / "client". */
const char *net_side_name(unsigned int side);
/* "text", "binary", "close", "ping", "pong", "cont" (enum net_ws_opcode). */
const char *net_ws_opcode_name(unsigned int opcode);

#endif /* SYNCTRACE_NET_DRAIN_H */
