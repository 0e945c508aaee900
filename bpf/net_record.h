/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net.bpf.c (included once, first): the maps every socket
 * parser records into and the four recording calls they share.
 *
 *   net_row(k)            the row's slot, created with a fresh id; the op and
 *                         the label are admitted under their caps first (past
 *                         a cap k is rewritten to `other`); NULL: counted drop
 *   net_counts_of(s)      its counters (this CPU's)
 *   net_hist_add(s, d, v) one value into the row's distribution d
 *   net_latency(c, s, k, ns) latency hist + min/max + a --slow event
 *                         (net_latency_add and net_slow_event, its halves)
 *   net_drop(reason)      a counted loss (enum net_drop)
 *
 * Layouts are maps/net.h's. Sizes marked "1" are set by user space before
 * load (bpf_map__set_max_entries), as bpf/ops.bpf.c's are.
 */
#ifndef SYNCTRACE_NET_RECORD_H
#define SYNCTRACE_NET_RECORD_H

/* How many row ids and histogram ids the arrays hold. Set before load. */
const volatile __u32 net_row_ids = 1;
const volatile __u32 net_hist_ids = 1;
/* Caps, set before load: distinct ops per {kind, side} (--routes) and
 * distinct labels per kind. 0 means "no room": everything goes to other. */
const volatile __u32 net_max_ops = NET_ROUTES_DEFAULT;
const volatile __u32 net_max_labels = NET_LABELS_DEFAULT;
/* --slow: exchanges at least this slow become net_events records; 0 none. */
const volatile __u64 net_slow_ns = 0;
/* Submits wake user space only once this much is waiting. */
const volatile __u64 net_events_wakeup_bytes = 65536;

/*
 * Rows: the row's key names its slot once (net_rows, one hash lookup an
 * exchange); its counters and histograms are then array entries by index
 * (no hashing of the 104-byte key again, no key copies). Ids are handed
 * out by net_next and never reused (rows are never deleted), so an entry
 * is zero until its row takes it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* rows, set before load */
	__type(key, struct net_row_key);
	__type(value, struct net_row_slot);
} net_rows SEC(".maps");

/* Counters per row id, per CPU (user space sums them). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);	/* row ids, set before load */
	__type(key, __u32);
	__type(value, struct net_counters);
} net_counts SEC(".maps");

/* Distributions by histogram id, shared (4.7 KiB each; their adds are atomic). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);	/* histogram ids, set before load */
	__type(key, __u32);
	__type(value, struct net_hist);
} net_dists SEC(".maps");

/* The next row id and histogram id (enum net_next_slot). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NET_NEXT_NR);
	__type(key, __u32);
	__type(value, __u64);
} net_next SEC(".maps");

/* The ops and labels admitted under the caps (value unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* ops x (kinds, sides) + labels x kinds, set before load */
	__type(key, struct net_admit_key);
	__type(value, __u8);
} net_admit SEC(".maps");

/* How many ops each {kind, side} and labels each kind has admitted:
 * index kind * 2 + side for ops, NET_KIND_NR * 2 + kind for labels. */
#define NET_ADMIT_SLOTS (NET_KIND_NR * 3)
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NET_ADMIT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} net_admit_nr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_totals);
} net_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NET_DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} net_drops SEC(".maps");

/* --slow events (struct net_event). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} net_events SEC(".maps");

/* Keys too big for the 512-byte stack: a row key and an admission key,
 * per thread (task storage): per CPU, a program preempted by another task
 * running the same code would find its keys changed. */
struct net_keys {
	struct net_row_key row;
	struct net_admit_key admit;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct net_keys);
} net_keybuf SEC(".maps");

/* The compiler drops a mask it can prove useless, the verifier needs it. */
#define net_barrier_var(x) asm volatile("" : "+r"(x))

static __always_inline void net_add(__u64 *p, __u64 v)
{
	__sync_fetch_and_add(p, v);
}

