// SPDX-License-Identifier: MIT
/*
 * The ELF symbol source: the functions of .symtab and .dynsym (with GNU
 * symbol versions) of the probed file or of a debug file of it; see
 * sym_source.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/sym_source.h"

#define VERSYM_IDX_MASK	0x7fff
#define VERSYM_HIDDEN	0x8000
#define NR_VERSIONS	(VERSYM_IDX_MASK + 1)
#define MAX_STRTABS	3	/* .symtab's, .dynsym's and .gnu.version_d's */

/*
 * Names point into private copies of the string tables, kept by the
 * builder, not into the mapping: a copy is at most the file's size
 * (copying each name could blow up, as symbols may share one long name),
 * and a binary truncated while we trace it cannot SIGBUS us.
 */
struct strtab {
	size_t ndx;		/* section index */
	size_t size;		/* bytes, plus a NUL we add after them */
	char *buf;
};

struct elf_reader {
	struct sym_builder *b;
	const struct elf_file *ef;
	struct strtab tabs[MAX_STRTABS];
	size_t nr_tabs;
	const char **vernames;	/* verdef index -> name, NR_VERSIONS long */
};

/* The private copy of string table ndx, made on first use. */
static int get_strtab(struct elf_reader *l, size_t ndx, struct strtab **out)
{
	struct strtab *t = l->tabs;
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;
	int err;

	for (*out = t; *out < t + l->nr_tabs; (*out)++)
		if ((*out)->ndx == ndx)
			return 0;
	scn = elf_file__section(l->ef, ndx, &sh);
	if (!scn || sh.sh_type != SHT_STRTAB || l->nr_tabs == MAX_STRTABS ||
	    !(data = elf_file__section_data(l->ef, scn, &sh)))
		return -ENOEXEC;
	t += l->nr_tabs;
	t->buf = malloc(data->d_size + 1);
	if (!t->buf)
		return -ENOMEM;
	memcpy(t->buf, data->d_buf, data->d_size);
	/* Every offset now has a terminator, whatever the file says. */
	t->buf[data->d_size] = '\0';
	t->size = data->d_size;
	t->ndx = ndx;
	err = sym_builder__keep(l->b, t->buf, data->d_size + 1);
	if (err)
		return err;
	l->nr_tabs++;
	*out = t;
	return 0;
}

/*
 * Measure a name. With split, a .symtab name such as "memcpy@@GLIBC_2.14"
 * ends at the '@' and the rest is its version.
 */
static void scan_name(struct sym_draft *d, char *name, bool split)
{
	const char *p = split ? strchrnul(name, '@') : name + strlen(name);

	d->name = name;
	d->name_len = (size_t)(p - name);
	if (!*p || !p[1] || (p[1] == '@' && !p[2]))
		return;		/* no '@', or nothing after it */
	d->default_version = p[1] == '@';
	d->version = p + (p[1] == '@' ? 2 : 1);
}

/* Fill vernames from .gnu.version_d; sections are looked up by type. */
static int load_verdefs(struct elf_reader *l, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_file__section_data(l->ef, scn, sh);
	struct strtab *strs;
	GElf_Verdef vd;
	GElf_Verdaux va;
	size_t off = 0, i, max;
	int err;

	if (!data)
		return -ENOEXEC;
	err = get_strtab(l, sh->sh_link, &strs);
	if (err)
		return err;
	l->vernames = calloc(NR_VERSIONS, sizeof(*l->vernames));
	if (!l->vernames)
		return -ENOMEM;
	/* vd_next only moves forward, but bound the walk by count and size. */
	max = data->d_size / sizeof(Elf64_Verdef);
	if (sh->sh_info < max)
		max = sh->sh_info;
	for (i = 0; i < max; i++) {
		if (off > (size_t)INT32_MAX || !gelf_getverdef(data, (int)off, &vd))
			return -ENOEXEC;
		if (vd.vd_cnt) {
			if (vd.vd_aux > INT32_MAX - off ||
			    !gelf_getverdaux(data, (int)(off + vd.vd_aux), &va) ||
			    va.vda_name >= strs->size)
				return -ENOEXEC;
			l->vernames[vd.vd_ndx & VERSYM_IDX_MASK] =
				strs->buf + va.vda_name;
		}
		if (!vd.vd_next)
			break;
		off += vd.vd_next;
	}
	return 0;
}

/*
 * The versym data of the dynamic symbol table at index dynsym_ndx, after
 * loading the matching verdefs. *versym is NULL when the file has none.
 */
