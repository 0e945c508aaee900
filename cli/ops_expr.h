/* SPDX-License-Identifier: MIT */
/*
 * The values of the ops language: expressions and predicates (keys, value=,
 * by=, error=) parsed into flat structs that are copied as is into BPF maps;
 * integers and durations.
 */
#ifndef SYNCTRACE_OPS_EXPR_H
#define SYNCTRACE_OPS_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include "maps/ops.h"

/* The kernel side's numbering (maps/ops.h): parsed values are copied as they are. */
enum expr_base {
	EXPR_NONE = OPX_NONE, EXPR_ARG = OPX_ARG, EXPR_RET = OPX_RET, EXPR_PID = OPX_PID,
	EXPR_TID = OPX_TID, EXPR_COMM = OPX_COMM, EXPR_CONST = OPX_CONST, EXPR_SYM = OPX_SYM,
};

#define EXPR_MAX_ARG (OPS_ARGS - 1)
#define EXPR_MAX_READS OPS_EXPR_READS
#define EXPR_STR_MAX OPS_STR_MAX	/* bytes read by str(), NUL included */
#define EXPR_SYM_MAX 127		/* the name in sym(NAME) */

struct expr_read {
	long long off;
	int size;		/* 1, 2, 4 or 8 */
	bool is_signed;		/* s8..s64: sign-extend to 64 bits */
};

/*
 * LEN of str(PTR, LEN): a number, evaluated as an expression is (below),
 * from argN, ret or an integer, with reads, adds and a cast.
 */
struct expr_len {
	bool set;
	enum expr_base base;	/* EXPR_ARG, EXPR_RET or EXPR_CONST */
	int arg;
	long long constant;
	long long add;
	int nr_reads;
	struct expr_read reads[EXPR_MAX_READS];
	long long post_add;
	int cast_size;
	bool cast_signed;
};

/*
 * Evaluation, in this order:
 *	v = base (argN, ret, pid, tid, constant, or sym(NAME): the address of
 *	    the global variable NAME of the probed file, where it is loaded) + add;
 *	for each read i: v = *(size *)(v + reads[i].off);
 *	v += post_add;
 *	with a cast: v cut to cast_size bytes, zero- or sign-extended;
 *	if str: the NUL-terminated string at v, or with len, the len bytes at
 *	v (a length <= 0: none); EXPR_STR_MAX - 1 bytes at most either way.
 * With reads, add is always 0: the INT added inside the first read is
 * reads[0].off, the INT added to the result of read i is reads[i + 1].off,
 * and only the INT after the last read is post_add. "u64(arg0)+8" is
 * reads [{0, 8}], post_add 8; "arg0+8" is add 8. pid, tid and comm take no
 * reads and no adds; comm is a string (the task's comm) by itself.
 */
struct expr {
	enum expr_base base;
	int arg;		/* EXPR_ARG: 0..EXPR_MAX_ARG */
	char sym[EXPR_SYM_MAX + 1];	/* EXPR_SYM: the variable's name */
	long long constant;	/* EXPR_CONST */
	long long add;
	int nr_reads;
	struct expr_read reads[EXPR_MAX_READS];
	long long post_add;
	bool str;		/* str(...): only outermost */
	struct expr_len len;	/* str(PTR, LEN): its LEN */
	bool at_ret;		/* @ret: evaluate at the function's return, from the
				 * arguments saved at entry (out-parameters) */
	bool uses_ret;		/* base (or LEN's) is EXPR_RET */
	int cast_size;		/* (u32)EXPR etc.: the result cut to 1, 2, 4 or 8 bytes */
	bool cast_signed;	/* ... then sign-extended (s8..s64), else zero-extended */
};

enum pred_cmp {
	CMP_NONE = OPC_NONE, CMP_LT = OPC_LT, CMP_LE = OPC_LE, CMP_GT = OPC_GT, CMP_GE = OPC_GE,
	CMP_EQ = OPC_EQ, CMP_NE = OPC_NE,
};

/* EXPR CMP INTEGER, e.g. ret<0, arg2!=0, u32(arg0+4)>=0x10. */
struct pred {
	bool set;
	struct expr lhs;	/* never a string */
	char lhs_text[48];	/* EXPR as written (cut), to show its value in events */
	enum pred_cmp cmp;
	long long rhs;
};

/*
 * Parse text (the whole of it: surrounding blanks allowed) into out.
 * 0, or -EINVAL with a one-line message in msg, without a file:line prefix:
 * "bad expression 'u64(arg1+': missing ')'". out is zeroed first.
 */
int expr__parse(const char *text, struct expr *out, char *msg, size_t len);
int pred__parse(const char *text, struct pred *out, char *msg, size_t len);

/* Does e evaluate to a string (str() or comm) rather than a number? */
bool expr__is_string(const struct expr *e);

/*
 * A decimal or 0x-hex integer, optionally negative, that fills s (blanks
 * around it allowed). 0 or -EINVAL (not an integer) or -ERANGE.
 */
int ops_parse_int(const char *s, long long *out);

/*
 * A duration > 0: 30s, 500ms, 100us, 250ns, 2m, 1h; a plain number is
 * seconds. 0, -EINVAL or -ERANGE (does not fit 64 bits of ns).
 */
int ops_parse_duration(const char *s, unsigned long long *ns);

#endif /* SYNCTRACE_OPS_EXPR_H */
