// SPDX-License-Identifier: MIT
/* The options of an op line (cli/ops_options.c) and the keys of its probes (cli/ops_probe.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/unit/ops_parse_test.h"

static void test_unmatched_ignore_only_on_paired_ops(void **state UNUSED)
{
	parse_ok("op a send(arg0) -> get(arg0) unmatched=ignore", 1);
	assert_true(f.ops[0].ignore_unmatched);
	parse_ok("op b send(arg0) -> get(arg0) unmatched=count", 2);
	assert_false(f.ops[1].ignore_unmatched);
	parse_fails("op c f unmatched=ignore", "app.ops", 3, "app.ops:3: ",
		    "op 'c': unmatched= is for paired ops (A -> B)");
	parse_fails("op d s -> e unmatched=drop", "app.ops", 4, "app.ops:4: ",
		    "op 'd': unmatched= is count or ignore, not 'drop'");
	parse_fails("op e s -> e unmatched=ignore unmatched=count", "app.ops", 5, "app.ops:5: ",
		    "given twice");
}

static void test_each_option_at_most_once(void **state UNUSED)
{
	static const char *const twice[] = {
		"op o f error=ret<0 error=ret!=0", "op o f value=arg0 value=arg1",
		"op o f by=pid by=tid", "op o f timeout=1s timeout=2s", "op o f count count",
	};
	size_t i;

	parse_ok("op all f error=ret!=0 value=u32(arg1) by=comm timeout=500ms", 1);
	assert_true(f.ops[0].error.set);
	assert_int_equal(f.ops[0].value.reads[0].size, 4);
	assert_int_equal(f.ops[0].label.base, EXPR_COMM);
	assert_int_equal(f.ops[0].timeout_ns, 500000000ULL);
	for (i = 0; i < sizeof(twice) / sizeof(twice[0]); i++)
		parse_fails(twice[i], "app.ops", 2, "app.ops:2: ", "given twice");
	parse_fails("op o f error", "app.ops", 2, "app.ops:2: ", "option 'error' needs a value");
	parse_fails("op o f value=", "app.ops", 2, "app.ops:2: ", "option 'value' needs a value");
	parse_fails("op o f count=1", "app.ops", 2, "app.ops:2: ", "count takes no value");
	parse_fails("op o f value=comm", "app.ops", 2, "app.ops:2: ", "value= takes a number");
	parse_fails("op o f timeout=5x", "app.ops", 2, "app.ops:2: ", "bad timeout '5x'");
	parse_fails("op o f timeout=0", "app.ops", 2, "app.ops:2: ", "bad timeout '0'");
	assert_int_equal(f.nr_ops, 1);
}

static void test_count_and_pairing_rules(void **state UNUSED)
{
	parse_fails("op c1 f count timeout=1s", "app.ops", 1, "app.ops:1: ",
		    "count takes no timeout=");
	parse_fails("op c2 a(arg0) -> b(arg0) count", "app.ops", 2, "app.ops:2: ",
		    "count takes no '->'");
	parse_fails("op c3 a(arg0) -> b", "app.ops", 3, "app.ops:3: ",
		    "'->' needs a key on both sides or on neither");
	parse_fails("op c4 a -> b(arg0)", "app.ops", 4, "app.ops:4: ",
		    "'->' needs a key on both sides or on neither");
	parse_fails("op c5 f(arg0)", "app.ops", 5, "app.ops:5: ", "a key (EXPR) pairs two probes");
	parse_fails("op c6 usdt:p:n", "app.ops", 6, "app.ops:6: ", "no return to time");
	parse_fails("op c7 a(str(arg0)) -> b(arg0)", "app.ops", 7, "app.ops:7: ",
		    "both strings or both numbers");
	parse_fails("op c8 f -> g -> h", "app.ops", 8, "app.ops:8: ",
		    "'->' must come right after the first probe");
	parse_fails("op c9 f ->", "app.ops", 9, "app.ops:9: ", "expected a probe after '->'");
	parse_fails("op d1 f count ->  g", "app.ops", 10, "app.ops:10: ",
		    "'->' must come right after");
	parse_fails("op d2 a -> b x", "app.ops", 11, "app.ops:11: ",
		    "op 'd2': expected an option (error=");
	parse_ok("op ok a(str(arg0)) -> b(str(u64(arg1)))", 12);
	assert_int_equal(f.nr_ops, 1);
}

static void test_by_names_its_labels(void **state UNUSED)
{
	parse_ok("op a f by=client:arg2", 1);
	assert_string_equal(f.ops[0].label_name, "client");
	assert_int_equal(f.ops[0].label.base, EXPR_ARG);
	assert_int_equal(f.ops[0].label.arg, 2);
	parse_ok("op b f count by=pid", 2);
	assert_string_equal(f.ops[1].label_name, "pid");	/* pid and tid name themselves */
	parse_ok("op c f count by=str(arg0)", 3);
	assert_string_equal(f.ops[2].label_name, "");
	parse_fails("op d f by=client:", "app.ops", 4, "app.ops:4: ", "empty expression");
}

