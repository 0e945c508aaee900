// SPDX-License-Identifier: MIT
/* The ops language: declarations, probes, options, checks and errors (cli/ops_spec.h). */
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

static void declare_pub_sub(void)
{
	parse_ok("pub=/usr/bin/pgpub", 1);
	parse_ok("sub=/usr/bin/pgsub", 2);
}

static void assert_read(const struct expr_read *r, long long off, int size, bool is_signed)
{
	assert_int_equal(r->off, off);
	assert_int_equal(r->size, size);
	assert_int_equal(r->is_signed, is_signed);
}

static void test_one_call_op_with_error_and_value(void **state UNUSED)
{
	const struct op_spec *op;

	parse_ok("op push      sync_push                          error=ret<0 value=arg1    "
		 "# entry->return of one call", 7);
	assert_int_equal(f.nr_ops, 1);
	op = &f.ops[0];
	assert_string_equal(op->name, "push");
	assert_false(op->paired);
	assert_int_equal(op->start.target.kind, TARGET_FUNC);
	assert_null(op->start.target.binary);
	assert_string_equal(op->start.target.symbol, "sync_push");
	assert_null(op->start.selector);
	assert_false(op->start.has_key);
	assert_true(op->error.set);
	assert_int_equal(op->error.lhs.base, EXPR_RET);
	assert_true(op->error.lhs.uses_ret);
	assert_int_equal(op->error.cmp, CMP_LT);
	assert_int_equal(op->error.rhs, 0);
	assert_true(op->has_value);
	assert_int_equal(op->value.base, EXPR_ARG);
	assert_int_equal(op->value.arg, 1);
	assert_false(op->has_label);
	assert_false(op->count_only);
	assert_false(op->timeout_set);
	assert_int_equal(op->timeout_ns, 60000000000ULL);
	assert_string_equal(op->file, "app.ops");
	assert_int_equal(op->line, 7);
}

static void test_paired_op_with_keys_and_timeout(void **state UNUSED)
{
	const struct op_spec *op;

	parse_ok("op roundtrip send_mutation(arg0) -> on_ack(arg0) timeout=30s", 1);
	op = &f.ops[0];
	assert_true(op->paired);
	assert_string_equal(op->start.target.symbol, "send_mutation");
	assert_string_equal(op->end.target.symbol, "on_ack");
	assert_true(op->start.has_key);
	assert_true(op->end.has_key);
	assert_int_equal(op->start.key.base, EXPR_ARG);
	assert_int_equal(op->start.key.arg, 0);
	assert_int_equal(op->end.key.base, EXPR_ARG);
	assert_int_equal(op->end.key.arg, 0);
	assert_true(op->timeout_set);
	assert_int_equal(op->timeout_ns, 30000000000ULL);
	assert_false(op->error.set);
	assert_false(op->has_value);
	assert_false(op->ignore_unmatched);
}

static void test_usdt_paired_op_with_string_label(void **state UNUSED)
{
	const struct op_spec *op;

	parse_ok("op apply     usdt:sync:apply_start(arg0) -> usdt:sync:apply_done(arg0) "
		 "by=str(arg1)", 1);
	op = &f.ops[0];
	assert_int_equal(op->start.target.kind, TARGET_USDT);
	assert_string_equal(op->start.target.provider, "sync");
	assert_string_equal(op->start.target.name, "apply_start");
	assert_string_equal(op->end.target.name, "apply_done");
	assert_true(op->has_label);
	assert_int_equal(op->label.base, EXPR_ARG);
	assert_int_equal(op->label.arg, 1);
	assert_true(op->label.str);
	assert_int_equal(op->label.nr_reads, 0);
}

