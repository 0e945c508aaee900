// SPDX-License-Identifier: MIT
/*
 * libFuzzer harnesses for the ELF layer. By default: whole files through
 * sym_table__load/match/suggest, usdt_notes__load and
 * lang_runtime__detect. With
 * -DFUZZ_USDT_ARGS: strings through usdt_parse_args.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "loader/sym_table.h"
#include "loader/lang_runtime.h"
#include "loader/usdt_notes.h"

/* A broken invariant is a finding even when nothing was read out of bounds. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_elf: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#ifndef FUZZ_USDT_ARGS

static int mem_fd = -1;
static char mem_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* A memfd: no temporary files left behind, no disk I/O per input. */
	mem_fd = memfd_create("fuzz_elf", MFD_CLOEXEC);
	if (mem_fd < 0) {
		perror("fuzz_elf: memfd_create");
		exit(1);
	}
	snprintf(mem_path, sizeof(mem_path), "/proc/self/fd/%d", mem_fd);
	return 0;
}

static void fuzz_symbols(size_t size)
{
	static const char *const globs[] = { "*", "fx_*", "*@*", "*@@VER_?", "sync::*", "f" };
	const struct sym **m;
	struct sym_table *st;
	size_t i, j, n;

	if (sym_table__load(&(struct sym_file){ .path = mem_path, .shown = mem_path }, &st))
		return;
	for (i = 0; i < sym_table__count(st); i++) {
		const struct sym *s = sym_table__get(st, i);

		CHECK(s->offset < size && s->name[0]);
		CHECK(!i || sym_table__get(st, i - 1)->addr <= s->addr);
		CHECK(sym_table__shown(st, s)[0]);	/* demangled, if a C++ or Rust name */
	}
	for (i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		n = sym_table__match(st, globs[i], &m);
		for (j = 1; j < n; j++)
			CHECK(m[j - 1]->addr < m[j]->addr);
		free(m);
	}
	sym_table__suggest(st, "mian");
	sym_table__suggest(st, "sync::psuh");
	sym_table__free(st);
}

static void fuzz_usdt(size_t size)
{
	struct usdt_probe *p;
	size_t i, n;

	if (usdt_notes__load(mem_path, &p, &n))
		return;
	for (i = 0; i < n; i++) {
		CHECK(p[i].offset < size);
		CHECK(!p[i].sema_addr || p[i].sema_offset < size);
		CHECK(p[i].nargs >= -1 && p[i].nargs <= USDT_MAX_ARGS);
		CHECK(p[i].provider[0] && p[i].name[0] && p[i].arg_str);
	}
	usdt_notes__free(p, n);
}

static void fuzz_runtime(void)
{
	struct runtime_info info;

	if (lang_runtime__detect(mem_path, &info)) {
		CHECK(info.runtime == LANG_RUNTIME_NATIVE && !info.marker);
		return;
	}
	CHECK(info.runtime <= LANG_RUNTIME_OCAML);
	CHECK(!info.marker == (info.runtime == LANG_RUNTIME_NATIVE));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(mem_fd, 0) ||
	    pwrite(mem_fd, data, size, 0) != (ssize_t)size)
		abort();
	fuzz_symbols(size);
	fuzz_usdt(size);
	fuzz_runtime();
	return 0;
}

#else /* FUZZ_USDT_ARGS */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usdt_arg args[USDT_MAX_ARGS];
	char *s = malloc(size + 1);
	int n, i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = usdt_parse_args(s, args, USDT_MAX_ARGS);
	CHECK(n == -EINVAL || (n >= 0 && n <= USDT_MAX_ARGS));
	for (i = 0; i < n; i++) {
		int sz = args[i].size < 0 ? -args[i].size : args[i].size;

		CHECK(sz == 1 || sz == 2 || sz == 4 || sz == 8);
		CHECK(args[i].kind == USDT_ARG_CONST ||
		      (args[i].reg_off >= 0 && args[i].reg_off <= 160 &&
		       args[i].reg_off % 8 == 0));
	}
	free(s);
	return 0;
}

#endif
