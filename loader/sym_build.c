// SPDX-License-Identifier: MIT
/*
 * Building a symbol table: the sources (sym_source.h) add drafts to a
 * builder, which sorts them by address and merges the names several
 * sources give one function; see sym_table.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/sym_names.h"
#include "loader/sym_source.h"
#include "loader/sym_table_internal.h"
#include "loader/text_lines.h"

/*
 * A symbol while loading, kept small (node has ~180k of them, and page
 * faults were a large part of the load): name points into a kept block
 * and is name_len long (a .symtab name "f@@V" is cut at the '@', where a
 * NUL is written once the table is built).
 */
struct raw_sym {
	__u64 addr;
	__u64 size;
	__u64 hash;		/* of the name: stands in for it when sorting */
	char *name;
	const char *version;
	__u32 name_len;
	__u8 source;
	__u8 default_version:1, ifunc:1, global:1;
};

struct sym_builder {
	const struct sym_file *file;
	const struct elf_file *code;	/* the probed file: offsets are its */
	struct sym_table *st;		/* being built; owns the blocks */
	struct raw_sym *raw;
	size_t nr_raw, cap_raw;
	size_t kept_bytes;		/* of the blocks */
	size_t str_used;		/* bytes of names added: see sym_builder__add() */
};

const struct sym_file *sym_builder__file(const struct sym_builder *b)
{
	return b->file;
}

const struct elf_file *sym_builder__code(const struct sym_builder *b)
{
	return b->code;
}

int sym_builder__keep(struct sym_builder *b, void *block, size_t len)
{
	struct sym_table *st = b->st;
	void **p = realloc(st->blocks, (st->nr_blocks + 1) * sizeof(*p));

	if (!p) {
		free(block);
		return -ENOMEM;
	}
	st->blocks = p;
	st->blocks[st->nr_blocks++] = block;
	b->kept_bytes += len;
	return 0;
}

int sym_builder__note(struct sym_builder *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = text_lines__vadd(&b->st->notes, &b->st->nr_notes, fmt, ap);
	va_end(ap);
	return rc;
}