static void test_paired_op_with_selectors_and_at_ret(void **state UNUSED)
{
	const struct op_spec *op;

	declare_pub_sub();
	parse_ok("op lag       pub:logicalrep_write_commit(arg2) -> "
		 "sub:apply_commit(u64(arg1+0)@ret)  # cross-process, selectors", 3);
	op = &f.ops[0];
	assert_string_equal(op->start.selector, "pub");
	assert_string_equal(op->start.target.binary, "/usr/bin/pgpub");
	assert_string_equal(op->start.target.symbol, "logicalrep_write_commit");
	assert_string_equal(op->start.text, "pub:logicalrep_write_commit");
	assert_int_equal(op->start.key.arg, 2);
	assert_string_equal(op->end.selector, "sub");
	assert_string_equal(op->end.target.binary, "/usr/bin/pgsub");
	assert_string_equal(op->end.target.symbol, "apply_commit");
	assert_int_equal(op->end.key.base, EXPR_ARG);
	assert_int_equal(op->end.key.arg, 1);
	assert_int_equal(op->end.key.add, 0);
	assert_int_equal(op->end.key.nr_reads, 1);
	assert_read(&op->end.key.reads[0], 0, 8, false);
	assert_true(op->end.key.at_ret);
	assert_false(op->end.key.uses_ret);
	/* a selector's usdt probe */
	parse_ok("op s2 sub:usdt:prov:name count", 4);
	assert_int_equal(f.ops[1].start.target.kind, TARGET_USDT);
	assert_string_equal(f.ops[1].start.target.binary, "/usr/bin/pgsub");
	assert_string_equal(f.ops[1].start.target.provider, "prov");
}

static void test_count_op_on_a_library(void **state UNUSED)
{
	const struct op_spec *op;

	parse_ok("op bytes_out libssl:SSL_write value=arg2 count", 1);
	op = &f.ops[0];
	assert_string_equal(op->start.target.binary, "libssl");
	assert_string_equal(op->start.target.symbol, "SSL_write");
	assert_true(op->count_only);
	assert_int_equal(op->value.arg, 2);
	assert_int_equal(op->timeout_ns, 0);
}

static void test_usdt_op_with_error_on_end_probe_argument(void **state UNUSED)
{
	const struct op_spec *op;

	parse_ok("op done      usdt:synctrace:op_start(arg1) -> usdt:synctrace:op_done(arg1) "
		 "error=arg2!=0 by=str(arg0)", 1);
	op = &f.ops[0];
	assert_string_equal(op->end.target.provider, "synctrace");
	assert_string_equal(op->end.target.name, "op_done");
	assert_int_equal(op->error.lhs.base, EXPR_ARG);
	assert_int_equal(op->error.lhs.arg, 2);
	assert_int_equal(op->error.cmp, CMP_NE);
	assert_int_equal(op->error.rhs, 0);
	assert_true(op->label.str);
	assert_int_equal(op->label.arg, 0);
}

static void test_state_with_names(void **state UNUSED)
{
	const struct state_spec *st;

	parse_ok("state walsnd WalSndSetState(arg0) "
		 "names=startup,backup,catchup,streaming,stopping", 9);
	assert_int_equal(f.nr_states, 1);
	st = &f.states[0];
	assert_string_equal(st->name, "walsnd");
	assert_string_equal(st->probe.target.symbol, "WalSndSetState");
	assert_true(st->probe.has_key);
	assert_int_equal(st->probe.key.arg, 0);
	assert_int_equal(st->nr_names, 5);
	assert_string_equal(st->names[0], "startup");
	assert_string_equal(st->names[4], "stopping");
	assert_int_equal(st->line, 9);
	assert_int_equal(st->values[4], 4);
	parse_ok("state plain f(u32(arg1+4))", 10);
	assert_int_equal(f.states[1].nr_names, 0);
	parse_ok("state relsync f(arg2) names=init:'i',ready:'r',gone:-1,next", 11);
	st = &f.states[2];
	assert_int_equal(st->nr_names, 4);
	assert_string_equal(st->names[1], "ready");
	assert_int_equal(st->values[0], 'i');
	assert_int_equal(st->values[1], 'r');
	assert_int_equal(st->values[2], -1);
	assert_int_equal(st->values[3], 3);	/* by position */
}

static void test_selector_declaration(void **state UNUSED)
{
	parse_ok("pub=/usr/bin/pgpub                       # a process selector", 1);
	parse_ok("  sub = /opt/pg/bin/postgres", 2);
	assert_int_equal(f.nr_sels, 2);
	assert_string_equal(f.sels[0].name, "pub");
	assert_string_equal(f.sels[0].path, "/usr/bin/pgpub");
	assert_string_equal(f.sels[1].path, "/opt/pg/bin/postgres");
	assert_int_equal(f.sels[1].line, 2);
}

