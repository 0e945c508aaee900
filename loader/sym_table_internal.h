/* SPDX-License-Identifier: MIT */
/*
 * The symbol table's layout, shared by its building (sym_build.c) and its
 * queries (sym_table.c). Only those include it.
 */
#ifndef SYNCTRACE_SYM_TABLE_INTERNAL_H
#define SYNCTRACE_SYM_TABLE_INTERNAL_H

#include <stddef.h>
#include <linux/types.h>
#include "loader/sym_table.h"

#define MAX_SEGMENTS	64	/* loadable segments kept for raw targets; real files have 2-6 */

/* A loaded segment with file bytes: what turns an address into a file offset. */
struct segment {
	__u64 vaddr, filesz, offset;
};

struct sym_names;

struct sym_table {
	struct sym *syms;
	size_t nr;
	struct sym_names *names;	/* demangled, on demand */
	struct segment segs[MAX_SEGMENTS];
	size_t nr_segs;
	enum sym_source skipped;	/* a source that failed, or SYM_SRC_NR */
	int skipped_err;
	void **blocks;		/* what names point into */
	size_t nr_blocks;
	char **notes;		/* sym_table__notes() */
	size_t nr_notes;
};

#endif /* SYNCTRACE_SYM_TABLE_INTERNAL_H */
