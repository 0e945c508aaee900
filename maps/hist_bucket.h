/* SPDX-License-Identifier: MIT */
/*
 * Log-linear histogram buckets, shared by the BPF programs and user space.
 *
 * Values below 2^HIST_SUB_BITS get a bucket each (exact). Above that, each
 * power of two [2^k, 2^(k+1)) is split into 2^HIST_SUB_BITS equal sub-buckets,
 * so a bucket is at most 1/16 of its lower bound wide (log2 histograms, as
 * in bcc and bpftrace, are up to 2x wide). The buckets cover every 64-bit
 * value: LSNs, byte offsets and timestamps are values too. The last bucket
 * ends at 2^64 - 1, inclusive.
 *
 * No includes beyond fixed-width types: the BPF side, the loader and the
 * cmocka tests all use this one definition.
 */
#ifndef SYNCTRACE_HIST_BUCKET_H
#define SYNCTRACE_HIST_BUCKET_H

#define HIST_SUB_BITS 4
#define HIST_SUBS (1U << HIST_SUB_BITS)
#define HIST_VALUE_BITS 64
/* exact buckets, then one octave of HIST_SUBS buckets per power of two above */
#define HIST_NR_BUCKETS (HIST_SUBS + (HIST_VALUE_BITS - HIST_SUB_BITS) * HIST_SUBS)
#define HIST_LAST_BUCKET (HIST_NR_BUCKETS - 1)
_Static_assert(HIST_NR_BUCKETS % 8 == 0, "user space scans the buckets 8 at a time");

/* Index of the highest set bit; v must be non-zero. BPF has no clz, so
 * this is a branchy binary search that both sides can compile. */
static inline unsigned int hist_msb64(unsigned long long v)
{
	unsigned int r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8)  { v >>= 8;  r += 8; }
	if (v >> 4)  { v >>= 4;  r += 4; }
	if (v >> 2)  { v >>= 2;  r += 2; }
	if (v >> 1)  { r += 1; }
	return r;
}

static inline unsigned int hist_bucket_index(unsigned long long v)
{
	unsigned int k, sub;

	if (v < HIST_SUBS)
		return (unsigned int)v;
	k = hist_msb64(v);
	sub = (unsigned int)(v >> (k - HIST_SUB_BITS)) & (HIST_SUBS - 1);
	return (k - HIST_SUB_BITS + 1) * HIST_SUBS + sub;
}

/* Smallest value that falls in bucket i. */
static inline unsigned long long hist_bucket_lower(unsigned int i)
{
	unsigned int k;

	if (i < HIST_SUBS)
		return i;
	if (i > HIST_LAST_BUCKET)
		i = HIST_LAST_BUCKET;
	k = i / HIST_SUBS + HIST_SUB_BITS - 1;
	return (unsigned long long)(HIST_SUBS + i % HIST_SUBS) << (k - HIST_SUB_BITS);
}

/* One past the largest value of bucket i; for the last bucket, whose end
 * 2^64 does not fit, 2^64 - 1 (then inclusive). */
static inline unsigned long long hist_bucket_upper(unsigned int i)
{
	if (i >= HIST_LAST_BUCKET)
		return ~0ULL;
	return hist_bucket_lower(i + 1);
}

#endif /* SYNCTRACE_HIST_BUCKET_H */
