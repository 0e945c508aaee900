// SPDX-License-Identifier: MIT
/*
 * ops_compile(): from parsed ops to op_cfg, state_cfg, USDT specs and site
 * cookies, against the fx_ops fixture (functions and synctrace USDT probes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "cli/ops_compile.h"

#define FX_OPS "build/fixtures/procs/fx_ops"

static const struct ops_options opt = { .max_labels = 7, .slow_ns = 5000 };

/* Parse the lines (with FX_OPS as selector fx) and compile them; returns ops_compile's rc. */
static int compile(struct ops_file *f, struct ops_program *p, char *err, size_t len, ...)
{
	const char *line;
	va_list ap;
	int n = 1;

	memset(f, 0, sizeof(*f));
	assert_int_equal(ops_parse_line(f, "fx=" FX_OPS, "t.ops", n++, err, len), 0);
	va_start(ap, len);
	while ((line = va_arg(ap, const char *)))
		assert_int_equal(ops_parse_line(f, line, "t.ops", n++, err, len), 0);
	va_end(ap);
	return ops_compile(f, 0, &opt, p, err, len);
}

static void cleanup(struct ops_file *f, struct ops_program *p)
{
	ops_program__free(p);
	ops_file__free(f);
}

/* The cookie of the one site whose role is role. */
static __u64 cookie_of(const struct ops_program *p, enum op_role role)
{
	size_t i;

	for (i = 0; i < p->nr_sites; i++)
		if (OP_COOKIE_ROLE(p->sites[i].cookie) == role)
			return p->sites[i].cookie;
	fail_msg("no site with role %d", role);
	return 0;
}

/* The cookie of the one site of op (or state) i whose role is role. */
static __u64 cookie_of_op(const struct ops_program *p, unsigned int i, enum op_role role)
{
	size_t k;

	for (k = 0; k < p->nr_sites; k++)
		if (OP_COOKIE_ROLE(p->sites[k].cookie) == role &&
		    OP_COOKIE_OP(p->sites[k].cookie) == i)
			return p->sites[k].cookie;
	fail_msg("no site of %u with role %d", i, role);
	return 0;
}

static void test_one_call_op_is_at_return_with_its_flags(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "op req fx:fxo_request error=ret<0 value=arg1 by=str(arg0)", NULL), 0);
	assert_int_equal(p.nr_ops, 1);
	assert_int_equal(p.nr_sites, 1);
	assert_int_equal(p.sites[0].cookie, OP_COOKIE(0, OP_ROLE_CALL) | OP_COOKIE_AT_RETURN);
	assert_int_equal(p.cfgs[0].flags, OPF_LATENCY | OPF_ERROR | OPF_VALUE | OPF_LABEL);
	assert_int_equal(p.cfgs[0].error_cmp, OPC_LT);
	assert_int_equal(p.cfgs[0].max_labels, 7);
	assert_int_equal(p.cfgs[0].slow_ns, 5000);
	assert_true(p.cfgs[0].x[OPS_SLOT_ERROR].at_return);	/* ret */
	assert_false(p.cfgs[0].x[OPS_SLOT_VALUE].at_return);	/* arg1: at entry */
	assert_true(p.cfgs[0].x[OPS_SLOT_LABEL].str);
	cleanup(&f, &p);
}

static void test_count_without_ret_is_an_entry_event(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "op c fx:fxo_request count by=pid",
				 "op r fx:fxo_read count value=u64(arg1)@ret", NULL), 0);
	assert_int_equal(cookie_of(&p, OP_ROLE_EVENT), OP_COOKIE(0, OP_ROLE_EVENT));
	/* a count op that reads at return still needs the return */
	assert_int_equal(cookie_of(&p, OP_ROLE_CALL), OP_COOKIE(1, OP_ROLE_CALL) |
			 OP_COOKIE_AT_RETURN);
	assert_int_equal(p.cfgs[0].flags, OPF_LABEL);
	assert_int_equal(p.cfgs[0].slow_ns, 0);		/* nothing timed, nothing slow */
	cleanup(&f, &p);
}

static void test_paired_op_sides_and_keys(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "op rt fx:fxo_submit(arg0) -> fx:fxo_ack(arg0) error=ret!=0 timeout=2s",
				 NULL), 0);
	assert_int_equal(p.nr_sites, 2);
	assert_int_equal(cookie_of(&p, OP_ROLE_START), OP_COOKIE(0, OP_ROLE_START));
	/* the end's error= uses ret: it fires at the return */
	assert_int_equal(cookie_of(&p, OP_ROLE_END), OP_COOKIE(0, OP_ROLE_END) |
			 OP_COOKIE_AT_RETURN);
	assert_true(p.cfgs[0].flags & OPF_KEYED);
	assert_int_equal(p.cfgs[0].x[OPS_SLOT_KEY_START].base, OPX_ARG);
	assert_int_equal(p.specs[0]->timeout_ns, 2000000000ULL);
	cleanup(&f, &p);
}

static void test_when_on_the_end_makes_it_fire_at_return(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "op q fx:fxo_submit(arg0) -> fx:fxo_ack(arg0) when=ret!=0", NULL), 0);
	assert_true(p.cfgs[0].flags & OPF_WHEN);
	assert_int_equal(p.cfgs[0].when_cmp, OPC_NE);
	assert_true(p.cfgs[0].x[OPS_SLOT_WHEN].at_return);
	assert_int_equal(cookie_of(&p, OP_ROLE_END), OP_COOKIE(0, OP_ROLE_END) |
			 OP_COOKIE_AT_RETURN);
	assert_int_equal(cookie_of(&p, OP_ROLE_START), OP_COOKIE(0, OP_ROLE_START));
	cleanup(&f, &p);
}

