// SPDX-License-Identifier: MIT
/*
 * Find a BTF FUNC by name, or the members of a struct, in streaming passes:
 * the string section for the names' offsets, then the type section for a
 * FUNC (or STRUCT) with that name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/btf.h>
#include "loader/kfunc_btf.h"

/* The fuzz harness builds this file with a small chunk, so that every
 * boundary case of the stream is met in small inputs. */
#ifndef KFUNC_BTF_CHUNK
#define KFUNC_BTF_CHUNK (64 * 1024)
#endif
_Static_assert(KFUNC_BTF_CHUNK >= 64, "a chunk holds at least a few records");

#define MAX_MEMBERS 8

struct reader {
	int fd;
	uint64_t pos, end;	/* file offsets */
	size_t len, off;	/* valid bytes in buf, next unread byte */
	unsigned char buf[KFUNC_BTF_CHUNK];
};

/* The sections as file offsets, checked to lie within the file. */
struct sections {
	uint64_t str_start, str_len;
	uint64_t type_start, type_len;
};

/*
 * Make at least n (<= the chunk) contiguous bytes available at r->buf +
 * r->off. -EINVAL if the section ends first.
 */
static int fill(struct reader *r, size_t n)
{
	ssize_t got;

	if (r->len - r->off >= n)
		return 0;
	memmove(r->buf, r->buf + r->off, r->len - r->off);
	r->len -= r->off;
	r->off = 0;
	while (r->len < n) {
		if (r->pos >= r->end)
			return -EINVAL;
		got = pread(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, (off_t)r->pos);
		if (got < 0)
			return -errno;
		if (!got)	/* the file shrank since we checked its size */
			return -EINVAL;
		if ((uint64_t)got > r->end - r->pos)
			got = (ssize_t)(r->end - r->pos);
		r->pos += (uint64_t)got;
		r->len += (size_t)got;
	}
	return 0;
}

/* Pass over n bytes without reading them (the caller checked they are in the section). */
static void skip(struct reader *r, uint64_t n)
{
	size_t have = r->len - r->off;

	if (n <= have) {
		r->off += (size_t)n;
		return;
	}
	r->pos += n - have;
	r->len = r->off = 0;
}

static void seek(struct reader *r, uint64_t start, uint64_t len)
{
	r->pos = start;
	r->end = start + len;
	r->len = r->off = 0;
}

/*
 * Offset of name in the string section, or -ENOENT. A string longer than
 * the buffer is passed over: name, which fits, cannot be it.
 */
static int64_t string_offset(struct reader *r, const struct sections *s, const char *name)
{
	size_t want = strlen(name) + 1;
	bool skipping = false;	/* in the tail of a string longer than the buffer */
	uint64_t at = 0;	/* section offset of the byte at r->buf + r->off */
	int err;

	if (want > sizeof(r->buf))
		return -ENAMETOOLONG;
	seek(r, s->str_start, s->str_len);
	while (at < s->str_len) {
		unsigned char *p, *nul;
		size_t avail, n;

		if ((err = fill(r, 1)))
			return err;
		p = r->buf + r->off;
		avail = r->len - r->off;
		nul = memchr(p, '\0', avail);
		if (!nul) {
			if (at + avail == s->str_len)
				return -ENOENT;	/* the section ends inside a string */
			if (avail == sizeof(r->buf)) {
				skipping = true;
				at += avail;
				r->off = r->len;
			} else if ((err = fill(r, avail + 1))) {
				return err;
			}
			continue;
		}
		n = (size_t)(nul - p) + 1;
		if (!skipping && n == want && !memcmp(p, name, want))
			return (int64_t)at;
		skipping = false;
		at += n;
		r->off += n;
	}
	return -ENOENT;
}

/* Bytes that follow struct btf_type for its kind. */
static int64_t trailing(uint32_t info)
{
	uint32_t vlen = BTF_INFO_VLEN(info);

	switch (BTF_INFO_KIND(info)) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case 17 /* DECL_TAG */:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC:
	case 19 /* ENUM64 */:
		return (int64_t)vlen * 12;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO:
		return (int64_t)vlen * 8;
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC: case BTF_KIND_FLOAT: case 18 /* TYPE_TAG */:
		return 0;
	default:
		return -EINVAL; /* a kind we cannot size: stop rather than misread */
	}
}

/*
 * The id of the first type of kind named name_off, with r left just past
 * its struct btf_type (at its members, for a struct). -ENOENT if none,
 * -EINVAL if the section is not a whole number of types we can size.
 */
