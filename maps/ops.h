/* SPDX-License-Identifier: MIT */
/*
 * Map layouts shared by bpf/ops.bpf.c and user space (watch): per-op
 * configuration, the per-thread frames of open calls, and the stats.
 * Plain C, fixed-width types only.
 */
#ifndef SYNCTRACE_OPS_H
#define SYNCTRACE_OPS_H

#include <linux/types.h>
#include "hist_bucket.h"

#define OPS_MAX 64
#define OPS_EXPR_READS 4
#define OPS_ARGS 6		/* argument registers saved at entry */
#define OPS_FRAME_DEPTH 16

/* What a probe site does for its op; in bits 8-10 of the cookie. */
enum op_role {
	OP_ROLE_CALL,		/* one call: entry pushes a frame, return records */
	OP_ROLE_EVENT,		/* count-only: record at the probe */
};

#define OP_COOKIE(op, role) ((__u64)(op) | ((__u64)(role) << 8))
#define OP_COOKIE_OP(c) ((__u32)((c) & 0xff))
#define OP_COOKIE_ROLE(c) ((__u32)(((c) >> 8) & 7))

/* The numbering of cli/ops_expr.h's enum expr_base. */
enum op_expr_base {
	OPX_NONE, OPX_ARG, OPX_RET, OPX_PID, OPX_TID, OPX_COMM, OPX_CONST,
};

struct op_read {
	__s32 off;
	__u8 size;		/* 1, 2, 4 or 8 */
	__u8 is_signed;
	__u16 pad;
};

/* An expression, flattened: v = base + add; v = *(size *)(v + off) per
 * read; v += post_add. */
struct op_expr {
	__u8 base;
	__u8 arg;
	__u8 nr_reads;
	__u8 pad[5];
	__s64 add;		/* or the constant, for OPX_CONST */
	__s64 post_add;
	struct op_read reads[OPS_EXPR_READS];
};

enum op_cmp { OPC_NONE, OPC_LT, OPC_LE, OPC_GT, OPC_GE, OPC_EQ, OPC_NE };

#define OPF_LATENCY (1U << 0)
#define OPF_ERROR (1U << 1)
#define OPF_VALUE (1U << 2)
#define OPF_LABEL (1U << 3)

struct op_cfg {
	__u32 flags;
	__u32 error_cmp;	/* enum op_cmp: error when lhs CMP rhs (signed) */
	__s64 error_rhs;
	struct op_expr error_lhs;
	struct op_expr value;
	struct op_expr label;
};

/* Stats are kept per op and label (integer labels as themselves). */
struct op_key {
	__u32 op;
	__u32 pad;
	__u64 label;
};

/* Monotonic per-CPU counters of one {op, label}. */
struct op_counters {
	__u64 calls;
	__u64 errors;
	__u64 value_sum;
	__u64 value_min_inv;	/* ~min, 0 when none (whole run) */
	__u64 value_max;
};

/* A histogram of one {op, label}: latency or value (count = sum of buckets). */
struct op_hist {
	__u64 sum;
	__u64 buckets[HIST_NR_BUCKETS];
};

/* An open call: its start, stack pointer, and the arguments it had. */
struct op_frame {
	__u64 ts;
	__u64 sp;
	__u64 args[OPS_ARGS];
};

struct op_frames {
	__u32 depth;
	__u32 pad;
	struct op_frame f[OPS_FRAME_DEPTH];
};

enum op_drop {
	OPD_DEPTH_OVERFLOW,	/* more open calls on a thread than frames */
	OPD_UNMATCHED_RETURN,	/* a return whose entry was not seen */
	OPD_STATS_FULL,		/* no room for a new {op, label} */
	OPD_READ_FAILED,	/* an expression's memory read failed */
	OPD_NR,
};

#endif /* SYNCTRACE_OPS_H */
