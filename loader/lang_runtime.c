// SPDX-License-Identifier: MIT
/*
 * Tell Go and OCaml files from native ones by the sections and symbols
 * their toolchains always leave, so that no uretprobe lands in them; see
 * lang_runtime.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/lang_runtime.h"

struct marker {
	const char *name;
	enum lang_runtime runtime;
};

struct cached_file {
	char *path;
	struct runtime_info info;
};

struct runtime_cache {
	struct cached_file *files;
	size_t nr;
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

/*
 * Whether the string at off of a string table is name. Bounded by name,
 * not the table: elf_strptr() looks for the end of every string, which a
 * hostile table (thousands of entries on one long unterminated string)
 * makes quadratic.
 */
static bool string_is(const Elf_Data *strs, size_t off, const char *name)
{
	size_t len = strlen(name);

	return off < strs->d_size && len < strs->d_size - off &&
	       !memcmp((const char *)strs->d_buf + off, name, len + 1);
}

static const struct marker *find_marker(const struct marker *m, size_t n,
					const Elf_Data *strs, size_t off)
{
	size_t i;
	char first;

	if (off >= strs->d_size)
		return NULL;
	/* the first byte rules out nearly every name of node's 180k, without a memcmp */
	first = ((const char *)strs->d_buf)[off];
	for (i = 0; i < n; i++)
		if (m[i].name[0] == first && string_is(strs, off, m[i].name))
			return &m[i];
	return NULL;
}

/* The contents of the string table at index ndx, or NULL. */
static Elf_Data *string_table(const struct elf_file *ef, size_t ndx)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_file__section(ef, ndx, &sh);

	if (!scn || sh.sh_type != SHT_STRTAB)
		return NULL;
	return elf_file__section_data(ef, scn, &sh);
}

/*
 * The first marker among the names of one symbol table. A table that does
 * not hold together is skipped, not fatal: the resolver has read it
 * already, and a marker elsewhere may still tell.
 */
static const struct marker *scan_symbols(const struct elf_file *ef, Elf_Scn *scn,
					 const GElf_Shdr *sh)
{
	Elf_Data *data = elf_file__section_data(ef, scn, sh);
	Elf_Data *strs = string_table(ef, sh->sh_link);
	const struct marker *m;
	size_t i, nr;
	GElf_Sym sym;

	if (!data || !strs || sh->sh_entsize != sizeof(Elf64_Sym))
		return NULL;
	nr = data->d_size / sizeof(Elf64_Sym);
	for (i = 1; i < nr && i <= INT_MAX; i++) {
		if (!gelf_getsym(data, (int)i, &sym))
			return NULL;
		if ((m = find_marker(symbols, ARRAY_SIZE(symbols), strs, sym.st_name)))
			return m;
	}
	return NULL;
}

static const struct marker *find_markers(const struct elf_file *ef)
{
	size_t i, n = elf_file__nr_sections(ef), shstrndx;
	const struct marker *m = NULL;
	Elf_Data *names = NULL;
	GElf_Shdr sh;
	Elf_Scn *scn;

	/* sections first: a name compare each, where symbols number thousands */
	if (!elf_getshdrstrndx(elf_file__elf(ef), &shstrndx))
		names = string_table(ef, shstrndx);
	for (i = 1; i < n && names && !m; i++)
		if (elf_file__section(ef, i, &sh))
			m = find_marker(sections, ARRAY_SIZE(sections), names, sh.sh_name);
	for (i = 1; i < n && !m; i++) {
		scn = elf_file__section(ef, i, &sh);
		if (scn && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
			m = scan_symbols(ef, scn, &sh);
	}
	return m;
}

/* A program is not position-independent, or names its interpreter; a library neither. */
static bool is_library(const struct elf_file *ef)
{
	Elf *elf = elf_file__elf(ef);
	size_t i, phnum;
	GElf_Phdr ph;

	if (!elf_file__is_pie_or_dso(ef))
		return false;
	if (elf_getphdrnum(elf, &phnum))
		return false;
	for (i = 0; i < phnum && i <= INT_MAX; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			return false;
	return true;
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

const char *lang_runtime__uretprobe_hazard(enum lang_runtime rt)
{
	return rt == LANG_RUNTIME_GO ? "Go moves stacks" :
	       rt == LANG_RUNTIME_OCAML ? "OCaml walks its stack by return addresses" : "none";
}

struct runtime_cache *runtime_cache__new(void)
{
	return calloc(1, sizeof(struct runtime_cache));
}

void runtime_cache__free(struct runtime_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr; i++)
		free(c->files[i].path);
	free(c->files);
	free(c);
}

int runtime_cache__detect(struct runtime_cache *c, const char *path, struct runtime_info *info)
{
	struct cached_file *f;
	size_t i;
	int err;

	for (i = 0; c && i < c->nr; i++) {
		if (!strcmp(c->files[i].path, path)) {
			*info = c->files[i].info;
			return 0;
		}
	}
	err = lang_runtime__detect(path, info);
	if (err || !c)
		return err;
	f = realloc(c->files, (c->nr + 1) * sizeof(*f));
	if (!f)
		return 0;	/* known now, just not kept */
	c->files = f;
	f[c->nr].path = strdup(path);
	f[c->nr].info = *info;
	if (f[c->nr].path)
		c->nr++;
	return 0;
}
