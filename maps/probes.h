/* SPDX-License-Identifier: MIT */
/*
 * Map layouts shared by bpf/probes.bpf.c and the user side (drain, tests).
 * Plain C, fixed-width types only, so cmocka tests can include it.
 */
#ifndef SYNCTRACE_PROBES_H
#define SYNCTRACE_PROBES_H

#include <linux/types.h>
#include "hist_bucket.h"

/*
 * A latency histogram slot, one per traced function, per CPU. There is no
 * count field: the count is the sum of the buckets, which saves one atomic
 * add on the hot path. Every field only grows, so user space takes interval
 * deltas instead of resetting (a reset would race with the kernel).
 */
struct hist_slot {
	__u64 sum;
	__u64 buckets[HIST_NR_BUCKETS];
};

/*
 * Exact min and max of one interval. min is stored inverted (~v) so that
 * both are "keep the largest" and an all-zero slot means "empty". Two slots
 * per histogram, picked by the low bit of the epoch user space bumps at
 * each interval boundary: user space reads and zeroes the slot the kernel
 * just left.
 */
struct extrema {
	__u64 min_inv;
	__u64 max;
};

/*
 * Per-thread stack of open calls, kept in BPF task-local storage (cheaper
 * than a tid-keyed hash). sp is the stack pointer at entry (pointing at the
 * return address): the matching return sees sp + 8, which tells a return
 * that belongs to the top frame from one of a frame we never saw (attached
 * mid-call, stack overflow) and from frames that never returned (longjmp).
 */
#define FRAME_DEPTH 16

struct frame {
	__u64 ts;
	__u64 sp;
	__u32 id;		/* ret probes: the row of the call (lat_rp_entry) */
	__u32 pad;
};

struct frame_stack {
	__u32 depth;
	__u32 pad;
	struct frame f[FRAME_DEPTH];
};

/* Everything the kernel side has to give up on is counted, by reason. */
enum drop_reason {
	DROP_DEPTH_OVERFLOW,	/* recursion deeper than FRAME_DEPTH */
	DROP_UNMATCHED_RETURN,	/* a return whose entry was not seen */
	DROP_MISSED_RETURN,	/* an entry whose return never came */
	DROP_STORAGE_FULL,	/* no task storage for the thread */
	/* ret probes (maps/ret_probes.h) */
	DROP_TAIL_EXIT,		/* a call left its function by a jump, not a ret */
	DROP_CALLS_FULL,	/* no room for an open Go call (GO_CALLS_MAX) */
	DROP_NO_GOROUTINE,	/* a probe in Go code found no goroutine in R14 */
	DROP_NR,
};

/*
 * bpf_session_cookie() is called through a raw kfunc call instruction whose
 * immediate is this marker; user space patches in the function's BTF id
 * before load (loader/kfunc_btf.c), so libbpf never parses vmlinux BTF.
 */
#define KFUNC_MARK_SESSION_COOKIE 0x7eff0001

/* The BPF cookie of every probe: the id of the histogram or counter; for
 * ret probes, the index + 1 of the site's rp_site in bits 32-63. */
#define COOKIE_ID(c) ((__u32)(c))
#define COOKIE_RP_INFO(c) ((__u32)((c) >> 32))

#endif /* SYNCTRACE_PROBES_H */
