/* SPDX-License-Identifier: MIT */
/*
 * The function symbols of one ELF file (.symtab and .dynsym, with GNU symbol
 * versions), for turning "func*" on the command line into uprobe offsets.
 */
#ifndef SYNCTRACE_ELF_SYMS_H
#define SYNCTRACE_ELF_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct elf_sym {
	const char *name;	/* base name, without any @version */
	const char *version;	/* e.g. "GLIBC_2.2.5", or NULL */
	bool default_version;	/* "@@" (default) vs "@" (hidden) */
	__u64 addr;		/* st_value */
	__u64 size;		/* st_size */
	__u64 offset;		/* file offset of addr: what a uprobe needs */
	bool ifunc;		/* STT_GNU_IFUNC: probing it probes the resolver */
	bool global;		/* STB_GLOBAL or STB_WEAK */
};

struct elf_symtab;

/*
 * Load the defined functions of path. Strings are copied: the table does
 * not keep the file open or mapped. Returns 0 or the -errno of
 * elf_file__open(), -ENOEXEC for a corrupt symbol or version table, -ENOMEM.
 */
int elf_symtab__load(const char *path, struct elf_symtab **out);
size_t elf_symtab__count(const struct elf_symtab *st);
/* Symbols are sorted by address; NULL if i is out of range. */
const struct elf_sym *elf_symtab__get(const struct elf_symtab *st, size_t i);

/*
 * Symbols whose name matches glob (fnmatch(3), no flags). If the glob
 * contains '@', match "name@version" (and "name@@version" for default
 * versions) instead of the base name. At most one result per address: a
 * global name first, then one without a leading '_', then the shorter.
 * Results are sorted by address. Returns the number of matches; *out is a
 * malloc'ed array the caller frees (NULL when there are none, or on
 * allocation failure, which also returns 0).
 */
size_t elf_symtab__match(const struct elf_symtab *st, const char *glob,
			 const struct elf_sym ***out);

/*
 * The function name closest to name (case-insensitive edit distance), for
 * "did you mean X?"; NULL if none is within max(2, strlen(name) / 3).
 */
const char *elf_symtab__suggest(const struct elf_symtab *st, const char *name);

void elf_symtab__free(struct elf_symtab *st);

#endif /* SYNCTRACE_ELF_SYMS_H */
