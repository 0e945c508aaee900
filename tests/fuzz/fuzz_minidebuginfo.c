// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for MiniDebugInfo (loader/minidebuginfo.c) and
 * elf_file__open_mem: each input is decompressed as the xz stream of a
 * .gnu_debugdata section (and what comes out opened as an ELF image), and
 * opened as a whole ELF file whose .gnu_debugdata is decoded. Seeds: the
 * MiniDebugInfo fixture and its raw stream (tests/fixtures/debug.mk).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "loader/elf_file.h"
#include "loader/minidebuginfo.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_minidebuginfo: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* Touch what a symbol source reads: every section's header, name and data. */
static void walk(const struct elf_file *ef)
{
	size_t i;

	for (i = 1; i < elf_file__nr_sections(ef); i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_file__section(ef, i, &sh);
		Elf_Data *data;

		if (!scn)
			continue;
		elf_file__section_name(ef, &sh);
		data = elf_file__section_data(ef, scn, &sh);
		CHECK(!data || data->d_size == sh.sh_size);
	}
}

static void as_stream(const uint8_t *data, size_t size)
{
	struct elf_file *ef;
	size_t len;
	void *out;
	int rc = minidebuginfo__decompress(data, size, &out, &len);

	CHECK(rc == 0 || rc == -ENOEXEC || rc == -ENOMEM);
	if (rc) {
		CHECK(!out && !len);
		return;
	}
	CHECK(len <= MINIDEBUGINFO_OUT_MAX);
	CHECK(len <= MINIDEBUGINFO_OUT_MIN || len <= size * MINIDEBUGINFO_RATIO);
	rc = elf_file__open_mem(out, len, &ef);
	free(out);		/* ef has its own copy */
	if (rc)
		return;
	walk(ef);
	elf_file__close(ef);
}

static void as_file(const uint8_t *data, size_t size)
{
	struct elf_file *ef, *mini;
	int rc;

	if (elf_file__open_mem(data, size, &ef))
		return;
	walk(ef);
	rc = minidebuginfo__open(ef, &mini);
	CHECK(rc == 0 || rc == -ENOENT || rc == -ENOEXEC || rc == -ENOMEM);
	CHECK(!rc == !!mini);
	if (mini) {
		walk(mini);
		elf_file__close(mini);
	}
	elf_file__close(ef);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_stream(data, size);
	as_file(data, size);
	return 0;
}
