// SPDX-License-Identifier: MIT
/* Resolve a probe target's BINARY_OR_LIB to a file; see libpath.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "loader/libpath.h"

#define LDCACHE_PATH "/etc/ld.so.cache"
/* no real cache comes near this; refuse to slurp something absurd */
#define LDCACHE_MAX_SIZE (64u << 20)

/* glibc's sysdeps/generic/dl-cache.h, the parts we read */
#define LDCACHE_OLD_MAGIC "ld.so-1.7.0"
#define LDCACHE_OLD_HDR 16	/* magic[11], pad, u32 nlibs */
#define LDCACHE_OLD_ENTRY 12	/* s32 flags, u32 key, u32 value */
#define LDCACHE_NEW_MAGIC "glibc-ld.so.cache1.1"
#define LDCACHE_NEW_HDR 48
#define LDCACHE_NEW_ENTRY 24	/* s32 flags, u32 key, value, osv, u64 hwcap */
#define LDCACHE_NEW_ALIGN 8
#define LDCACHE_ENDIAN_MASK 3
#define LDCACHE_ENDIAN_BIG 3
#define LDCACHE_ENDIAN_INVALID 1
/* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64: what ld.so on x86-64 accepts */
#define LDCACHE_FLAGS_X86_64 0x0303

static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
	"/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
};

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ".so" at s, then the end or '.': the shared-object suffix proper. */
static bool at_so(const char *s)
{
	return !strncmp(s, ".so", 3) && (s[3] == '\0' || s[3] == '.');
}

/* "" or ".5", ".5.15", ...: what may follow ".so" or a name with ".so". */
static bool version_tail(const char *s)
{
	if (*s == '\0')
		return true;
	if (s[0] != '.' || s[1] < '0' || s[1] > '9')
		return false;
	return strspn(s, "0123456789.") == strlen(s);
}

/*
 * base is stem + [("-" | ".") version] + ".so" + version tail, so "libc"
 * takes libc.so.6 and libc-2.31.so but not libcrypto.so.3 or libc++.so.
 */
static bool stem_matches(const char *base, const char *stem)
{
	size_t n = strlen(stem);
	const char *r = base + n;

	if (strncmp(base, stem, n))
		return false;
	if ((r[0] == '-' || r[0] == '.') && r[1] >= '0' && r[1] <= '9') {
		for (r++; *r && !at_so(r); r++)
			if ((*r < '0' || *r > '9') && *r != '.')
				return false;
	}
	return at_so(r) && version_tail(r + 3);
}

/* Does name already say ".so" ("libpq.so", "libpq.so.5")? */
static bool has_so(const char *name)
{
	const char *so;

	for (so = strstr(name, ".so"); so; so = strstr(so + 1, ".so"))
		if (at_so(so))
			return true;
	return false;
}

bool libpath__name_matches(const char *base, const char *name)
{
	char lib[NAME_MAX + 4];

	if (!base || !name || !*name)
		return false;
	if (!strcmp(base, name))
		return true;
	/* "libpq.so" or "libpq.so.5": the same file with more version */
	if (has_so(name)) {
		size_t n = strlen(name);

		return !strncmp(base, name, n) && base[n] == '.' &&
		       version_tail(base + n);
	}
	if (stem_matches(base, name))
		return true;
	if (!strncmp(name, "lib", 3) ||
	    snprintf(lib, sizeof(lib), "lib%s", name) >= (int)sizeof(lib))
		return false;
	return stem_matches(base, lib);
}

static bool looks_like_library(const char *name)
{
	return !strncmp(name, "lib", 3) || has_so(name);
}

