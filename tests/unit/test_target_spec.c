// SPDX-License-Identifier: MIT
/*
 * TARGET parsing: [BINARY_OR_LIB:]SYMBOL_GLOB, BINARY:SYMBOL+OFF,
 * BINARY:0xADDR and usdt:[BINARY_OR_LIB:]PROVIDER:NAME, with Go, C++ and
 * Rust names as their languages write them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fnmatch.h>
#include "loader/target_spec.h"

static struct target_spec t;
static char err[256];

static void test_symbol_alone_has_no_binary(void **state)
{
	assert_int_equal(target_spec__parse("relay_push", &t, err, sizeof(err)), 0);
	assert_int_equal(t.kind, TARGET_FUNC);
	assert_null(t.binary);
	assert_string_equal(t.symbol, "relay_push");
	target_spec__free(&t);
}

static void test_library_short_name_and_glob(void **state)
{
	assert_int_equal(target_spec__parse("libpq:PQexec*", &t, err, sizeof(err)), 0);
	assert_string_equal(t.binary, "libpq");
	assert_string_equal(t.symbol, "PQexec*");
	assert_true(is_glob(t.symbol));
	target_spec__free(&t);
}

static void test_path_and_versioned_symbol(void **state)
{
	assert_int_equal(target_spec__parse("/lib/x86_64-linux-gnu/libc.so.6:memcpy@GLIBC_2.2.5",
					    &t, err, sizeof(err)), 0);
	assert_string_equal(t.binary, "/lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(t.symbol, "memcpy@GLIBC_2.2.5");
	assert_false(is_glob(t.symbol));
	target_spec__free(&t);
}

static void test_usdt_with_and_without_binary(void **state)
{
	assert_int_equal(target_spec__parse("usdt:relay:flush__start", &t, err, sizeof(err)), 0);
	assert_int_equal(t.kind, TARGET_USDT);
	assert_null(t.binary);
	assert_string_equal(t.provider, "relay");
	assert_string_equal(t.name, "flush__start");
	target_spec__free(&t);

	assert_int_equal(target_spec__parse("usdt:/usr/bin/relayd:relay:flush*", &t, err,
					    sizeof(err)), 0);
	assert_string_equal(t.binary, "/usr/bin/relayd");
	assert_string_equal(t.provider, "relay");
	assert_string_equal(t.name, "flush*");
	target_spec__free(&t);
}

static void test_malformed_targets_are_rejected_with_a_reason(void **state)
{
	static const char *const bad[] = {
		"", "bin:", ":sym", "usdt:", "usdt:onlyone", "usdt:p:", "usdt::n",
		"bin:sym with space", "usdt:bin:p:n:extra:", "usdt:b:p/x:n",
		/* colons: a run of three, a name ending or starting in one */
		"a:::b", "bin:sync::", "bin:::push", "sync::", "::push",
		/* '::' then a single ':': no BINARY: prefix after a name */
		"sync::Engine:apply", "a::b:c",
		/* raw addresses: hex with 0x, in 64 bits, in a named file */
		"0x1a2b", "bin:0x", "bin:0xZZ", "bin:0x1g", "bin:0x10000000000000000",
		"bin:1a2b", "bin:42",
		/* SYMBOL+OFF: a number, in 64 bits, after one name */
		"bin:sym+0x", "bin:sym+0xZZ", "bin:sym+16x", "bin:sym+18446744073709551616",
		"bin:+16", "bin:sym_*+16", "bin:sym?+0x10", "sym[ab]+1",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (target_spec__parse(bad[i], &t, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "malformed target"));
	}
}

