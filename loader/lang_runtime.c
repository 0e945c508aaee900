// SPDX-License-Identifier: MIT
/*
 * Tell Go and OCaml files from native ones by the sections and symbols
 * their toolchains always leave, so that no return probe lands in them;
 * see lang_runtime.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/lang_runtime.h"

struct marker {
	const char *name;
	enum lang_runtime runtime;
};

/*
 * Sections the Go linker writes into every program and library; stripping
 * (-ldflags=-s -w, strip(1)) keeps them, as the runtime reads them.
 * ocamlopt has no section of its own: its code and frame tables go into
 * .text and .data.
 */
static const struct marker sections[] = {
	{ ".go.buildinfo", LANG_RUNTIME_GO },
	{ ".gopclntab", LANG_RUNTIME_GO },
};

/*
 * Symbols, in .symtab or .dynsym, defined or not. runtime.morestack is in
 * every gc-compiled Go file (the stack check calls it). caml_start_program
 * is where the OCaml runtime enters OCaml code, caml_program the body of an
 * ocamlopt executable (also when the runtime is a shared library),
 * caml_plugin_header that of a .cmxs plugin. Debian's ocamlopt links with
 * -Wl,-E, so they are in .dynsym too and survive strip.
 */
static const struct marker symbols[] = {
	{ "runtime.morestack", LANG_RUNTIME_GO },
	{ "caml_start_program", LANG_RUNTIME_OCAML },
	{ "caml_program", LANG_RUNTIME_OCAML },
	{ "caml_plugin_header", LANG_RUNTIME_OCAML },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct marker *section_marker(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(sections); i++)
		if (!strcmp(name, sections[i].name))
			return &sections[i];
	return NULL;
}

/*
 * The symbol marker named at off of a string table. Bounded by the marker,
 * not the table: elf_strptr() looks for the end of every name, which a
 * hostile table (thousands of symbols on one long unterminated name) makes
 * quadratic.
 */
static const struct marker *symbol_marker(const Elf_Data *strs, size_t off)
{
	size_t i, len;

	if (off >= strs->d_size)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(symbols); i++) {
		len = strlen(symbols[i].name);
		if (len < strs->d_size - off &&
		    !memcmp((const char *)strs->d_buf + off, symbols[i].name, len + 1))
			return &symbols[i];
	}
	return NULL;
}

/*
 * The first marker among the names of one symbol table. A table that does
 * not hold together is skipped, not fatal: the resolver has read it
 * already, and a marker elsewhere may still tell.
 */
static const struct marker *scan_symbols(const struct elf_file *ef, Elf_Scn *scn,
					 const GElf_Shdr *sh)
{
	Elf_Data *data = elf_file__section_data(ef, scn, sh), *strs;
	const struct marker *m;
	GElf_Shdr str_sh;
	Elf_Scn *str_scn;
	size_t i, nr;
	GElf_Sym sym;

	if (!data || sh->sh_entsize != sizeof(Elf64_Sym))
		return NULL;
	str_scn = elf_file__section(ef, sh->sh_link, &str_sh);
	if (!str_scn || str_sh.sh_type != SHT_STRTAB ||
	    !(strs = elf_file__section_data(ef, str_scn, &str_sh)))
		return NULL;
	nr = data->d_size / sizeof(Elf64_Sym);
	for (i = 1; i < nr && i <= INT_MAX; i++) {
		if (!gelf_getsym(data, (int)i, &sym))
			return NULL;
		if ((m = symbol_marker(strs, sym.st_name)))
			return m;
	}
	return NULL;
}

static const struct marker *find_markers(const struct elf_file *ef)
{
	size_t i, n = elf_file__nr_sections(ef);
	const struct marker *m, *by_sym = NULL;
	GElf_Shdr sh;
	Elf_Scn *scn;

	/* sections first: a name compare each, where symbols number thousands */
	for (i = 1; i < n; i++) {
		if (!elf_file__section(ef, i, &sh))
			continue;
		m = section_marker(elf_file__section_name(ef, &sh));
		if (m)
			return m;
	}
	for (i = 1; i < n && !by_sym; i++) {
		scn = elf_file__section(ef, i, &sh);
		if (scn && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
			by_sym = scan_symbols(ef, scn, &sh);
	}
	return by_sym;
}

/* A program has an interpreter or is not position-independent; a library neither. */
static bool is_library(const struct elf_file *ef)
{
	GElf_Shdr sh;

	return elf_file__is_pie_or_dso(ef) && !elf_file__section_by_name(ef, ".interp", &sh);
}

int lang_runtime__detect(const char *path, struct runtime_info *out)
{
	const struct marker *m;
	struct elf_file *ef;
	int err;

	memset(out, 0, sizeof(*out));
	err = elf_file__open(path, &ef);
	if (err)
		return err;
	m = find_markers(ef);
	if (m) {
		out->runtime = m->runtime;
		out->marker = m->name;
	}
	out->library = is_library(ef);
	elf_file__close(ef);
	return 0;
}

const char *lang_runtime__name(enum lang_runtime rt)
{
	switch (rt) {
	case LANG_RUNTIME_GO:
		return "Go";
	case LANG_RUNTIME_OCAML:
		return "OCaml";
	default:
		return "native";
	}
}

/* Why a uretprobe's replaced return address breaks it, in a few words. */
static const char *why(enum lang_runtime rt)
{
	return rt == LANG_RUNTIME_GO ? "Go moves stacks" :
	       "OCaml walks its stack by return addresses";
}

/* The path as the process sees it: a point's target is "PATH:OP". */
static int shown_len(const struct trace_point *p)
{
	size_t t = strlen(p->target), o = strlen(p->op);

	return t > o ? (int)(t - o - 1) : (int)t;
}

int lang_runtime__check_returns(const struct trace_plan *plan, char *msg, size_t len)
{
	const struct trace_point *p;
	struct runtime_info info;
	const char *last = NULL;
	size_t i;
	int err;

	for (i = 0; i < plan->nr_sites; i++) {
		const struct probe_site *s = &plan->sites[i];

		/* sites of one file share one path string, and sit together once sorted */
		if (s->path == last || s->cookie >= plan->nr_points)
			continue;
		last = s->path;
		p = &plan->points[s->cookie];
		err = lang_runtime__detect(s->path, &info);
		if (err) {
			snprintf(msg, len, "%.*s: cannot tell its language runtime: %s",
				 shown_len(p), p->target, strerror(-err));
			return err == -EINVAL ? -EIO : err;
		}
		if (info.runtime == LANG_RUNTIME_NATIVE)
			continue;
		snprintf(msg, len, "%s: %.*s is %s %s %s, and a return probe would crash it (%s)",
			 p->op, shown_len(p), p->target,
			 info.runtime == LANG_RUNTIME_OCAML ? "an" : "a",
			 lang_runtime__name(info.runtime), info.library ? "library" : "program",
			 why(info.runtime));
		return -EINVAL;
	}
	return 0;
}
