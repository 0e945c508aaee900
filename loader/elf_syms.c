// SPDX-License-Identifier: MIT
/*
 * Read the function symbols of one ELF file into a sorted, deduplicated
 * table, and answer globs and "did you mean" against it; see elf_syms.h.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/edit_distance.h"
#include "loader/elf_syms.h"

#define VERSYM_IDX_MASK	0x7fff
#define VERSYM_HIDDEN	0x8000
#define NR_VERSIONS	(VERSYM_IDX_MASK + 1)
#define SUGGEST_MAX_LEN	4096
#define MAX_STRTABS	3	/* .symtab's, .dynsym's and .gnu.version_d's */

/*
 * Names point into private copies of the string tables, not the mapping:
 * a copy is at most the file's size (copying each name could blow up, as
 * symbols may share one long name), and a binary truncated while we trace
 * it cannot SIGBUS us.
 */
struct strtab {
	size_t ndx;		/* section index */
	size_t size;		/* bytes, plus a NUL we add after them */
	char *buf;
};

struct elf_symtab {
	struct elf_sym *syms;
	size_t nr;
	struct strtab tabs[MAX_STRTABS];
	size_t nr_tabs;
};

enum raw_flags {
	RAW_GLOBAL	= 1,
	RAW_IFUNC	= 2,
	RAW_DEFAULT	= 4,	/* default version ("@@") */
};

/*
 * A symbol while loading, kept small (node has ~180k of them, and page
 * faults were a large part of the load): name points into a string table
 * copy and is name_len long (a .symtab name "f@@V" is cut at the '@', where
 * a NUL is written once the symbol is kept); version is NUL-terminated or
 * NULL.
 */
struct raw_sym {
	__u64 addr;
	__u64 size;
	__u64 hash;		/* of the name: stands in for it when sorting */
	char *name;
	const char *version;
	__u32 name_len;
	__u32 flags;
};

struct loader {
	struct elf_file *ef;
	struct elf_symtab *st;	/* being built; owns the string tables */
	struct raw_sym *raw;
	size_t nr_raw, cap_raw;
	size_t str_used;	/* see over_budget() */
	const char **vernames;	/* verdef index -> name, NR_VERSIONS long */
};

/* The private copy of string table ndx, made on first use. */
static int get_strtab(struct loader *l, size_t ndx, struct strtab **out)
{
	struct elf_symtab *st = l->st;
	struct strtab *t = st->tabs;
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;

	for (*out = t; *out < t + st->nr_tabs; (*out)++)
		if ((*out)->ndx == ndx)
			return 0;
	scn = elf_file__section(l->ef, ndx, &sh);
	if (!scn || sh.sh_type != SHT_STRTAB || st->nr_tabs == MAX_STRTABS ||
	    !(data = elf_file__section_data(l->ef, scn, &sh)))
		return -ENOEXEC;
	t += st->nr_tabs;
	t->buf = malloc(data->d_size + 1);
	if (!t->buf)
		return -ENOMEM;
	memcpy(t->buf, data->d_buf, data->d_size);
	/* Every offset now has a terminator, whatever the file says. */
	t->buf[data->d_size] = '\0';
	t->size = data->d_size;
	t->ndx = ndx;
	st->nr_tabs++;
	*out = t;
	return 0;
}

