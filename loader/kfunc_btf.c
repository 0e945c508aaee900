// SPDX-License-Identifier: MIT
/*
 * Find a BTF FUNC by name, or the members of a struct, in streaming passes:
 * the string section for the names' offsets, then the type section for a
 * FUNC (or STRUCT) with that name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include "loader/kfunc_btf.h"

#define CHUNK (64 * 1024)

struct reader {
	int fd;
	uint64_t pos, end;	/* file offsets */
	unsigned char buf[CHUNK];
	size_t len, off;	/* valid bytes in buf, next unread byte */
};

/* Make at least n contiguous bytes available at r->buf + r->off. */
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
		if (got <= 0)
			return got < 0 ? -errno : -EINVAL;
		if ((uint64_t)got > r->end - r->pos)
			got = (ssize_t)(r->end - r->pos);
		r->pos += (uint64_t)got;
		r->len += (size_t)got;
	}
	return 0;
}

static void seek(struct reader *r, uint64_t start, uint64_t len)
{
	r->pos = start;
	r->end = start + len;
	r->len = r->off = 0;
}

/* Offset of name in the string section, or -ENOENT. */
static int64_t string_offset(struct reader *r, const struct btf_header *h,
			     const char *name)
{
	size_t want = strlen(name) + 1;
	uint64_t at = 0;

	seek(r, h->hdr_len + h->str_off, h->str_len);
	while (at < h->str_len) {
		unsigned char *s, *nul;
		size_t avail;

		if (fill(r, 1))
			return -ENOENT;
		s = r->buf + r->off;
		avail = r->len - r->off;
		nul = memchr(s, '\0', avail);
		if (!nul) {	/* a string longer than the buffer holds: skip what we have */
			if (avail == sizeof(r->buf))
				return -EINVAL;
			if (fill(r, avail + 1))
				return -ENOENT;
			continue;
		}
		if ((size_t)(nul - s) + 1 == want && !memcmp(s, name, want))
			return (int64_t)at;
		at += (uint64_t)(nul - s) + 1;
		r->off += (size_t)(nul - s) + 1;
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
 * its struct btf_type (at its members, for a struct). -ENOENT if none.
 */
static int find_type(struct reader *r, const struct btf_header *h, uint32_t kind,
		     uint32_t name_off, struct btf_type *out)
{
	uint64_t done = 0;
	int id = 1;

	seek(r, h->hdr_len + h->type_off, h->type_len);
	while (done < h->type_len) {
		int64_t extra;

		if (fill(r, sizeof(*out)))
			return -EINVAL;
		memcpy(out, r->buf + r->off, sizeof(*out));
		r->off += sizeof(*out);
		if (BTF_INFO_KIND(out->info) == kind && out->name_off == name_off)
			return id;
		extra = trailing(out->info);
		if (extra < 0 || extra > CHUNK || (extra && fill(r, (size_t)extra)))
			return -EINVAL;
		r->off += (size_t)extra;
		done += sizeof(*out) + (uint64_t)extra;
		id++;
	}
	return -ENOENT;
}

/* The byte offsets of the members named names[] in the struct t, read at r's position. */
static int member_offsets(struct reader *r, const struct btf_type *t, const int64_t *names,
			  int *offsets, int n)
{
	uint32_t i, bits, vlen = BTF_INFO_VLEN(t->info);
	struct btf_member m;
	int k;

	for (k = 0; k < n; k++)
		offsets[k] = -ENOENT;
	for (i = 0; i < vlen; i++) {
		if (fill(r, sizeof(m)))
			return -EINVAL;
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

static int open_btf(const char *path, struct btf_header *h)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (pread(fd, h, sizeof(*h), 0) != sizeof(*h) || h->magic != BTF_MAGIC ||
	    h->hdr_len < sizeof(*h)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int kfunc_btf_id(const char *path, const char *name)
{
	static struct reader r; /* 64 KiB: keep it off the stack */
	struct btf_header h;
	struct btf_type t;
	int64_t off;
	int rc;

	r.fd = open_btf(path, &h);
	if (r.fd < 0)
		return r.fd;
	off = string_offset(&r, &h, name);
	rc = off < 0 ? (int)off : find_type(&r, &h, BTF_KIND_FUNC, (uint32_t)off, &t);
	close(r.fd);
	return rc;
}

int kstruct_btf_offsets(const char *path, const char *name, const char *const *members,
			int *offsets, int n)
{
	static struct reader r;
	struct btf_header h;
	struct btf_type t;
	int64_t soff, moff[8];
	int i, rc = 0;

	if (n > 8)
		return -E2BIG;
	r.fd = open_btf(path, &h);
	if (r.fd < 0)
		return r.fd;
	soff = string_offset(&r, &h, name);
	for (i = 0; i < n && soff >= 0 && !rc; i++)
		if ((moff[i] = string_offset(&r, &h, members[i])) < 0)
			rc = (int)moff[i];
	if (soff < 0)
		rc = (int)soff;
	if (!rc && (rc = find_type(&r, &h, BTF_KIND_STRUCT, (uint32_t)soff, &t)) > 0)
		rc = member_offsets(&r, &t, moff, offsets, n);
	close(r.fd);
	return rc;
}