static void test_glued_arrow_and_spaces_in_parens(void **state UNUSED)
{
	parse_ok("op g1 a(arg0)->b(arg0)", 1);
	parse_ok("op g2 a->b", 2);
	parse_ok("op g3\tf( u64(arg1 + 8) ) -> g(arg0 ) value=u32(arg2 + 4)", 3);
	assert_true(f.ops[0].paired);
	assert_string_equal(f.ops[0].end.target.symbol, "b");
	assert_true(f.ops[1].paired);
	assert_false(f.ops[1].start.has_key);
	assert_read(&f.ops[2].start.key.reads[0], 8, 8, false);
	assert_read(&f.ops[2].value.reads[0], 4, 4, false);
}

static void test_probe_targets_go_through_target_spec(void **state UNUSED)
{
	parse_ok("op t1 libpq:PQexec", 1);
	parse_ok("op t2 usdt:prov:name count", 2);
	parse_ok("op t3 /usr/bin/relayd:relay_*", 3);
	parse_ok("op t4 usdt:/usr/bin/relayd:relay:flush count", 4);
	assert_string_equal(f.ops[0].start.target.binary, "libpq");
	assert_null(f.ops[1].start.target.binary);
	assert_string_equal(f.ops[2].start.target.binary, "/usr/bin/relayd");
	assert_string_equal(f.ops[2].start.target.symbol, "relay_*");
	assert_string_equal(f.ops[3].start.target.binary, "/usr/bin/relayd");
	assert_string_equal(f.ops[3].start.target.name, "flush");
	parse_fails("op t5 bin:0xZZ", "app.ops", 5, "app.ops:5: ", "malformed target 'bin:0xZZ'");
}

/*
 * Go names have parentheses of their own (pkg.(*T).M, after a '.'): the
 * key is the last group ending the probe, never a receiver. A C++ or Rust
 * name's "::" is no SEL: or BINARY: prefix.
 */
static void test_probes_on_go_and_rust_names(void **state UNUSED)
{
	const struct probe_spec *s, *e;

	parse_ok("sync=/usr/bin/syncd", 1);
	parse_ok("op g1 /usr/bin/syncthing:github.com/syncthing/syncthing/lib/model.(*folder).pull",
		 2);
	s = &f.ops[0].start;
	assert_string_equal(s->target.binary, "/usr/bin/syncthing");
	assert_string_equal(s->target.symbol,
			    "github.com/syncthing/syncthing/lib/model.(*folder).pull");
	assert_false(s->has_key);
	parse_ok("op g2 main.(*T).Apply(arg0, arg1)->main.(*T).Done(u64(arg1), arg0) "
		 "value=ret", 3);
	s = &f.ops[1].start;
	e = &f.ops[1].end;
	assert_string_equal(s->target.symbol, "main.(*T).Apply");
	assert_true(s->has_key && s->has_key2);
	assert_string_equal(e->target.symbol, "main.(*T).Done");
	assert_true(e->has_key && e->has_key2);
	/* "sync::" is a name's, not the selector sync's */
	parse_ok("op g3 sync::push(arg0) -> sync:sync::pushed(arg0)", 4);
	s = &f.ops[2].start;
	e = &f.ops[2].end;
	assert_null(s->selector);
	assert_null(s->target.binary);
	assert_string_equal(s->target.symbol, "sync::push");
	assert_string_equal(e->selector, "sync");
	assert_string_equal(e->target.binary, "/usr/bin/syncd");
	assert_string_equal(e->target.symbol, "sync::pushed");
	parse_ok("op g4 sync:main.(*T).*", 5);
	assert_string_equal(f.ops[3].start.target.glob, "main.(\\*T).*");
	assert_false(f.ops[3].start.has_key);
	parse_fails("op g5 main.(*T).M(arg0", "app.ops", 6, "app.ops:6: ",
		    "bad expression 'arg0': missing ')'");
	parse_fails("op g6 main.(*T.M", "app.ops", 7, "app.ops:7: ", "missing ')'");
	parse_fails("op g7 (arg0)", "app.ops", 8, "app.ops:8: ", "names no target");
	parse_fails("op g8 sync::Engine:apply", "app.ops", 9, "app.ops:9: ",
		    "malformed target 'sync::Engine:apply'");
}