/* A word-at-a-time hash: byte-wise FNV of node's ~10 MB of names was slow. */
static __u64 hash_bytes(const char *s, size_t len)
{
	__u64 h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/*
 * Measure and hash a name. With split, a .symtab name such as
 * "memcpy@@GLIBC_2.14" ends at the '@' and the rest is its version.
 */
static void scan_name(struct raw_sym *r, char *name, bool split)
{
	const char *p = split ? strchrnul(name, '@') : name + strlen(name);
	size_t len = (size_t)(p - name);

	if (len > UINT32_MAX)
		len = 0;	/* absurd: the caller skips empty names */
	r->name = name;
	r->name_len = (__u32)len;
	r->hash = hash_bytes(name, len);
	if (!*p || !p[1] || (p[1] == '@' && !p[2]))
		return;		/* no '@', or nothing after it */
	if (p[1] == '@')
		r->flags |= RAW_DEFAULT;
	r->version = p + (p[1] == '@' ? 2 : 1);
}

/* Fill vernames from .gnu.version_d; sections are looked up by type. */
static int load_verdefs(struct loader *l, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_file__section_data(l->ef, scn, sh);
	struct strtab *strs;
	GElf_Verdef vd;
	GElf_Verdaux va;
	size_t off = 0, i, max;
	int err;

	if (!data)
		return -ENOEXEC;
	err = get_strtab(l, sh->sh_link, &strs);
	if (err)
		return err;
	l->vernames = calloc(NR_VERSIONS, sizeof(*l->vernames));
	if (!l->vernames)
		return -ENOMEM;
	/* vd_next only moves forward, but bound the walk by count and size. */
	max = data->d_size / sizeof(Elf64_Verdef);
	if (sh->sh_info < max)
		max = sh->sh_info;
	for (i = 0; i < max; i++) {
		if (off > (size_t)INT32_MAX || !gelf_getverdef(data, (int)off, &vd))
			return -ENOEXEC;
		if (vd.vd_cnt) {
			if (vd.vd_aux > INT32_MAX - off ||
			    !gelf_getverdaux(data, (int)(off + vd.vd_aux), &va) ||
			    va.vda_name >= strs->size)
				return -ENOEXEC;
			l->vernames[vd.vd_ndx & VERSYM_IDX_MASK] =
				strs->buf + va.vda_name;
		}
		if (!vd.vd_next)
			break;
		off += vd.vd_next;
	}
	return 0;
}

/*
 * The versym data of the dynamic symbol table at index dynsym_ndx, after
 * loading the matching verdefs. *versym is NULL when the file has none.
 */
static int load_versions(struct loader *l, size_t dynsym_ndx, size_t nr_syms,
			 Elf_Data **versym)
{
	size_t i, n = elf_file__nr_sections(l->ef);
	Elf_Scn *vs_scn = NULL;
	GElf_Shdr sh, vs_sh;
	int err;

	*versym = NULL;
	for (i = 1; i < n; i++) {
		Elf_Scn *scn = elf_file__section(l->ef, i, &sh);

		if (!scn)
			return -ENOEXEC;
		if (sh.sh_type == SHT_GNU_versym && sh.sh_link == dynsym_ndx &&
		    !vs_scn) {
			vs_scn = scn;
			vs_sh = sh;
		} else if (sh.sh_type == SHT_GNU_verdef && !l->vernames) {
			err = load_verdefs(l, scn, &sh);
			if (err)
				return err;
		}
	}
	if (!vs_scn || !l->vernames)
		return 0;	/* only needed (verneed) versions: none defined */
	*versym = elf_file__section_data(l->ef, vs_scn, &vs_sh);
	/* One entry per symbol, or the indices would run off the end. */
	if (!*versym || (*versym)->d_size / sizeof(GElf_Versym) < nr_syms)
		return -ENOEXEC;
	return 0;
}

/*
 * Bytes of names and versions the load may scan, hash and compare. Names
 * can share one long string, so without a bound a small hostile file costs
 * quadratic time; real files stay far below (node: about 1x its tables).
 */
static bool over_budget(const struct loader *l)
{
	size_t i, tabs = 0;

	for (i = 0; i < l->st->nr_tabs; i++)
		tabs += l->st->tabs[i].size;
	return l->str_used / 4 > tabs + (4 << 20);
}

static int load_table(struct loader *l, size_t ndx, bool dynamic)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_file__section(l->ef, ndx, &sh);
	Elf_Data *data, *versym = NULL;
	struct strtab *strs;
	size_t i, nr;
	int err;

	if (!scn || sh.sh_entsize != sizeof(Elf64_Sym))
		return -ENOEXEC;
	data = elf_file__section_data(l->ef, scn, &sh);
	if (!data)
		return sh.sh_size ? -ENOEXEC : 0;
	err = get_strtab(l, sh.sh_link, &strs);
	if (err)
		return err;
	nr = data->d_size / sizeof(Elf64_Sym);
	if (dynamic) {
		err = load_versions(l, ndx, nr, &versym);
		if (err)
			return err;
	}
	for (i = 1; i < nr && l->nr_raw < l->cap_raw; i++) {
		struct raw_sym *r = &l->raw[l->nr_raw];
		GElf_Versym vs;
		GElf_Sym sym;
		__u64 off;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			return -ENOEXEC;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		if (elf_file__vaddr_to_offset(l->ef, sym.st_value, &off))
			continue;	/* not in the file: nothing to probe */
		if (sym.st_name >= strs->size)
			continue;
		memset(r, 0, sizeof(*r));
		/* .dynsym versions come from .gnu.version, not the name. */
		scan_name(r, strs->buf + sym.st_name, !dynamic);
		if (!r->name_len)
			continue;
		r->addr = sym.st_value;
		r->size = sym.st_size;
		if (type == STT_GNU_IFUNC)
			r->flags |= RAW_IFUNC;
		if (GELF_ST_BIND(sym.st_info) == STB_GLOBAL ||
		    GELF_ST_BIND(sym.st_info) == STB_WEAK)
			r->flags |= RAW_GLOBAL;
		/* 0 is local, 1 the unversioned global: neither is a version. */
		if (versym && gelf_getversym(versym, (int)i, &vs) &&
		    (vs & VERSYM_IDX_MASK) > 1 &&
		    l->vernames[vs & VERSYM_IDX_MASK]) {
			r->version = l->vernames[vs & VERSYM_IDX_MASK];
			if (!(vs & VERSYM_HIDDEN))
				r->flags |= RAW_DEFAULT;
		}
		l->str_used += r->name_len;
		if (r->version)
			l->str_used += strlen(r->version);
		if (over_budget(l))
			return -ENOEXEC;
		l->nr_raw++;
	}
	return 0;
}

