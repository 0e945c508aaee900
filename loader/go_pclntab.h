/* SPDX-License-Identifier: MIT */
/*
 * The functions of a Go file from its function table (runtime.pclntab,
 * the .gopclntab section), which stripping keeps: the runtime needs it.
 */
#ifndef SYNCTRACE_GO_PCLNTAB_H
#define SYNCTRACE_GO_PCLNTAB_H

#include <stddef.h>
#include <linux/types.h>

struct elf_file;

struct go_func {
	char *name;	/* as Go writes it: pkg/path.(*T).Method, main.main.func1, pkg.F[...] */
	__u64 entry;	/* virtual address (link time, like st_value) */
	/*
	 * Bytes of code, from the function's pcsp table: what the ELF symbol's
	 * st_size says in an unstripped file (`go tool nm -size`), without the
	 * padding before the next function. A function without a pcsp table
	 * runs to the next entry (the table's end for the last).
	 */
	__u64 size;
};

/*
 * The functions of ef's function table, sorted by entry. The table is the
 * section .gopclntab (executables) or .data.rel.ro.gopclntab (PIE linked by
 * Go); in a file the system linker linked as PIE or c-shared it has no
 * section of its own and is looked for inside .data.rel.ro, in a file with
 * a .go.buildinfo section only. No symbol table is needed.
 * Formats of Go 1.16 to 1.19 (magic 0xfffffffa, 0xfffffff0) and 1.20+
 * (0xfffffff1).
 * Returns 0, -ENOENT (no table), -ENOTSUP (an older or unknown format),
 * -ENOEXEC (corrupt: an offset or length out of bounds, entries out of
 * order or outside an executable segment, a name not NUL-terminated in
 * its table), -ENOMEM. *out is NULL when *n is 0.
 */
int go_pclntab__load(const struct elf_file *ef, struct go_func **out, size_t *n);
void go_pclntab__free(struct go_func *f, size_t n);

#endif /* SYNCTRACE_GO_PCLNTAB_H */
