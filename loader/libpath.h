/* SPDX-License-Identifier: MIT */
/*
 * From the BINARY_OR_LIB of a probe target ("libpq", "relayd", a path) to a
 * file of this system: through the dynamic linker's cache, the standard
 * library directories and $PATH; and the short-name rules every lookup
 * shares.
 */
#ifndef SYNCTRACE_LIBPATH_H
#define SYNCTRACE_LIBPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Does file basename base match the short name name? "libpq" and "pq" match
 * libpq.so, libpq.so.5, libpq.so.5.15 and libpq-5.15.so; "libc" matches
 * libc.so.6 but not libcrypto.so.3 or libc++.so.1; "libpq.so" matches
 * libpq.so.5; any name matches the identical basename ("relayd").
 */
bool libpath__name_matches(const char *base, const char *name);

/*
 * Resolve name to the canonical absolute path of a regular file on this
 * system, written to out (a -p process's files are proc_lookup.h's):
 * - name contains '/': that path (realpath).
 * - otherwise: an exact basename in /etc/ld.so.cache, the standard library
 *   directories, then (for names that do not look like libraries) $PATH;
 *   failing that, a short-name match in the cache (highest version), then
 *   in the library directories.
 * Returns 0, -ENOENT (nothing matches), -ENAMETOOLONG (len too small),
 * -EINVAL, or another -errno.
 */
int libpath__resolve(const char *name, char *out, size_t len);

/*
 * Look name up in an in-memory ld.so.cache image ("glibc-ld.so.cache1.1",
 * alone or after an old "ld.so-1.7.0" table), x86-64 entries only: an exact
 * key first, baseline entries before glibc-hwcaps ones, else the matching
 * key with the highest version. Writes the entry's path to out.
 * Returns 0, -ENOENT, -EINVAL (not a cache, or corrupt: counts or string
 * offsets out of bounds), -ENAMETOOLONG.
 */
int libpath__ldcache_lookup(const void *buf, size_t size, const char *name,
			    char *out, size_t len);

#endif /* SYNCTRACE_LIBPATH_H */