/* "No version" sorts last, so it folds into a versioned copy. */
static int cmp_version(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return !a - !b;
	return strcmp(a, b);
}

/*
 * By address, name hash, then version. Names are not compared: memcmp of
 * cold names was most of the sort on node. Equal names end up adjacent
 * unless two names at one address collide, which leaves a harmless
 * duplicate (matching keeps one symbol per address anyway).
 */
static int cmp_raw(const void *pa, const void *pb)
{
	const struct raw_sym *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return cmp_version(a->version, b->version);
}

static bool same_name(const struct raw_sym *a, const struct raw_sym *b)
{
	return a->hash == b->hash && a->name_len == b->name_len &&
	       !memcmp(a->name, b->name, a->name_len);
}

/*
 * Build the table from the sorted symbols. .symtab and .dynsym list most
 * functions twice: equal address and name merge. An unversioned copy folds
 * into a versioned one (the .symtab of an executable has no versions), but
 * two versions of one name both stay.
 */
static int build_table(struct loader *l, struct elf_symtab *st)
{
	const struct raw_sym *k = NULL;
	struct elf_sym *s = NULL;
	size_t i, n = 0;

	st->syms = malloc((l->nr_raw ? l->nr_raw : 1) * sizeof(*st->syms));
	if (!st->syms)
		return -ENOMEM;
	for (i = 0; i < l->nr_raw; i++) {
		const struct raw_sym *r = &l->raw[i];

		if (k && k->addr == r->addr && same_name(k, r) &&
		    (!r->version || !cmp_version(k->version, r->version))) {
			s->global |= !!(r->flags & RAW_GLOBAL);
			s->ifunc |= !!(r->flags & RAW_IFUNC);
			if (r->size > s->size)
				s->size = r->size;
			continue;
		}
		k = r;
		s = &st->syms[n++];
		*s = (struct elf_sym){
			.name = r->name,
			.version = r->version,
			.default_version = r->flags & RAW_DEFAULT,
			.addr = r->addr,
			.size = r->size,
			.ifunc = r->flags & RAW_IFUNC,
			.global = r->flags & RAW_GLOBAL,
		};
		/* Checked when loading: the address is in a PT_LOAD segment. */
		elf_file__vaddr_to_offset(l->ef, r->addr, &s->offset);
	}
	/*
	 * Cut "f@@V" names only now: comparing stayed within name_len, and a
	 * string shared by several symbols must read the same for all of them.
	 */
	for (i = 0; i < l->nr_raw; i++)
		l->raw[i].name[l->raw[i].name_len] = '\0';
	st->nr = n;
	return 0;
}

