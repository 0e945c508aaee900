/* SPDX-License-Identifier: MIT */
/* Parsing a TARGET: [BINARY_OR_LIB:]SYMBOL_GLOB or usdt:[BINARY_OR_LIB:]PROVIDER:NAME. */
#ifndef SYNCTRACE_TARGET_SPEC_H
#define SYNCTRACE_TARGET_SPEC_H

#include <stdbool.h>
#include <stddef.h>

enum target_kind { TARGET_FUNC, TARGET_USDT };

struct target_spec {
	enum target_kind kind;
	char *binary;		/* NULL: the -p process's main executable */
	char *symbol;		/* TARGET_FUNC: a glob */
	char *provider;		/* TARGET_USDT: globs */
	char *name;
	char *text;		/* as the user wrote it */
};

/* 0, or -EINVAL with a one-line reason in err (without a "synctrace:" prefix). */
int target_spec__parse(const char *text, struct target_spec *out,
		       char *err, size_t errlen);
void target_spec__free(struct target_spec *t);
bool is_glob(const char *s);

#endif /* SYNCTRACE_TARGET_SPEC_H */