static int copy_out(const char *s, char *out, size_t len)
{
	size_t n = strlen(s);

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, s, n + 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ld.so.cache: every field read with memcpy, every offset checked     */

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* NUL-terminated string at off in [c, c + size), or NULL. */
static const char *cache_str(const unsigned char *c, size_t size,
			     uint32_t off)
{
	if (off >= size || !memchr(c + off, '\0', size - off))
		return NULL;
	return (const char *)c + off;
}

/* Start of the new-format table in buf, or -EINVAL. */
static ssize_t ldcache_new_start(const unsigned char *buf, size_t size)
{
	size_t start = 0;

	if (size >= LDCACHE_OLD_HDR &&
	    !memcmp(buf, LDCACHE_OLD_MAGIC, strlen(LDCACHE_OLD_MAGIC))) {
		/* glibc < 2.32 put a libc5-era table first (compat format) */
		uint32_t nold = get_u32(buf + 12);

		if (nold > (size - LDCACHE_OLD_HDR) / LDCACHE_OLD_ENTRY)
			return -EINVAL;
		start = LDCACHE_OLD_HDR + (size_t)nold * LDCACHE_OLD_ENTRY;
		start = (start + LDCACHE_NEW_ALIGN - 1) &
			~(size_t)(LDCACHE_NEW_ALIGN - 1);
	}
	if (start > size || size - start < LDCACHE_NEW_HDR ||
	    memcmp(buf + start, LDCACHE_NEW_MAGIC, strlen(LDCACHE_NEW_MAGIC)))
		return -EINVAL;
	return start;
}

/*
 * Rank of a matching entry: an exact key beats a short-name match; a
 * baseline entry beats a glibc-hwcaps one (which one ld.so would pick
 * depends on the CPU); then the highest version.
 */
static bool ldcache_better(const char *key, uint64_t hwcap, bool exact,
			   const char *best_key, uint64_t best_hwcap,
			   bool best_exact)
{
	if (!best_key)
		return true;
	if (exact != best_exact)
		return exact;
	if (!hwcap != !best_hwcap)
		return !hwcap;
	return strverscmp(key, best_key) > 0;
}

static int ldcache_find(const void *buf, size_t size, const char *name,
			bool exact_only, char *out, size_t len)
{
	const char *best_key = NULL, *best_val = NULL;
	uint64_t best_hwcap = 0;
	bool best_exact = false;
	const unsigned char *c;
	uint32_t nlibs, i;
	ssize_t start;

	if (!buf || !name)
		return -EINVAL;
	start = ldcache_new_start(buf, size);
	if (start < 0)
		return start;
	c = (const unsigned char *)buf + start;
	size -= start;
	nlibs = get_u32(c + 20);
	if (nlibs > (size - LDCACHE_NEW_HDR) / LDCACHE_NEW_ENTRY)
		return -EINVAL;
	switch (c[28] & LDCACHE_ENDIAN_MASK) {
	case LDCACHE_ENDIAN_BIG:
	case LDCACHE_ENDIAN_INVALID:
		return -EINVAL;
	}

	for (i = 0; i < nlibs; i++) {
		const unsigned char *e = c + LDCACHE_NEW_HDR +
					 (size_t)i * LDCACHE_NEW_ENTRY;
		/* string offsets count from the new header, not the strings */
		const char *key = cache_str(c, size, get_u32(e + 4));
		const char *val = cache_str(c, size, get_u32(e + 8));
		uint64_t hwcap = get_u64(e + 16);
		bool exact;

		if (!key || !val)
			return -EINVAL;
		if (get_u32(e) != LDCACHE_FLAGS_X86_64 || val[0] != '/')
			continue;
		exact = !strcmp(key, name);
		if (exact_only ? !exact : !libpath__name_matches(key, name))
			continue;
		if (ldcache_better(key, hwcap, exact, best_key, best_hwcap,
				   best_exact)) {
			best_key = key;
			best_val = val;
			best_hwcap = hwcap;
			best_exact = exact;
		}
	}
	if (!best_val)
		return -ENOENT;
	return copy_out(best_val, out, len);
}

int libpath__ldcache_lookup(const void *buf, size_t size, const char *name,
			    char *out, size_t len)
{
	return ldcache_find(buf, size, name, false, out, len);
}

/* The system's /etc/ld.so.cache in memory, or NULL (no cache is fine). */
static void *ldcache_load(size_t *size)
{
	struct stat st;
	void *buf = NULL;
	size_t got = 0;
	int fd;

	fd = open(LDCACHE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > LDCACHE_MAX_SIZE)
		goto cleanup;
	buf = malloc(st.st_size);
	if (!buf)
		goto cleanup;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, (char *)buf + got, st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	*size = got;
cleanup:
	close(fd);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Files on disk                                                       */

static bool is_regular(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* path must be a regular file; out gets its canonical absolute name. */
static int canonical_out(const char *path, char *out, size_t len)
{
	char *real;
	int err;

	if (!is_regular(path))
		return -ENOENT;
	real = realpath(path, NULL);
	if (!real)
		return errno == ENOMEM ? -ENOMEM : -ENOENT;
	err = copy_out(real, out, len);
	free(real);
	return err;
}

static int dirs_exact(const char *name, char *out, size_t len)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", lib_dirs[i], name);
		if (is_regular(path))
			return canonical_out(path, out, len);
	}
	return -ENOENT;
}

/* The highest-versioned short-name match in the first directory that has one. */
static int dirs_short_name(const char *name, char *out, size_t len)
{
	char path[PATH_MAX], best[NAME_MAX + 1];
	struct dirent *de;
	size_t i;
	DIR *d;

	for (i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		d = opendir(lib_dirs[i]);
		if (!d)
			continue;
		best[0] = '\0';
		while ((de = readdir(d))) {
			struct stat st;

			if (!libpath__name_matches(de->d_name, name) ||
			    (best[0] && strverscmp(de->d_name, best) <= 0))
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, 0) ||
			    !S_ISREG(st.st_mode))
				continue;
			snprintf(best, sizeof(best), "%s", de->d_name);
		}
		closedir(d);
		if (best[0]) {
			snprintf(path, sizeof(path), "%s/%s", lib_dirs[i], best);
			return canonical_out(path, out, len);
		}
	}
	return -ENOENT;
}

