/* SPDX-License-Identifier: MIT */
/*
 * The readable names of a symbol table's C++ and Rust symbols (demangle.h),
 * made the first time a glob or a caller needs one, and the glob matching
 * and "did you mean" over them (sym_match.h). Only loader/sym_table.c
 * includes this.
 */
#ifndef SYNCTRACE_SYM_NAMES_H
#define SYNCTRACE_SYM_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include "loader/sym_match.h"
#include "loader/sym_table.h"

struct sym_names;

/* For the nr symbols syms (the table's, sorted by address): 0, -ENOMEM. */
int sym_names__new(const struct sym *syms, size_t nr, struct sym_names **out);
void sym_names__free(struct sym_names *n);

/*
 * The name of syms[i] to show: demangled when it is a C++ or Rust name we
 * read, as it is otherwise. Two legacy Rust symbols that demangle alike
 * (monomorphisations of one generic function) show their hashes too:
 * "main::sync::apply::h070cb5676fb3e5ef".
 */
const char *sym_names__shown(struct sym_names *n, size_t i);

/* Whether g matches a form of syms[i]'s demangled name (not its own: sym_table's). */
bool sym_names__match(struct sym_names *n, size_t i, struct sym_glob *g);

/*
 * A demangled name for "did you mean": the one whose name without its
 * parameters ends in name ("push" -> "sync::push"), else the closest one
 * from as many scopes as name has. NULL if none is close.
 */
const char *sym_names__suggest(struct sym_names *n, const char *name);

#endif /* SYNCTRACE_SYM_NAMES_H */
