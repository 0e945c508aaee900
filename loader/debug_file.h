/* SPDX-License-Identifier: MIT */
/*
 * The separate debug file of an ELF file, found as gdb finds it: by its
 * build-id under DEBUG_ROOT/.build-id/, then by its .gnu_debuglink (name
 * and CRC) beside the file, in .debug/ beside it and under DEBUG_ROOT. All
 * paths are looked up inside one root directory (a -p process's), which
 * they cannot leave.
 */
#ifndef SYNCTRACE_DEBUG_FILE_H
#define SYNCTRACE_DEBUG_FILE_H

#include <stddef.h>
#include <linux/types.h>
#include "loader/elf_file.h"

#define DEBUG_FILE_ROOT		"/usr/lib/debug"
/* The environment variable that replaces DEBUG_FILE_ROOT (tests, odd installs). */
#define DEBUG_FILE_ROOT_ENV	"SYNCTRACE_DEBUG_ROOT"
/*
 * A debuglink candidate is read whole for its CRC: larger ones are skipped
 * (with a note) so that a huge or sparse file cannot stall startup. The
 * build-id way reads no more than the file's headers and tables.
 */
#define DEBUG_FILE_CRC_MAX	(2ULL << 30)
/* Build-ids linkers write are 8 (xxhash), 16 (md5, uuid) or 20 (sha1) bytes. */
#define DEBUG_BUILD_ID_MIN	2
#define DEBUG_BUILD_ID_MAX	64

/* Where to look. */
struct debug_where {
	int root_fd;		/* directory that is "/" for every path below
				 * (proc_files__open_root()), or -1 for ours */
	const char *debug_root;	/* absolute, inside that root; NULL:
				 * $SYNCTRACE_DEBUG_ROOT if set and absolute, else
				 * DEBUG_FILE_ROOT */
};

enum debug_file_via { DEBUG_VIA_BUILD_ID, DEBUG_VIA_DEBUGLINK };

struct debug_file {
	struct elf_file *ef;	/* the debug file, validated; NULL: none found */
	char *path;		/* where it was found, inside the root */
	enum debug_file_via via;
	/*
	 * One line ("PATH: why") for each candidate that exists and was
	 * refused, and for a malformed .gnu_debuglink or build-id note of the
	 * file itself, in lookup order: what `list -v` shows.
	 */
	char **skipped;
	size_t nr_skipped;
};

/*
 * The debug file of ef. named: ef's absolute path as its process names it
 * (inside where->root_fd), whose directory the debuglink is looked up in;
 * opened: a path we can stat it by ("/proc/self/fd/N"), or NULL, so that
 * the file itself is never taken for its own debug file. A candidate must
 * be an x86_64 ELF file with a symbol table whose build-id (if both have
 * one) is ef's; found by its build-id it must have one. Returns 0 with
 * *out set (also when nothing was found: see skipped), -ENOMEM, or the
 * -errno of opening "/" when where->root_fd is -1. The caller frees *out.
 */
int debug_file__find(const struct elf_file *ef, const char *opened, const char *named,
		     const struct debug_where *where, struct debug_file **out);
void debug_file__free(struct debug_file *df);

/*
 * The parsers underneath, for tests and the fuzzer.
 *
 * A .gnu_debuglink section's contents: a file name (no '/', not "." or
 * "..", NUL-terminated), zero padding to a multiple of 4, the CRC32 of the
 * debug file (little-endian). *name points into buf. 0 or -ENOEXEC.
 */
int debug_file__parse_debuglink(const void *buf, size_t size, const char **name, __u32 *crc);

/* ef's .gnu_debuglink: 0, -ENOENT (none) or -ENOEXEC (malformed). */
int debug_file__debuglink(const struct elf_file *ef, const char **name, __u32 *crc);

/*
 * ef's GNU build-id (the first NT_GNU_BUILD_ID note of its SHT_NOTE
 * sections), DEBUG_BUILD_ID_MIN..MAX bytes, into id: 0, -ENOENT (none)
 * or -ENOEXEC (a length out of range).
 */
int debug_file__build_id(const struct elf_file *ef, unsigned char id[DEBUG_BUILD_ID_MAX],
			 size_t *len);
/* id[0..len) as lower-case hex into hex (room for 2 * len + 1). Returns hex. */
char *debug_build_id_hex(const unsigned char *id, size_t len, char *hex);

/*
 * The CRC32 gdb and objcopy use for debuglinks (zlib's crc32: the same
 * polynomial, initial value and final inversion) of the first size bytes
 * of fd, read in chunks. 0, -EIO (shorter than size) or -errno.
 */
int debug_file__crc(int fd, __u64 size, __u32 *crc);

#endif /* SYNCTRACE_DEBUG_FILE_H */
