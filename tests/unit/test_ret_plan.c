// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/ret_plan: which functions are timed by probes on
 * their ret instructions and which by uretprobes, for each --returns, on
 * the real Go, OCaml and C fixtures (tests/fixtures/runtimes.mk, rets.mk):
 * never a uretprobe in a Go or OCaml file, goroutine keys only for Go code,
 * the exits and their kernel infos, and one-line refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/sym_table.h"
#include "loader/ret_plan.h"

#define RT "build/fixtures/runtimes/"
#define RETS "build/fixtures/rets/"

/* The entry site of function name in path, as the resolver makes it. */
static struct probe_site site_of(const char *path, const char *name)
{
	const struct sym **m = NULL;
	struct probe_site s = { 0 };
	struct sym_table *st;

	assert_int_equal(sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st), 0);
	if (sym_table__match(st, name, &m) != 1)
		fail_msg("%s: no one function %s", path, name);
	s.path = path;
	s.file = path;
	s.name = name;
	s.offset = m[0]->offset;
	s.vaddr = m[0]->addr;
	s.size = m[0]->size;
	s.cookie = 7;
	free(m);
	sym_table__free(st);
	return s;
}

static int add(struct ret_plan *rp, const char *path, const char *name, __u32 *info, char *err,
	       size_t len)
{
	struct probe_site s = site_of(path, name);

	return ret_plan__add(rp, &s, info, err, len);
}

