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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbol_alone_has_no_binary),
		cmocka_unit_test(test_library_short_name_and_glob),
		cmocka_unit_test(test_path_and_versioned_symbol),
		cmocka_unit_test(test_usdt_with_and_without_binary),
		cmocka_unit_test(test_malformed_targets_are_rejected_with_a_reason),
		cmocka_unit_test(test_malformed_target_message_is_one_short_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
