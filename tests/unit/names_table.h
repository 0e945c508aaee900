/* SPDX-License-Identifier: MIT */
/*
 * The tables of real mangled names and what binutils' c++filt makes of them
 * (tests/fixtures/langs.mk: one "mangled<TAB>c++filt -i<TAB>c++filt" line per
 * function of a fixture or of libstdc++), for test_demangle.c and
 * test_sym_match.c. Included once by each, after <cmocka.h>.
 */
#ifndef SYNCTRACE_TESTS_UNIT_NAMES_TABLE_H
#define SYNCTRACE_TESTS_UNIT_NAMES_TABLE_H

#include <stdlib.h>
#include <string.h>
#include "tests/unit/helpers.h"

#define FX_LANGS "build/fixtures/langs/"

struct name_row {
	const char *raw;	/* as in the symbol table */
	const char *filt;	/* c++filt -i: no hash, no crate disambiguators */
	const char *verbose;	/* c++filt: a legacy Rust name with its hash */
};

struct names_table {
	char *buf;
	struct name_row *rows;
	size_t nr;
};

/* Split the generated table of file (under FX_LANGS); fails the test if it is bad. */
static inline void names_table__load(const char *file, struct names_table *t)
{
	char path[256], *line, *next, *tab1, *tab2;
	size_t size, cap = 0;

	snprintf(path, sizeof(path), FX_LANGS "%s", file);
	memset(t, 0, sizeof(*t));
	t->buf = (char *)read_whole_file(path, &size);
	t->buf = realloc(t->buf, size + 1);
	assert_non_null(t->buf);
	t->buf[size] = '\0';
	for (line = t->buf; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		tab1 = strchr(line, '\t');
		tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
		if (!tab2)
			fail_msg("%s: bad line '%s'", path, line);
		*tab1 = *tab2 = '\0';
		if (t->nr == cap) {
			cap = cap ? 2 * cap : 256;
			t->rows = realloc(t->rows, cap * sizeof(*t->rows));
			assert_non_null(t->rows);
		}
		t->rows[t->nr++] = (struct name_row){ line, tab1 + 1, tab2 + 1 };
	}
	if (!t->nr)
		fail_msg("%s: empty", path);
}

static inline void names_table__free(struct names_table *t)
{
	free(t->rows);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* The row whose c++filt -i name is filt; fails the test if there is none. */
static inline const struct name_row *names_table__find(const struct names_table *t,
							const char *filt)
{
	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->rows[i].filt, filt))
			return &t->rows[i];
	fail_msg("no function '%s' in the table", filt);
	return NULL;
}

/* The tables every property is checked on. */
static const char *const names_tables[] = {
	"fx_cpp.names", "fx_rs_legacy.names", "fx_rs_v0.names", "libstdc++.names",
};

#endif /* SYNCTRACE_TESTS_UNIT_NAMES_TABLE_H */
