// SPDX-License-Identifier: MIT
/* The values of the ops language: expressions, predicates, integers, durations. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_lex.h"
#include "cli/ops_expr.h"

/* User text in messages is cut, so that one bad token cannot flood a line. */

struct parser {
	const char *text;	/* the whole expression, for messages */
	const char *p;		/* cursor */
	char *msg;
	size_t len;
};







static bool word_is(const char *p, int n, const char *word)
{
	return (int)strlen(word) == n && !strncmp(p, word, n);
}

static int fail(struct parser *ps, const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(ps->msg, ps->len, "bad expression " QF ": %s", QA(ps->text), why);
	return -EINVAL;
}

/* "unexpected 'arg1'": the word, or the one character, at the cursor. */
static int fail_unexpected(struct parser *ps)
{
	int n = ident_len(ps->p);

	if (!*ps->p)
		return fail(ps, "unexpected end");
	return fail(ps, "unexpected '%.*s'", n ? (n > 32 ? 32 : n) : 1, ps->p);
}

static int digit_value(char c, int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A decimal or 0x-hex magnitude at *s; *s moves past it. Leading zeros are
 * decimal, never octal: "010" is ten.
 */
static int scan_uint(const char **s, unsigned long long *out)
{
	const char *p = *s;
	unsigned long long v = 0;
	int base = 10, digits = 0, d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; (d = digit_value(*p, base)) >= 0; p++, digits++) {
		if (v > (ULLONG_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!digits || is_ident_char(*p))
		return -EINVAL;
	*s = p;
	*out = v;
	return 0;
}

/* An optionally negative integer at *s that fits a long long. */
static int scan_int(const char **s, long long *out)
{
	const char *p = *s;
	unsigned long long mag;
	bool neg = *p == '-';
	int err;

	if (neg)
		p++;
	err = scan_uint(&p, &mag);
	if (err)
		return err;
	if (mag > (unsigned long long)LLONG_MAX + neg)
		return -ERANGE;
	*out = neg ? (long long)(0ULL - mag) : (long long)mag;
	*s = p;
	return 0;
}

int ops_parse_int(const char *s, long long *out)
{
	const char *p = skip_blanks(s);
	int err = scan_int(&p, out);

	if (err)
		return err;
	return *skip_blanks(p) ? -EINVAL : 0;
}

int ops_parse_duration(const char *s, unsigned long long *ns)
{
	static const struct { const char *unit; unsigned long long ns; } units[] = {
		{ "", 1000000000ULL }, { "s", 1000000000ULL }, { "ms", 1000000ULL },
		{ "us", 1000ULL }, { "ns", 1ULL }, { "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
	};
	unsigned long long v = 0;
	size_t i;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return -ERANGE;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(s, units[i].unit)) {
			if (__builtin_mul_overflow(v, units[i].ns, ns))
				return -ERANGE;
			return *ns ? 0 : -EINVAL;
		}
	}
	return -EINVAL;
}

static const char *base_name(enum expr_base b)
{
	switch (b) {
	case EXPR_PID:
		return "pid";
	case EXPR_TID:
		return "tid";
	case EXPR_COMM:
		return "comm";
	case EXPR_RET:
		return "ret";
	default:
		return "argN";
	}
}

static bool base_is_task(enum expr_base b)
{
	return b == EXPR_PID || b == EXPR_TID || b == EXPR_COMM;
}

/* u8..u64 and s8..s64: the read's size in bytes and sign. */
static bool read_fn(const char *p, int n, int *size, bool *is_signed)
{
	static const struct { const char *name; int size; bool is_signed; } fns[] = {
		{ "u8", 1, false }, { "u16", 2, false }, { "u32", 4, false }, { "u64", 8, false },
		{ "s8", 1, true }, { "s16", 2, true }, { "s32", 4, true }, { "s64", 8, true },
	};
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if (word_is(p, n, fns[i].name)) {
			*size = fns[i].size;
			*is_signed = fns[i].is_signed;
			return true;
		}
	}
	return false;
}

/* Balance first, so that "u64(arg1+" says what is really wrong. */
static int check_parens(struct parser *ps)
{
	const char *p;
	int depth = 0;

	for (p = ps->text; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			return fail(ps, "unexpected ')'");
	}
	return depth ? fail(ps, "missing ')'") : 0;
}

static int expect_char(struct parser *ps, char c)
{
	ps->p = skip_blanks(ps->p);
	if (*ps->p != c)
		return fail_unexpected(ps);
	ps->p++;
	return 0;
}

