// SPDX-License-Identifier: MIT
/*
 * The Go symbol source: the functions of Go's own table (.gopclntab,
 * loader/go_pclntab.h), which stripped Go programs keep (-ldflags=-s -w
 * drops .symtab, never .gopclntab); see sym_source.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "loader/go_pclntab.h"
#include "loader/sym_source.h"

/* The names in one block the table keeps: 23k small allocations would each be a block. */
static char *pack_names(const struct go_func *f, size_t n, size_t *len)
{
	size_t i, total = 0, at = 0;
	char *block;

	for (i = 0; i < n; i++)
		total += strlen(f[i].name) + 1;
	block = malloc(total ? total : 1);
	if (!block)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t l = strlen(f[i].name) + 1;

		memcpy(block + at, f[i].name, l);
		at += l;
	}
	*len = total;
	return block;
}

int sym_source__go(struct sym_builder *b)
{
	struct go_func *f = NULL;
	size_t i, n = 0, len = 0;
	char *names, *name;
	int err = go_pclntab__load(sym_builder__code(b), &f, &n);

	if (err == -ENOENT)
		return 0;	/* not a Go file */
	if (err)
		return err;
	names = pack_names(f, n, &len);
	err = names ? sym_builder__keep(b, names, len) : -ENOMEM;
	if (!err)
		err = sym_builder__reserve(b, n);
	for (i = 0, name = names; i < n && !err; i++) {
		struct sym_draft d = {
			.addr = f[i].entry,
			.size = f[i].size,
			.name = name,
			.name_len = strlen(name),
			/* Go has no static functions: every one can be called from another package */
			.global = true,
			.source = SYM_SRC_GOPCLNTAB,
		};

		err = sym_builder__add(b, &d);
		name += d.name_len + 1;
	}
	go_pclntab__free(f, n);
	return err;
}
