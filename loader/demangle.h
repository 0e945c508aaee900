/* SPDX-License-Identifier: MIT */
/*
 * The readable names of C++ (Itanium ABI) and Rust (legacy and v0) symbols,
 * from libiberty's demangler: what `list` shows and what targets match.
 */
#ifndef SYNCTRACE_DEMANGLE_H
#define SYNCTRACE_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

enum demangle_lang {
	DEMANGLE_NONE,		/* not mangled (C), or not a name we could read */
	DEMANGLE_CXX,		/* _Z...: "ns::Class::f(int) const" */
	DEMANGLE_RUST_LEGACY,	/* _ZN...17h<hash>E: "crate::module::f", hash apart */
	DEMANGLE_RUST_V0,	/* _R...: "crate::module::f::<u64>" */
};

/* The 16 hex digits of a legacy Rust symbol's hash, and its NUL. */
#define DEMANGLE_HASH_LEN 17

/*
 * Mangled names longer than this are left as they are: libiberty's C++
 * demangler keeps ~70 bytes of stack per byte of the name, and a hostile
 * file may hold a name of any length. Real names are far shorter (node's
 * longest is under 500 bytes).
 */
#define DEMANGLE_MAX_IN		16384
/* A demangled name longer than this is a failure (names can grow). */
#define DEMANGLE_MAX_OUT	65536

struct demangled {
	char *name;		/* malloc'd */
	enum demangle_lang lang;
	char hash[DEMANGLE_HASH_LEN];	/* legacy Rust: "c562df1120188e1b", else "" */
};

/*
 * Whether raw may be a mangled name we read: "_Z" or "_R" and a letter or
 * digit. A cheap test that keeps C names (malloc) off the demangler.
 */
bool demangle__maybe(const char *raw);

/*
 * The readable name of raw:
 * - C++: with its parameter list and qualifiers, without a return type
 *   ("sync::Engine::apply(int)", "sync::twice<int>(int)"), clones as
 *   libiberty prints them ("f(int) [clone .cold]").
 * - legacy Rust: without the hash, which goes to out->hash
 *   ("main::sync::apply"), and without an LLVM ".llvm.N" suffix.
 * - Rust v0: with generic arguments ("main::sync::apply::<u64>"), without
 *   crate disambiguators.
 * Returns 0; -EINVAL when raw is not a name we read (out->lang is then
 * DEMANGLE_NONE and out->name NULL); -ENOMEM.
 */
int demangle(const char *raw, struct demangled *out);

/*
 * The length of raw before the hash of a legacy Rust symbol (the "17h"
 * of "_ZN4main4sync5apply17h070cb5676fb3e5efE"), or 0 when raw does not end
 * like one. Two legacy symbols with equal prefixes demangle to the same
 * name, only their hashes differ: found without demangling either.
 */
size_t demangle__legacy_prefix_len(const char *raw);

void demangled__clear(struct demangled *d);

#endif /* SYNCTRACE_DEMANGLE_H */