static int path_env_exact(const char *name, char *out, size_t len)
{
	const char *env = getenv("PATH"), *p, *colon;
	char path[PATH_MAX];
	struct stat st;

	if (!env)
		env = DEFAULT_PATH;
	for (p = env; *p; p = *colon ? colon + 1 : colon) {
		int dlen;

		colon = strchrnul(p, ':');
		dlen = colon - p;
		/* empty and relative entries name our cwd, not a system dir */
		if (dlen == 0 || p[0] != '/')
			continue;
		if (snprintf(path, sizeof(path), "%.*s/%s", dlen, p, name) >=
		    (int)sizeof(path))
			continue;
		if (!stat(path, &st) && S_ISREG(st.st_mode) &&
		    !access(path, X_OK))
			return canonical_out(path, out, len);
	}
	return -ENOENT;
}

static int resolve_system(const char *name, char *out, size_t len)
{
	char path[PATH_MAX];
	size_t size = 0;
	void *cache;
	int err;

	cache = ldcache_load(&size);
	/* exact basenames anywhere beat short-name matches ("sqlite3") */
	err = cache ? ldcache_find(cache, size, name, true, path,
				   sizeof(path)) : -ENOENT;
	if (!err)
		err = canonical_out(path, out, len);
	if (err && err != -ENAMETOOLONG)
		err = dirs_exact(name, out, len);
	if (err && err != -ENAMETOOLONG && !looks_like_library(name))
		err = path_env_exact(name, out, len);
	if (err && err != -ENAMETOOLONG && cache) {
		err = ldcache_find(cache, size, name, false, path,
				   sizeof(path));
		if (!err)
			err = canonical_out(path, out, len);
	}
	if (err && err != -ENAMETOOLONG)
		err = dirs_short_name(name, out, len);
	free(cache);
	return err;
}

int libpath__resolve(const char *name, char *out, size_t len)
{
	if (!name || !*name || !out || !len)
		return -EINVAL;
	if (strchr(name, '/'))
		return canonical_out(name, out, len);
	return resolve_system(name, out, len);
}