static __always_inline struct net_keys *net_keys(void)
{
	return bpf_task_storage_get(&net_keybuf, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline struct net_totals *net_totals_get(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&net_totals, &k);
}

static __always_inline void net_drop(__u32 reason)
{
	__u64 *d;

	if (reason >= NET_DROP_NR)
		return;
	d = bpf_map_lookup_elem(&net_drops, &reason);
	if (d)
		net_add(d, 1);
}

/*
 * Is text admitted for {kind, side, is_label}? Known: yes. New: yes while
 * the slot's count is under cap (the count is taken atomically, so two
 * CPUs cannot both take the last place), else no. 2: admitted just now.
 */
static __always_inline int net_admit_text(struct net_admit_key *a, __u32 slot, __u32 cap)
{
	__u64 *nr = bpf_map_lookup_elem(&net_admit_nr, &slot);
	__u8 one = 1;

	if (bpf_map_lookup_elem(&net_admit, a))
		return 1;
	if (!nr || *nr >= cap)
		return 0;
	if (bpf_map_update_elem(&net_admit, a, &one, BPF_NOEXIST))
		return bpf_map_lookup_elem(&net_admit, a) != NULL;	/* another CPU, just now */
	if (__sync_fetch_and_add(nr, 1) < cap)
		return 2;
	bpf_map_delete_elem(&net_admit, a);
	return 0;
}

/* dst (zeroed) names the `other` row. */
static __always_inline void net_set_other(char *dst)
{
	dst[0] = 'o';
	dst[1] = 't';
	dst[2] = 'h';
	dst[3] = 'e';
	dst[4] = 'r';
}

/* An id from net_next's slot, under max; -1 when all are taken (counted). */
static __always_inline __s64 net_next_id(__u32 slot, __u32 max)
{
	__u64 *next = bpf_map_lookup_elem(&net_next, &slot);
	__u64 id;

	if (!next)
		return -1;
	id = __sync_fetch_and_add(next, 1);
	if (id < max)
		return id;
	net_drop(NET_DROP_ROWS_FULL);
	return -1;
}

/*
 * The slot of row k, created with a fresh id. k (in net_keybuf) may be
 * rewritten: an op or label past its cap becomes `other`, with
 * other_op/other_label set, and the overflow is counted in net_totals.
 * A row that exists was admitted already: one lookup. Two CPUs creating
 * one row: the insert that loses finds the winner's (its id goes unused).
 */
static __noinline struct net_row_slot *net_row(struct net_row_key *k)
{
	struct net_row_slot *s, fresh = {};
	struct net_totals *t;
	struct net_keys *ks;
	__u32 kind;
	__s64 id;
	int admitted;

	s = bpf_map_lookup_elem(&net_rows, k);
	if (s)
		return s;
	ks = net_keys();
	t = net_totals_get();
	if (!ks || !t)
		return NULL;
	kind = k->kind;
	if (kind >= NET_KIND_NR)
		return NULL;
	if (!k->other_op) {
		__builtin_memset(&ks->admit, 0, sizeof(ks->admit));
		ks->admit.kind = k->kind;
		ks->admit.side = k->side;
		__builtin_memcpy(ks->admit.text, k->op, NET_OP_MAX);
		admitted = net_admit_text(&ks->admit, kind * 2 + (k->side & 1), net_max_ops);
		if (admitted == 2)
			net_add(&t->ops, 1);
		if (!admitted) {
			__builtin_memset(k->op, 0, NET_OP_MAX);
			net_set_other(k->op);
			k->other_op = 1;
			net_add(&t->op_overflow, 1);
		}
	}
	if (!k->other_label) {
		__builtin_memset(&ks->admit, 0, sizeof(ks->admit));
		ks->admit.kind = k->kind;
		ks->admit.is_label = 1;
		__builtin_memcpy(ks->admit.text, k->label, NET_LABEL_MAX);
		admitted = net_admit_text(&ks->admit, NET_KIND_NR * 2 + kind, net_max_labels);
		if (admitted == 2)
			net_add(&t->labels, 1);
		if (!admitted) {
			__builtin_memset(k->label, 0, NET_LABEL_MAX);
			net_set_other(k->label);
			k->other_label = 1;
			net_add(&t->label_overflow, 1);
		}
	}
	s = bpf_map_lookup_elem(&net_rows, k);
	if (s)
		return s;
	id = net_next_id(NET_NEXT_ROW, net_row_ids);
	if (id < 0)
		return NULL;
	fresh.id = id;
	bpf_map_update_elem(&net_rows, k, &fresh, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&net_rows, k);
	if (!s)
		net_drop(NET_DROP_ROWS_FULL);
	return s;
}

/* The counters of a row's slot (this CPU's). */
static __always_inline struct net_counters *net_counts_of(const struct net_row_slot *s)
{
	__u32 id = s->id;

	return bpf_map_lookup_elem(&net_counts, &id);
}

/* One value into the row's distribution dist (its histogram taken on first use). */
static __noinline void net_hist_add(struct net_row_slot *s, __u32 dist, __u64 v)
{
	struct net_hist *h;
	__u32 b = hist_bucket_index(v), hid, old;
	__s64 id;

	if (!s || dist >= NET_DIST_NR)
		return;
	hid = s->dist[dist];
	if (!hid) {
		id = net_next_id(NET_NEXT_HIST, net_hist_ids);
		if (id < 0)
			return;
		/* ids start at 1 in the slot (0: none yet); a CPU that loses the race uses the winner's */
		old = __sync_val_compare_and_swap(&s->dist[dist], 0, (__u32)id + 1);
		hid = old ? old : (__u32)id + 1;
	}
	hid -= 1;
	h = bpf_map_lookup_elem(&net_dists, &hid);
	if (!h) {
		net_drop(NET_DROP_ROWS_FULL);
		return;
	}
	if (b >= HIST_NR_BUCKETS)
		b = HIST_LAST_BUCKET;	/* never: the bound is for the verifier */
	net_add(&h->buckets[b], 1);
	/* the adder whose add wraps the sum is the one that carries */
	if (__sync_fetch_and_add(&h->sum, v) + v < v)
		net_add(&h->sum_hi, 1);
}

/* An exchange's latency: histogram and whole-run min/max. */
static __always_inline void net_latency_add(struct net_counters *c, struct net_row_slot *s,
					    __u64 ns)
{
	net_hist_add(s, NET_DIST_LATENCY, ns);
	/* not atomic: a preemption race can only lose one min/max update */
	if (~ns > c->lat_min_inv)
		c->lat_min_inv = ~ns;
	if (ns > c->lat_max)
		c->lat_max = ns;
}

/* A --slow event for an exchange of row k that took ns, if it is that slow. */
static __always_inline void net_slow_event(const struct net_row_key *k, __u64 ns)
{
	struct net_event *e;
	__u64 id;

	if (!net_slow_ns || ns < net_slow_ns)
		return;
	e = bpf_ringbuf_reserve(&net_events, sizeof(*e), 0);
	if (!e) {
		net_drop(NET_DROP_EVENTS_LOST);
		return;
	}
	id = bpf_get_current_pid_tgid();
	e->ts = bpf_ktime_get_ns();
	e->latency_ns = ns;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	__builtin_memcpy(&e->row, k, sizeof(*k));
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&net_events, BPF_RB_AVAIL_DATA) >=
			      net_events_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* An exchange's latency: histogram, whole-run min/max, and a --slow event. */
static __always_inline void net_latency(struct net_counters *c, struct net_row_slot *s,
					const struct net_row_key *k, __u64 ns)
{
	net_latency_add(c, s, ns);
	net_slow_event(k, ns);
}

#endif /* SYNCTRACE_NET_RECORD_H */
