// SPDX-License-Identifier: MIT
/* Global variables by name; see elf_data.h. */
#include <errno.h>
#include <string.h>
#include "loader/elf_data.h"
#include "loader/elf_file.h"

/* One symbol table (ndx) searched for name; -ENOENT when it is not there. */
static int search_table(const struct elf_file *ef, size_t ndx, const char *name, __u64 *vaddr)
{
	size_t len = strlen(name), i, nr;
	GElf_Shdr sh, strsh;
	Elf_Data *data, *strs;
	Elf_Scn *scn;

	scn = elf_file__section(ef, ndx, &sh);
	if (!scn || sh.sh_entsize != sizeof(Elf64_Sym) ||
	    !(data = elf_file__section_data(ef, scn, &sh)))
		return -ENOENT;
	scn = elf_file__section(ef, sh.sh_link, &strsh);
	if (!scn || strsh.sh_type != SHT_STRTAB || !(strs = elf_file__section_data(ef, scn, &strsh)))
		return -ENOENT;
	nr = data->d_size / sizeof(Elf64_Sym);
	for (i = 1; i < nr; i++) {
		GElf_Sym sym;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_OBJECT && type != STT_TLS) || sym.st_shndx == SHN_UNDEF)
			continue;
		/* bounded: the name must end inside the string table */
		if (sym.st_name >= strs->d_size || strs->d_size - sym.st_name < len + 1 ||
		    memcmp((const char *)strs->d_buf + sym.st_name, name, len + 1))
			continue;
		if (type == STT_TLS)
			return -EMEDIUMTYPE;
		*vaddr = sym.st_value;
		return 0;
	}
	return -ENOENT;
}

int elf_data_symbol(const char *path, const char *name, __u64 *vaddr)
{
	static const Elf64_Word types[] = { SHT_SYMTAB, SHT_DYNSYM };
	struct elf_file *ef;
	size_t t, ndx;
	int rc = elf_file__open(path, &ef);

	if (rc)
		return rc;
	rc = -ENOENT;
	for (t = 0; t < 2 && rc == -ENOENT; t++) {
		for (ndx = 1; ndx < elf_file__nr_sections(ef) && rc == -ENOENT; ndx++) {
			GElf_Shdr sh;

			if (elf_file__section(ef, ndx, &sh) && sh.sh_type == types[t])
				rc = search_table(ef, ndx, name, vaddr);
		}
	}
	elf_file__close(ef);
	return rc;
}
