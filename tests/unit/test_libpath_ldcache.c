// SPDX-License-Identifier: MIT
/* libpath's ld.so.cache reader: hand-built images (versions, architectures,
 * hwcaps, compat format), corrupted ones, and the system's own cache. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "loader/libpath.h"

static const char *const std_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
	"/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
};

static void expect_same_file(const char *got, const char *want)
{
	struct stat a, b;

	if (stat(got, &a) || stat(want, &b))
		fail_msg("stat %s or %s: %s", got, want, strerror(errno));
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		fail_msg("expected the file %s, got %s", want, got);
}

/* Ground truth for the cache: soname found by stat in the standard dirs. */
static void std_dir_file(const char *soname, char *out, size_t len)
{
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(std_dirs) / sizeof(std_dirs[0]); i++) {
		snprintf(out, len, "%s/%s", std_dirs[i], soname);
		if (!stat(out, &st) && S_ISREG(st.st_mode))
			return;
	}
	fail_msg("%s is in no standard directory", soname);
}

static void *read_all(const char *path, size_t *size)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*size = st.st_size;
	return buf;
}

/* ---- hand-built ld.so.cache images (glibc's dl-cache.h layout) ---- */

struct fake_entry {
	uint32_t flags;
	const char *key, *value;
	uint64_t hwcap;
};

#define X86_64 0x0303
#define I386 0x0003
#define X32 0x0803

/* New format, after an old-format table of one entry if compat. */
static unsigned char *build_cache(const struct fake_entry *e, size_t n,
				  bool compat, size_t *size)
{
	size_t start = compat ? 32 : 0, str = start + 48 + n * 24, i;
	size_t total = str;
	unsigned char *b;
	uint32_t off;

	for (i = 0; i < n; i++)
		total += strlen(e[i].key) + strlen(e[i].value) + 2;
	b = calloc(1, total);
	assert_non_null(b);
	if (compat) {
		memcpy(b, "ld.so-1.7.0", 11);
		b[12] = 1;	/* one 12-byte entry, then align to 8 */
	}
	memcpy(b + start, "glibc-ld.so.cache1.1", 20);
	memcpy(b + start + 20, &(uint32_t){ n }, 4);
	memcpy(b + start + 24, &(uint32_t){ total - str }, 4);
	b[start + 28] = 2;	/* little endian */
	for (i = 0; i < n; i++) {
		unsigned char *ent = b + start + 48 + i * 24;

		memcpy(ent, &e[i].flags, 4);
		/* offsets count from the new header */
		off = str - start;
		memcpy(ent + 4, &off, 4);
		strcpy((char *)b + str, e[i].key);
		str += strlen(e[i].key) + 1;
		off = str - start;
		memcpy(ent + 8, &off, 4);
		strcpy((char *)b + str, e[i].value);
		str += strlen(e[i].value) + 1;
		memcpy(ent + 16, &e[i].hwcap, 8);
	}
	*size = total;
	return b;
}

static const struct fake_entry ssl_entries[] = {
	{ X86_64, "libssl3.so", "/usr/lib/libssl3.so", 0 },
	{ X86_64, "libssl.so.1.1", "/usr/lib/libssl.so.1.1", 0 },
	{ X86_64, "libssl.so.3", "/usr/lib/libssl.so.3", 0 },
	{ X86_64, "libssl.so", "/usr/lib/libssl.so", 0 },
	{ I386, "libssl.so.9", "/usr/lib32/libssl.so.9", 0 },
};

static void expect_lookup(const void *buf, size_t size, const char *name,
			  const char *want)
{
	char out[PATH_MAX];
	int rc = libpath__ldcache_lookup(buf, size, name, out, sizeof(out));

	if (rc)
		fail_msg("lookup %s: expected %s, got error %d", name, want, rc);
	if (strcmp(out, want))
		fail_msg("lookup %s: expected %s, got %s", name, want, out);
}

static int lookup_rc(const void *buf, size_t size, const char *name)
{
	char out[PATH_MAX];

	return libpath__ldcache_lookup(buf, size, name, out, sizeof(out));
}

static void test_cache_picks_highest_version_or_exact_key(void **state)
{
	size_t size;
	unsigned char *b = build_cache(ssl_entries, 5, false, &size);

	expect_lookup(b, size, "libssl", "/usr/lib/libssl.so.3");
	expect_lookup(b, size, "ssl", "/usr/lib/libssl.so.3");
	expect_lookup(b, size, "libssl.so.1.1", "/usr/lib/libssl.so.1.1");
	expect_lookup(b, size, "libssl.so", "/usr/lib/libssl.so");
	expect_lookup(b, size, "libssl3.so", "/usr/lib/libssl3.so");
	free(b);
}

static void test_cache_ignores_other_architectures(void **state)
{
	const struct fake_entry e[] = {
		{ I386, "libbar.so.1", "/usr/lib32/libbar.so.1", 0 },
		{ X32, "libbar.so.2", "/usr/libx32/libbar.so.2", 0 },
		{ X86_64, "libbaz.so.1", "/usr/lib/libbaz.so.1", 0 },
	};
	size_t size;
	unsigned char *b = build_cache(e, 3, false, &size);

	assert_int_equal(lookup_rc(b, size, "libbar"), -ENOENT);
	assert_int_equal(lookup_rc(b, size, "libbar.so.1"), -ENOENT);
	expect_lookup(b, size, "libbaz", "/usr/lib/libbaz.so.1");
	free(b);
}

