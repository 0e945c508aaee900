// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the streaming BTF reader (loader/kfunc_btf.c, built
 * here with a 64-byte chunk so that small inputs cross chunk boundaries
 * everywhere): the input is a BTF file in a memfd, looked up through
 * kfunc_btf_id_fd and kstruct_btf_offsets_fd, and every answer must equal
 * that of a plain in-memory walk of the same bytes (below). The names looked
 * up are fixed ones and those of the input's own first FUNCs and STRUCT.
 * Seeds: real vmlinux BTF cut to a size (tests/fuzz/btf_seeds.py).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/btf.h>
#include "loader/kfunc_btf.h"

#ifndef KFUNC_BTF_CHUNK
#error "build with -DKFUNC_BTF_CHUNK=N, as kfunc_btf.c is"
#endif

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_btf: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#define MAX_NAMES 8

static int mem_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mem_fd = memfd_create("fuzz_btf", MFD_CLOEXEC);
	if (mem_fd < 0) {
		perror("fuzz_btf: memfd_create");
		exit(1);
	}
	return 0;
}

/* The reference: the whole input in memory, walked the simplest way. */
struct ref {
	const uint8_t *d;
	size_t size;
	uint64_t str_start, str_len, type_start, type_len;
};

static int ref_open(struct ref *b, const uint8_t *d, size_t size)
{
	struct btf_header h;

	b->d = d;
	b->size = size;
	if (size < sizeof(h))
		return -EINVAL;
	memcpy(&h, d, sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len < sizeof(h))
		return -EINVAL;
	b->str_start = (uint64_t)h.hdr_len + h.str_off;
	b->str_len = h.str_len;
	b->type_start = (uint64_t)h.hdr_len + h.type_off;
	b->type_len = h.type_len;
	if (b->str_start + b->str_len > size || b->type_start + b->type_len > size)
		return -EINVAL;
	return 0;
}

/* The first string of the section equal to name. */
static int64_t ref_string(const struct ref *b, const char *name)
{
	const uint8_t *s = b->d + b->str_start, *nul;
	size_t want = strlen(name) + 1;
	uint64_t at = 0;

	if (want > KFUNC_BTF_CHUNK)
		return -ENAMETOOLONG;
	while (at < b->str_len) {
		nul = memchr(s + at, '\0', b->str_len - at);
		if (!nul)
			return -ENOENT;
		if ((uint64_t)(nul - s) + 1 - at == want && !memcmp(s + at, name, want))
			return (int64_t)at;
		at = (uint64_t)(nul - s) + 1;
	}
	return -ENOENT;
}

/* The string at off of the section, if it is one (NUL inside the section). */
static const char *ref_name(const struct ref *b, uint32_t off)
{
	const char *s = (const char *)b->d + b->str_start;

	if (off >= b->str_len || !memchr(s + off, '\0', b->str_len - off))
		return NULL;
	return s + off;
}

static int64_t ref_trailing(uint32_t info)
{
	uint32_t vlen = BTF_INFO_VLEN(info);

	switch (BTF_INFO_KIND(info)) {
	case 1: case 14: case 17:		/* INT, VAR, DECL_TAG */
		return 4;
	case 3:					/* ARRAY */
		return 12;
	case 4: case 5: case 15: case 19:	/* STRUCT, UNION, DATASEC, ENUM64 */
		return 12LL * vlen;
	case 6: case 13:			/* ENUM, FUNC_PROTO */
		return 8LL * vlen;
	case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18:
		return 0;
	default:
		return -EINVAL;
	}
}

/* Calls fn(type, its offset in the section, id) for each type, in order, until
 * fn returns non-zero (returned) or a type cannot be sized (-EINVAL). */
static int ref_walk(const struct ref *b, int (*fn)(const struct btf_type *, uint64_t, int,
						   void *), void *ctx)
{
	struct btf_type t;
	uint64_t done = 0;
	int64_t extra;
	int id, rc;

	for (id = 1; done < b->type_len; id++) {
		if (b->type_len - done < sizeof(t))
			return -EINVAL;
		memcpy(&t, b->d + b->type_start + done, sizeof(t));
		if ((rc = fn(&t, done, id, ctx)))
			return rc;
		extra = ref_trailing(t.info);
		done += sizeof(t);
		if (extra < 0 || (uint64_t)extra > b->type_len - done)
			return -EINVAL;
		done += (uint64_t)extra;
	}
	return 0;
}

struct find {
	uint32_t kind, name_off;
	uint64_t at;		/* section offset of the found type */
	struct btf_type t;
};

static int match(const struct btf_type *t, uint64_t at, int id, void *ctx)
{
	struct find *f = ctx;

	if (BTF_INFO_KIND(t->info) != f->kind || t->name_off != f->name_off)
		return 0;
	f->t = *t;
	f->at = at;
	return id;
}

static int ref_find(const struct ref *b, struct find *f)
{
	int rc = ref_walk(b, match, f);

	return rc ? rc : -ENOENT;
}

static int ref_func_id(const struct ref *b, const char *name)
{
	struct find f = { .kind = BTF_KIND_FUNC };
	int64_t off = ref_string(b, name);

	if (off < 0)
		return (int)off;
	f.name_off = (uint32_t)off;
	return ref_find(b, &f);
}

