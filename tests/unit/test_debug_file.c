// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/debug_file against the split fixtures of
 * tests/fixtures/debug.mk: the fake root build/fixtures/debug/sysroot lays
 * out one variant per directory (see debug.mk), and scratch roots made
 * here cover the order of the ways and the root's walls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "loader/debug_file.h"
#include "loader/proc_files.h"
#include "loader/proc_maps.h"
#include "tests/unit/helpers.h"

#define FX "build/fixtures/debug/"
#define SYSROOT FX "sysroot"

static char tmp[] = "/tmp/synctrace-test-debug-XXXXXX";

/* The result of looking up the debug file of ROOT/named inside ROOT. */
static struct debug_file *find_in(const char *root, const char *named)
{
	struct debug_where where = { .debug_root = DEBUG_FILE_ROOT };
	char file[PATH_MAX];
	struct debug_file *df = NULL;
	struct elf_file *ef;
	int rc;

	snprintf(file, sizeof(file), "%s%s", root, named);
	where.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(where.root_fd >= 0);
	rc = elf_file__open(file, &ef);
	if (rc)
		fail_msg("%s: elf_file__open: %d", file, rc);
	rc = debug_file__find(ef, file, named, &where, &df);
	if (rc)
		fail_msg("%s: debug_file__find: %d", file, rc);
	elf_file__close(ef);
	close(where.root_fd);
	return df;
}

/* Does ef's .symtab define name? (read with libelf alone) */
static bool defines(struct elf_file *ef, const char *name)
{
	size_t i, j;

	for (i = 1; i < elf_file__nr_sections(ef); i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_file__section(ef, i, &sh);
		Elf_Data *data;

		if (!scn || sh.sh_type != SHT_SYMTAB || !(data = elf_getdata(scn, NULL)))
			continue;
		for (j = 0; j < sh.sh_size / sizeof(Elf64_Sym); j++) {
			GElf_Sym sym;
			const char *s;

			if (gelf_getsym(data, (int)j, &sym) && sym.st_shndx != SHN_UNDEF &&
			    (s = elf_strptr(elf_file__elf(ef), sh.sh_link, sym.st_name)) &&
			    !strcmp(s, name))
				return true;
		}
	}
	return false;
}

static void expect_found(struct debug_file *df, const char *path, enum debug_file_via via,
			 size_t nr_skipped)
{
	if (!df->ef)
		fail_msg("expected %s, found nothing (%zu skipped%s%s)", path, df->nr_skipped,
			 df->nr_skipped ? ": " : "", df->nr_skipped ? df->skipped[0] : "");
	assert_string_equal(df->path, path);
	assert_int_equal(df->via, via);
	assert_int_equal(df->nr_skipped, nr_skipped);
	/* static functions of fx_split: what the stripped file lost */
	assert_true(defines(df->ef, "split_apply"));
	assert_true(defines(df->ef, "split_hash"));
}

/* Nothing found, and the one reason given names path and says why. */
static void expect_refused(struct debug_file *df, const char *path, const char *why)
{
	assert_null(df->ef);
	assert_null(df->path);
	if (df->nr_skipped != 1)
		fail_msg("expected one reason about %s, got %zu", path, df->nr_skipped);
	if (strncmp(df->skipped[0], path, strlen(path)) || !strstr(df->skipped[0], why))
		fail_msg("expected '%s: ...%s...', got '%s'", path, why, df->skipped[0]);
}

static void test_crc_is_the_one_objcopy_writes(void **state)
{
	struct elf_file *ef;
	const char *name;
	__u32 want, got;
	struct stat st;
	int fd;

	assert_int_equal(elf_file__open(FX "fx_split_link", &ef), 0);
	assert_int_equal(debug_file__debuglink(ef, &name, &want), 0);
	assert_string_equal(name, "fx_split.debug");
	fd = open(FX "fx_split.debug", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && !fstat(fd, &st));
	assert_int_equal(debug_file__crc(fd, (__u64)st.st_size, &got), 0);
	if (got != want)
		fail_msg("zlib's crc32 gives %08x, objcopy wrote %08x", got, want);
	/* a file shorter than claimed is an error, not a CRC of less */
	assert_int_equal(debug_file__crc(fd, (__u64)st.st_size + 1, &got), -EIO);
	close(fd);
	elf_file__close(ef);
}

static void test_build_id_is_the_one_readelf_reads(void **state)
{
	unsigned char id[DEBUG_BUILD_ID_MAX];
	char hex[2 * DEBUG_BUILD_ID_MAX + 2], *truth;
	struct elf_file *ef;
	size_t len, i, size;

	assert_int_equal(elf_file__open(FX "fx_split_link", &ef), 0);
	assert_int_equal(debug_file__build_id(ef, id, &len), 0);
	elf_file__close(ef);
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	truth = (char *)read_whole_file(FX "fx_split_link.buildid", &size);
	assert_true(size == 2 * len + 1 && truth[2 * len] == '\n');
	truth[2 * len] = '\0';
	assert_string_equal(hex, truth);
	free(truth);
}