static void test_error_messages_from_the_brief(void **state UNUSED)
{
	declare_pub_sub();
	parse_ok("op push f", 2);
	parse_fails("op x f eror=ret<0", "app.ops", 3, "app.ops:3: ",
		    "unknown option 'eror=ret<0' (expected error=, value=, by=, when=, timeout=, "
		    "unmatched=, would_block=, count, fanout)");
	parse_fails("op y pubb:func", "app.ops", 5, "app.ops:5: ",
		    "unknown selector 'pubb' in 'pubb:func' (declared: pub, sub)");
	parse_fails("op push2 f x", "app.ops", 2, "app.ops:2: ",
		    "op 'push2': expected '->' or an option, got 'x'");
	parse_fails("state walsnd f", "app.ops", 7, "app.ops:7: ",
		    "state 'walsnd' needs a value: PROBE(EXPR)");
	parse_fails("op z f value=u64(arg1+", "app.ops", 1, "app.ops:1: ",
		    "bad expression 'u64(arg1+': missing ')'");
	parse_fails("op push g", "app.ops", 4, "app.ops:4: ",
		    "duplicate op name 'push' (first on line 2)");
	parse_fails("op q usdt:x:y(arg0) -> usdt:a:b(u64(arg0)@ret)", "app.ops", 9, "app.ops:9: ",
		    "@ret needs a function probe, not usdt:a:b");
	parse_fails("op x", "--op", 2, "--op:2: ", "expected a probe after the name");
	parse_fails("garbage", NULL, 3, "--op:3: ", "unknown declaration 'garbage'");
	parse_fails("children please", "app.ops", 4, "app.ops:4: ",
		    "children takes nothing after it, got 'please'");
	assert_false(f.follow_children);
	parse_ok("children   # multi-process engine", 5);
	assert_true(f.follow_children);
}

static void test_ret_only_where_a_function_returns(void **state UNUSED)
{
	/* allowed wherever a function returns: a side then fires at the return */
	parse_ok("op r1 f error=ret!=0 value=ret by=u64(arg0)@ret", 1);
	parse_ok("op r2 a(arg0) -> b(ret)", 2);
	parse_ok("op r3 usdt:p:s(arg0) -> b(u64(arg1)@ret)", 3);
	parse_fails("op r4 usdt:p:s value=ret count", "app.ops", 4, "app.ops:4: ",
		    "'ret' needs a function probe, not usdt:p:s");
	parse_ok("op r5 a(ret) -> b(arg0)", 5);
	parse_ok("op r6 a(u64(arg0)@ret) -> b(arg0) value=ret", 6);
	parse_ok("op r7 a -> b error=ret<0", 7);
	parse_fails("op r8 usdt:p:s -> b value=u64(arg0)@ret", "app.ops", 8, "app.ops:8: ",
		    "@ret needs a function probe, not usdt:p:s");
	parse_fails("op r8b a -> usdt:p:d error=ret<0", "app.ops", 8, "app.ops:8: ",
		    "'ret' needs a function probe, not usdt:p:d");
	parse_fails("op r9 a(arg0) -> usdt:p:d(ret)", "app.ops", 9, "app.ops:9: ",
		    "'ret' needs a function probe, not usdt:p:d");
	parse_fails("state s1 f(ret)", "app.ops", 10, "app.ops:10: ",
		    "state 's1': the value cannot use 'ret'");
	parse_fails("state s2 usdt:p:s(u64(arg0)@ret)", "app.ops", 11, "app.ops:11: ",
		    "@ret needs a function probe, not usdt:p:s");
	assert_int_equal(f.nr_ops, 6);
}

