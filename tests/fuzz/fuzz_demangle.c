// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the demangler wrapper and the name matching
 * (loader/demangle.c, loader/sym_match.c): an input is a mangled name, up
 * to a first NUL, then a glob. The name goes through libiberty (names that
 * grow as they print must be abandoned, not hang), its demangled forms are
 * cut and matched; the raw input is cut as a demangled name would be, and
 * the glob is read and matched against both.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/demangle.h"
#include "loader/sym_match.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_demangle: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* The forms of s (len bytes) are within it, scopes in order. */
static void check_forms(const char *s, enum demangle_lang lang)
{
	size_t len = strlen(s), n, t, off = 0, last = 0;
	char *buf = malloc(len + 1);

	if (!buf)
		return;
	n = sym_name__base(s, buf);
	CHECK(n <= len && (!n || strlen(buf) == n));
	t = sym_name__untemplated_len(n ? buf : s, n ? n : len);
	CHECK(t <= (n ? n : len));
	while ((off = sym_name__next_scope(s, len, off))) {
		CHECK(off > last && off <= len && s[off - 1] == ':' && s[off - 2] == ':');
		last = off;
	}
	free(buf);
	(void)lang;
}

static void match_all(const char *glob, const char *raw, const struct demangled *d)
{
	static const char *const fixed[] = { "sync::push(long, long*)", "main::sync::apply::<u64>" };
	struct sym_glob *g;

	if (sym_glob__new(glob, &g))
		return;
	sym_glob__may_match(g, raw);
	if (d->name)
		sym_glob__match(g, d->name, d->lang, d->hash);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
		sym_glob__match(g, fixed[i], DEMANGLE_CXX, "");
	sym_glob__match(g, raw, DEMANGLE_RUST_V0, "");
	sym_glob__free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 2), *glob;
	struct demangled d;
	int rc;

	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = in[size + 1] = '\0';
	glob = in + strlen(in) + (strlen(in) < size);
	rc = demangle(in, &d);
	CHECK(rc == 0 || rc == -22 || rc == -12);
	if (!rc) {
		CHECK(d.name && d.name[0] && strlen(d.name) <= DEMANGLE_MAX_OUT);
		CHECK(d.lang != DEMANGLE_NONE);
		CHECK(d.lang == DEMANGLE_RUST_LEGACY ? strlen(d.hash) == 16 : !d.hash[0]);
		check_forms(d.name, d.lang);
	}
	check_forms(in, DEMANGLE_CXX);
	match_all(glob, in, &d);
	demangled__clear(&d);
	free(in);
	return 0;
}