int elf_symtab__load(const char *path, struct elf_symtab **out)
{
	size_t i, n, symtab = 0, dynsym = 0;
	struct elf_symtab *st = NULL;
	struct loader l = {};
	GElf_Shdr sh;
	int err;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	l.st = st;
	err = elf_file__open(path, &l.ef);
	if (err)
		goto cleanup;
	n = elf_file__nr_sections(l.ef);
	for (i = 1; i < n; i++) {
		if (!elf_file__section(l.ef, i, &sh)) {
			err = -ENOEXEC;
			goto cleanup;
		}
		if (sh.sh_type == SHT_SYMTAB && !symtab)
			symtab = i;
		else if (sh.sh_type == SHT_DYNSYM && !dynsym)
			dynsym = i;
	}
	/* One allocation for both tables: sizes are checked against the file. */
	if (symtab && elf_file__section(l.ef, symtab, &sh))
		l.cap_raw += sh.sh_size / sizeof(Elf64_Sym);
	if (dynsym && elf_file__section(l.ef, dynsym, &sh))
		l.cap_raw += sh.sh_size / sizeof(Elf64_Sym);
	l.raw = malloc((l.cap_raw ? l.cap_raw : 1) * sizeof(*l.raw));
	if (!l.raw) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (symtab && (err = load_table(&l, symtab, false)))
		goto cleanup;
	if (dynsym && (err = load_table(&l, dynsym, true)))
		goto cleanup;
	qsort(l.raw, l.nr_raw, sizeof(*l.raw), cmp_raw);
	err = build_table(&l, st);
	if (err)
		goto cleanup;
	*out = st;
	st = NULL;

cleanup:
	elf_symtab__free(st);
	free(l.vernames);
	free(l.raw);
	elf_file__close(l.ef);
	return err;
}

size_t elf_symtab__count(const struct elf_symtab *st)
{
	return st ? st->nr : 0;
}

const struct elf_sym *elf_symtab__get(const struct elf_symtab *st, size_t i)
{
	return st && i < st->nr ? &st->syms[i] : NULL;
}

/* Which of two symbols at one address names it best (see the header). */
static bool better_name(const struct elf_sym *a, const struct elf_sym *b)
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

static bool versioned_match(const struct elf_sym *s, const char *glob,
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

size_t elf_symtab__match(const struct elf_symtab *st, const char *glob,
			 const struct elf_sym ***out)
{
	const struct elf_sym **res;
	bool with_version;
	size_t i, n = 0, buf_cap = 0;
	char *buf = NULL;

	*out = NULL;
	if (!st || !glob || !st->nr)
		return 0;
	/* Big, but pages past the matches are never touched. */
	res = malloc(st->nr * sizeof(*res));
	if (!res)
		return 0;
	with_version = strchr(glob, '@');
	/* The table is sorted by address, so aliases are neighbours. */
	for (i = 0; i < st->nr; i++) {
		const struct elf_sym *s = &st->syms[i];
		bool hit;

		hit = with_version ? versioned_match(s, glob, &buf, &buf_cap) :
				     !fnmatch(glob, s->name, 0);
		if (!hit)
			continue;
		if (n && res[n - 1]->addr == s->addr) {
			if (better_name(s, res[n - 1]))
				res[n - 1] = s;
			continue;
		}
		res[n++] = s;
	}
	free(buf);
	if (!n) {
		free(res);
		return 0;
	}
	*out = realloc(res, n * sizeof(*res)) ?: res;
	return n;
}

const char *elf_symtab__suggest(const struct elf_symtab *st, const char *name)
{
	const struct elf_sym *best = NULL;
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
		const struct elf_sym *s = &st->syms[i];
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
	return best ? best->name : NULL;
}

void elf_symtab__free(struct elf_symtab *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->nr_tabs; i++)
		free(st->tabs[i].buf);
	free(st->syms);
	free(st);
}
