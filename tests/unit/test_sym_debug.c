// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/sym_debug: a stripped fixture of
 * tests/fixtures/debug.mk loads, through sym_table, the functions its
 * debug file or MiniDebugInfo names, tagged with that source and placed
 * at the offsets the unstripped build has; what was refused is a note.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "loader/sym_table.h"
#include "tests/unit/helpers.h"

#define FX "build/fixtures/debug/"
#define SYSROOT FX "sysroot"

static const char *const statics[] = { "split_apply", "split_hash", "split_run" };

static struct sym_table *load(const char *path, const char *shown, pid_t pid)
{
	struct sym_file f = { .path = path, .shown = shown, .pid = pid };
	struct sym_table *st = NULL;
	int rc = sym_table__load(&f, &st);

	if (rc)
		fail_msg("%s: sym_table__load: %d", path, rc);
	return st;
}

static const struct sym *one(const struct sym_table *st, const char *name)
{
	const struct sym **m;
	const struct sym *s;

	if (sym_table__match(st, name, &m) != 1)
		return NULL;
	s = m[0];
	free(m);
	return s;
}

/* The statics of fx_split, from src, where the unstripped build has them. */
static void expect_statics(const struct sym_table *st, enum sym_source src)
{
	struct sym_table *full = load(FX "fx_split", FX "fx_split", 0);
	size_t i;

	for (i = 0; i < sizeof(statics) / sizeof(statics[0]); i++) {
		const struct sym *s = one(st, statics[i]), *t = one(full, statics[i]);

		if (!s)
			fail_msg("%s not found", statics[i]);
		assert_non_null(t);
		if (s->source != src)
			fail_msg("%s from %s, expected %s", statics[i], sym_source__name(s->source),
				 sym_source__name(src));
		assert_int_equal(s->offset, t->offset);
		assert_int_equal(s->size, t->size);
	}
	/* exported: still named by the file's own .dynsym */
	assert_int_equal(one(st, "fx_split_api")->source, SYM_SRC_DYNSYM);
	sym_table__free(full);
}

static void expect_note(const struct sym_table *st, size_t i, const char *start,
			const char *has)
{
	const char *const *notes;
	size_t n = sym_table__notes(st, &notes);

	if (i >= n || strncmp(notes[i], start, strlen(start)) || !strstr(notes[i], has))
		fail_msg("note %zu: expected '%s...%s', got '%s' (%zu notes)", i, start, has,
			 i < n ? notes[i] : "(none)", n);
}

static void test_stripped_file_without_debug_file_has_only_dynsym(void **state)
{
	struct sym_table *st = load(FX "fx_split_stripped", FX "fx_split_stripped", 0);
	const char *const *notes;

	assert_null(one(st, "split_apply"));
	assert_non_null(one(st, "fx_split_api"));
	assert_int_equal(sym_table__notes(st, &notes), 0);
	sym_table__free(st);
}

static void test_debuglink_file_names_the_statics(void **state)
{
	struct sym_table *st = load(SYSROOT "/opt/beside/fx_split_link",
				    SYSROOT "/opt/beside/fx_split_link", 0);

	expect_statics(st, SYM_SRC_DEBUGLINK);
	/* a relative name has its directory from realpath(3) */
	expect_note(st, 0, "symbols from /", "/" SYSROOT "/opt/beside/fx_split.debug "
		    "(.gnu_debuglink)");
	sym_table__free(st);
}

static void test_build_id_file_names_the_statics(void **state)
{
	char root[PATH_MAX];
	struct sym_table *st;

	assert_non_null(realpath(SYSROOT "/usr/lib/debug", root));
	setenv("SYNCTRACE_DEBUG_ROOT", root, 1);
	st = load(SYSROOT "/opt/buildid/fx_split_bid", SYSROOT "/opt/buildid/fx_split_bid", 0);
	unsetenv("SYNCTRACE_DEBUG_ROOT");
	expect_statics(st, SYM_SRC_BUILD_ID);
	expect_note(st, 0, "symbols from /", "(build-id)");
	sym_table__free(st);
}

static void test_minidebuginfo_names_the_statics(void **state)
{
	struct sym_table *st = load(FX "fx_split_mini", FX "fx_split_mini", 0);

	expect_statics(st, SYM_SRC_MINIDEBUG);
	expect_note(st, 0, "symbols from .gnu_debugdata", "MiniDebugInfo");
	sym_table__free(st);
}

static void test_refused_debug_file_is_a_note(void **state)
{
	struct sym_table *st = load(SYSROOT "/opt/badcrc/fx_split_link",
				    SYSROOT "/opt/badcrc/fx_split_link", 0);

	assert_null(one(st, "split_apply"));
	expect_note(st, 0, "skipped /", "/" SYSROOT "/opt/badcrc/fx_split.debug: CRC");
	sym_table__free(st);
}

/* With a pid, the lookup runs in its root: here a chroot into the fake root. */
static void test_with_a_pid_the_lookup_runs_in_its_root(void **state)
{
	char root[PATH_MAX], report[16];
	struct sym_table *st;
	pid_t pid;

	if (geteuid()) {
		print_message("not root: no chroot\n");
		return;
	}
	assert_non_null(realpath(SYSROOT, root));
	pid = spawn_child(child_chroot, root, report, sizeof(report));
	/* shown as the process names it, " (deleted)" and all */
	st = load(SYSROOT "/opt/rooted/fx_split_link", "/opt/rooted/fx_split_link (deleted)",
		  pid);
	expect_statics(st, SYM_SRC_DEBUGLINK);
	expect_note(st, 0, "symbols from /usr/lib/debug/opt/rooted/fx_split.debug", "");
	sym_table__free(st);
	/* ours has no /usr/lib/debug/opt/rooted/ */
	st = load(SYSROOT "/opt/rooted/fx_split_link", "/opt/rooted/fx_split_link", 0);
	assert_null(one(st, "split_apply"));
	sym_table__free(st);
	kill_and_reap(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stripped_file_without_debug_file_has_only_dynsym),
		cmocka_unit_test(test_debuglink_file_names_the_statics),
		cmocka_unit_test(test_build_id_file_names_the_statics),
		cmocka_unit_test(test_minidebuginfo_names_the_statics),
		cmocka_unit_test(test_refused_debug_file_is_a_note),
		cmocka_unit_test(test_with_a_pid_the_lookup_runs_in_its_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
