/* SPDX-License-Identifier: MIT */
/* Global variables of an ELF file, by name: what sym(NAME) in the ops language reads. */
#ifndef SYNCTRACE_ELF_DATA_H
#define SYNCTRACE_ELF_DATA_H

#include <linux/types.h>

/*
 * The address (st_value) in path of the defined global variable name,
 * from .symtab, else .dynsym. Returns 0; -ENOENT (no such variable);
 * -EMEDIUMTYPE (a thread-local variable: every thread has its own, at no
 * one address); or the -errno of elf_file__open().
 */
int elf_data_symbol(const char *path, const char *name, __u64 *vaddr);

#endif /* SYNCTRACE_ELF_DATA_H */