static void test_cache_prefers_baseline_to_hwcaps_entry(void **state)
{
	const struct fake_entry e[] = {
		{ X86_64, "libfoo.so.1", "/usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1",
		  1ULL << 62 },
		{ X86_64, "libfoo.so.1", "/usr/lib/libfoo.so.1", 0 },
	};
	size_t size;
	unsigned char *b = build_cache(e, 2, false, &size);

	expect_lookup(b, size, "libfoo", "/usr/lib/libfoo.so.1");
	free(b);
}

static void test_cache_in_compat_format_is_read(void **state)
{
	size_t size;
	unsigned char *b = build_cache(ssl_entries, 5, true, &size);

	expect_lookup(b, size, "libssl", "/usr/lib/libssl.so.3");
	free(b);
}

static void test_corrupt_cache_images_are_rejected(void **state)
{
	unsigned char *b, *t;
	size_t size, cut;
	char out[8];

	assert_int_equal(lookup_rc(NULL, 0, "libc"), -EINVAL);
	b = build_cache(ssl_entries, 5, false, &size);
	assert_int_equal(lookup_rc(b, 0, "libssl"), -EINVAL);
	/* every truncation, copied so that reading past the end is a bug */
	for (cut = 0; cut < size; cut++) {
		t = malloc(cut ? cut : 1);
		memcpy(t, b, cut);
		if (lookup_rc(t, cut, "libssl") != -EINVAL)
			fail_msg("image cut to %zu of %zu bytes not rejected",
				 cut, size);
		free(t);
	}
	assert_int_equal(libpath__ldcache_lookup(b, size, "libssl", out,
						 sizeof(out)), -ENAMETOOLONG);

	memcpy(b + 20, &(uint32_t){ 0xffffffff }, 4);	/* nlibs */
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	memcpy(b + 20, &(uint32_t){ (size - 48) / 24 + 1 }, 4);
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	memcpy(b + 20, &(uint32_t){ 5 }, 4);
	assert_int_equal(lookup_rc(b, size, "libssl"), 0);

	memcpy(b + 48 + 2 * 24 + 4, &(uint32_t){ size }, 4);	/* a key */
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	memcpy(b + 48 + 2 * 24 + 4, &(uint32_t){ 0xfffffff0 }, 4);
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	free(b);

	b = build_cache(ssl_entries, 5, false, &size);
	memcpy(b + 48 + 4 * 24 + 8, &(uint32_t){ size + 100 }, 4); /* a value */
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	free(b);

	b = build_cache(ssl_entries, 5, false, &size);
	b[size - 1] = 'x';	/* last string runs off the end */
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	b[size - 1] = '\0';
	b[28] = 3;		/* big-endian cache */
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	b[28] = 2;
	b[0] = 'G';
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	free(b);

	b = build_cache(ssl_entries, 5, true, &size);
	memcpy(b + 12, &(uint32_t){ 0x7fffffff }, 4);	/* old-table count */
	assert_int_equal(lookup_rc(b, size, "libssl"), -EINVAL);
	free(b);
}

static void test_real_cache_truncated_is_rejected_or_sane(void **state)
{
	size_t size, cut, table;
	char out[PATH_MAX];
	uint32_t nlibs;
	unsigned char *b = read_all("/etc/ld.so.cache", &size), *t;
	int rc;

	assert_true(size > 48);
	memcpy(&nlibs, b + 20, 4);
	table = 48 + (size_t)nlibs * 24;
	for (cut = 0; cut < size; cut += cut < table + 64 ? 1 : 97) {
		t = malloc(cut ? cut : 1);
		memcpy(t, b, cut);
		rc = libpath__ldcache_lookup(t, cut, "libc", out, sizeof(out));
		if (cut < table && rc != -EINVAL)
			fail_msg("cut to %zu (< table end %zu): %d", cut, table, rc);
		if (rc && rc != -EINVAL && rc != -ENOENT)
			fail_msg("cut to %zu: unexpected error %d", cut, rc);
		if (!rc && out[0] != '/')
			fail_msg("cut to %zu: relative path '%s'", cut, out);
		free(t);
	}
	free(b);
}

static void test_real_cache_finds_system_libraries(void **state)
{
	static const char *const libs[][2] = {
		{ "libc", "libc.so.6" },
		{ "libz", "libz.so.1" },
		{ "libsqlite3", "libsqlite3.so.0" },
		{ "sqlite3", "libsqlite3.so.0" },
		{ "libz.so.1", "libz.so.1" },
	};
	char out[PATH_MAX], want[PATH_MAX];
	size_t size, i;
	void *b = read_all("/etc/ld.so.cache", &size);

	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		assert_int_equal(libpath__ldcache_lookup(b, size, libs[i][0], out,
							 sizeof(out)), 0);
		/* the soname itself, not libz.so (dev link) nor libz3 */
		assert_string_equal(strrchr(out, '/') + 1, libs[i][1]);
		std_dir_file(libs[i][1], want, sizeof(want));
		expect_same_file(out, want);
	}
	assert_null(strstr(out, "lib32"));
	assert_int_equal(lookup_rc(b, size, "libsynctrace_no_such_lib"), -ENOENT);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_picks_highest_version_or_exact_key),
		cmocka_unit_test(test_cache_ignores_other_architectures),
		cmocka_unit_test(test_cache_prefers_baseline_to_hwcaps_entry),
		cmocka_unit_test(test_cache_in_compat_format_is_read),
		cmocka_unit_test(test_corrupt_cache_images_are_rejected),
		cmocka_unit_test(test_real_cache_truncated_is_rejected_or_sane),
		cmocka_unit_test(test_real_cache_finds_system_libraries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
