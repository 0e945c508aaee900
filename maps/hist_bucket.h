/* SPDX-License-Identifier: MIT */
/*
 * Log-linear histogram buckets, shared by the BPF programs and user space.
 *
 * Values below 2^HIST_SUB_BITS get a bucket each (exact). Above that, each
 * power of two [2^k, 2^(k+1)) is split into 2^HIST_SUB_BITS equal sub-buckets,
 * so a bucket is at most 1/16 of its lower bound wide (log2 histograms, as
 * in bcc and bpftrace, are up to 2x wide). Values of 2^HIST_MAX_BITS (~18
 * minutes in ns, ~1 TiB in bytes) and above share one overflow bucket; the
 * exact maximum is kept separately.
 *
 * No includes beyond fixed-width types: the BPF side, the loader and the
 * cmocka tests all use this one definition.
 */
#ifndef SYNCTRACE_HIST_BUCKET_H
#define SYNCTRACE_HIST_BUCKET_H

#define HIST_SUB_BITS 4
#define HIST_SUBS (1U << HIST_SUB_BITS)
#define HIST_MAX_BITS 40
/* exact buckets, then (HIST_MAX_BITS - HIST_SUB_BITS) octaves, then overflow */
#define HIST_NR_BUCKETS (HIST_SUBS + (HIST_MAX_BITS - HIST_SUB_BITS) * HIST_SUBS + 1)
#define HIST_OVERFLOW_BUCKET (HIST_NR_BUCKETS - 1)

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
	if (k >= HIST_MAX_BITS)
		return HIST_OVERFLOW_BUCKET;
	sub = (unsigned int)(v >> (k - HIST_SUB_BITS)) & (HIST_SUBS - 1);
	return (k - HIST_SUB_BITS + 1) * HIST_SUBS + sub;
}

/* Smallest value that falls in bucket i. */
static inline unsigned long long hist_bucket_lower(unsigned int i)
{
	unsigned int k;

	if (i < HIST_SUBS)
		return i;
	if (i >= HIST_OVERFLOW_BUCKET)
		return 1ULL << HIST_MAX_BITS;
	k = i / HIST_SUBS + HIST_SUB_BITS - 1;
	return (unsigned long long)(HIST_SUBS + i % HIST_SUBS) << (k - HIST_SUB_BITS);
}

/* One past the largest value of bucket i (the overflow bucket is open). */
static inline unsigned long long hist_bucket_upper(unsigned int i)
{
	if (i >= HIST_OVERFLOW_BUCKET)
		return ~0ULL;
	return hist_bucket_lower(i + 1);
}

#endif /* SYNCTRACE_HIST_BUCKET_H */
