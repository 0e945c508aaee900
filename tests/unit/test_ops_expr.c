// SPDX-License-Identifier: MIT
/* The values of the ops language: expressions, predicates and durations (cli/ops_expr.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "cli/ops_expr.h"

/* cmocka hands every test a state; these tests keep none. */
#define UNUSED __attribute__((unused))

static void assert_read(const struct expr_read *r, long long off, int size, bool is_signed)
{
	assert_int_equal(r->off, off);
	assert_int_equal(r->size, size);
	assert_int_equal(r->is_signed, is_signed);
}

/* text parses to base/arg/add and reads; post_add and flags checked by callers. */
static const struct expr *expr_of(const char *text)
{
	static struct expr e;
	char msg[256];

	if (expr__parse(text, &e, msg, sizeof(msg)))
		fail_msg("'%s': %s", text, msg);
	return &e;
}

static void test_expressions_field_by_field(void **state UNUSED)
{
	const struct expr *e;

	e = expr_of("arg1");
	assert_int_equal(e->base, EXPR_ARG);
	assert_int_equal(e->arg, 1);
	assert_int_equal(e->nr_reads, 0);
	e = expr_of("arg0+8");
	assert_int_equal(e->add, 8);
	e = expr_of("arg11 - 0x10 + 2");
	assert_int_equal(e->arg, 11);
	assert_int_equal(e->add, -14);
	e = expr_of("u32(u64(arg0+16)+4)");
	assert_int_equal(e->arg, 0);
	assert_int_equal(e->add, 0);
	assert_int_equal(e->nr_reads, 2);
	assert_read(&e->reads[0], 16, 8, false);
	assert_read(&e->reads[1], 4, 4, false);
	e = expr_of("str(arg1)");
	assert_true(e->str);
	assert_int_equal(e->nr_reads, 0);
	e = expr_of("str(u64(arg0+8))");
	assert_true(e->str);
	assert_int_equal(e->nr_reads, 1);
	assert_read(&e->reads[0], 8, 8, false);
	e = expr_of("s32(arg2)");
	assert_read(&e->reads[0], 0, 4, true);
	assert_int_equal(e->cast_size, 0);
	e = expr_of("(u32)ret");
	assert_int_equal(e->base, EXPR_RET);
	assert_true(e->uses_ret);
	assert_int_equal(e->cast_size, 4);
	assert_false(e->cast_signed);
	e = expr_of(" ( s16 ) u64(arg0+8)@ret");
	assert_int_equal(e->cast_size, 2);
	assert_true(e->cast_signed);
	assert_true(e->at_ret);
	assert_read(&e->reads[0], 8, 8, false);
	e = expr_of("u64(arg0)+8");
	assert_read(&e->reads[0], 0, 8, false);
	assert_int_equal(e->post_add, 8);
	assert_int_equal(e->add, 0);
	e = expr_of(" u8( s16( u64 ( arg3 + 1 ) - 2 ) ) + 3 @ret ");
	assert_int_equal(e->nr_reads, 3);
	assert_read(&e->reads[0], 1, 8, false);
	assert_read(&e->reads[1], -2, 2, true);
	assert_read(&e->reads[2], 0, 1, false);
	assert_int_equal(e->post_add, 3);
	assert_true(e->at_ret);
	e = expr_of("s8(s64(u16(u32(ret))))");
	assert_int_equal(e->nr_reads, 4);
	assert_true(e->uses_ret);
	e = expr_of("comm");
	assert_int_equal(e->base, EXPR_COMM);
	assert_true(expr__is_string(e));
	assert_int_equal(expr_of("pid")->base, EXPR_PID);
	assert_int_equal(expr_of("tid")->base, EXPR_TID);
	e = expr_of("-0x20");
	assert_int_equal(e->base, EXPR_CONST);
	assert_int_equal(e->constant, -32);
	e = expr_of("u64(0x601040)@ret");
	assert_int_equal(e->constant, 0x601040);
	assert_int_equal(e->nr_reads, 1);
	assert_true(e->at_ret);
	assert_int_equal(expr_of("010")->constant, 10);	/* decimal, not octal */
}

static void test_str_with_a_length(void **state UNUSED)
{
	const struct expr *e;

	e = expr_of("str(arg0, arg1)");
	assert_true(e->str);
	assert_int_equal(e->arg, 0);
	assert_true(e->len.set);
	assert_int_equal(e->len.base, EXPR_ARG);
	assert_int_equal(e->len.arg, 1);
	assert_false(expr_of("str(arg0)")->len.set);
	e = expr_of(" str ( u64(arg0+8) , (u32)u64(arg0+16) - 1 ) @ret ");
	assert_read(&e->reads[0], 8, 8, false);
	assert_int_equal(e->len.nr_reads, 1);
	assert_read(&e->len.reads[0], 16, 8, false);
	assert_int_equal(e->len.post_add, -1);
	assert_int_equal(e->len.cast_size, 4);
	assert_true(e->at_ret);
	assert_false(e->uses_ret);
	e = expr_of("str(arg1, ret)");		/* what read() filled: evaluated at the return */
	assert_int_equal(e->len.base, EXPR_RET);
	assert_true(e->uses_ret);
	e = expr_of("str(arg1, 16)");
	assert_int_equal(e->len.base, EXPR_CONST);
	assert_int_equal(e->len.constant, 16);
	assert_true(expr__is_string(e));
}