static int load_versions(struct elf_reader *l, size_t dynsym_ndx, size_t nr_syms,
			 Elf_Data **versym)
{
	size_t i, n = elf_file__nr_sections(l->ef);
	Elf_Scn *vs_scn = NULL;
	GElf_Shdr sh, vs_sh;
	int err;

	*versym = NULL;
	for (i = 1; i < n; i++) {
		Elf_Scn *scn = elf_file__section(l->ef, i, &sh);

		if (!scn)
			return -ENOEXEC;
		if (sh.sh_type == SHT_GNU_versym && sh.sh_link == dynsym_ndx &&
		    !vs_scn) {
			vs_scn = scn;
			vs_sh = sh;
		} else if (sh.sh_type == SHT_GNU_verdef && !l->vernames) {
			err = load_verdefs(l, scn, &sh);
			if (err)
				return err;
		}
	}
	if (!vs_scn || !l->vernames)
		return 0;	/* only needed (verneed) versions: none defined */
	*versym = elf_file__section_data(l->ef, vs_scn, &vs_sh);
	/* One entry per symbol, or the indices would run off the end. */
	if (!*versym || (*versym)->d_size / sizeof(GElf_Versym) < nr_syms)
		return -ENOEXEC;
	return 0;
}

static int load_table(struct elf_reader *l, size_t ndx, bool dynamic,
		      enum sym_source src)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_file__section(l->ef, ndx, &sh);
	Elf_Data *data, *versym = NULL;
	struct strtab *strs;
	size_t i, nr;
	int err;

	if (!scn || sh.sh_entsize != sizeof(Elf64_Sym))
		return -ENOEXEC;
	data = elf_file__section_data(l->ef, scn, &sh);
	if (!data)
		return sh.sh_size ? -ENOEXEC : 0;
	err = get_strtab(l, sh.sh_link, &strs);
	if (err)
		return err;
	nr = data->d_size / sizeof(Elf64_Sym);
	if (dynamic) {
		err = load_versions(l, ndx, nr, &versym);
		if (err)
			return err;
	}
	err = sym_builder__reserve(l->b, nr);
	for (i = 1; i < nr && !err; i++) {
		struct sym_draft d = { .source = src };
		GElf_Versym vs;
		GElf_Sym sym;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			return -ENOEXEC;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		if (sym.st_name >= strs->size)
			continue;
		/* .dynsym versions come from .gnu.version, not the name. */
		scan_name(&d, strs->buf + sym.st_name, !dynamic);
		if (!d.name_len)
			continue;
		d.addr = sym.st_value;
		d.size = sym.st_size;
		d.ifunc = type == STT_GNU_IFUNC;
		d.global = GELF_ST_BIND(sym.st_info) == STB_GLOBAL ||
			   GELF_ST_BIND(sym.st_info) == STB_WEAK;
		/* 0 is local, 1 the unversioned global: neither is a version. */
		if (versym && gelf_getversym(versym, (int)i, &vs) &&
		    (vs & VERSYM_IDX_MASK) > 1 &&
		    l->vernames[vs & VERSYM_IDX_MASK]) {
			d.version = l->vernames[vs & VERSYM_IDX_MASK];
			d.default_version = !(vs & VERSYM_HIDDEN);
		}
		err = sym_builder__add(l->b, &d);
	}
	return err;
}

int sym_source__elf(struct sym_builder *b, const struct elf_file *ef,
		    enum sym_source symtab_src, bool *has_symtab)
{
	struct elf_reader l = { .b = b, .ef = ef };
	size_t i, n = elf_file__nr_sections(ef), symtab = 0, dynsym = 0;
	GElf_Shdr sh;
	int err = 0;

	*has_symtab = false;
	for (i = 1; i < n; i++) {
		if (!elf_file__section(ef, i, &sh))
			return -ENOEXEC;
		if (sh.sh_type == SHT_SYMTAB && !symtab)
			symtab = i;
		else if (sh.sh_type == SHT_DYNSYM && !dynsym)
			dynsym = i;
	}
	if (symtab && elf_file__section(ef, symtab, &sh))
		*has_symtab = sh.sh_size > sizeof(Elf64_Sym);
	if (symtab)
		err = load_table(&l, symtab, false, symtab_src);
	if (!err && dynsym)
		err = load_table(&l, dynsym, true, SYM_SRC_DYNSYM);
	free(l.vernames);
	return err;
}