/* "+ INT" and "- INT" after a value: into add before any read, else post_add. */
static int parse_adds(struct parser *ps, struct expr *e)
{
	unsigned long long mag;
	long long *slot;
	bool bad;
	char op;

	for (;;) {
		ps->p = skip_blanks(ps->p);
		op = *ps->p;
		if (op != '+' && op != '-')
			return 0;
		if (base_is_task(e->base))
			return fail(ps, "%s takes no reads and no adds", base_name(e->base));
		ps->p = skip_blanks(ps->p + 1);
		switch (scan_uint(&ps->p, &mag)) {
		case 0:
			break;
		case -ERANGE:
			return fail(ps, "integer out of range");
		default:
			return fail(ps, "expected an integer after '%c'", op);
		}
		if (mag > LLONG_MAX)
			return fail(ps, "integer out of range");
		slot = e->nr_reads ? &e->post_add : &e->add;
		if (op == '+')
			bad = __builtin_add_overflow(*slot, (long long)mag, slot);
		else
			bad = __builtin_sub_overflow(*slot, (long long)mag, slot);
		if (bad)
			return fail(ps, "offset out of range");
	}
}

static int parse_term(struct parser *ps, struct expr *e, int depth);

/* A symbol name: C identifiers, and the '.' and '$' other languages use. */
static bool is_sym_char(char c)
{
	return is_ident_char(c) || c == '.' || c == '$';
}

/* sym(NAME): the address of a global variable of the probed file. */
static int parse_sym(struct parser *ps, struct expr *e)
{
	const char *name;
	size_t n;

	ps->p = skip_blanks(ps->p);
	if (*ps->p != '(')
		return fail(ps, "sym needs a variable's name: sym(NAME)");
	name = ps->p = skip_blanks(ps->p + 1);
	for (n = 0; is_sym_char(name[n]); n++)
		;
	if (!n || is_digit(name[0]))
		return fail(ps, "sym(NAME): expected a variable's name");
	if (n > EXPR_SYM_MAX)
		return fail(ps, "sym(NAME): the name is longer than %d characters", EXPR_SYM_MAX);
	memcpy(e->sym, name, n);
	e->sym[n] = '\0';
	ps->p = name + n;
	if (expect_char(ps, ')'))
		return -EINVAL;
	e->base = EXPR_SYM;
	return 0;
}

/* u64(EXPR) etc.: the INT added so far becomes the offset of this read. */
static int parse_read(struct parser *ps, struct expr *e, int depth, int size,
		      bool is_signed, const char *fn, int fn_len)
{
	long long *pending;
	int err;

	ps->p = skip_blanks(ps->p);
	if (*ps->p != '(')
		return fail(ps, "%.*s needs an address: %.*s(EXPR)", fn_len, fn, fn_len, fn);
	ps->p++;
	if (depth >= EXPR_MAX_READS)
		return fail(ps, "more than %d nested reads", EXPR_MAX_READS);
	err = parse_term(ps, e, depth + 1);
	if (err)
		return err;
	err = expect_char(ps, ')');
	if (err)
		return err;
	if (base_is_task(e->base))
		return fail(ps, "%s is not an address: %.*s(%s) reads nothing",
			    base_name(e->base), fn_len, fn, base_name(e->base));
	pending = e->nr_reads ? &e->post_add : &e->add;
	e->reads[e->nr_reads].off = *pending;
	e->reads[e->nr_reads].size = size;
	e->reads[e->nr_reads].is_signed = is_signed;
	e->nr_reads++;
	*pending = 0;
	return 0;
}

