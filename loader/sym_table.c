// SPDX-License-Identifier: MIT
/*
 * Questions to a symbol table (built by sym_build.c): globs, "did you
 * mean", the function holding an address; see sym_table.h.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/edit_distance.h"
#include "loader/sym_match.h"
#include "loader/sym_names.h"
#include "loader/sym_table_internal.h"
#include "loader/text_lines.h"

#define SUGGEST_MAX_LEN	4096

size_t sym_table__count(const struct sym_table *st)
{
	return st ? st->nr : 0;
}

const struct sym *sym_table__get(const struct sym_table *st, size_t i)
{
	return st && i < st->nr ? &st->syms[i] : NULL;
}

/* Which of two symbols at one address names it best (see the header). */
static bool better_name(const struct sym *a, const struct sym *b)
{
	size_t la, lb;

	if (a->global != b->global)
		return a->global;
	if ((a->name[0] == '_') != (b->name[0] == '_'))
		return b->name[0] == '_';
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la < lb;
	return strcmp(a->name, b->name) < 0;
}

static bool versioned_match(const struct sym *s, const char *glob,
			    char **buf, size_t *cap)
{
	size_t need;

	if (!s->version)
		return !fnmatch(glob, s->name, 0);
	need = strlen(s->name) + strlen(s->version) + 3;
	if (need > *cap) {
		free(*buf);
		*cap = 0;
		*buf = malloc(need);
		if (!*buf)
			return false;
		*cap = need;
	}
	snprintf(*buf, *cap, "%s@%s", s->name, s->version);
	if (!fnmatch(glob, *buf, 0))
		return true;
	if (!s->default_version)
		return false;
	snprintf(*buf, *cap, "%s@@%s", s->name, s->version);
	return !fnmatch(glob, *buf, 0);
}

/*
 * Whether symbol i is named by glob: its own name (with its version when
 * the glob has an '@'), else, for a C++ or Rust name, a form of its
 * demangled name (g; NULL with a version).
 */
static bool sym_hit(const struct sym_table *st, size_t i, const char *glob, struct sym_glob *g,
		    char **buf, size_t *cap)
{
	const struct sym *s = &st->syms[i];

	if (!g)
		return versioned_match(s, glob, buf, cap);
	return !fnmatch(glob, s->name, 0) || sym_names__match(st->names, i, g);
}

/* The symbols glob names (all if glob is NULL), sorted by address; one per address if dedup. */
static size_t select_syms(const struct sym_table *st, const char *glob, bool dedup,
			  const struct sym ***out)
{
	const struct sym **res;
	struct sym_glob *g = NULL;
	size_t i, n = 0, buf_cap = 0;
	char *buf = NULL;

	*out = NULL;
	if (!st || !st->nr)
		return 0;
	if (glob && !strchr(glob, '@') && sym_glob__new(glob, &g))
		return 0;
	/* Big, but pages past the matches are never touched. */
	res = malloc(st->nr * sizeof(*res));
	if (!res)
		goto cleanup;
	/* The table is sorted by address, so aliases are neighbours. */
	for (i = 0; i < st->nr; i++) {
		const struct sym *s = &st->syms[i];

		if (glob && !sym_hit(st, i, glob, g, &buf, &buf_cap))
			continue;
		if (dedup && n && res[n - 1]->addr == s->addr) {
			if (better_name(s, res[n - 1]))
				res[n - 1] = s;
			continue;
		}
		res[n++] = s;
	}
	if (!n) {
		free(res);
		goto cleanup;
	}
	*out = realloc(res, n * sizeof(*res)) ?: res;
cleanup:
	free(buf);
	sym_glob__free(g);
	return n;
}

size_t sym_table__match(const struct sym_table *st, const char *glob,
			const struct sym ***out)
{
	*out = NULL;
	return glob ? select_syms(st, glob, true, out) : 0;
}

size_t sym_table__list(const struct sym_table *st, const char *glob, const struct sym ***out)
{
	return select_syms(st, glob, false, out);
}

const char *sym_table__shown(const struct sym_table *st, const struct sym *s)
{
	return sym_names__shown(st->names, (size_t)(s - st->syms));
}

const char *sym_table__suggest(const struct sym_table *st, const char *name)
{
	const struct sym *best = NULL;
	size_t la, limit, best_d, i, *row;

	if (!st || !name)
		return NULL;
	la = strlen(name);
	limit = la / 3 > 2 ? la / 3 : 2;
	best_d = limit + 1;
	row = la && la <= SUGGEST_MAX_LEN ? malloc((la + 1) * sizeof(*row)) : NULL;
	if (!row)
		return NULL;
	for (i = 0; i < st->nr; i++) {
		const struct sym *s = &st->syms[i];
		size_t lb = strlen(s->name), bound, d;

		/* Ties still count (better_name), so search up to best_d. */
		bound = best_d < limit ? best_d : limit;
		/* Lengths alone bound the distance from below. */
		if ((lb > la ? lb - la : la - lb) > bound)
			continue;
		d = edit_distance_bounded(name, la, s->name, bound, row);
		if (d <= bound &&
		    (d < best_d || (d == best_d && better_name(s, best)))) {
			best = s;
			best_d = d;
		}
	}
	free(row);
	/* a C++ or Rust name, by its demangled name (node: only on this error path) */
	return best ? best->name : sym_names__suggest(st->names, name);
}

int sym_table__offset_of(const struct sym_table *st, __u64 vaddr, __u64 *offset)
{
	size_t i;

	for (i = 0; i < st->nr_segs; i++) {
		const struct segment *g = &st->segs[i];

		if (vaddr >= g->vaddr && vaddr - g->vaddr < g->filesz) {
			*offset = g->offset + (vaddr - g->vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

const struct sym *sym_table__containing(const struct sym_table *st, __u64 vaddr)
{
	const struct sym *best = NULL;
	size_t lo = 0, hi = st->nr, i;

	/* the first symbol past vaddr; those before it that hold vaddr are neighbours */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i-- > 0 && (!best || st->syms[i].addr == best->addr);) {
		const struct sym *s = &st->syms[i];

		if (vaddr - s->addr >= s->size)
			continue;
		if (!best || s->addr > best->addr || better_name(s, best))
			best = s;
	}
	return best;
}

static const char *const source_names[SYM_SRC_NR] = {
	[SYM_SRC_SYMTAB] = "symtab",
	[SYM_SRC_DYNSYM] = "dynsym",
	[SYM_SRC_BUILD_ID] = "build-id",
	[SYM_SRC_DEBUGLINK] = "debuglink",
	[SYM_SRC_MINIDEBUG] = "minidebuginfo",
	[SYM_SRC_GOPCLNTAB] = "gopclntab",
};

enum sym_source sym_table__skipped(const struct sym_table *st, int *err)
{
	*err = st->skipped_err;
	return st->skipped;
}

size_t sym_table__notes(const struct sym_table *st, const char *const **out)
{
	*out = st ? (const char *const *)st->notes : NULL;
	return st ? st->nr_notes : 0;
}

const char *sym_source__name(enum sym_source src)
{
	return src < SYM_SRC_NR && source_names[src] ? source_names[src] : "?";
}

void sym_table__free(struct sym_table *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->nr_blocks; i++)
		free(st->blocks[i]);
	sym_names__free(st->names);
	free(st->blocks);
	text_lines__free(st->notes, st->nr_notes);
	free(st->syms);
	free(st);
}