static void test_fanout_and_would_block(void **state UNUSED)
{
	parse_ok("op d pub(arg0) -> deliver(arg0) fanout by=peer:arg1 timeout=5s", 1);
	assert_true(f.ops[0].fanout);
	parse_fails("op e pub fanout", "app.ops", 2, "app.ops:2: ",
		    "fanout is for paired ops (A -> B)");
	parse_fails("op e2 pub(arg0) -> d(arg0) fanout=1", "app.ops", 2, "app.ops:2: ",
		    "fanout takes no value");
	parse_ok("op r SSL_read error=ret<=0 would_block=u8(u64(arg0+16)+48)@ret==9", 3);
	assert_true(f.ops[1].would_block.set);
	assert_int_equal(f.ops[1].would_block.cmp, CMP_EQ);
	assert_int_equal(f.ops[1].would_block.rhs, 9);
	assert_true(f.ops[1].would_block.lhs.at_ret);
	parse_fails("op r2 f would_block=ret", "app.ops", 4, "app.ops:4: ", "bad predicate");
}

static void test_compound_keys_and_sym(void **state UNUSED)
{
	parse_ok("op lag decode(str(u64(sym(MyReplicationSlot))+24), arg3) -> "
		 "apply(str(u64(u64(sym(MySubscription))+48)), arg0)", 1);
	assert_true(f.ops[0].start.has_key2 && f.ops[0].end.has_key2);
	assert_int_equal(f.ops[0].start.key.base, EXPR_SYM);
	assert_string_equal(f.ops[0].start.key.sym, "MyReplicationSlot");
	assert_true(f.ops[0].start.key.str);
	assert_int_equal(f.ops[0].start.key2.arg, 3);
	parse_fails("op x a(arg0, arg1) -> b(arg0)", "app.ops", 2, "app.ops:2: ",
		    "both keys need the same number of parts");
	parse_fails("op y a(arg0, arg1, arg2) -> b(arg0, arg1, arg2)", "app.ops", 3, "app.ops:3: ",
		    "a key has at most 2 parts");
	parse_fails("op z a(str(arg0), arg1) -> b(arg0, arg1)", "app.ops", 4, "app.ops:4: ",
		    "both strings or both numbers, part by part");
	parse_fails("op w a(arg0, ) -> b(arg0, arg1)", "app.ops", 5, "app.ops:5: ", "empty key part");
	parse_fails("state s f(arg0, arg1)", "app.ops", 6, "app.ops:6: ", "not a pair");
	parse_fails("op v f value=sym(1x)", "app.ops", 7, "app.ops:7: ", "expected a variable's name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_unmatched_ignore_only_on_paired_ops, reset),
		cmocka_unit_test_teardown(test_each_option_at_most_once, reset),
		cmocka_unit_test_teardown(test_count_and_pairing_rules, reset),
		cmocka_unit_test_teardown(test_by_names_its_labels, reset),
		cmocka_unit_test_teardown(test_fanout_and_would_block, reset),
		cmocka_unit_test_teardown(test_compound_keys_and_sym, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