/* argN, ret, pid, tid, comm, "u64(...)" and friends, or -?INT; then adds. */
static int parse_term(struct parser *ps, struct expr *e, int depth)
{
	const char *w;
	int n, size, err;
	bool is_signed;
	long long v;

	ps->p = skip_blanks(ps->p);
	w = ps->p;
	n = ident_len(w);
	if (n) {
		ps->p += n;
		if (read_fn(w, n, &size, &is_signed)) {
			err = parse_read(ps, e, depth, size, is_signed, w, n);
			if (err)
				return err;
		} else if (word_is(w, n, "str")) {
			return fail(ps, "str() only as the outermost function");
		} else if (n >= 4 && !strncmp(w, "arg", 3) && is_digit(w[3])) {
			/* arg0..arg9, arg10, arg11; no leading zeros */
			if (n == 4 || (n == 5 && w[3] == '1' && w[4] >= '0' &&
				       w[4] <= '0' + EXPR_MAX_ARG % 10)) {
				e->base = EXPR_ARG;
				e->arg = n == 4 ? w[3] - '0' : 10 + w[4] - '0';
			} else {
				return fail(ps, "no argument '%.*s' (arg0..arg%d)",
					    n > 32 ? 32 : n, w, EXPR_MAX_ARG);
			}
		} else if (word_is(w, n, "ret")) {
			e->base = EXPR_RET;
		} else if (word_is(w, n, "pid")) {
			e->base = EXPR_PID;
		} else if (word_is(w, n, "tid")) {
			e->base = EXPR_TID;
		} else if (word_is(w, n, "comm")) {
			e->base = EXPR_COMM;
		} else if (word_is(w, n, "sym")) {
			err = parse_sym(ps, e);
			if (err)
				return err;
		} else {
			return fail(ps, "unknown name '%.*s' (expected argN, ret, pid, tid, comm, "
				    "an integer, u8..u64(EXPR), s8..s64(EXPR), str(EXPR), "
				    "sym(NAME))", n > 32 ? 32 : n, w);
		}
	} else if (is_digit(*w) || (*w == '-' && is_digit(w[1]))) {
		err = scan_int(&ps->p, &v);
		if (err == -ERANGE)
			return fail(ps, "integer out of range");
		if (err) {
			for (n = 1; n < 32 && is_ident_char(w[n]); n++)
				;
			return fail(ps, "bad integer '%.*s'", n, w);
		}
		e->base = EXPR_CONST;
		e->constant = v;
	} else if (!*w || *w == ')') {
		return fail(ps, "expected a value (argN, ret, pid, tid, comm, an integer "
			    "or a read) %s", *w ? "before ')'" : "at the end");
	} else {
		return fail_unexpected(ps);
	}
	return parse_adds(ps, e);
}

/* "@ret", if there: evaluated at the return from the arguments saved at entry. */
static int parse_at_ret(struct parser *ps, struct expr *e)
{
	if (*ps->p != '@')
		return 0;
	if (strncmp(ps->p, "@ret", 4) || is_ident_char(ps->p[4]))
		return fail(ps, "unknown suffix '%.*s' (only @ret)",
			    ident_len(ps->p + 1) > 32 ? 33 : ident_len(ps->p + 1) + 1, ps->p);
	if (e->base == EXPR_RET)
		return fail(ps, "ret is already taken at the return: drop @ret");
	if (base_is_task(e->base))
		return fail(ps, "@ret applies to argN or an address, not %s", base_name(e->base));
	e->at_ret = true;
	ps->p = skip_blanks(ps->p + 4);
	return 0;
}

/* "(u32)" etc. before an expression: its value is cut to that size, then
 * zero- or sign-extended (a u32 result sign-extended as ret, an OID). */
static int parse_cast(struct parser *ps, struct expr *e)
{
	const char *p = skip_blanks(ps->p + 1);
	int n = ident_len(p), size;
	bool is_signed;

	if (*ps->p != '(' || !read_fn(p, n, &size, &is_signed) || *skip_blanks(p + n) != ')')
		return 0;	/* not a cast */
	e->cast_size = size;
	e->cast_signed = is_signed;
	ps->p = skip_blanks(skip_blanks(p + n) + 1);
	if (!*ps->p)
		return fail(ps, "a cast needs a value after it: (%.*s)EXPR", n, p);
	return 0;
}

/* ", LEN" of str(PTR, LEN): a number, with reads and a cast. */
static int parse_len(struct parser *ps, struct expr_len *l)
{
	struct expr e = { 0 };
	int err;

	ps->p = skip_blanks(ps->p);
	if ((err = parse_cast(ps, &e)))
		return err;
	if (*ps->p == ')')
		return fail(ps, "str(PTR, LEN) needs a length after ','");
	if ((err = parse_term(ps, &e, 0)))
		return err;
	if (e.base != EXPR_ARG && e.base != EXPR_RET && e.base != EXPR_CONST)
		return fail(ps, "the length of str(PTR, LEN) is a number: argN, ret, an integer "
			    "or a read, not %s", e.base == EXPR_SYM ? "sym()" : base_name(e.base));
	l->set = true;
	l->base = e.base;
	l->arg = e.arg;
	l->constant = e.constant;
	l->add = e.add;
	l->nr_reads = e.nr_reads;
	memcpy(l->reads, e.reads, sizeof(l->reads));
	l->post_add = e.post_add;
	l->cast_size = e.cast_size;
	l->cast_signed = e.cast_signed;
	return 0;
}