static void test_usdt_sites_carry_their_argument_spec(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];
	__u64 c;

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "op j fx:usdt:synctrace:op_start(arg1) -> fx:usdt:synctrace:op_done(arg1) "
				 "error=arg2!=0 by=str(arg0)", NULL), 0);
	assert_true(p.nr_site_infos >= 2);
	c = cookie_of(&p, OP_ROLE_END);
	assert_true(OP_COOKIE_SITE(c) >= 1 && OP_COOKIE_SITE(c) <= p.nr_site_infos);
	assert_false(c & OP_COOKIE_AT_RETURN);
	assert_true(p.site_infos[OP_COOKIE_SITE(c) - 1].usdt);
	assert_int_equal(p.site_infos[OP_COOKIE_SITE(c) - 1].spec.nr_args, 3);
	assert_true(p.sites[0].ref_ctr_offset != 0);		/* semaphore-guarded */
	cleanup(&f, &p);
}

static void test_usdt_argument_past_the_probe_is_refused(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "op x fx:usdt:synctrace:conflict count value=arg3", NULL), -EINVAL);
	assert_string_equal(err, "t.ops:2: op 'x': fx:usdt:synctrace:conflict: the probe has 2 "
			    "arguments, arg3 asked for");
	cleanup(&f, &p);
}

static void test_function_argument_past_arg5_is_refused(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "op x fx:fxo_request value=arg6", NULL), -EINVAL);
	assert_non_null(strstr(err, "t.ops:2: op 'x': fx:fxo_request: arguments past arg5"));
	cleanup(&f, &p);
}

#define FX_GO "build/fixtures/runtimes/fx_go"
#define LIBFXGO "build/fixtures/runtimes/libfxgo.so"

/* Per site: a Go function takes Go's registers, cgo's C wrapper in a Go file C's. */
static void test_go_function_sites_take_go_registers(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err), "go=" FX_GO, "lib=" LIBFXGO,
				 "op r go:main.route count value=arg8",
				 "op s go:main.route count",
				 "op a lib:FxGoApply count value=arg0",
				 "state st go:main.route(arg2)", NULL), 0);
	assert_int_equal(p.nr_sites, 4);
	assert_int_equal(cookie_of_op(&p, 0, OP_ROLE_EVENT), OP_COOKIE(0, OP_ROLE_EVENT) |
			 OP_COOKIE_GO_ABI);
	/* an op that reads no argument does not need to know */
	assert_int_equal(cookie_of_op(&p, 1, OP_ROLE_EVENT), OP_COOKIE(1, OP_ROLE_EVENT));
	assert_int_equal(cookie_of_op(&p, 2, OP_ROLE_EVENT), OP_COOKIE(2, OP_ROLE_EVENT));
	assert_int_equal(cookie_of_op(&p, 0, OP_ROLE_STATE), OP_COOKIE(0, OP_ROLE_STATE) |
			 OP_COOKIE_GO_ABI);
	cleanup(&f, &p);

	assert_int_equal(compile(&f, &p, err, sizeof(err), "go=" FX_GO,
				 "op r go:main.route count value=arg9", NULL), -EINVAL);
	assert_string_equal(err, "t.ops:3: op 'r': go:main.route: arguments past arg8 of a Go "
			    "function are not supported");
	cleanup(&f, &p);
}

static void test_state_values_and_names(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_equal(compile(&f, &p, err, sizeof(err),
				 "state ph fx:fxo_set_state(arg0) names=idle,busy,sync",
				 "state raw fx:fxo_set_state(arg0)", NULL), 0);
	assert_int_equal(p.nr_states, 2);
	assert_int_equal(p.state_cfgs[0].nr_values, 3);
	assert_int_equal(p.state_cfgs[0].values[2], 2);
	assert_int_equal(p.state_cfgs[1].nr_values, STATE_VALUES);
	assert_int_equal(cookie_of(&p, OP_ROLE_STATE) & 0xfff, OP_COOKIE(0, OP_ROLE_STATE));
	cleanup(&f, &p);
}

static void test_unknown_function_names_the_op(void **state)
{
	struct ops_program p;
	struct ops_file f;
	char err[512];

	assert_int_not_equal(compile(&f, &p, err, sizeof(err),
				     "op x fx:no_such_function", NULL), 0);
	assert_non_null(strstr(err, "t.ops:2: op 'x': "));
	cleanup(&f, &p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_call_op_is_at_return_with_its_flags),
		cmocka_unit_test(test_count_without_ret_is_an_entry_event),
		cmocka_unit_test(test_paired_op_sides_and_keys),
		cmocka_unit_test(test_when_on_the_end_makes_it_fire_at_return),
		cmocka_unit_test(test_usdt_sites_carry_their_argument_spec),
		cmocka_unit_test(test_usdt_argument_past_the_probe_is_refused),
		cmocka_unit_test(test_function_argument_past_arg5_is_refused),
		cmocka_unit_test(test_go_function_sites_take_go_registers),
		cmocka_unit_test(test_state_values_and_names),
		cmocka_unit_test(test_unknown_function_names_the_op),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
