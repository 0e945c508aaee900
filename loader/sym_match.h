/* SPDX-License-Identifier: MIT */
/*
 * Matching a target glob against demangled C++ and Rust names: the forms of
 * a name a glob may match, and a cheap test on the mangled name that spares
 * demangling the names no form of which can match.
 */
#ifndef SYNCTRACE_SYM_MATCH_H
#define SYNCTRACE_SYM_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include "loader/demangle.h"

/*
 * A glob (fnmatch(3), no flags) matches a demangled name when it matches one
 * of its forms:
 * - the whole name: "sync::Engine::apply(int)", "main::sync::apply::<u64>";
 *   for legacy Rust also with its hash, "main::sync::apply::h070cb5676fb3e5ef";
 * - C++: the name without its parameter list and the qualifiers after it,
 *   and without ABI tags ("sync::Engine::apply", "sync::name" for
 *   "sync::name[abi:cxx11]()"); not for a clone ("f(int) [clone .cold]"),
 *   which, like C's "f.cold", only a glob reaching past the name matches;
 * - that, or a Rust name, without the function's own template or generic
 *   arguments ("sync::twice", "main::sync::apply", "core::ptr::drop_in_place");
 * - when the glob has a "::" and does not start with '*': each of these
 *   from any top-level "::" on ("sync::push" matches "main::sync::push").
 * A glob without "::" never matches inside a scope: "push" does not match
 * "sync::push" (write "*::push"), so a C name such as malloc stays exact.
 */
struct sym_glob;

/* Returns 0, -ENOMEM. */
int sym_glob__new(const char *glob, struct sym_glob **out);
void sym_glob__free(struct sym_glob *g);

/*
 * False when no form of the name raw (mangled, as demangle() reads it)
 * demangles to can match: some word of the glob that a mangled name always
 * spells out (an identifier, not "int", "std" or "operator") is not in raw.
 * True means "demangle and see"; a substring test, no demangling.
 */
bool sym_glob__may_match(const struct sym_glob *g, const char *raw);

/*
 * Whether the glob matches a form of the demangled name d (lang and hash as
 * demangle() gave them). Not thread-safe: g keeps a scratch buffer.
 */
bool sym_glob__match(struct sym_glob *g, const char *d, enum demangle_lang lang,
		     const char *hash);

/*
 * The forms, exposed for tests. sym_name__base writes the C++ name s without
 * its parameter list, qualifiers and ABI tags to buf (strlen(s) + 1 bytes)
 * and returns its length: "a::f(int) const" -> "a::f"; 0 for a clone or a
 * name without parameters.
 */
size_t sym_name__base(const char *s, char *buf);
/* The length of s[0, len) without the last name's template or generic
 * arguments ("a::f<int>" -> "a::f", "m::f::<u64>" -> "m::f"), or 0. */
size_t sym_name__untemplated_len(const char *s, size_t len);
/* The offset just past the first top-level "::" of s[from, len), or 0. */
size_t sym_name__next_scope(const char *s, size_t len, size_t from);

/*
 * Whether the word w (len bytes of [A-Za-z0-9_]) is spelled out in every
 * mangled name whose demangled name has it in a word: false for what a
 * demangler writes itself (int, std, operator, anonymous, closure, ...),
 * numbers and words too short to tell.
 */
bool sym_word__verbatim(const char *w, size_t len);

#endif /* SYNCTRACE_SYM_MATCH_H */
