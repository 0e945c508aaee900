/* SPDX-License-Identifier: MIT */
/*
 * Parsing a TARGET: [BINARY_OR_LIB:]SYMBOL_GLOB, BINARY:SYMBOL+OFF,
 * BINARY:0xADDR or usdt:[BINARY_OR_LIB:]PROVIDER:NAME. Symbols are written
 * as their languages write them: Go's pkg/path.(*T).Method, C++ and Rust's
 * ns::Type::method.
 */
#ifndef SYNCTRACE_TARGET_SPEC_H
#define SYNCTRACE_TARGET_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum target_kind { TARGET_FUNC, TARGET_USDT };

struct target_spec {
	enum target_kind kind;
	char *binary;		/* NULL: the -p process's main executable */
	/*
	 * TARGET_FUNC: the name or glob as written, without BINARY: and +OFF
	 * (for messages); for a raw target, its address as written ("0x1a2b").
	 */
	char *symbol;
	/* TARGET_FUNC: symbol as the fnmatch(3) pattern to match names with; NULL if raw */
	char *glob;
	char *provider;		/* TARGET_USDT: globs */
	char *name;
	char *text;		/* as the user wrote it */
	/*
	 * BINARY:0xADDR, a raw target: an address of BINARY's code as its
	 * symbols and objdump -d write it (what bpftrace's uprobe:BIN:0xADDR
	 * takes), to be turned into a file offset as a symbol's is. The user
	 * vouches for it: nothing tells it is an instruction's first byte.
	 */
	bool raw;
	__u64 raw_addr;
	/* SYMBOL+OFF: bytes past the function's entry; symbol is then one name, no glob */
	__u64 sym_offset;
};

/* 0, or -EINVAL with a one-line reason in err (without a "synctrace:" prefix), -ENOMEM. */
int target_spec__parse(const char *text, struct target_spec *out,
		       char *err, size_t errlen);
void target_spec__free(struct target_spec *t);

/*
 * The ':' that ends a BINARY: (or an op's SEL:) prefix of text: the first
 * one that is not part of a "::" (a C++ or Rust name's), or NULL.
 */
const char *target_spec__prefix_colon(const char *text);

/*
 * The fnmatch(3) pattern for a symbol as a user writes it, malloc'd (NULL
 * if out of memory): Go's "(*" of a pointer receiver and its "[...]" of a
 * generic function's type arguments are literal, every other '*', '?' and
 * '[' is a glob's.
 */
char *target_spec__glob(const char *symbol);

/* Whether a pattern has a '*', '?' or '[' that no backslash escapes. */
bool is_glob(const char *s);

#endif /* SYNCTRACE_TARGET_SPEC_H */