static int find_type(struct reader *r, const struct sections *s, uint32_t kind,
		     uint32_t name_off, struct btf_type *out)
{
	uint64_t done = 0;
	int64_t extra;
	int id, err;

	seek(r, s->type_start, s->type_len);
	for (id = 1; done < s->type_len; id++) {
		if (s->type_len - done < sizeof(*out) || id == INT_MAX)
			return -EINVAL;
		if ((err = fill(r, sizeof(*out))))
			return err;
		memcpy(out, r->buf + r->off, sizeof(*out));
		r->off += sizeof(*out);
		done += sizeof(*out);
		if (BTF_INFO_KIND(out->info) == kind && out->name_off == name_off)
			return id;
		extra = trailing(out->info);
		if (extra < 0 || (uint64_t)extra > s->type_len - done)
			return -EINVAL;
		skip(r, (uint64_t)extra);
		done += (uint64_t)extra;
	}
	return -ENOENT;
}

/* The byte offsets of the members named names[] in the struct t, read at r's position. */
static int member_offsets(struct reader *r, const struct btf_type *t, const int64_t *names,
			  int *offsets, int n)
{
	uint32_t i, bits, vlen = BTF_INFO_VLEN(t->info);
	struct btf_member m;
	int k, err;

	for (k = 0; k < n; k++)
		offsets[k] = -ENOENT;
	for (i = 0; i < vlen; i++) {
		if ((err = fill(r, sizeof(m))))
			return err;
		memcpy(&m, r->buf + r->off, sizeof(m));
		r->off += sizeof(m);
		/* with kind_flag, the high 8 bits are a bitfield's size */
		bits = BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m.offset) : m.offset;
		for (k = 0; k < n; k++)
			if (m.name_off == names[k] && offsets[k] == -ENOENT)
				offsets[k] = bits % 8 ? -EINVAL : (int)(bits / 8);
	}
	for (k = 0; k < n; k++)
		if (offsets[k] < 0)
			return offsets[k];
	return 0;
}

/* The header of the BTF in fd, its sections checked against the file's size. */
static int read_header(int fd, struct sections *s)
{
	struct btf_header h;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.magic != BTF_MAGIC ||
	    h.hdr_len < sizeof(h))
		return -EINVAL;
	/* 64-bit sums: hdr_len + str_off must not wrap around to the header */
	s->str_start = (uint64_t)h.hdr_len + h.str_off;
	s->str_len = h.str_len;
	s->type_start = (uint64_t)h.hdr_len + h.type_off;
	s->type_len = h.type_len;
	if (s->str_start + s->str_len > (uint64_t)st.st_size ||
	    s->type_start + s->type_len > (uint64_t)st.st_size)
		return -EINVAL;
	return 0;
}

/* A reader for fd, with its sections; 64 KiB, so off the stack. */
static int reader_open(int fd, struct reader **r, struct sections *s)
{
	int err = read_header(fd, s);

	if (err)
		return err;
	*r = malloc(sizeof(**r));
	if (!*r)
		return -ENOMEM;
	(*r)->fd = fd;
	return 0;
}

int kfunc_btf_id_fd(int fd, const char *name)
{
	struct reader *r = NULL;
	struct sections s;
	struct btf_type t;
	int64_t off;
	int rc;

	if ((rc = reader_open(fd, &r, &s)))
		return rc;
	off = string_offset(r, &s, name);
	rc = off < 0 ? (int)off : find_type(r, &s, BTF_KIND_FUNC, (uint32_t)off, &t);
	free(r);
	return rc;
}

int kstruct_btf_offsets_fd(int fd, const char *name, const char *const *members,
			   int *offsets, int n)
{
	struct reader *r = NULL;
	int64_t soff, moff[MAX_MEMBERS];
	struct sections s;
	struct btf_type t;
	int i, rc;

	if (n < 0 || n > MAX_MEMBERS)
		return -E2BIG;
	if ((rc = reader_open(fd, &r, &s)))
		return rc;
	soff = string_offset(r, &s, name);
	rc = soff < 0 ? (int)soff : 0;
	for (i = 0; i < n && !rc; i++)
		if ((moff[i] = string_offset(r, &s, members[i])) < 0)
			rc = (int)moff[i];
	if (!rc && (rc = find_type(r, &s, BTF_KIND_STRUCT, (uint32_t)soff, &t)) > 0)
		rc = member_offsets(r, &t, moff, offsets, n);
	free(r);
	return rc;
}

int kfunc_btf_id(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = kfunc_btf_id_fd(fd, name);
	close(fd);
	return rc;
}

int kstruct_btf_offsets(const char *path, const char *name, const char *const *members,
			int *offsets, int n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = kstruct_btf_offsets_fd(fd, name, members, offsets, n);
	close(fd);
	return rc;
}
