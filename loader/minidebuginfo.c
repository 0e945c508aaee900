// SPDX-License-Identifier: MIT
/* Decompressing and opening a .gnu_debugdata section; see minidebuginfo.h. */
#include <errno.h>
#include <stdlib.h>
#include <lzma.h>
#include "loader/minidebuginfo.h"

/* The first output buffer; it doubles up to the limit. */
#define FIRST_OUT	(64UL * 1024)

static size_t out_limit(size_t in_len)
{
	size_t lim = MINIDEBUGINFO_OUT_MAX;

	if (in_len < MINIDEBUGINFO_OUT_MAX / MINIDEBUGINFO_RATIO)
		lim = in_len * MINIDEBUGINFO_RATIO;
	return lim < MINIDEBUGINFO_OUT_MIN ? MINIDEBUGINFO_OUT_MIN : lim;
}

int minidebuginfo__decompress(const void *in, size_t len, void **out, size_t *out_len)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	/* one byte more than allowed: output of exactly the limit still ends */
	size_t cap = FIRST_OUT, lim = out_limit(len) + 1;
	unsigned char *buf = NULL, *grown;
	lzma_ret ret;
	int err;

	*out = NULL;
	*out_len = 0;
	/* no flags: one stream, no padding or concatenation after it */
	ret = lzma_stream_decoder(&strm, MINIDEBUGINFO_MEMLIMIT, 0);
	if (ret != LZMA_OK)
		return ret == LZMA_MEM_ERROR ? -ENOMEM : -ENOEXEC;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	strm.next_in = in;
	strm.avail_in = len;
	strm.next_out = buf;
	strm.avail_out = cap;
	for (;;) {
		ret = lzma_code(&strm, LZMA_FINISH);
		if (ret == LZMA_STREAM_END)
			break;
		if (ret != LZMA_OK) {
			/* LZMA_BUF_ERROR: the input ended mid-stream */
			err = ret == LZMA_MEM_ERROR ? -ENOMEM : -ENOEXEC;
			goto cleanup;
		}
		if (strm.avail_out)
			continue;
		if (cap >= lim) {
			err = -ENOEXEC;		/* more than any real symbol table */
			goto cleanup;
		}
		cap = cap > lim / 2 ? lim : cap * 2;
		grown = realloc(buf, cap);
		if (!grown) {
			err = -ENOMEM;
			goto cleanup;
		}
		buf = grown;
		strm.next_out = buf + strm.total_out;
		strm.avail_out = cap - strm.total_out;
	}
	/* bytes after the stream are not what objcopy adds */
	if (strm.avail_in || strm.total_out == lim) {
		err = -ENOEXEC;
		goto cleanup;
	}
	*out = buf;
	*out_len = strm.total_out;
	buf = NULL;
	err = 0;
cleanup:
	free(buf);
	lzma_end(&strm);
	return err;
}

int minidebuginfo__open(const struct elf_file *ef, struct elf_file **out)
{
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;
	size_t len;
	void *img;
	int err;

	*out = NULL;
	scn = elf_file__section_by_name(ef, ".gnu_debugdata", &sh);
	if (!scn)
		return -ENOENT;
	data = elf_file__section_data(ef, scn, &sh);
	if (!data)
		return -ENOEXEC;
	err = minidebuginfo__decompress(data->d_buf, data->d_size, &img, &len);
	if (err)
		return err;
	err = elf_file__open_mem(img, len, out);
	free(img);
	return err;
}
