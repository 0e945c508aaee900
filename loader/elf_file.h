/* SPDX-License-Identifier: MIT */
/*
 * One opened, validated ELF file: the base the symbol and USDT readers stand
 * on. Only 64-bit little-endian x86_64 executables and shared objects open.
 */
#ifndef SYNCTRACE_ELF_FILE_H
#define SYNCTRACE_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/types.h>

struct elf_file;

/*
 * Open and validate path. Returns 0 or -ENOENT, -EACCES (open failed),
 * -EISDIR (a directory), -ENOEXEC (not a regular file, not ELF, wrong
 * class, byte order, machine or type, or a header/segment/section table
 * that lies outside the file), -ENOMEM.
 */
int elf_file__open(const char *path, struct elf_file **out);

/*
 * The same for an image in memory (a MiniDebugInfo ELF, decompressed):
 * buf is copied, so the caller may free it at once. -ENOEXEC as above
 * (len counts as the file size), -ENOMEM.
 */
int elf_file__open_mem(const void *buf, size_t len, struct elf_file **out);
void elf_file__close(struct elf_file *ef);

Elf *elf_file__elf(const struct elf_file *ef);
bool elf_file__is_pie_or_dso(const struct elf_file *ef);	/* ET_DYN */

/*
 * File offset of a virtual address: the PT_LOAD segment that holds it
 * (p_vaddr <= addr < p_vaddr + p_filesz); -ENOENT if none. This is the
 * uprobe offset.
 */
int elf_file__vaddr_to_offset(const struct elf_file *ef, __u64 vaddr,
			      __u64 *offset);

/*
 * Read len bytes at file offset off into buf, with pread(2) on the file
 * opened at open time (not through a mapping a truncated file would turn
 * into SIGBUS). 0, or -EIO when [off, off + len) is not in the file.
 */
int elf_file__read(const struct elf_file *ef, __u64 off, void *buf, size_t len);

/*
 * Helpers for the readers built on this file. Both only hand out sections
 * whose headers were checked at open time (in bounds, not overlapping the
 * end of the file).
 */

/* Number of sections (0 when the file has no section header table). */
size_t elf_file__nr_sections(const struct elf_file *ef);

/* The section at index ndx with its header, or NULL if ndx is bad. */
Elf_Scn *elf_file__section(const struct elf_file *ef, size_t ndx,
			   GElf_Shdr *shdr);

/* The name of a section, or NULL if its sh_name is bad. */
const char *elf_file__section_name(const struct elf_file *ef,
				   const GElf_Shdr *shdr);

/* The first section called name, or NULL. */
Elf_Scn *elf_file__section_by_name(const struct elf_file *ef,
				   const char *name, GElf_Shdr *shdr);

/*
 * The whole contents of a section that has file contents (not SHT_NOBITS)
 * as one Elf_Data whose d_size equals sh_size, or NULL.
 */
Elf_Data *elf_file__section_data(const struct elf_file *ef, Elf_Scn *scn,
				 const GElf_Shdr *shdr);

#endif /* SYNCTRACE_ELF_FILE_H */
