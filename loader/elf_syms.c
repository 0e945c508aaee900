// SPDX-License-Identifier: MIT
/*
 * Read the function symbols of one ELF file into a sorted, deduplicated
 * table, and answer globs and "did you mean" against it; see elf_syms.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/elf_syms.h"

#define VERSYM_IDX_MASK	0x7fff
#define VERSYM_HIDDEN	0x8000
#define NR_VERSIONS	(VERSYM_IDX_MASK + 1)
#define SUGGEST_MAX_LEN	4096

struct elf_symtab {
	struct elf_sym *syms;
	size_t nr;
	char *strings;		/* every name and version, in one block */
};

enum raw_flags {
	RAW_GLOBAL	= 1,
	RAW_IFUNC	= 2,
	RAW_DEFAULT	= 4,	/* default version ("@@") */
};

/*
 * A symbol while the file is open, kept small (node has ~180k of them,
 * and page faults on this VM-hosted tracer were a large part of the load):
 * name points into the string table and is name_len long (a .symtab name
 * "f@@V" is cut at the '@'); version is NUL-terminated or NULL.
 */
struct raw_sym {
	__u64 addr;
	__u64 size;
	__u64 hash;		/* of the name: stands in for it when sorting */
	const char *name;
	const char *version;
	__u32 name_len;
	__u32 flags;
};

struct loader {
	struct elf_file *ef;
	struct raw_sym *raw;
	size_t nr_raw, cap_raw;
	size_t str_bytes;	/* bound on the strings of the final table */
	const char **vernames;	/* verdef index -> name, NR_VERSIONS long */
};

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
static void scan_name(struct raw_sym *r, const char *name, bool split)
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
	Elf *elf = elf_file__elf(l->ef);
	Elf_Data *data = elf_file__section_data(l->ef, scn, sh);
	GElf_Verdef vd;
	GElf_Verdaux va;
	size_t off = 0, i, max;

	if (!data)
		return -ENOEXEC;
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
		if (vd.vd_cnt && vd.vd_aux <= INT32_MAX - off) {
			const char *name;

			if (!gelf_getverdaux(data, (int)(off + vd.vd_aux), &va))
				return -ENOEXEC;
			name = elf_strptr(elf, sh->sh_link, va.vda_name);
			if (!name)
				return -ENOEXEC;
			l->vernames[vd.vd_ndx & VERSYM_IDX_MASK] = name;
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

static void add_version(struct loader *l, struct raw_sym *r, Elf_Data *versym,
			size_t i)
{
	GElf_Versym vs;

	/* load_versions() checked that versym has an entry for every i. */
	if (!gelf_getversym(versym, (int)i, &vs))
		return;
	/* 0 is local, 1 is the unversioned global: no version. */
	if ((vs & VERSYM_IDX_MASK) <= 1 || !l->vernames[vs & VERSYM_IDX_MASK])
		return;
	r->version = l->vernames[vs & VERSYM_IDX_MASK];
	if (!(vs & VERSYM_HIDDEN))
		r->flags |= RAW_DEFAULT;
}

static int load_table(struct loader *l, size_t ndx, bool dynamic)
{
	Elf *elf = elf_file__elf(l->ef);
	GElf_Shdr sh;
	Elf_Scn *scn = elf_file__section(l->ef, ndx, &sh);
	Elf_Data *data, *versym = NULL;
	size_t i, nr;
	int err;

	if (!scn || sh.sh_entsize != sizeof(Elf64_Sym))
		return -ENOEXEC;
	data = elf_file__section_data(l->ef, scn, &sh);
	if (!data)
		return sh.sh_size ? -ENOEXEC : 0;
	nr = data->d_size / sizeof(Elf64_Sym);
	if (dynamic) {
		err = load_versions(l, ndx, nr, &versym);
		if (err)
			return err;
	}
	for (i = 1; i < nr && l->nr_raw < l->cap_raw; i++) {
		struct raw_sym *r = &l->raw[l->nr_raw];
		const char *name;
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
		/* NULL for an offset outside the table or an unterminated name. */
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name)
			continue;
		memset(r, 0, sizeof(*r));
		/* .dynsym versions come from .gnu.version, not the name. */
		scan_name(r, name, !dynamic);
		if (!r->name_len)
			continue;
		r->addr = sym.st_value;
		r->size = sym.st_size;
		if (type == STT_GNU_IFUNC)
			r->flags |= RAW_IFUNC;
		if (GELF_ST_BIND(sym.st_info) == STB_GLOBAL ||
		    GELF_ST_BIND(sym.st_info) == STB_WEAK)
			r->flags |= RAW_GLOBAL;
		if (versym)
			add_version(l, r, versym, i);
		l->str_bytes += r->name_len + 1;
		if (r->version)
			l->str_bytes += strlen(r->version) + 1;
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
 * Within one address: by name hash, then version. Names are not compared:
 * memcmp of cold names was most of the sort on node. Equal names end up
 * adjacent unless two names at one address collide, which leaves a
 * harmless duplicate (matching keeps one symbol per address anyway).
 */
static int cmp_same_addr(const void *pa, const void *pb)
{
	const struct raw_sym *a = pa, *b = pb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return cmp_version(a->version, b->version);
}

/*
 * Stable LSD radix sort by address, one pass per byte that varies, then
 * cmp_same_addr within runs of one address. A qsort over everything was
 * most of the time spent loading node.
 */
static int sort_raw(struct raw_sym *raw, size_t n)
{
	__u64 all_or = 0, all_and = ~0ULL;
	struct raw_sym *tmp, *src = raw, *dst;
	size_t i, j, count[256];
	unsigned int shift;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	dst = tmp;
	for (i = 0; i < n; i++) {
		all_or |= raw[i].addr;
		all_and &= raw[i].addr;
	}
	for (shift = 0; shift < 64; shift += 8) {
		size_t pos = 0;

		if (!(((all_or ^ all_and) >> shift) & 0xff))
			continue;
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i].addr >> shift) & 0xff]++;
		for (i = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i].addr >> shift) & 0xff]++] = src[i];
		dst = src;
		src = src == raw ? tmp : raw;
	}
	if (src != raw)
		memcpy(raw, src, n * sizeof(*raw));
	free(tmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && raw[j].addr == raw[i].addr; j++)
			;
		if (j - i > 1)
			qsort(raw + i, j - i, sizeof(*raw), cmp_same_addr);
	}
	return 0;
}

