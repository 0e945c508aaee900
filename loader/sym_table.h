/* SPDX-License-Identifier: MIT */
/*
 * The functions of one file, from every source that names them, in one
 * sorted, deduplicated table: what turns "func*" on the command line into
 * uprobe offsets, for `list`, the resolver and `watch` alike. The sources
 * (loader/sym_source.h) are the file's own .symtab and .dynsym, then, for
 * what a stripped file lacks, its separate debug file, its MiniDebugInfo
 * and Go's .gopclntab.
 */
#ifndef SYNCTRACE_SYM_TABLE_H
#define SYNCTRACE_SYM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* Where a symbol was found, for `list -v`; the first source that names it. */
enum sym_source {
	SYM_SRC_SYMTAB,		/* the file's .symtab */
	SYM_SRC_DYNSYM,		/* the file's .dynsym */
	SYM_SRC_BUILD_ID,	/* its debug file, found by build-id */
	SYM_SRC_DEBUGLINK,	/* its debug file, found by .gnu_debuglink */
	SYM_SRC_MINIDEBUG,	/* its MiniDebugInfo (.gnu_debugdata) */
	SYM_SRC_GOPCLNTAB,	/* Go's function table (go_pclntab.h) */
	SYM_SRC_NR,
};

struct sym {
	const char *name;	/* base name, without any @version; mangled (sym_table__shown()) */
	const char *version;	/* e.g. "GLIBC_2.2.5", or NULL */
	bool default_version;	/* "@@" (default) vs "@" (hidden) */
	__u64 addr;		/* st_value */
	__u64 size;		/* st_size */
	__u64 offset;		/* file offset of addr: what a uprobe needs */
	bool ifunc;		/* STT_GNU_IFUNC: probing it probes the resolver */
	bool global;		/* STB_GLOBAL or STB_WEAK */
	enum sym_source source;
};

/* The file whose functions are wanted. */
struct sym_file {
	const char *path;	/* as we open it: with a pid, /proc/self/fd/N (proc_files.h) */
	const char *shown;	/* as the process names it */
	pid_t pid;		/* > 0: the file is that process's */
};

struct sym_table;

/*
 * Load the defined functions of f. Strings are copied: the table does not
 * keep any file open or mapped. Returns 0 or the -errno of
 * elf_file__open() for the file itself, -ENOEXEC for a corrupt symbol or
 * version table, -ENOMEM. A source other than the file's own tables that
 * fails is skipped (the file's own symbols still count) and told by
 * sym_table__skipped().
 */
int sym_table__load(const struct sym_file *f, struct sym_table **out);

/* The first source that failed and was skipped, with its -errno in *err; SYM_SRC_NR if none. */
enum sym_source sym_table__skipped(const struct sym_table *st, int *err);
size_t sym_table__count(const struct sym_table *st);
/* Symbols are sorted by address; NULL if i is out of range. */
const struct sym *sym_table__get(const struct sym_table *st, size_t i);

/*
 * Symbols whose name matches glob (fnmatch(3), no flags): their own name,
 * or, for a C++ or Rust name, its demangled name as sym_match.h reads
 * globs ("sync::push" matches "sync::push(long, long*)" and
 * "main::sync::push"). If the glob contains '@', match "name@version" (and
 * "name@@version" for default versions) instead of the base name. At most
 * one result per address: a global name first, then one without a leading
 * '_', then the shorter. Results are sorted by address. Returns the number
 * of matches; *out is a malloc'ed array the caller frees (NULL when there
 * are none, or on allocation failure, which also returns 0).
 * Demangled names are made as needed and kept in the table: the table is
 * not for use by several threads at once.
 */
size_t sym_table__match(const struct sym_table *st, const char *glob,
			const struct sym ***out);

/* Every symbol glob matches as sym_table__match() reads it (all if NULL), aliases too. */
size_t sym_table__list(const struct sym_table *st, const char *glob, const struct sym ***out);

/*
 * The name to show for s: demangled for a C++ or Rust name ("sync::push(long,
 * long*)", "main::sync::apply::<u64>"), else s->name. Legacy Rust
 * monomorphisations, alike once demangled, show their hashes
 * ("main::sync::apply::h070cb5676fb3e5ef"). Lives as long as the table.
 */
const char *sym_table__shown(const struct sym_table *st, const struct sym *s);

/*
 * The function name closest to name (case-insensitive edit distance), for
 * "did you mean X?"; NULL if none is within max(2, strlen(name) / 3). Failing
 * that, a demangled one: "sync::push" for "push", "main::sync::apply" for
 * "sync::aply".
 */
const char *sym_table__suggest(const struct sym_table *st, const char *name);

/*
 * What `list -v` says about the sources beyond the file's own tables, one
 * line each: the debug file read ("symbols from PATH (build-id)"), the
 * candidates refused ("skipped PATH: why"), a source that failed. Returns
 * their number; *out stays valid while st lives.
 */
size_t sym_table__notes(const struct sym_table *st, const char *const **out);

/*
 * The file offset of vaddr, an address of the file's code (its loaded
 * segments, kept from the load): 0 or -ENOENT. For raw targets.
 */
int sym_table__offset_of(const struct sym_table *st, __u64 vaddr, __u64 *offset);

/* The function whose [addr, addr + size) holds vaddr (the best name at its address), or NULL. */
const struct sym *sym_table__containing(const struct sym_table *st, __u64 vaddr);

/* "symtab", "dynsym", ...: for `list -v`. */
const char *sym_source__name(enum sym_source src);

void sym_table__free(struct sym_table *st);

#endif /* SYNCTRACE_SYM_TABLE_H */