static void test_selectors_declared_before_use_and_unique(void **state UNUSED)
{
	parse_fails("op s0 pub:usdt:a:b count", "app.ops", 1, "app.ops:1: ",
		    "unknown selector 'pub' in 'pub:usdt:a:b' (none declared");
	declare_pub_sub();
	parse_fails("pub=/other", "app.ops", 3, "app.ops:3: ",
		    "duplicate selector 'pub' (first on line 1)");
	parse_fails("op s1 pub:libpq:PQexec", "app.ops", 4, "app.ops:4: ",
		    "selector 'pub' already names the binary (/usr/bin/pgpub)");
	parse_fails("op s2 sbu:usdt:a:b count", "app.ops", 5, "app.ops:5: ",
		    "unknown selector 'sbu'");
	parse_fails("usdt=/x", "app.ops", 6, "app.ops:6: ", "reserved");
	parse_fails("op=/x", "app.ops", 7, "app.ops:7: ", "reserved");
	parse_fails("x=", "app.ops", 8, "app.ops:8: ", "selector 'x' needs a path");
	parse_fails("x=/a b", "app.ops", 9, "app.ops:9: ", "must not contain spaces");
	/* not a selector and no typo of one: a binary, as for a TARGET */
	parse_ok("op s3 relayd:relay_push", 10);
	assert_string_equal(f.ops[0].start.target.binary, "relayd");
	assert_null(f.ops[0].start.selector);
	assert_int_equal(f.nr_sels, 2);
}

static void test_state_names_limits(void **state UNUSED)
{
	char line[512];
	int i, n;

	n = snprintf(line, sizeof(line), "state s f(arg0) names=v0");
	for (i = 1; i < STATE_MAX_NAMES; i++)
		n += snprintf(line + n, sizeof(line) - n, ",v%d", i);
	parse_ok(line, 1);
	assert_int_equal(f.states[0].nr_names, STATE_MAX_NAMES);
	assert_string_equal(f.states[0].names[15], "v15");
	snprintf(line + n, sizeof(line) - n, ",v16");
	line[6] = 't';		/* another name */
	parse_fails(line, "app.ops", 2, "app.ops:2: ", "more than 16 names");
	parse_fails("state u f(arg0) names=", "app.ops", 3, "app.ops:3: ", "names= is empty");
	parse_fails("state u f(arg0) names=a,,b", "app.ops", 4, "app.ops:4: ", "empty name");
	parse_fails("state u f(arg0) names=a,", "app.ops", 5, "app.ops:5: ", "empty name");
	parse_fails("state u f(arg0) names=a,a", "app.ops", 6, "app.ops:6: ", "'a' twice");
	parse_fails("state u f(arg0) names=a names=b", "app.ops", 7, "app.ops:7: ", "given twice");
	parse_fails("state u f(arg0) names=a(b", "app.ops", 8, "app.ops:8: ", "bad name");
	parse_fails("state u f(str(arg0)) names=a", "app.ops", 9, "app.ops:9: ",
		    "the value is a string");
	parse_fails("state u f(arg0) -> g(arg0)", "app.ops", 10, "app.ops:10: ", "no '->'");
	parse_fails("state u f(arg0) names=a:1,b:1", "app.ops", 12, "app.ops:12: ",
		    "value 1 twice in names= ('a' has it)");
	parse_fails("state u f(arg0) names=a:'xy'", "app.ops", 13, "app.ops:13: ",
		    "bad value ''xy'' in names=");
	parse_fails("state u f(arg0) names=:3", "app.ops", 14, "app.ops:14: ", "bad name");
	parse_fails("state u f(arg0) x=1", "app.ops", 11, "app.ops:11: ",
		    "unknown option 'x=1' (expected names=)");
	assert_int_equal(f.nr_states, 1);
}

static void test_names_checked_and_unique_across_ops_and_states(void **state UNUSED)
{
	char line[128];

	parse_ok("op a f", 1);
	parse_ok("state b f(arg0)", 2);
	parse_fails("state a g(arg0)", "app.ops", 3, "app.ops:3: ",
		    "duplicate state name 'a' (an op on line 1)");
	parse_fails("op b g", "app.ops", 4, "app.ops:4: ",
		    "duplicate op name 'b' (a state on line 2)");
	parse_fails("op a g", "--op", 1, "--op:1: ", "duplicate op name 'a' (first on app.ops:1)");
	parse_fails("op 1x f", "app.ops", 5, "app.ops:5: ", "bad op name '1x'");
	parse_fails("op a-b f", "app.ops", 6, "app.ops:6: ", "bad op name");
	snprintf(line, sizeof(line), "op %064d f", 0);
	line[3] = 'n';
	parse_fails(line, "app.ops", 7, "app.ops:7: ", "too long (64 chars, at most 63)");
	snprintf(line, sizeof(line), "op %063d f", 0);
	line[3] = 'n';
	parse_ok(line, 8);
}

