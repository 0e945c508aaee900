/* SPDX-License-Identifier: MIT */
/*
 * Map layouts shared by bpf/ops.bpf.c and user space (watch): per-op and
 * per-state configuration, the per-thread frames of open calls, the open
 * starts of paired ops, labels, stats, states and events.
 * Plain C, fixed-width types only. docs/OPS-KERNEL.md explains the layout.
 */
#ifndef SYNCTRACE_OPS_H
#define SYNCTRACE_OPS_H

#include <linux/types.h>
#include "hist_bucket.h"

#define OPS_MAX 64
#define OPS_STATES_MAX 16
#define OPS_EXPR_READS 4
#define OPS_ARGS 12		/* USDT probes have up to 12; functions 6 or 9 in registers */
#define OPS_C_REG_ARGS 6	/* C (System V): rdi, rsi, rdx, rcx, r8, r9 */
#define OPS_GO_REG_ARGS 9	/* Go (ABIInternal): rax, rbx, rcx, rdi, rsi, r8-r11 */
#define OPS_REG_ARGS 9		/* function arguments saved in a frame: the larger */
#define OPS_FRAME_DEPTH 16
#define OPS_STR_MAX 64		/* bytes of a string label, NUL included */
#define OPS_SITE_INFOS 1024	/* sites with USDT arguments or sym(), over all ops */
#define OPS_KEY_PARTS 2		/* A(EXPR, EXPR) -> B(EXPR, EXPR) */
#define STATE_VALUES 16		/* values a state machine names */
#define STATE_RECENT 16		/* transitions kept per machine and process */

/*
 * What a probe site does; in bits 8-10 of its cookie. Bit 11 (AT_RETURN):
 * the site's expressions need the function's return (ret or @ret), so its
 * entry pushes a frame and the work is done at the return. Bits 12-30: see
 * OP_COOKIE_RP. Bit 31 (GO_ABI): the function takes its arguments in Go's
 * registers, not C's (a Go function; a C function of a Go file, cgo's,
 * does not). Bits 32-63: the
 * index + 1 of the site's info (its USDT arguments, its address for sym()),
 * 0 for a function site that needs neither.
 */
enum op_role {
	OP_ROLE_CALL,		/* one call: entry pushes a frame, return records */
	OP_ROLE_EVENT,		/* count-only: record at the probe */
	OP_ROLE_START,		/* A of A -> B: open a start keyed by {op, key} */
	OP_ROLE_END,		/* B of A -> B: close the start, record */
	OP_ROLE_STATE,		/* a state machine's value: bits 0-7 are the state */
};

#define OP_COOKIE_AT_RETURN (1ULL << 11)
#define OP_COOKIE_GO_ABI (1ULL << 31)
#define OP_COOKIE(op, role) ((__u64)(op) | ((__u64)(role) << 8))
#define OP_COOKIE_OP(c) ((__u32)((c) & 0xff))
/* What tells one site's frames from another's: op, role and AT_RETURN (bits 0-11). */
#define OP_COOKIE_FRAME_ID(c) ((__u32)((c) & 0xfff))
#define OP_COOKIE_ROLE(c) ((__u32)(((c) >> 8) & 7))
#define OP_COOKIE_SITE(c) ((__u32)((c) >> 32))	/* site info index + 1, or 0 */
/*
 * Bits 12-30: a function timed at its ret instructions (maps/ret_probes.h):
 * the index + 1 of the site's rp_site (its entry, or an exit), 0 for none.
 */
#define OP_COOKIE_RP_SHIFT 12
#define OP_COOKIE_RP_MAX 0x7ffffU	/* bits 12-30 */
#define OP_COOKIE_RP(c) ((__u32)(((c) >> OP_COOKIE_RP_SHIFT) & OP_COOKIE_RP_MAX))

/* An expression's base value; cli/ops_expr.h's enum expr_base takes these numbers. */
enum op_expr_base {
	OPX_NONE, OPX_ARG, OPX_RET, OPX_PID, OPX_TID, OPX_COMM, OPX_CONST,
	OPX_SYM,		/* a global variable's address: add is its address in the file */
};

struct op_read {
	__s32 off;
	__u8 size;		/* 1, 2, 4 or 8 */
	__u8 is_signed;
	__u16 pad;
};

/* LEN of str(PTR, LEN): a number evaluated as an expression is (OPX_ARG, RET or CONST). */
struct op_len {
	__u8 base;
	__u8 arg;
	__u8 nr_reads;
	__u8 set;		/* the string has a length: it is read to it, not to a NUL */
	__s8 cast;
	__u8 pad[3];
	__s64 add;
	__s64 post_add;
	struct op_read reads[OPS_EXPR_READS];
};