static void test_debuglink_beside_the_file(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/beside/fx_split_link");

	expect_found(df, "/opt/beside/fx_split.debug", DEBUG_VIA_DEBUGLINK, 0);
	debug_file__free(df);
}

static void test_debuglink_in_dot_debug(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/dotdebug/fx_split_link");

	expect_found(df, "/opt/dotdebug/.debug/fx_split.debug", DEBUG_VIA_DEBUGLINK, 0);
	debug_file__free(df);
}

static void test_debuglink_under_the_debug_root(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/rooted/fx_split_link");

	expect_found(df, "/usr/lib/debug/opt/rooted/fx_split.debug", DEBUG_VIA_DEBUGLINK, 0);
	debug_file__free(df);
}

static void test_wrong_crc_is_skipped_with_the_reason(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/badcrc/fx_split_link");

	expect_refused(df, "/opt/badcrc/fx_split.debug", "CRC");
	debug_file__free(df);
}

static void test_a_refused_candidate_lets_the_next_place_win(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/order/fx_split_link");

	expect_found(df, "/opt/order/.debug/fx_split.debug", DEBUG_VIA_DEBUGLINK, 1);
	assert_non_null(strstr(df->skipped[0], "/opt/order/fx_split.debug: CRC"));
	debug_file__free(df);
}

static void test_debuglink_to_another_build_is_skipped(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/wrongid/fx_split_link");

	expect_refused(df, "/opt/wrongid/fx_split.debug", "build-id differs");
	debug_file__free(df);
}

static void test_build_id_file_under_the_debug_root(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/buildid/fx_split_bid");
	char *id, path[256];
	size_t size;

	id = (char *)read_whole_file(FX "fx_split_bid_stripped.buildid", &size);
	assert_true(size > 5);
	id[size - 1] = '\0';
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	expect_found(df, path, DEBUG_VIA_BUILD_ID, 0);
	free(id);
	debug_file__free(df);
}

static void test_build_id_file_of_another_build_is_skipped(void **state)
{
	struct debug_file *df = find_in(SYSROOT, "/opt/bidwrong/fx_split_bid2");

	expect_refused(df, "/usr/lib/debug/.build-id/", "build-id differs");
	debug_file__free(df);
}

/* dir/name under the scratch directory, made of from (copied, or a symlink). */
static void put(const char *dir, const char *name, const char *from, bool link)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/%s", tmp, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s/%s", tmp, dir, name);
	if (link)
		assert_int_equal(symlink(from, path), 0);
	else
		copy_file(from, path, 0644);
}

static void build_id_dir(const char *buildid_file, char *dir, size_t dlen, char *name,
			 size_t nlen)
{
	size_t size;
	char *id = (char *)read_whole_file(buildid_file, &size);

	id[size - 1] = '\0';
	snprintf(dir, dlen, "both/usr/lib/debug/.build-id/%.2s", id);
	snprintf(name, nlen, "%s.debug", id + 2);
	free(id);
}

static void test_build_id_comes_before_the_debuglink(void **state)
{
	char dir[256], name[256], root[PATH_MAX];
	struct debug_file *df;

	put("both/opt", "fx_split_link", FX "fx_split_link", false);
	put("both/opt", "fx_split.debug", FX "fx_split.debug", false);
	build_id_dir(FX "fx_split_link.buildid", dir, sizeof(dir), name, sizeof(name));
	put(dir, name, FX "fx_split.debug", false);
	snprintf(root, sizeof(root), "%s/both", tmp);
	df = find_in(root, "/opt/fx_split_link");
	assert_non_null(df->ef);
	assert_int_equal(df->via, DEBUG_VIA_BUILD_ID);
	assert_non_null(strstr(df->path, "/usr/lib/debug/.build-id/"));
	debug_file__free(df);
}

static void test_links_cannot_leave_the_root(void **state)
{
	char abs[PATH_MAX], rel[PATH_MAX + 32], dir[256], name[256], root[PATH_MAX];
	struct debug_file *df;

	assert_non_null(realpath(FX "fx_split.debug", abs));
	snprintf(rel, sizeof(rel), "../../../../../../../../..%s", abs);
	put("jail/opt", "fx_split_link", FX "fx_split_link", false);
	put("jail/opt", "fx_split.debug", abs, true);
	put("jail/opt/.debug", "fx_split.debug", rel, true);
	build_id_dir(FX "fx_split_link.buildid", dir, sizeof(dir), name, sizeof(name));
	memcpy(dir, "jail", 4);
	put(dir, name, rel, true);
	snprintf(root, sizeof(root), "%s/jail", tmp);
	df = find_in(root, "/opt/fx_split_link");
	/* followed outside, each would have led to the right file */
	if (df->ef)
		fail_msg("a link left the root: found %s", df->path);
	assert_int_equal(df->nr_skipped, 0);
	debug_file__free(df);
}