static int ref_offsets(const struct ref *b, const char *name, const char *const *members,
		       int *offsets, int n)
{
	struct find f = { .kind = BTF_KIND_STRUCT };
	int64_t off = ref_string(b, name), moff[MAX_NAMES];
	const uint8_t *m;
	uint32_t vlen, i, bits;
	int k, rc;

	if (off < 0)
		return (int)off;
	for (k = 0; k < n; k++)
		if ((moff[k] = ref_string(b, members[k])) < 0)
			return (int)moff[k];
	f.name_off = (uint32_t)off;
	if ((rc = ref_find(b, &f)) < 0)
		return rc;
	vlen = BTF_INFO_VLEN(f.t.info);
	if (12ULL * vlen > b->type_len - f.at - sizeof(f.t))
		return -EINVAL;
	m = b->d + b->type_start + f.at + sizeof(f.t);
	for (k = 0; k < n; k++)
		offsets[k] = -ENOENT;
	for (i = 0; i < vlen; i++) {
		struct btf_member mm;

		memcpy(&mm, m + 12 * i, sizeof(mm));
		bits = BTF_INFO_KFLAG(f.t.info) ? BTF_MEMBER_BIT_OFFSET(mm.offset) : mm.offset;
		for (k = 0; k < n; k++)
			if (mm.name_off == moff[k] && offsets[k] == -ENOENT)
				offsets[k] = bits % 8 ? -EINVAL : (int)(bits / 8);
	}
	for (k = 0; k < n; k++)
		if (offsets[k] < 0)
			return offsets[k];
	return 0;
}

/* Names to look up, taken from the input: its first FUNCs, its first STRUCT
 * and that struct's first members. */
struct picks {
	const struct ref *b;
	const char *funcs[MAX_NAMES];
	int nr_funcs;
	const char *strct;
	const char *members[MAX_NAMES];	/* and room for one it lacks */
	int nr_members;
};

static int pick(const struct btf_type *t, uint64_t at, int id, void *ctx)
{
	struct picks *p = ctx;
	const uint8_t *m;
	const char *name = ref_name(p->b, t->name_off);
	uint32_t i, vlen = BTF_INFO_VLEN(t->info);

	if (!name)
		return 0;
	if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC && p->nr_funcs < MAX_NAMES)
		p->funcs[p->nr_funcs++] = name;
	if (BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT || p->strct)
		return 0;
	p->strct = name;
	m = p->b->d + p->b->type_start + at + sizeof(*t);
	for (i = 0; i < vlen && p->nr_members < MAX_NAMES - 1; i++) {
		struct btf_member mm;

		if (at + sizeof(*t) + 12ULL * (i + 1) > p->b->type_len)
			break;
		memcpy(&mm, m + 12 * i, sizeof(mm));
		if ((name = ref_name(p->b, mm.name_off)))
			p->members[p->nr_members++] = name;
	}
	return 0;
}

static void check_func(const struct ref *b, int ref_rc, const char *name)
{
	int got = kfunc_btf_id_fd(mem_fd, name);
	int want = ref_rc ? ref_rc : ref_func_id(b, name);

	if (got != want) {
		fprintf(stderr, "fuzz_btf: FUNC '%.40s': streamed %d, in memory %d\n", name, got,
			want);
		abort();
	}
	CHECK(got > 0 || got == -ENOENT || got == -EINVAL || got == -ENAMETOOLONG);
}

static void check_struct(const struct ref *b, int ref_rc, const char *name,
			 const char *const *members, int n)
{
	int got[MAX_NAMES], want[MAX_NAMES], rc, ref, k;

	rc = kstruct_btf_offsets_fd(mem_fd, name, members, got, n);
	ref = ref_rc ? ref_rc : ref_offsets(b, name, members, want, n);
	if (rc != ref) {
		fprintf(stderr, "fuzz_btf: STRUCT '%.40s': streamed %d, in memory %d\n", name,
			rc, ref);
		abort();
	}
	CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL || rc == -ENAMETOOLONG);
	for (k = 0; !rc && k < n; k++)
		CHECK(got[k] == want[k] && got[k] >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const task[] = { "real_parent", "tgid" };
	struct picks p = {};
	struct ref b;
	int ref_rc, i;

	CHECK(!ftruncate(mem_fd, 0));
	CHECK(pwrite(mem_fd, data, size, 0) == (ssize_t)size);
	ref_rc = ref_open(&b, data, size);

	check_func(&b, ref_rc, "bpf_session_cookie");
	check_struct(&b, ref_rc, "task_struct", task, 2);
	if (ref_rc)
		return 0;
	p.b = &b;
	ref_walk(&b, pick, &p);
	for (i = 0; i < p.nr_funcs; i++)
		check_func(&b, 0, p.funcs[i]);
	if (p.strct) {
		/* all its members, then one it lacks, then none */
		check_struct(&b, 0, p.strct, p.members, p.nr_members);
		p.members[p.nr_members] = "no_such_member_anywhere";
		check_struct(&b, 0, p.strct, p.members, p.nr_members + 1);
		check_struct(&b, 0, p.strct, p.members, 0);
	}
	CHECK(kstruct_btf_offsets_fd(mem_fd, "x", task, NULL, MAX_NAMES + 1) == -E2BIG);
	return 0;
}