/*
 * An expression, flattened: v = base + add; v = *(size *)(v + off) per
 * read; v += post_add; cut by the cast; with str, v is the address of a string (comm: the
 * task's name) and the expression's value is its FNV-1a hash. A string ends at its NUL, or
 * with len set, after LEN bytes; either way at OPS_STR_MAX - 1 bytes.
 */
struct op_expr {
	__u8 base;
	__u8 arg;
	__u8 nr_reads;
	__u8 str;
	__u8 at_return;		/* uses ret or @ret: evaluated at the return */
	__s8 cast;		/* (u32)EXPR: the result cut to |cast| bytes; < 0: signed */
	__u8 pad[2];
	__s64 add;		/* or the constant, for OPX_CONST */
	__s64 post_add;
	struct op_read reads[OPS_EXPR_READS];
	struct op_len len;
};

/* The expressions of an op; which ones a site evaluates depends on its role. */
enum op_slot {
	OPS_SLOT_KEY_START,	/* START: the pairing key (OPF_KEYED) */
	OPS_SLOT_KEY_START2,	/* START: its second part (OPF_KEY2) */
	OPS_SLOT_KEY_END,	/* END: the pairing key (OPF_KEYED) */
	OPS_SLOT_KEY_END2,	/* END: its second part (OPF_KEY2) */
	OPS_SLOT_WHEN,		/* CALL, EVENT, END: the left side of when= (before the rest) */
	OPS_SLOT_LABEL,		/* CALL, EVENT, START; END with OPF_FANOUT */
	OPS_SLOT_VALUE,		/* CALL, EVENT, START */
	OPS_SLOT_ERROR,		/* CALL, EVENT, END: the left side of error= */
	OPS_SLOT_BLOCKED,	/* CALL, EVENT, END: the left side of would_block= */
	OPS_NR_SLOTS,
};

enum op_cmp { OPC_NONE, OPC_LT, OPC_LE, OPC_GT, OPC_GE, OPC_EQ, OPC_NE };

#define OPF_LATENCY (1U << 0)
#define OPF_ERROR (1U << 1)
#define OPF_VALUE (1U << 2)
#define OPF_LABEL (1U << 3)
#define OPF_KEYED (1U << 4)	/* paired by key expressions, not by thread */
#define OPF_WHEN (1U << 5)	/* when=: hits of the end (only) probe it rejects are ignored */
#define OPF_IGNORE_UNMATCHED (1U << 6)	/* unmatched=ignore: ends with no start not counted */
#define OPF_KEY2 (1U << 7)	/* the pairing key has two parts */
#define OPF_FANOUT (1U << 8)	/* fanout: a start answers every end of its key until it expires */
#define OPF_WOULD_BLOCK (1U << 9)	/* would_block=: such calls are neither errors nor work */

struct op_cfg {
	__u32 flags;
	__u32 error_cmp;	/* enum op_cmp: error when lhs CMP rhs (signed) */
	__s64 error_rhs;
	__u32 when_cmp;		/* enum op_cmp: the hit counts when lhs CMP rhs */
	__u32 block_cmp;	/* enum op_cmp: would_block= holds when lhs CMP rhs */
	__s64 when_rhs;
	__s64 block_rhs;
	__u64 slow_ns;		/* latency at or over this is an event; 0: none */
	__u32 max_labels;	/* distinct labels before `other` */
	__u32 pad;
	struct op_expr x[OPS_NR_SLOTS];
};

/* A state machine: its value expression and the values it names. */
struct state_cfg {
	struct op_expr value;
	__u32 nr_values;
	__u32 pad;
	__s64 values[STATE_VALUES];	/* slot i: values[i] */
};

/* Where a USDT argument is (loader/usdt_notes.h's struct usdt_arg, flattened). */
enum { OPU_CONST, OPU_REG, OPU_REG_DEREF };

struct op_usdt_arg {
	__s64 val;		/* CONST: the value; REG_DEREF: the displacement */
	__u16 reg_off;		/* offset in struct pt_regs */
	__u8 kind;
	__s8 size;		/* 1, 2, 4, 8; negative: signed */
	__u32 pad;
};

struct op_usdt_spec {
	__u32 nr_args;
	__u32 pad;
	struct op_usdt_arg args[OPS_ARGS];
};

/* What a site needs beyond its cookie: where its arguments are (a USDT
 * probe), and its address in its file, from which sym() finds globals. */
struct op_site_info {
	__u64 vaddr;		/* the probed instruction's address in the file */
	__u32 usdt;		/* a USDT probe: its arguments are in spec */
	__u32 pad;
	struct op_usdt_spec spec;
};

/* The label kinds of a stats key. */
enum op_label_kind {
	OPL_VALUE,		/* label is the value (or the string's hash) */
	OPL_OTHER,		/* every label past the op's max_labels */
	OPL_NONE,		/* a fanout start's own row: its ends carry the labels */
};

