/* SPDX-License-Identifier: MIT */
/*
 * Which language runtime a file holds, for the runtimes a return probe
 * (uretprobe) crashes: Go and OCaml walk their stacks by return address
 * (Go also moves them), and a uretprobe replaces the return address.
 * Their functions' returns are probed at their ret instructions instead
 * (ret_plan.h).
 */
#ifndef SYNCTRACE_LANG_RUNTIME_H
#define SYNCTRACE_LANG_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

enum lang_runtime {
	LANG_RUNTIME_NATIVE,	/* C, C++, Rust...: return probes are safe */
	LANG_RUNTIME_GO,
	LANG_RUNTIME_OCAML,
};

struct runtime_info {
	enum lang_runtime runtime;
	bool library;		/* a shared library, not a program */
	const char *marker;	/* the section or symbol that told (static), or NULL */
};

/*
 * What path holds. Go: a .go.buildinfo or .gopclntab section (kept by
 * -ldflags=-s -w) or the symbol runtime.morestack; OCaml: the symbols
 * caml_start_program (the runtime), caml_program (an ocamlopt executable)
 * or caml_plugin_header (a .cmxs), in .symtab or .dynsym. Returns 0, or
 * the -errno of elf_file__open() (-ENOEXEC: not an ELF file we read).
 */
int lang_runtime__detect(const char *path, struct runtime_info *out);

/* "Go", "OCaml", "native". */
const char *lang_runtime__name(enum lang_runtime rt);

/* Why a uretprobe's replaced return address breaks rt, in a few words ("Go moves stacks"). */
const char *lang_runtime__uretprobe_hazard(enum lang_runtime rt);

/* The files already looked at: several plans over one big file read it once. */
struct runtime_cache;

struct runtime_cache *runtime_cache__new(void);
void runtime_cache__free(struct runtime_cache *c);

/* lang_runtime__detect() through the cache (which may be NULL). */
int runtime_cache__detect(struct runtime_cache *c, const char *path, struct runtime_info *out);

/*
 * lang_runtime__detect() through the cache, if there is one (c may be
 * NULL): several functions of one big file read it once. A failure is
 * not kept.
 */
int runtime_cache__detect(struct runtime_cache *c, const char *path, struct runtime_info *info);

#endif /* SYNCTRACE_LANG_RUNTIME_H */
