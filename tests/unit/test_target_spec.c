// SPDX-License-Identifier: MIT
/* TARGET parsing: [BINARY_OR_LIB:]SYMBOL_GLOB and usdt:[BINARY_OR_LIB:]PROVIDER:NAME. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
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
		"bin:sym with space", "bin:a/b", "usdt:bin:p:n:extra:",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (target_spec__parse(bad[i], &t, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "malformed target"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbol_alone_has_no_binary),
		cmocka_unit_test(test_library_short_name_and_glob),
		cmocka_unit_test(test_path_and_versioned_symbol),
		cmocka_unit_test(test_usdt_with_and_without_binary),
		cmocka_unit_test(test_malformed_targets_are_rejected_with_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
