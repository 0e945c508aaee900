// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ld.so.cache reader: arbitrary bytes through
 * libpath__ldcache_lookup, and the tail of the input as a name through
 * libpath__name_matches. Seed it with /etc/ld.so.cache.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/libpath.h"

/* A broken invariant is a finding even when nothing was read out of bounds. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_ldcache: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static const char *const names[] = {
	"libc", "libc.so.6", "libz", "pq", "libssl.so", "relayd", "",
};

/* Does the NUL-terminated s occur in data (as the reader copied it)? */
static bool in_input(const uint8_t *data, size_t size, const char *s)
{
	size_t n = strlen(s) + 1;

	return memmem(data, size, s, n) != NULL;
}

static void check_lookup(const uint8_t *data, size_t size, const char *name)
{
	char out[PATH_MAX], again[PATH_MAX], small[8];
	size_t len;
	int rc, rc2;

	memset(out, 'X', sizeof(out));
	rc = libpath__ldcache_lookup(data, size, name, out, sizeof(out));
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT ||
	      rc == -ENAMETOOLONG);
	rc2 = libpath__ldcache_lookup(data, size, name, again, sizeof(again));
	CHECK(rc2 == rc);
	if (rc)
		return;
	len = strnlen(out, sizeof(out));
	CHECK(len < sizeof(out));
	CHECK(out[0] == '/');
	CHECK(!strcmp(out, again));
	CHECK(in_input(data, size, out));
	/* too small a buffer is an error, never a truncated path */
	rc = libpath__ldcache_lookup(data, size, name, small, sizeof(small));
	CHECK(len < sizeof(small) ? rc == 0 && !strcmp(small, out)
				  : rc == -ENAMETOOLONG);
	CHECK(libpath__ldcache_lookup(data, size, name, small, 1) ==
	      -ENAMETOOLONG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char base[NAME_MAX + 1], name[NAME_MAX + 1];
	const uint8_t *nul;
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_lookup(data, size, names[i]);

	/* the last bytes as "base\0name": both string arguments fuzzed */
	n = size < 2 * NAME_MAX ? size : 2 * NAME_MAX;
	nul = memchr(data + size - n, '\0', n);
	if (!nul)
		return 0;
	snprintf(base, sizeof(base), "%.*s", (int)(nul - (data + size - n)),
		 (const char *)(data + size - n));
	snprintf(name, sizeof(name), "%.*s",
		 (int)(data + size - nul - 1), (const char *)(nul + 1));
	/* any name matches its own basename; none matches a different "" */
	CHECK(!*name || libpath__name_matches(name, name));
	CHECK(!libpath__name_matches(base, ""));
	libpath__name_matches(base, name);
	check_lookup(data, size, name);
	return 0;
}