int expr__parse(const char *text, struct expr *out, char *msg, size_t len)
{
	struct parser ps = { .text = text, .p = text, .msg = msg, .len = len };
	int n, err;

	memset(out, 0, sizeof(*out));
	err = check_parens(&ps);
	if (err)
		return err;
	ps.p = skip_blanks(ps.p);
	if (!*ps.p)
		return fail(&ps, "empty expression");
	if ((err = parse_cast(&ps, out)))
		return err;
	n = ident_len(ps.p);
	if (word_is(ps.p, n, "str") && out->cast_size) {
		return fail(&ps, "a string has no size to cast to");
	} else if (word_is(ps.p, n, "str")) {
		ps.p = skip_blanks(ps.p + n);
		if (*ps.p != '(')
			return fail(&ps, "str needs an address: str(EXPR) or str(PTR, LEN)");
		ps.p++;
		err = parse_term(&ps, out, 0);
		if (!err && *(ps.p = skip_blanks(ps.p)) == ',') {
			ps.p++;
			err = parse_len(&ps, &out->len);
		}
		if (!err)
			err = expect_char(&ps, ')');
		if (err)
			return err;
		if (out->base == EXPR_COMM)
			return fail(&ps, "comm is already a string: write comm");
		if (base_is_task(out->base))
			return fail(&ps, "%s is not an address", base_name(out->base));
		out->str = true;
		ps.p = skip_blanks(ps.p);
		if (*ps.p == '+' || *ps.p == '-')
			return fail(&ps, "nothing but @ret may follow str(...)");
	} else {
		err = parse_term(&ps, out, 0);
		if (err)
			return err;
	}
	err = parse_at_ret(&ps, out);
	if (err)
		return err;
	if (*ps.p)
		return fail_unexpected(&ps);
	out->uses_ret = out->base == EXPR_RET || (out->len.set && out->len.base == EXPR_RET);
	if (out->cast_size && out->base == EXPR_COMM)
		return fail(&ps, "a string has no size to cast to");
	return 0;
}

bool expr__is_string(const struct expr *e)
{
	return e->str || e->base == EXPR_COMM;
}

static int pred_fail(const char *text, char *msg, size_t len, const char *why)
{
	snprintf(msg, len, "bad predicate " QF ": %s", QA(text), why);
	return -EINVAL;
}

int pred__parse(const char *text, struct pred *out, char *msg, size_t len)
{
	static const struct { const char *op; enum pred_cmp cmp; } cmps[] = {
		{ "<=", CMP_LE }, { ">=", CMP_GE }, { "==", CMP_EQ }, { "!=", CMP_NE },
		{ "<", CMP_LT }, { ">", CMP_GT },
	};
	const char *at = strpbrk(text, "<>=!"), *rhs = NULL;
	char *lhs, why[128];
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (!at)
		return pred_fail(text, msg, len,
				 "expected EXPR CMP INTEGER, CMP one of < <= > >= == !=");
	for (i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
		if (!strncmp(at, cmps[i].op, strlen(cmps[i].op))) {
			out->cmp = cmps[i].cmp;
			rhs = at + strlen(cmps[i].op);
			break;
		}
	}
	if (!rhs)
		return pred_fail(text, msg, len, *at == '=' ? "'=' compares nothing: use '=='"
					      : "'!' alone: use '!='");
	if (skip_blanks(text) == at)
		return pred_fail(text, msg, len, "no expression before the comparison");
	err = ops_parse_int(rhs, &out->rhs);
	if (err) {
		snprintf(why, sizeof(why), "expected an integer after '%.*s', got " QF,
			 (int)(rhs - at), at, (int)strnlen(rhs, 32), rhs,
			 strnlen(rhs, 33) > 32 ? "..." : "");
		return pred_fail(text, msg, len, err == -ERANGE ? "integer out of range" : why);
	}
	lhs = strndup(text, at - text);
	if (!lhs) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	err = expr__parse(lhs, &out->lhs, msg, len);
	snprintf(out->lhs_text, sizeof(out->lhs_text), "%s", skip_blanks(lhs));
	for (i = strlen(out->lhs_text); i > 0 && is_blank(out->lhs_text[i - 1]); i--)
		out->lhs_text[i - 1] = '\0';
	if (!err && expr__is_string(&out->lhs))
		err = pred_fail(text, msg, len, "a predicate compares a number, not a string");
	free(lhs);
	if (!err)
		out->set = true;
	return err;
}