/* The message is one printable line, whatever bytes the TARGET had. */
static void test_malformed_target_message_is_one_short_line(void **state)
{
	char long_target[300];

	assert_int_equal(target_spec__parse("usdt:b:sync\001x:*", &t, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "malformed target 'usdt:b:sync?x:*': empty or invalid provider "
			    "or probe name");
	assert_int_equal(target_spec__parse("bin:a\nb", &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "malformed target 'bin:a?b': expected [BINARY_OR_LIB:]SYMBOL");
	memset(long_target, 'x', sizeof(long_target) - 1);
	long_target[sizeof(long_target) - 1] = '\0';
	long_target[3] = ':';
	long_target[10] = ' ';
	assert_int_equal(target_spec__parse(long_target, &t, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), strlen("malformed target '") + 80 + strlen("...': ") +
			 strlen("expected [BINARY_OR_LIB:]SYMBOL"));
}

static void expect_func(const char *text, const char *binary, const char *symbol,
			const char *glob)
{
	if (target_spec__parse(text, &t, err, sizeof(err)))
		fail_msg("'%s' refused: %s", text, err);
	assert_int_equal(t.kind, TARGET_FUNC);
	if (binary)
		assert_string_equal(t.binary, binary);
	else
		assert_null(t.binary);
	assert_string_equal(t.symbol, symbol);
	assert_string_equal(t.glob, glob);
	assert_false(t.raw);
	assert_int_equal(t.sym_offset, 0);
	assert_string_equal(t.text, text);
	target_spec__free(&t);
}

/* The BINARY: prefix ends at the first ':' that is not half of a "::". */
static void test_binary_prefix_ends_at_the_first_single_colon(void **state)
{
	expect_func("libc:malloc", "libc", "malloc", "malloc");
	expect_func("libssl.so.3:SSL_read", "libssl.so.3", "SSL_read", "SSL_read");
	expect_func("/usr/bin/x:main.(*T).M", "/usr/bin/x", "main.(*T).M", "main.(\\*T).M");
	expect_func("./rs:sync::push", "./rs", "sync::push", "sync::push");
	/* "::" and no single ':': a name, the -p process's */
	expect_func("sync::push", NULL, "sync::push", "sync::push");
	expect_func("sd_core::service::sync::PeerSync::apply*", NULL,
		    "sd_core::service::sync::PeerSync::apply*",
		    "sd_core::service::sync::PeerSync::apply*");
	/* after the prefix, a name may hold a single ':' (Go 1.20's type:.eq.T) */
	expect_func("/bin/g:type:.eq.main.T", "/bin/g", "type:.eq.main.T", "type:.eq.main.T");
	expect_func("./cpp:sync::Engine::apply*", "./cpp", "sync::Engine::apply*",
		    "sync::Engine::apply*");
}

/* Go writes pkg/path.(*T).Method, pkg.F.func1 and pkg.F[...]: all names, matched literally. */
static void test_go_names_as_go_writes_them(void **state)
{
	expect_func("github.com/syncthing/syncthing/lib/model.(*folder).pull", NULL,
		    "github.com/syncthing/syncthing/lib/model.(*folder).pull",
		    "github.com/syncthing/syncthing/lib/model.(\\*folder).pull");
	expect_func("/usr/bin/syncthing:github.com/syncthing/syncthing/lib/model.(*folder).*",
		    "/usr/bin/syncthing", "github.com/syncthing/syncthing/lib/model.(*folder).*",
		    "github.com/syncthing/syncthing/lib/model.(\\*folder).*");
	expect_func("main.main.func1", NULL, "main.main.func1", "main.main.func1");
	expect_func("main.Map[...]", NULL, "main.Map[...]", "main.Map\\[...\\]");
	expect_func("main.Map\\[...\\]", NULL, "main.Map\\[...\\]", "main.Map\\[...\\]");
	expect_func("main.(*T).M[...]", NULL, "main.(*T).M[...]", "main.(\\*T).M\\[...\\]");
}

/* What the patterns match: a Go name itself only, globs still globs. */
static void test_glob_patterns_of_go_names(void **state)
{
	static const struct { const char *symbol, *name; bool match; } cases[] = {
		{ "main.(*T).M", "main.(*T).M", true },
		{ "main.(*T).M", "main.(*UT).M", false },	/* '*' of (*T) is no glob */
		{ "main.(*T).M", "main.(T).M", false },
		{ "main.(*T).*", "main.(*T).Apply", true },
		{ "main.(*T*).M", "main.(*Tx).M", true },	/* a glob inside the receiver */
		{ "main.Map[...]", "main.Map[...]", true },
		{ "main.Map[...]", "main.Map.", false },	/* not a class of '.' */
		{ "main.Map*", "main.Map[...]", true },
		{ "sync_[ab]?", "sync_a1", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *glob = target_spec__glob(cases[i].symbol);

		assert_non_null(glob);
		if ((fnmatch(glob, cases[i].name, 0) == 0) != cases[i].match)
			fail_msg("'%s' (pattern '%s') %s '%s'", cases[i].symbol, glob,
				 cases[i].match ? "does not match" : "matches", cases[i].name);
		free(glob);
	}
	assert_false(is_glob("main.(\\*T).M"));
	assert_false(is_glob("main.Map\\[...\\]"));
	assert_true(is_glob("main.(\\*T).*"));
}

static void test_raw_address_needs_its_file(void **state)
{
	assert_int_equal(target_spec__parse("./fx_go:0x1a2b", &t, err, sizeof(err)), 0);
	assert_true(t.raw);
	assert_int_equal(t.raw_addr, 0x1a2b);
	assert_string_equal(t.binary, "./fx_go");
	assert_string_equal(t.symbol, "0x1a2b");
	assert_null(t.glob);
	target_spec__free(&t);
	assert_int_equal(target_spec__parse("libc:0xFFFFFFFFFFFFFFFF", &t, err, sizeof(err)), 0);
	assert_int_equal(t.raw_addr, ~0ULL);
	target_spec__free(&t);
	assert_int_equal(target_spec__parse("0x1a2b", &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "malformed target '0x1a2b': a raw address needs its file: "
			    "BINARY:0xADDR");
}

static void test_symbol_plus_offset(void **state)
{
	static const struct { const char *text, *binary, *symbol; __u64 off; } ok[] = {
		{ "bin:sym+0x10", "bin", "sym", 0x10 },
		{ "bin:sym+16", "bin", "sym", 16 },
		{ "sym+0", NULL, "sym", 0 },
		{ "/usr/bin/x:main.(*T).M+0x1f", "/usr/bin/x", "main.(*T).M", 0x1f },
		{ "./rs:sync::push+8", "./rs", "sync::push", 8 },
		{ "bin:sym+18446744073709551615", "bin", "sym", ~0ULL },
		/* a '+' without a number after it is the name's (C++'s operator+) */
		{ "./cpp:ns::V::operator+", "./cpp", "ns::V::operator+", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (target_spec__parse(ok[i].text, &t, err, sizeof(err)))
			fail_msg("'%s' refused: %s", ok[i].text, err);
		if (ok[i].binary)
			assert_string_equal(t.binary, ok[i].binary);
		else
			assert_null(t.binary);
		assert_string_equal(t.symbol, ok[i].symbol);
		assert_int_equal(t.sym_offset, ok[i].off);
		assert_false(t.raw);
		target_spec__free(&t);
	}
	assert_int_equal(target_spec__parse("bin:sym*+16", &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "malformed target 'bin:sym*+16': SYMBOL+OFF needs one function, "
			    "not a glob");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbol_alone_has_no_binary),
		cmocka_unit_test(test_library_short_name_and_glob),
		cmocka_unit_test(test_path_and_versioned_symbol),
		cmocka_unit_test(test_usdt_with_and_without_binary),
		cmocka_unit_test(test_malformed_targets_are_rejected_with_a_reason),
		cmocka_unit_test(test_malformed_target_message_is_one_short_line),
		cmocka_unit_test(test_binary_prefix_ends_at_the_first_single_colon),
		cmocka_unit_test(test_go_names_as_go_writes_them),
		cmocka_unit_test(test_glob_patterns_of_go_names),
		cmocka_unit_test(test_raw_address_needs_its_file),
		cmocka_unit_test(test_symbol_plus_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
