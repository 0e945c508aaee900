/* SPDX-License-Identifier: MIT */
/*
 * Where a Go function's call begins for a probe: past its stack check.
 * gc starts most functions with "cmp rsp, [r14+16]; jbe MORE" (or an lea
 * into r12 first, for big frames), where MORE calls runtime.morestack and
 * jumps back to the function's first byte. When the stack must grow (or
 * the scheduler asked the goroutine to yield), the prologue runs again: a
 * probe on the first byte sees one call twice, a probe past the check
 * once. The check touches no argument register and not rsp, so a probe
 * there reads the same arguments and stack pointer as one at the entry.
 */
#ifndef SYNCTRACE_GO_PROLOGUE_H
#define SYNCTRACE_GO_PROLOGUE_H

#include <linux/types.h>

struct elf_file;

/*
 * The bytes from the function at vaddr (size bytes long) to the first
 * instruction past its stack check, in *skip; 0 when it has none (a leaf
 * gc lets run without a check). Returns 0, or -errno when its code cannot
 * be read (the caller then probes the entry).
 */
int go_prologue__skip(const struct elf_file *ef, __u64 vaddr, __u64 size, __u64 *skip);

#endif /* SYNCTRACE_GO_PROLOGUE_H */