static void test_comments_and_blank_lines_add_nothing(void **state UNUSED)
{
	static const char *const empty[] = { "", "   ", "\t\r", "# op x f", "  # comment" };
	size_t i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		parse_ok(empty[i], 1);
	assert_int_equal(f.nr_ops + f.nr_states + f.nr_sels, 0);
}

static void test_ops_file_from_disk_with_comments_and_selectors(void **state UNUSED)
{
	static const char text[] =
		"# postgres logical replication\n"
		"\n"
		"pub=/usr/bin/pgpub\n"
		"sub=/usr/bin/pgsub   # subscriber\n"
		"op lag pub:logicalrep_write_commit(arg2) -> sub:apply_commit(u64(arg1+0)@ret)\r\n"
		"   \n"
		"state walsnd pub:WalSndSetState(arg0) names=startup,catchup,streaming\n"
		"op bytes_out libssl:SSL_write value=arg2 count";
	char dir[] = "/tmp/test_ops_spec.XXXXXX", path[64], bad[64];
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/app.ops", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	if (ops_parse_file(&f, path, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(f.nr_sels, 2);
	assert_int_equal(f.nr_ops, 2);
	assert_int_equal(f.nr_states, 1);
	assert_string_equal(f.ops[0].file, path);
	assert_int_equal(f.ops[0].line, 5);
	assert_string_equal(f.ops[0].end.target.binary, "/usr/bin/pgsub");
	assert_true(f.ops[0].end.key.at_ret);
	assert_int_equal(f.states[0].line, 7);
	assert_string_equal(f.states[0].probe.target.binary, "/usr/bin/pgpub");
	assert_int_equal(f.ops[1].line, 8);
	assert_true(f.ops[1].count_only);
	assert_int_equal(f.sels[1].line, 4);
	/* --op lines join the same ops_file; duplicates point to the file */
	parse_fails("op lag f", "--op", 1, "--op:1: ", "duplicate op name 'lag' (first on /tmp/");
	assert_non_null(strstr(err, "app.ops:5)"));

	/* the first bad line stops the file, with its name and line */
	snprintf(bad, sizeof(bad), "%s/bad.ops", dir);
	fp = fopen(bad, "w");
	assert_non_null(fp);
	fputs("# ok\nop fine f\nop broken f eror=ret<0\nop never f\n", fp);
	fclose(fp);
	ops_file__free(&f);
	assert_int_equal(ops_parse_file(&f, bad, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, bad, strlen(bad)), 0);
	assert_non_null(strstr(err, ".ops:3: unknown option 'eror=ret<0'"));
	assert_int_equal(f.nr_ops, 1);

	/* a NUL byte cannot hide the rest of a line */
	fp = fopen(bad, "w");
	assert_non_null(fp);
	fwrite("op a f\0 value=x\n", 1, 16, fp);
	fclose(fp);
	ops_file__free(&f);
	assert_int_equal(ops_parse_file(&f, bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ".ops:1: NUL byte"));
	unlink(bad);
	unlink(path);

	/* a directory is not an ops file */
	assert_true(ops_parse_file(&f, dir, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, ": not a regular file"));
	rmdir(dir);
}