int sym_builder__reserve(struct sym_builder *b, size_t n)
{
	struct raw_sym *p;
	size_t cap;

	if (b->cap_raw - b->nr_raw >= n)
		return 0;
	if (n > SIZE_MAX / sizeof(*p) - b->nr_raw)
		return -ENOMEM;
	cap = b->nr_raw + n;
	p = realloc(b->raw, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	b->raw = p;
	b->cap_raw = cap;
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

int sym_builder__add(struct sym_builder *b, const struct sym_draft *d)
{
	struct raw_sym *r;
	__u64 off;

	if (b->nr_raw == b->cap_raw)
		return -ENOSPC;
	if (!d->name_len || d->name_len > UINT32_MAX)
		return 0;	/* nothing to call it by */
	if (elf_file__vaddr_to_offset(b->code, d->addr, &off))
		return 0;	/* not in the file: nothing to probe */
	/*
	 * Bytes of names and versions the load may scan, hash and compare.
	 * Names can share one long string, so without a bound a small hostile
	 * file costs quadratic time; real files stay far below (node: about
	 * 1x its tables).
	 */
	b->str_used += d->name_len + (d->version ? strlen(d->version) : 0);
	if (b->str_used / 4 > b->kept_bytes + (4 << 20))
		return -ENOEXEC;
	r = &b->raw[b->nr_raw++];
	*r = (struct raw_sym){
		.addr = d->addr,
		.size = d->size,
		.hash = hash_bytes(d->name, d->name_len),
		.name = d->name,
		.version = d->version,
		.name_len = (__u32)d->name_len,
		.source = (__u8)d->source,
		.default_version = d->default_version,
		.ifunc = d->ifunc,
		.global = d->global,
	};
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
 * two versions of one name both stay. A merged symbol keeps the source
 * that came first (see sym_table__load()).
 */
static int build_table(struct sym_builder *b, struct sym_table *st)
{
	const struct raw_sym *k = NULL;
	struct sym *s = NULL;
	size_t i, n = 0;

	st->syms = malloc((b->nr_raw ? b->nr_raw : 1) * sizeof(*st->syms));
	if (!st->syms)
		return -ENOMEM;
	for (i = 0; i < b->nr_raw; i++) {
		const struct raw_sym *r = &b->raw[i];

		if (k && k->addr == r->addr && same_name(k, r) &&
		    (!r->version || !cmp_version(k->version, r->version))) {
			s->global |= r->global;
			s->ifunc |= r->ifunc;
			if (r->size > s->size)
				s->size = r->size;
			if (r->source < s->source)
				s->source = r->source;
			continue;
		}
		k = r;
		s = &st->syms[n++];
		*s = (struct sym){
			.name = r->name,
			.version = r->version,
			.default_version = r->default_version,
			.addr = r->addr,
			.size = r->size,
			.ifunc = r->ifunc,
			.global = r->global,
			.source = r->source,
		};
		/* Checked when added: the address is in a PT_LOAD segment. */
		elf_file__vaddr_to_offset(b->code, r->addr, &s->offset);
	}
	/*
	 * Cut "f@@V" names only now: comparing stayed within name_len, and a
	 * string shared by several symbols must read the same for all of them.
	 */
	for (i = 0; i < b->nr_raw; i++)
		b->raw[i].name[b->raw[i].name_len] = '\0';
	st->nr = n;
	return 0;
}

/* A source other than the file's own tables failed: the rest still count. */
static void skip_source(struct sym_builder *b, enum sym_source src, int err)
{
	if (b->st->skipped == SYM_SRC_NR) {
		b->st->skipped = src;
		b->st->skipped_err = err;
	}
}

/*
 * The end of an extra source that returned err, having started with mark
 * symbols: one that fails adds nothing (its blocks are only memory) and is
 * skipped; only running out of memory stops the load.
 */
static int extra_source(struct sym_builder *b, int err, size_t mark, enum sym_source src)
{
	if (!err)
		return 0;
	b->nr_raw = mark;
	if (err == -ENOMEM)
		return err;
	skip_source(b, src, err);
	return 0;
}

/*
 * The sources in the order that decides which one a symbol named by
 * several is shown as coming from: the file's own tables first.
 */
static int load_sources(struct sym_builder *b)
{
	enum sym_source via = SYM_SRC_DEBUGLINK;
	bool has_symtab, found = false;
	size_t mark;
	int err = sym_source__elf(b, b->code, SYM_SRC_SYMTAB, &has_symtab);

	if (err)
		return err;
	/* a .symtab names every function: only a stripped file needs its debug file */
	if (!has_symtab) {
		mark = b->nr_raw;
		err = sym_source__debug_file(b, &found, &via);
		err = extra_source(b, err, mark, via);
		/* MiniDebugInfo holds a subset of what a debug file does */
		if (!err && !found) {
			mark = b->nr_raw;
			err = sym_source__minidebuginfo(b);
			err = extra_source(b, err, mark, SYM_SRC_MINIDEBUG);
		}
		if (err)
			return err;
	}
	/* Go: every function, stripped or not (names as Go writes them, e.g. F[...]) */
	mark = b->nr_raw;
	err = sym_source__go(b);
	return extra_source(b, err, mark, SYM_SRC_GOPCLNTAB);
}

/* The executable segments of ef, for sym_table__offset_of(). */
static void keep_segments(struct sym_table *st, const struct elf_file *ef)
{
	Elf *elf = elf_file__elf(ef);
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return;
	for (i = 0; i < n && st->nr_segs < MAX_SEGMENTS; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || !ph.p_filesz)
			continue;
		st->segs[st->nr_segs++] = (struct segment){
			.vaddr = ph.p_vaddr, .filesz = ph.p_filesz, .offset = ph.p_offset,
		};
	}
}

int sym_table__load(const struct sym_file *f, struct sym_table **out)
{
	struct sym_builder b = { .file = f };
	struct elf_file *ef = NULL;
	struct sym_table *st;
	int err;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->skipped = SYM_SRC_NR;
	b.st = st;
	err = elf_file__open(f->path, &ef);
	if (err)
		goto cleanup;
	b.code = ef;
	keep_segments(st, ef);
	err = load_sources(&b);
	if (err)
		goto cleanup;
	if (b.nr_raw)	/* b.raw is NULL without symbols */
		qsort(b.raw, b.nr_raw, sizeof(*b.raw), cmp_raw);
	err = build_table(&b, st);
	if (!err)
		err = sym_names__new(st->syms, st->nr, &st->names);
	if (err)
		goto cleanup;
	*out = st;
	st = NULL;

cleanup:
	sym_table__free(st);
	free(b.raw);
	elf_file__close(ef);
	return err;
}