static void test_expression_errors_say_what_is_wrong(void **state UNUSED)
{
	static const struct { const char *text, *phrase; } bad[] = {
		{ "u64(arg1+", "bad expression 'u64(arg1+': missing ')'" },
		{ "u64(arg1))", "unexpected ')'" },
		{ "(u32)", "a cast needs a value after it: (u32)EXPR" },
		{ "(u32)str(arg0)", "a string has no size to cast to" },
		{ "(u32)comm", "a string has no size to cast to" },
		{ "(u31)ret", "unexpected" },
		{ "u8(u8(u8(u8(u8(arg0)))))", "more than 4 nested reads" },
		{ "str(comm)", "comm is already a string" },
		{ "str(pid)", "pid is not an address" },
		{ "u64(tid)", "tid is not an address" },
		{ "pid+1", "pid takes no reads and no adds" },
		{ "comm-1", "comm takes no reads and no adds" },
		{ "u64(str(arg0))", "str() only as the outermost" },
		{ "str(arg0)+1", "nothing but @ret may follow str" },
		{ "arg12", "no argument 'arg12' (arg0..arg11)" },
		{ "arg01", "no argument" },
		{ "foo", "unknown name 'foo'" },
		{ "ret@ret", "drop @ret" },
		{ "pid@ret", "@ret applies to argN" },
		{ "arg0@rets", "unknown suffix" },
		{ "arg0+", "expected an integer after '+'" },
		{ "arg0 arg1", "unexpected 'arg1'" },
		{ "(arg0)", "unexpected '('" },
		{ "u64()", "expected a value" },
		{ "u64", "u64 needs an address" },
		{ "str", "str needs an address" },
		{ "str(arg0,)", "needs a length after ','" },
		{ "str(arg0, arg1, arg2)", "unexpected ','" },
		{ "str(arg0, pid)", "a number: argN, ret, an integer or a read, not pid" },
		{ "str(arg0, comm)", "not comm" },
		{ "str(arg0, sym(len))", "not sym()" },
		{ "str(arg0, str(arg1))", "str() only as the outermost" },
		{ "str(arg0, arg1)+1", "nothing but @ret may follow str" },
		{ "(u32)str(arg0, arg1)", "a string has no size to cast to" },
		{ "u64(arg0, 8)", "unexpected ','" },
		{ "", "empty expression" },
		{ "12ab", "bad integer '12ab'" },
		{ "9223372036854775808", "integer out of range" },
		{ "arg0+9223372036854775807+1", "offset out of range" },
	};
	struct expr e;
	char msg[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (expr__parse(bad[i].text, &e, msg, sizeof(msg)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i].text);
		if (!strstr(msg, bad[i].phrase))
			fail_msg("'%s': expected '%s' in: %s", bad[i].text, bad[i].phrase, msg);
	}
}

static void test_predicates_each_comparison(void **state UNUSED)
{
	static const struct { const char *text; enum pred_cmp cmp; long long rhs; } ok[] = {
		{ "ret<0", CMP_LT, 0 }, { "ret<=-1", CMP_LE, -1 }, { "ret>0x10", CMP_GT, 16 },
		{ "ret>=5", CMP_GE, 5 }, { "ret==0", CMP_EQ, 0 }, { "arg2!=0", CMP_NE, 0 },
		{ "u32(arg0 + 4) == -0x1", CMP_EQ, -1 },
	};
	static const char *const bad[] = {
		"ret", "ret=0", "ret!0", "<0", "ret<", "ret<0x", "ret<0<1", "str(arg0)==1",
		"comm!=0", "ret<-9223372036854775809", "ret<abc",
	};
	struct pred p;
	char msg[256];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (pred__parse(ok[i].text, &p, msg, sizeof(msg)))
			fail_msg("'%s': %s", ok[i].text, msg);
		assert_true(p.set);
		assert_int_equal(p.cmp, ok[i].cmp);
		assert_int_equal(p.rhs, ok[i].rhs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pred__parse(bad[i], &p, msg, sizeof(msg)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_false(p.set);
	}
}

static void test_timeouts_in_every_unit(void **state UNUSED)
{
	static const struct { const char *text; unsigned long long ns; } ok[] = {
		{ "30s", 30000000000ULL }, { "500ms", 500000000ULL }, { "100us", 100000ULL },
		{ "2m", 120000000000ULL }, { "1h", 3600000000000ULL }, { "7", 7000000000ULL },
		{ "250ns", 250ULL },
	};
	static const char *const bad[] = {
		"0", "0ms", "1.5s", "5x", "-1s", "s", "99999999999999999h", "30 s",
	};
	unsigned long long ns;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ops_parse_duration(ok[i].text, &ns), 0);
		assert_int_equal(ns, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!ops_parse_duration(bad[i], &ns))
			fail_msg("timeout '%s' was accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expressions_field_by_field),
		cmocka_unit_test(test_str_with_a_length),
		cmocka_unit_test(test_expression_errors_say_what_is_wrong),
		cmocka_unit_test(test_predicates_each_comparison),
		cmocka_unit_test(test_timeouts_in_every_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