static void test_the_file_is_not_its_own_debug_file(void **state)
{
	char dir[256], name[256], root[PATH_MAX];
	struct debug_file *df;

	put("self/opt", "fx_split_link", FX "fx_split_link", false);
	build_id_dir(FX "fx_split_link.buildid", dir, sizeof(dir), name, sizeof(name));
	memcpy(dir, "self", 4);
	put(dir, name, "/opt/fx_split_link", true);
	snprintf(root, sizeof(root), "%s/self", tmp);
	df = find_in(root, "/opt/fx_split_link");
	assert_null(df->ef);
	assert_int_equal(df->nr_skipped, 0);
	debug_file__free(df);
}

static void test_debuglink_contents_are_checked(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int rc;
	} cases[] = {
		{ "a.debug\0\x78\x56\x34\x12", 12, 0 },
		{ "ab.debug\0\0\0\0\x78\x56\x34\x12", 16, 0 },
		{ "ab.debug\0\0\0\0\x78\x56\x34", 15, -ENOEXEC },	/* CRC cut */
		{ "a.debug", 7, -ENOEXEC },				/* no NUL */
		{ "\0\0\0\0\x78\x56\x34\x12", 8, -ENOEXEC },		/* no name */
		{ "../x\0\0\0\0\x78\x56\x34\x12", 12, -ENOEXEC },	/* a path */
		{ "..\0\0\x78\x56\x34\x12", 8, -ENOEXEC },
		{ "", 0, -ENOEXEC },
	};
	const char *name;
	__u32 crc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = debug_file__parse_debuglink(cases[i].bytes, cases[i].len, &name, &crc);

		if (rc != cases[i].rc)
			fail_msg("case %zu: got %d, expected %d", i, rc, cases[i].rc);
		if (!rc)
			assert_int_equal(crc, 0x12345678);
	}
}

/* Through the root of a process chrooted into the fake root: what -p does. */
static void test_lookup_through_a_process_root(void **state)
{
	struct debug_where where = { .debug_root = DEBUG_FILE_ROOT };
	char root[PATH_MAX], report[16];
	struct debug_file *df;
	struct proc_objs po;
	struct elf_file *ef;
	pid_t pid;

	if (geteuid()) {
		print_message("not root: no chroot\n");
		return;
	}
	assert_non_null(realpath(SYSROOT, root));
	pid = spawn_child(child_chroot, root, report, sizeof(report));
	assert_int_equal(proc_maps__read(pid, &po), 0);
	where.root_fd = proc_files__open_root(&po);
	assert_true(where.root_fd >= 0);
	assert_int_equal(elf_file__open(SYSROOT "/opt/rooted/fx_split_link", &ef), 0);
	assert_int_equal(debug_file__find(ef, NULL, "/opt/rooted/fx_split_link", &where, &df), 0);
	expect_found(df, "/usr/lib/debug/opt/rooted/fx_split.debug", DEBUG_VIA_DEBUGLINK, 0);
	debug_file__free(df);
	elf_file__close(ef);
	close(where.root_fd);
	proc_maps__free(&po);
	kill_and_reap(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_is_the_one_objcopy_writes),
		cmocka_unit_test(test_build_id_is_the_one_readelf_reads),
		cmocka_unit_test(test_debuglink_beside_the_file),
		cmocka_unit_test(test_debuglink_in_dot_debug),
		cmocka_unit_test(test_debuglink_under_the_debug_root),
		cmocka_unit_test(test_wrong_crc_is_skipped_with_the_reason),
		cmocka_unit_test(test_a_refused_candidate_lets_the_next_place_win),
		cmocka_unit_test(test_debuglink_to_another_build_is_skipped),
		cmocka_unit_test(test_build_id_file_under_the_debug_root),
		cmocka_unit_test(test_build_id_file_of_another_build_is_skipped),
		cmocka_unit_test(test_build_id_comes_before_the_debuglink),
		cmocka_unit_test(test_links_cannot_leave_the_root),
		cmocka_unit_test(test_the_file_is_not_its_own_debug_file),
		cmocka_unit_test(test_debuglink_contents_are_checked),
		cmocka_unit_test(test_lookup_through_a_process_root),
	};

	scratch_dir = tmp;
	return cmocka_run_group_tests(tests, scratch_dir_setup, scratch_dir_teardown);
}
