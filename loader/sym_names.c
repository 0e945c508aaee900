// SPDX-License-Identifier: MIT
/*
 * Demangled names of a symbol table, made on demand, with the glob matching
 * and "did you mean" that need them; see sym_names.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/demangle.h"
#include "loader/edit_distance.h"
#include "loader/sym_names.h"

#define MAX_SCOPES	64	/* a "did you mean" candidate deeper than this is skipped */
#define SUGGEST_MAX_LEN	4096

/* One symbol's demangled name, made when first asked for. */
struct sym_dmg {
	char *name;		/* NULL: not a name we demangle */
	char *shown;		/* legacy Rust sharing its name with another: with ::h<hash> */
	__u8 lang;		/* enum demangle_lang */
	__u8 done:1, legacy_dup:1;
};

struct sym_names {
	const struct sym *syms;
	size_t nr;
	struct sym_dmg *dmg;	/* nr of them, once one is asked for */
	bool dups_found;	/* legacy_dup is set */
	char *hint;		/* what sym_names__suggest() returned last */
};

int sym_names__new(const struct sym *syms, size_t nr, struct sym_names **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->syms = syms;
	(*out)->nr = nr;
	return 0;
}

void sym_names__free(struct sym_names *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; n->dmg && i < n->nr; i++) {
		free(n->dmg[i].name);
		free(n->dmg[i].shown);
	}
	free(n->dmg);
	free(n->hint);
	free(n);
}

/* A legacy Rust symbol's prefix, for finding those that demangle alike. */
struct legacy_key {
	const char *raw;
	size_t len;
	size_t i;
};

static int cmp_key(const void *pa, const void *pb)
{
	const struct legacy_key *a = pa, *b = pb;
	int c = memcmp(a->raw, b->raw, a->len < b->len ? a->len : b->len);

	if (c)
		return c;
	return a->len != b->len ? (a->len < b->len ? -1 : 1) : 0;
}

/*
 * Mark the legacy Rust symbols whose names differ only by hash: what two
 * monomorphisations of a generic function look like. Found on the mangled
 * names (no demangling), once, when the first legacy name is asked for.
 */
static void find_legacy_dups(struct sym_names *n)
{
	struct legacy_key *keys;
	size_t i, j, nr = 0;

	n->dups_found = true;
	keys = malloc((n->nr ? n->nr : 1) * sizeof(*keys));
	if (!keys)
		return;		/* names without hashes: still readable */
	for (i = 0; i < n->nr; i++) {
		size_t len = demangle__legacy_prefix_len(n->syms[i].name);

		if (len)
			keys[nr++] = (struct legacy_key){ n->syms[i].name, len, i };
	}
	qsort(keys, nr, sizeof(*keys), cmp_key);
	for (i = 0; i < nr; i = j) {
		bool apart = false;

		for (j = i + 1; j < nr && !cmp_key(&keys[i], &keys[j]); j++)
			apart |= n->syms[keys[j].i].addr != n->syms[keys[i].i].addr;
		/* aliases at one address are one function: no hash needed */
		for (size_t k = i; apart && k < j; k++)
			n->dmg[keys[k].i].legacy_dup = 1;
	}
	free(keys);
}

/* The hash of a legacy Rust name, from the mangled name: 16 hex digits and a NUL. */
static void legacy_hash(const char *raw, char hash[DEMANGLE_HASH_LEN])
{
	size_t len = demangle__legacy_prefix_len(raw);

	hash[0] = '\0';
	if (len)
		snprintf(hash, DEMANGLE_HASH_LEN, "%.16s", raw + len + 3);
}

static const struct sym_dmg *dmg_of(struct sym_names *n, size_t i)
{
	static const struct sym_dmg none = { .done = 1 };
	struct sym_dmg *e;
	struct demangled d;

	if (!n->dmg && !(n->dmg = calloc(n->nr ? n->nr : 1, sizeof(*n->dmg))))
		return &none;
	e = &n->dmg[i];
	if (e->done)
		return e;
	e->done = 1;
	if (!demangle__maybe(n->syms[i].name) || demangle(n->syms[i].name, &d))
		return e;
	e->name = d.name;
	e->lang = (__u8)d.lang;
	if (d.lang == DEMANGLE_RUST_LEGACY) {
		if (!n->dups_found)
			find_legacy_dups(n);
		if (e->legacy_dup && asprintf(&e->shown, "%s::h%s", d.name, d.hash) < 0)
			e->shown = NULL;
	}
	return e;
}

const char *sym_names__shown(struct sym_names *n, size_t i)
{
	const struct sym_dmg *e = dmg_of(n, i);

	return e->shown ? e->shown : e->name ? e->name : n->syms[i].name;
}

bool sym_names__match(struct sym_names *n, size_t i, struct sym_glob *g)
{
	const char *raw = n->syms[i].name;
	char hash[DEMANGLE_HASH_LEN];
	const struct sym_dmg *e;

	if (!demangle__maybe(raw) || !sym_glob__may_match(g, raw))
		return false;
	e = dmg_of(n, i);
	if (!e->name)
		return false;
	legacy_hash(raw, hash);
	return sym_glob__match(g, e->name, e->lang, hash);
}

/*
 * The name a user would target d by: without parameters (C++) and without
 * the function's own template arguments, into buf (strlen(d) + 1 bytes).
 */
static size_t target_form(const struct sym_dmg *e, char *buf)
{
	size_t len = 0, t;

	if (e->lang == DEMANGLE_CXX)
		len = sym_name__base(e->name, buf);
	if (!len) {
		len = strlen(e->name);
		memcpy(buf, e->name, len + 1);
	}
	t = sym_name__untemplated_len(buf, len);
	if (t) {
		buf[t] = '\0';
		len = t;
	}
	return len;
}

/* The offset in s of its last k top-level scopes (0: the whole), or -1 if it has fewer. */
static long last_scopes(const char *s, size_t len, size_t k)
{
	size_t cuts[MAX_SCOPES], nr = 0, off = 0;

	while (nr < MAX_SCOPES && (off = sym_name__next_scope(s, len, off)))
		cuts[nr++] = off;
	if (nr == MAX_SCOPES || nr < k)
		return -1;
	return nr == k ? 0 : (long)cuts[nr - k - 1];
}

const char *sym_names__suggest(struct sym_names *n, const char *name)
{
	size_t la = strlen(name), limit = la / 3 > 2 ? la / 3 : 2, best_d = limit + 1;
	size_t i, k = 0, off = 0, *row = NULL;
	char *buf = NULL, *best = NULL;

	if (!la || la > SUGGEST_MAX_LEN)
		return NULL;
	while ((off = sym_name__next_scope(name, la, off)))
		k++;
	row = malloc((la + 1) * sizeof(*row));
	for (i = 0; row && i < n->nr; i++) {
		const struct sym_dmg *e;
		size_t len, d;
		long at;

		if (!demangle__maybe(n->syms[i].name) || !(e = dmg_of(n, i))->name)
			continue;
		free(buf);
		if (!(buf = malloc(strlen(e->name) + 1)))
			break;
		len = target_form(e, buf);
		at = last_scopes(buf, len, k);
		if (at < 0)
			continue;
		/* "push" is "sync::push" seen from outside its scope */
		d = !strcmp(buf + at, name) ? 0 :
		    edit_distance_bounded(name, la, buf + at, best_d - 1, row);
		if (d < best_d) {
			free(best);
			best = buf;
			buf = NULL;
			best_d = d;
		}
		if (!best_d)
			break;
	}
	free(buf);
	free(row);
	free(n->hint);
	n->hint = best;
	return best;
}