/* auto: Go and OCaml by probes on their rets, C by uretprobes. */
static void test_auto_probes_go_and_ocaml_rets_only(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_AUTO);
	char err[512];
	__u32 info = ~0U;
	size_t i;

	assert_non_null(rp);
	assert_int_equal(add(rp, RT "fx_go", "main.apply", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	assert_int_equal(rp->infos[info].kind, RP_ENTRY);
	assert_int_equal(rp->infos[info].flags, RP_F_GO);
	assert_true(rp->any_go);
	/* main.apply: one ret, no jump out */
	assert_int_equal(rp->nr_exits, 1);
	assert_int_equal(rp->infos[rp->exits[0].info].kind, RP_RET);
	assert_int_equal(rp->infos[rp->exits[0].info].flags, RP_F_GO);
	assert_int_equal(rp->exits[0].site.cookie, 7);	/* the caller's to complete */
	assert_int_equal(rp->exits[0].entry_offset, site_of(RT "fx_go", "main.apply").offset);
	assert_true(rp->exits[0].site.offset > rp->exits[0].entry_offset);

	assert_int_equal(add(rp, RT "fx_ocaml", "camlFx_ocaml__apply_*", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	assert_int_equal(rp->infos[info].flags, 0);	/* OCaml 4: by thread and sp */
	assert_int_equal(add(rp, RETS "fx_rets", "rt_tail", &info, err, sizeof(err)),
			 RET_USE_URETPROBE);
	assert_int_equal(rp->nr_probed, 2);
	assert_int_equal(rp->nr_uret, 1);
	for (i = 0; i < rp->nr_exits; i++)
		assert_true(rp->exits[i].info < rp->nr_infos);
	ret_plan__free(rp);
}

/* The C wrappers of a Go c-shared library run on the thread's stack, not a goroutine's. */
static void test_c_in_a_go_file_is_keyed_by_thread(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_AUTO);
	char err[512];
	__u32 info;

	assert_int_equal(add(rp, RT "libfxgo.so", "FxGoApply", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	assert_int_equal(rp->infos[info].flags, 0);
	assert_false(rp->any_go);
	ret_plan__free(rp);
	assert_true(ret_plan__is_go_function("main.apply"));
	assert_true(ret_plan__is_go_function("github.com/x/y.(*T).Pull"));
	assert_true(ret_plan__is_go_function("main.apply.func1"));
	assert_false(ret_plan__is_go_function("FxGoApply"));
	assert_false(ret_plan__is_go_function("_cgo_topofstack"));
	assert_false(ret_plan__is_go_function("crosscall2"));
	assert_false(ret_plan__is_go_function("x_cgo_init.part.0"));
	assert_false(ret_plan__is_go_function("memcpy.cold"));
	assert_false(ret_plan__is_go_function(".hidden"));
	assert_false(ret_plan__is_go_function(NULL));
}

/* --returns=uretprobe: refused where it would crash, as a usage error. */
static void test_forced_uretprobe_refused_in_go_and_ocaml(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_URETPROBE);
	char err[512];
	__u32 info;

	assert_int_equal(add(rp, RT "fx_go", "main.apply", &info, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "main.apply: " RT "fx_go is a Go program, and a uretprobe "
			    "would crash it (Go moves stacks)");
	assert_int_equal(add(rp, RT "fx_ocaml_stripped", "camlFx_ocaml__apply_*", &info, err,
			     sizeof(err)), -EINVAL);
	assert_string_equal(err, "camlFx_ocaml__apply_*: " RT "fx_ocaml_stripped is an OCaml "
			    "program, and a uretprobe would crash it (OCaml walks its stack by "
			    "return addresses)");
	assert_int_equal(add(rp, RT "libfxgo.so", "FxGoApply", &info, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "libfxgo.so is a Go library, and"));
	assert_int_equal(add(rp, RETS "fx_rets", "rt_tail", &info, err, sizeof(err)),
			 RET_USE_URETPROBE);
	assert_int_equal(rp->nr_exits, 0);
	ret_plan__free(rp);
}

/* --returns=ret-probe: C too; every exit kind of fx_rets' functions. */
static void test_ret_probe_mode_on_c(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_RET_PROBE);
	char err[512];
	__u32 info;
	size_t i, tails = 0, rets = 0;

	assert_int_equal(add(rp, RETS "fx_rets", "rt_tail", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	assert_int_equal(add(rp, RETS "fx_rets", "rt_indirect", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	for (i = 0; i < rp->nr_exits; i++) {
		const struct rp_site *x = &rp->infos[rp->exits[i].info];

		rets += x->kind == RP_RET;
		tails += x->kind != RP_RET;
		assert_int_equal(x->flags & RP_F_GO, 0);
	}
	assert_int_equal(rets, 2);
	assert_int_equal(tails, 4);	/* rt_tail's jmp, rt_indirect's three */
	ret_plan__free(rp);
}

/* A function whose calls cannot be timed at a ret: one line naming it and the file. */
static void test_refusals_name_the_function(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_RET_PROBE);
	size_t exits, infos;
	char err[512];
	__u32 info;

	assert_int_equal(add(rp, RETS "fx_rets", "rt_tail", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	exits = rp->nr_exits;
	infos = rp->nr_infos;
	assert_int_equal(add(rp, RETS "fx_rets", "rt_never", &info, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "rt_never in " RETS "fx_rets: it has no ret: it never returns");
	assert_int_equal(add(rp, RETS "fx_rets", "rt_relay", &info, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "rt_relay in " RETS "fx_rets: it has no ret: it leaves only "
			       "by jumps to other code"));
	assert_int_equal(rp->nr_exits, exits);	/* nothing left of them */
	assert_int_equal(rp->nr_infos, infos);
	assert_null(strchr(err, '\n'));
	ret_plan__free(rp);
}

/* A file that changed into garbage since it was resolved: an error, not a pass. */
static void test_unreadable_file_is_an_error(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_AUTO);
	struct probe_site s = { .path = "build/fixtures/elf/fx_garbage", .name = "f",
				.size = 16 };
	char err[512];
	__u32 info;

	assert_int_equal(ret_plan__add(rp, &s, &info, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "fx_garbage: cannot tell its language runtime"));
	ret_plan__free(rp);
}

/* The kernel refused an entry: its exits go too. */
static void test_drop_entries(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_RET_PROBE);
	struct probe_site tail = site_of(RETS "fx_rets", "rt_tail");
	char err[512];
	__u32 info;

	assert_int_equal(ret_plan__add(rp, &tail, &info, err, sizeof(err)), RET_USE_PROBES);
	assert_int_equal(add(rp, RETS "fx_rets", "rt_cond", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	assert_int_equal(rp->nr_exits, 4);
	ret_plan__drop_entries(rp, &tail, 1);
	assert_int_equal(rp->nr_exits, 2);
	assert_int_equal(rp->exits[0].entry_offset, site_of(RETS "fx_rets", "rt_cond").offset);
	ret_plan__free(rp);
}

static void test_describe_says_each_files_way(void **state)
{
	struct ret_plan *rp = ret_plan__new(RETURNS_AUTO);
	char err[512], *buf = NULL;
	size_t len = 0;
	__u32 info;
	FILE *f;

	assert_int_equal(add(rp, RT "fx_go", "main.apply", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	assert_int_equal(add(rp, RT "fx_go", "main.leaf", &info, err, sizeof(err)),
			 RET_USE_PROBES);
	assert_int_equal(add(rp, RETS "fx_rets", "rt_tail", &info, err, sizeof(err)),
			 RET_USE_URETPROBE);
	f = open_memstream(&buf, &len);
	ret_plan__describe(rp, f);
	fclose(f);
	assert_string_equal(buf,
		"synctrace: " RT "fx_go (Go program): returns seen by probes on ret instructions "
		"and jumps out: 2 functions, 2 exit sites\n"
		"synctrace: " RETS "fx_rets (native program): returns seen by uretprobes: "
		"1 function\n");
	free(buf);
	ret_plan__free(rp);
}

static void test_returns_mode_parse(void **state)
{
	enum returns_mode m;

	assert_int_equal(returns_mode__parse("auto", &m), 0);
	assert_int_equal(m, RETURNS_AUTO);
	assert_int_equal(returns_mode__parse("uretprobe", &m), 0);
	assert_int_equal(m, RETURNS_URETPROBE);
	assert_int_equal(returns_mode__parse("ret-probe", &m), 0);
	assert_int_equal(m, RETURNS_RET_PROBE);
	assert_int_equal(returns_mode__parse("ret", &m), -EINVAL);
	assert_int_equal(returns_mode__parse("", &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_probes_go_and_ocaml_rets_only),
		cmocka_unit_test(test_c_in_a_go_file_is_keyed_by_thread),
		cmocka_unit_test(test_forced_uretprobe_refused_in_go_and_ocaml),
		cmocka_unit_test(test_ret_probe_mode_on_c),
		cmocka_unit_test(test_refusals_name_the_function),
		cmocka_unit_test(test_unreadable_file_is_an_error),
		cmocka_unit_test(test_drop_entries),
		cmocka_unit_test(test_describe_says_each_files_way),
		cmocka_unit_test(test_returns_mode_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