static void test_missing_file_names_the_path(void **state UNUSED)
{
	assert_int_equal(ops_parse_file(&f, "app.ops.missing", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "app.ops.missing: No such file or directory");
}

/* xorshift64: the same garbage on every run, so a failure can be replayed. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void assert_rejected(const char *line, const char *what)
{
	int rc = ops_parse_line(&f, line, "fuzz", 1, err, sizeof(err));

	if (rc != -EINVAL)
		fail_msg("%s (%zu chars) was not rejected: %d", what, strlen(line), rc);
	if (strncmp(err, "fuzz:1: ", 8) || strchr(err, '\n'))
		fail_msg("%s: bad message: %s", what, err);
}

static void test_garbage_lines_are_rejected_without_crashing(void **state UNUSED)
{
	static const char *const words[] = {
		"op ", "state ", "x ", "f", "(", ")", "->", " ", "arg0", "ret", "@ret", "u64(",
		"str(", "+", "-", "8", "0x", ":", "usdt:", "pub:", "=", "error=", "value=", "by=",
		"timeout=", "count", "names=", ",", "#", "<", "!=", "\t", "comm",
		"9999999999999999999",
	};
	char line[12000];
	size_t i, j, n;
	int rc;

	parse_ok("pub=/usr/bin/pgpub", 1);
	for (i = 0; i < 2000; i++) {	/* random bytes, never a comment or a blank */
		n = 1 + rnd() % 300;
		for (j = 0; j < n; j++)
			line[j] = 1 + rnd() % 255;
		line[0] = (char)(0x80 | rnd());
		line[n] = '\0';
		assert_rejected(line, "random bytes");
	}
	for (i = 0; i < 300; i++) {	/* unbalanced or too deep parentheses */
		n = snprintf(line, sizeof(line), "op p%zu f value=", i);
		for (j = 0; j <= i; j++)
			n += snprintf(line + n, sizeof(line) - n, "u64(");
		n += snprintf(line + n, sizeof(line) - n, "arg0");
		for (j = 0; j < (i < 4 ? i : i + 1 + i % 3); j++)
			n += snprintf(line + n, sizeof(line) - n, ")");
		assert_rejected(line, "parentheses");
	}
	assert_rejected("op p f(((((((", "open parentheses");
	assert_rejected("op p f)))) -> g(arg0)", "close parentheses");
	assert_rejected("state p f(arg0))", "close parenthesis");
	memset(line, 'a', 10000);
	memcpy(line, "op x ", 5);
	line[10000] = '\0';
	assert_rejected(line, "10k-char line");
	assert_non_null(strstr(err, "line too long"));
	line[OPS_LINE_MAX + 1] = '\0';
	assert_rejected(line, "4097-char line");
	line[OPS_LINE_MAX] = '\0';
	parse_ok(line, 1);	/* 4096 chars: a long symbol name, still a line */
	n = snprintf(line, sizeof(line), "op w f");
	for (i = 0; i < 40; i++)
		n += snprintf(line + n, sizeof(line) - n, " count");
	assert_rejected(line, "too many words");
	for (i = 0; i < 20000; i++) {	/* words of the language in random order */
		n = 0;
		for (j = rnd() % 24; j > 0; j--)
			n += snprintf(line + n, sizeof(line) - n, "%s",
				      words[rnd() % (sizeof(words) / sizeof(words[0]))]);
		line[n] = '\0';
		err[0] = '\0';
		rc = ops_parse_line(&f, line, "fuzz", 1, err, sizeof(err));
		if (rc && (rc != -EINVAL || strncmp(err, "fuzz:1: ", 8) || strchr(err, '\n')))
			fail_msg("'%s': %d %s", line, rc, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_one_call_op_with_error_and_value, reset),
		cmocka_unit_test_teardown(test_paired_op_with_keys_and_timeout, reset),
		cmocka_unit_test_teardown(test_usdt_paired_op_with_string_label, reset),
		cmocka_unit_test_teardown(test_paired_op_with_selectors_and_at_ret, reset),
		cmocka_unit_test_teardown(test_count_op_on_a_library, reset),
		cmocka_unit_test_teardown(test_usdt_op_with_error_on_end_probe_argument, reset),
		cmocka_unit_test_teardown(test_state_with_names, reset),
		cmocka_unit_test_teardown(test_selector_declaration, reset),
		cmocka_unit_test_teardown(test_glued_arrow_and_spaces_in_parens, reset),
		cmocka_unit_test_teardown(test_probe_targets_go_through_target_spec, reset),
		cmocka_unit_test_teardown(test_error_messages_from_the_brief, reset),
		cmocka_unit_test_teardown(test_ret_only_where_a_function_returns, reset),
		cmocka_unit_test_teardown(test_selectors_declared_before_use_and_unique, reset),
		cmocka_unit_test_teardown(test_state_names_limits, reset),
		cmocka_unit_test_teardown(test_names_checked_and_unique_across_ops_and_states,
					  reset),
		cmocka_unit_test_teardown(test_comments_and_blank_lines_add_nothing, reset),
		cmocka_unit_test_teardown(test_ops_file_from_disk_with_comments_and_selectors,
					  reset),
		cmocka_unit_test_teardown(test_missing_file_names_the_path, reset),
		cmocka_unit_test_teardown(test_garbage_lines_are_rejected_without_crashing, reset),
		cmocka_unit_test_teardown(test_probes_on_go_and_rust_names, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
