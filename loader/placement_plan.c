// SPDX-License-Identifier: MIT
/*
 * Placement over a file's functions: each decided on its own code, then
 * vetoed where other code of the file enters between +0 and the moved
 * site; see placement.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/placement.h"
#include "loader/sym_table.h"
#include "loader/x86_insn.h"
#include "maps/ret_probes.h"

/* Other code this near a moved site is decoded for branches into it (glibc's .S entries). */
#define NEAR_BYTES (64 * 1024)
/* What a symbol without a size is taken to span at most. */
#define SIZELESS_BYTES 4096
/* The farthest a site moves: PLACE_MAX_INSNS instructions of at most 15 bytes. */
#define MAX_SKIP_BYTES (PLACE_MAX_INSNS * 15)

/* The functions' moved sites, by address, for the other code's branches. */
struct moved {
	__u64 fn;
	struct placement *p;
	const char *name;
};

static int cmp_moved(const void *a, const void *b)
{
	const struct moved *x = a, *y = b;

	return (x->fn > y->fn) - (x->fn < y->fn);
}

/* The first moved function at or after addr. */
static size_t first_from(const struct moved *mv, size_t n, __u64 addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mv[mid].fn < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A branch to target, or a symbol there: veto the moved sites it enters. */
static void enter(struct moved *mv, size_t n, __u64 target, __u64 from)
{
	__u64 lo = target > MAX_SKIP_BYTES ? target - MAX_SKIP_BYTES : 0;
	size_t i;

	for (i = first_from(mv, n, lo); i < n && mv[i].fn < target; i++)
		placement__veto(mv[i].p, mv[i].fn, target, from);
}

/* Is s near a moved site, or the .cold part of a moved function? */
static bool worth_decoding(const struct moved *mv, size_t n, const struct sym *s)
{
	const char *cold = strstr(s->name, ".cold");
	__u64 lo = s->addr > NEAR_BYTES ? s->addr - NEAR_BYTES : 0;
	size_t i = first_from(mv, n, lo);

	if (i < n && mv[i].fn <= s->addr + s->size + NEAR_BYTES)
		return true;
	for (i = 0; cold && i < n; i++)
		if (strlen(mv[i].name) == (size_t)(cold - s->name) &&
		    !strncmp(mv[i].name, s->name, (size_t)(cold - s->name)))
			return true;
	return false;
}

/* Read the code of [vaddr, vaddr + size) from ef: a malloc'ed copy, or NULL. */
static void *read_code(const struct elf_file *ef, __u64 vaddr, __u64 size)
{
	__u64 off, off_last;
	void *code;

	if (!size || size > RP_MAX_FN_SIZE || vaddr + size < vaddr ||
	    elf_file__vaddr_to_offset(ef, vaddr, &off) ||
	    elf_file__vaddr_to_offset(ef, vaddr + size - 1, &off_last) ||
	    off_last < off || off_last - off != size - 1)
		return NULL;
	code = malloc(size);
	if (code && elf_file__read(ef, off, code, size)) {
		free(code);
		return NULL;
	}
	return code;
}

/* Code near these moved sites is unknown (sized, but it does not decode): they stay. */
static void veto_near(struct moved *mv, size_t n, const struct sym *s)
{
	__u64 lo = s->addr > NEAR_BYTES ? s->addr - NEAR_BYTES : 0;
	size_t i;

	for (i = first_from(mv, n, lo); i < n && mv[i].fn <= s->addr + s->size + NEAR_BYTES; i++) {
		if (mv[i].fn == s->addr || mv[i].p->why != PLACE_MOVED)
			continue;	/* its own code was decoded whole already */
		mv[i].p->why = PLACE_NEAR_UNKNOWN;
		mv[i].p->skip = 0;
		mv[i].p->entered_from = s->addr;
	}
}

/*
 * The code of s: size bytes, or for a symbol without a size (assembly:
 * glibc's __restore_rt, crt's _fini), a guess: up to the next symbol, at
 * most SIZELESS_BYTES, as far as it can be read.
 */
static __u64 extent(const struct sym_table *st, size_t i, const struct sym *s)
{
	const struct sym *next;

	if (s->size)
		return s->size;
	while ((next = sym_table__get(st, ++i)) && next->addr <= s->addr)
		;
	if (!next || next->addr - s->addr > SIZELESS_BYTES)
		return SIZELESS_BYTES;
	return next->addr - s->addr;
}

/*
 * Every direct branch of s into a moved site vetoes it; so does s's own
 * address. Sized code that does not decode, or cannot be read, may hide a
 * branch: the sites near it stay. A sizeless symbol's guessed extent ends
 * where its code stops decoding or can no longer be read.
 */
static void scan_symbol(const struct elf_file *ef, struct moved *mv, size_t n,
			const struct sym *s, __u64 size)
{
	void *code = NULL;
	struct x86_insn in;
	struct x86_iter it;
	int rc;

	enter(mv, n, s->addr, 0);
	for (; size && !(code = read_code(ef, s->addr, size)) && !s->size; size /= 4)
		;
	if (!code) {
		if (s->size)
			veto_near(mv, n, s);
		return;
	}
	x86_iter__init(&it, code, size, s->addr);
	while ((rc = x86_iter__next(&it, &in)) > 0)
		if (in.flow == X86_FLOW_JMP || in.flow == X86_FLOW_JCC ||
		    in.flow == X86_FLOW_CALL || in.flow == X86_FLOW_COND_OTHER)
			enter(mv, n, in.target, in.vaddr);
	if (rc < 0 && s->size)
		veto_near(mv, n, s);
	free(code);
}

int placement__plan(const struct elf_file *ef, const struct sym_table *st,
		    const struct sym *const *m, size_t n, struct placement *out)
{
	struct moved *mv = calloc(n ? n : 1, sizeof(*mv));
	size_t i, nr_mv = 0, nr_syms = sym_table__count(st);
	void *code;

	if (!mv)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		code = read_code(ef, m[i]->addr, m[i]->size);
		placement__decide(code, code ? m[i]->size : 0, m[i]->addr, &out[i]);
		free(code);
		if (out[i].why == PLACE_MOVED)
			mv[nr_mv++] = (struct moved){ m[i]->addr, &out[i], m[i]->name };
	}
	qsort(mv, nr_mv, sizeof(*mv), cmp_moved);
	/* each symbol once: its address, and its branches, may enter a moved site */
	for (i = 0; nr_mv && i < nr_syms; i++) {
		const struct sym *s = sym_table__get(st, i);

		if (s && worth_decoding(mv, nr_mv, s))
			scan_symbol(ef, mv, nr_mv, s, extent(st, i, s));
	}
	free(mv);
	return 0;
}