static bool same_name(const struct raw_sym *a, const struct raw_sym *b)
{
	return a->hash == b->hash && a->name_len == b->name_len &&
	       !memcmp(a->name, b->name, a->name_len);
}

static char *copy_str(char **p, const char *s, size_t len)
{
	char *d = *p;

	memcpy(d, s, len);
	d[len] = '\0';
	*p += len + 1;
	return d;
}

/*
 * Build the table from the sorted symbols, copying strings out of the file.
 * .symtab and .dynsym list most functions twice: equal address and name
 * merge. An unversioned copy folds into a versioned one (the .symtab of an
 * executable has no versions), but two versions of one name both stay.
 */
static int build_table(struct loader *l, struct elf_symtab *st)
{
	const struct raw_sym *k = NULL;
	const char *last_ver = NULL, *last_copy = NULL;
	struct elf_sym *s = NULL;
	size_t i, n = 0;
	char *p;

	st->syms = malloc((l->nr_raw ? l->nr_raw : 1) * sizeof(*st->syms));
	/* Pages of the unused tail are never touched, so never faulted in. */
	st->strings = malloc(l->str_bytes ? l->str_bytes : 1);
	if (!st->syms || !st->strings)
		return -ENOMEM;
	p = st->strings;
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
		memset(s, 0, sizeof(*s));
		s->name = copy_str(&p, r->name, r->name_len);
		if (r->version && r->version == last_ver) {
			s->version = last_copy;
		} else if (r->version) {
			s->version = copy_str(&p, r->version, strlen(r->version));
			last_ver = r->version;
			last_copy = s->version;
		}
		s->default_version = r->flags & RAW_DEFAULT;
		s->addr = r->addr;
		s->size = r->size;
		s->ifunc = r->flags & RAW_IFUNC;
		s->global = r->flags & RAW_GLOBAL;
		/* Checked when loading: the address is in a PT_LOAD segment. */
		elf_file__vaddr_to_offset(l->ef, r->addr, &s->offset);
	}
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
	err = elf_file__open(path, &l.ef);
	if (err)
		return err;
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
	st = calloc(1, sizeof(*st));
	if (!l.raw || !st) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (symtab && (err = load_table(&l, symtab, false)))
		goto cleanup;
	if (dynsym && (err = load_table(&l, dynsym, true)))
		goto cleanup;
	err = sort_raw(l.raw, l.nr_raw);
	if (err)
		goto cleanup;
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

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * Case-insensitive Levenshtein distance of a (la long) and b, or limit + 1
 * as soon as it must exceed limit. row holds la + 1 entries.
 */
static size_t edit_distance(const char *a, size_t la, const char *b,
			    size_t limit, size_t *row)
{
	size_t i, j;

	for (j = 0; j <= la; j++)
		row[j] = j;
	for (i = 0; b[i]; i++) {
		size_t diag = row[0], rmin = i + 1;

		row[0] = i + 1;
		for (j = 0; j < la; j++) {
			size_t up = row[j + 1], d = diag +
				(tolower((unsigned char)a[j]) !=
				 tolower((unsigned char)b[i]));

			d = min_sz(d, min_sz(up, row[j]) + 1);
			diag = up;
			row[j + 1] = d;
			rmin = min_sz(rmin, d);
		}
		if (rmin > limit)
			return limit + 1;
	}
	return row[la];
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
		bound = min_sz(best_d, limit);
		/* Lengths alone bound the distance from below. */
		if ((lb > la ? lb - la : la - lb) > bound)
			continue;
		d = edit_distance(name, la, s->name, bound, row);
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
	if (!st)
		return;
	free(st->syms);
	free(st->strings);
	free(st);
}
