// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for Go's function table reader (loader/go_pclntab.c).
 * The first byte says how to wrap the rest in an ELF file (which section,
 * PIE or not, a relocation of textStart; tests/unit/gopclntab_build.h); the
 * rest is the table. With -DGOPCLNTAB_SEEDS: a program that writes small
 * valid tables of each format, wrapped each way, as seeds into argv[1].
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "loader/elf_file.h"
#include "loader/go_pclntab.h"
#include "tests/unit/gopclntab_build.h"

/* The mode byte. */
#define M_DYN		0x01	/* ET_DYN */
#define M_RELRO		0x02	/* inside .data.rel.ro, with .go.buildinfo: the scan */
#define M_RELA		0x04	/* a RELATIVE relocation of textStart: GT_TEXT_VADDR */
#define M_PIE_NAME	0x08	/* .data.rel.ro.gopclntab */
#define M_POS_SHIFT	4	/* bits 4-5: the table at 8 * this in .data.rel.ro */

static void layout(__u8 mode, struct gt_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->type = mode & M_DYN ? ET_DYN : ET_EXEC;
	l->section = mode & M_RELRO ? ".data.rel.ro" :
		     mode & M_PIE_NAME ? ".data.rel.ro.gopclntab" : ".gopclntab";
	l->pos = mode & M_RELRO ? 8 * ((mode >> M_POS_SHIFT) & 3) : 0;
	l->buildinfo = mode & M_RELRO;
	l->rela = mode & M_RELA;
	l->addend = GT_TEXT_VADDR;
}

#ifndef GOPCLNTAB_SEEDS

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_gopclntab: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static int mem_fd = -1;
static char mem_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mem_fd = memfd_create("fuzz_gopclntab", MFD_CLOEXEC);
	if (mem_fd < 0) {
		perror("fuzz_gopclntab: memfd_create");
		exit(1);
	}
	snprintf(mem_path, sizeof(mem_path), "/proc/self/fd/%d", mem_fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct go_func *f = (void *)1;
	struct elf_file *ef;
	struct gt_layout l;
	size_t n = 1, i, names = 0;
	int rc;

	if (!size)
		return 0;
	layout(data[0], &l);
	if (gt_elf(mem_fd, &l, data + 1, size - 1))
		abort();
	CHECK(!elf_file__open(mem_path, &ef));	/* the wrapper is well-formed */
	rc = go_pclntab__load(ef, &f, &n);
	elf_file__close(ef);
	CHECK(rc == 0 || rc == -ENOEXEC || rc == -ENOTSUP || rc == -ENOMEM ||
	      (rc == -ENOENT && (l.buildinfo)));
	if (rc) {
		CHECK(!f && !n);
		return 0;
	}
	/* what a Go table can hold: every function a name, in bounds, in order */
	CHECK(f && n && n <= size / 8);
	for (i = 0; i < n; i++) {
		size_t len = strlen(f[i].name);

		CHECK(len > 0 && len < size);
		names += len + 1;
		CHECK(f[i].entry + f[i].size >= f[i].entry &&
		      f[i].entry + f[i].size <= GT_SEG_SIZE);
		CHECK(i + 1 == n || f[i].entry + f[i].size <= f[i + 1].entry);
	}
	CHECK(names <= size);
	go_pclntab__free(f, n);
	return 0;
}

#else /* GOPCLNTAB_SEEDS */

static const struct gt_func funcs[] = {
	{ "main.main", 0x0, 0x51, false },
	{ "github.com/x/y.(*T).Method", 0x60, 0x20, true },
	{ "main.Map[...]", 0xa0, 0x1c, false },
};

static int write_seed(const char *dir, const char *name, __u8 mode, const __u8 *t, size_t len)
{
	char path[4096];
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	ok = fwrite(&mode, 1, 1, fp) == 1 && fwrite(t, 1, len, fp) == len;
	return fclose(fp) || !ok ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; __u32 magic; __u8 mode; __u64 text; } seeds[] = {
		{ "go116", GT_MAGIC_116, 0, 0 },
		{ "go118", GT_MAGIC_118, 0, GT_TEXT_VADDR },
		{ "go120", GT_MAGIC_120, 0, GT_TEXT_VADDR },
		{ "go120_pie", GT_MAGIC_120, M_DYN | M_PIE_NAME, GT_TEXT_VADDR },
		{ "go118_rela", GT_MAGIC_118, M_DYN | M_RELA, 0 },
		{ "go118_relro", GT_MAGIC_118, M_DYN | M_RELRO | (2 << M_POS_SHIFT), GT_TEXT_VADDR },
	};
	static __u8 t[65536];
	size_t i, len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		len = gt_table(seeds[i].magic, seeds[i].text, 0xc0, funcs, 3, t, sizeof(t));
		if (!len || write_seed(argv[1], seeds[i].name, seeds[i].mode, t, len)) {
			perror(seeds[i].name);
			return 1;
		}
	}
	return 0;
}

#endif
