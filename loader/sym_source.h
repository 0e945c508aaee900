/* SPDX-License-Identifier: MIT */
/*
 * The seam between the symbol table (sym_table.h) and its sources: a
 * source reads one kind of table (ELF .symtab/.dynsym, ...) and adds its
 * functions to a builder; the table sorts, merges and answers queries. A
 * new source is one file with one function declared here, called from
 * sym_table__load() in the order that says which source a duplicate
 * keeps. Only loader/sym_*.c include this.
 */
#ifndef SYNCTRACE_SYM_SOURCE_H
#define SYNCTRACE_SYM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "loader/sym_table.h"

struct elf_file;
struct sym_builder;

/* A function as a source adds it. */
struct sym_draft {
	__u64 addr;		/* virtual address, as the probed file's segments place it */
	__u64 size;
	/* Its first name_len bytes, inside a block kept by sym_builder__keep()
	 * (a NUL is written after them once the table is built). */
	char *name;
	size_t name_len;
	const char *version;	/* NUL-terminated, in a kept block, or NULL */
	bool default_version;
	bool ifunc;
	bool global;
	enum sym_source source;
};

/* The file being loaded, and its ELF: what addresses become offsets in. */
const struct sym_file *sym_builder__file(const struct sym_builder *b);
const struct elf_file *sym_builder__code(const struct sym_builder *b);

/*
 * Keep block (malloc'ed, len bytes) until the table is freed: names point
 * into it. On -ENOMEM the block is freed.
 */
int sym_builder__keep(struct sym_builder *b, void *block, size_t len);

/* Room for n more symbols (a source knows its count before adding). */
int sym_builder__reserve(struct sym_builder *b, size_t n);

/*
 * Add d (0), or skip it when its address lies in no loaded segment of the
 * probed file (0: nothing to probe there). -ENOSPC without room reserved;
 * -ENOEXEC when the names added so far exceed a budget proportional to the
 * kept blocks: names may share one long string, so a small hostile file
 * would otherwise cost quadratic time.
 */
int sym_builder__add(struct sym_builder *b, const struct sym_draft *d);

/* A line for sym_table__notes() (printf-style); 0 or -ENOMEM. */
int sym_builder__note(struct sym_builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The sources, each 0 or -errno.
 * .symtab and .dynsym (with GNU symbol versions) of ef, the probed file
 * itself or a debug file of it; symtab_src tags what .symtab gives.
 * *has_symtab: ef has a .symtab with entries.
 */
int sym_source__elf(struct sym_builder *b, const struct elf_file *ef,
		    enum sym_source symtab_src, bool *has_symtab);

/*
 * For a file without .symtab (sym_debug.c): its separate debug file
 * (debug_file.h; with a pid, looked up inside that process's root), whose
 * .symtab is read as the file's (*found: one was read; *via: how it was
 * found, SYM_SRC_BUILD_ID or SYM_SRC_DEBUGLINK); else its MiniDebugInfo.
 * What they find or refuse becomes notes; an error is a corrupt table.
 */
int sym_source__debug_file(struct sym_builder *b, bool *found, enum sym_source *via);
int sym_source__minidebuginfo(struct sym_builder *b);

/* Go's .gopclntab of the probed file: 0 (nothing added) when it is not a Go file. */
int sym_source__go(struct sym_builder *b);

#endif /* SYNCTRACE_SYM_SOURCE_H */