/* Stats are kept per op and label. */
struct op_key {
	__u32 op;
	__u32 kind;		/* enum op_label_kind */
	__u64 label;
};

/* A string label's text, by {op, OPL_VALUE, hash}; integer labels have none. */
struct op_label_text {
	char s[OPS_STR_MAX];
};

/* Monotonic per-CPU counters of one {op, label}; the value's sum is its histogram's. */
struct op_counters {
	__u64 calls;
	__u64 errors;
	__u64 would_block;	/* calls for which would_block= held */
	__u64 value_min_inv;	/* ~min, 0 when none (whole run) */
	__u64 value_max;
	__u64 lat_min_inv;	/* ~min, 0 when none (whole run) */
	__u64 lat_max;		/* whole run */
};

/*
 * A histogram of one {op, label}: latency or value (count = sum of buckets).
 * The sum has 128 bits: sum_hi counts the times sum wrapped past 2^64, which
 * a few values near 2^63 (LSNs, offsets) already do.
 */
struct op_hist {
	__u64 sum;
	__u64 sum_hi;
	__u64 buckets[HIST_NR_BUCKETS];
};

/* Per-op totals shared by every CPU (atomic adds): labels admitted, and pairing. */
struct op_totals {
	__u64 labels;		/* distinct labels admitted; at most max_labels stay */
	__u64 label_overflow;	/* calls whose label went to `other` */
	__u64 unmatched;	/* ends with no open start */
	__u64 restarts;		/* starts that replaced an open start of the same key */
};

/* An open start of a paired op: what the end needs. */
struct op_start_key {
	__u32 op;
	__u32 pad;
	__u64 key[OPS_KEY_PARTS];	/* the key's parts (the thread id without a key) */
};

struct op_start {
	__u64 ts;
	__u64 label;
	__u64 value;
	__u32 label_kind;
	__u32 pid;
	__u64 ends;		/* fanout: ends timed against it so far */
};

/* An open call: its start, stack pointer, arguments, and entry-time values. */
struct op_frame {
	__u64 ts;
	__u64 sp;
	__u64 bias;		/* load bias of the probed file, for sym() at the return */
	__u32 cookie_op;	/* OP_COOKIE_FRAME_ID() of the site */
	__u32 label_kind;
	__u64 args[OPS_REG_ARGS];
	__u64 x[OPS_NR_SLOTS];	/* slots evaluated at entry */
};

struct op_frames {
	__u32 depth;
	__u32 pad;
	struct op_frame f[OPS_FRAME_DEPTH];
};

/* One state machine in one process. cur_since: (since_ns << 4) | slot, 0 before the first call. */
struct state_key {
	__u32 state;
	__u32 pid;
};

struct state_transition {
	__u64 ts;
	__u32 from, to;		/* slots */
};

struct state_rec {
	__u64 cur_since;
	__u64 ended_ns;		/* when the process exited (its last dwell is in time_in), or 0 */
	__u64 calls;
	__u64 time_in[STATE_VALUES];
	__u64 trans[STATE_VALUES][STATE_VALUES];
	__u64 recent_head;	/* transitions so far; recent[head % 16] is next */
	struct state_transition recent[STATE_RECENT];
};

/* Errors and slow calls, through the ring buffer. */
#define OPE_ERROR (1U << 0)
#define OPE_SLOW (1U << 1)

struct op_event {
	__u64 ts;
	__u64 latency_ns;	/* 0 for a count-only op */
	__s64 ret;
	__s64 err_value;	/* the left side of error= (what made it an error) */
	__u64 label;
	__u32 op;
	__u32 label_kind;
	__u32 pid;
	__u32 tid;
	__u32 flags;		/* OPE_* */
	__u32 pad;
};

enum op_drop {
	OPD_DEPTH_OVERFLOW,	/* more open calls on a thread than frames */
	OPD_UNMATCHED_RETURN,	/* a return whose entry was not seen */
	OPD_STATS_FULL,		/* no room for a new {op, label} */
	OPD_READ_FAILED,	/* an expression's memory read failed */
	OPD_STARTS_FULL,	/* no room for a new open start */
	OPD_EVENTS_LOST,	/* the ring buffer was full */
	OPD_STATE_UNKNOWN,	/* a state value the machine does not name */
	OPD_STATES_FULL,	/* no room for a new {state, pid} */
	OPD_MISSED_RETURN,	/* an open call whose return never came (longjmp, panic) */
	OPD_TAIL_EXIT,		/* a call left its function by a jump, not a ret */
	OPD_CALLS_FULL,		/* no room for an open Go call (GO_CALLS_MAX) */
	OPD_NO_GOROUTINE,	/* a probe in Go code found no goroutine in R14 */
	OPD_NR,
};

#endif /* SYNCTRACE_OPS_H */
