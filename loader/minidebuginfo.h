/* SPDX-License-Identifier: MIT */
/*
 * MiniDebugInfo (Fedora's, gdb's "MiniDebugInfo"): an ELF file holding the
 * function symbols .dynsym lacks, xz-compressed into a .gnu_debugdata
 * section. Decompressed with liblzma into memory, under hard limits.
 */
#ifndef SYNCTRACE_MINIDEBUGINFO_H
#define SYNCTRACE_MINIDEBUGINFO_H

#include <stddef.h>
#include "loader/elf_file.h"

/*
 * Limits against a hostile stream (a few KiB of xz can claim gigabytes).
 * The output may be at most MINIDEBUGINFO_RATIO times the section, at
 * least MINIDEBUGINFO_OUT_MIN, never over MINIDEBUGINFO_OUT_MAX: xz packs
 * a symbol table about 4 to 1, and a symbol costs 24 bytes plus its name,
 * so 256 MiB is millions of functions. The decoder's memory limit admits
 * every xz preset (-9 needs 65 MiB) and nothing larger; the fuzzer lowers
 * it under its own allocation limit.
 */
#define MINIDEBUGINFO_RATIO	64
#define MINIDEBUGINFO_OUT_MIN	(1UL << 20)
#define MINIDEBUGINFO_OUT_MAX	(256UL << 20)
#ifndef MINIDEBUGINFO_MEMLIMIT
#define MINIDEBUGINFO_MEMLIMIT	(80ULL << 20)
#endif

/*
 * Decompress one xz stream (len bytes at in) into a malloc'd buffer the
 * caller frees. Returns 0, -ENOEXEC (not xz, corrupt, truncated, trailing
 * bytes, a failed integrity check, a dictionary over the memory limit, or
 * output over the limit above), or -ENOMEM.
 */
int minidebuginfo__decompress(const void *in, size_t len, void **out, size_t *out_len);

/*
 * ef's MiniDebugInfo, decompressed and opened (elf_file__open_mem's checks).
 * Returns 0, -ENOENT (no .gnu_debugdata), -ENOEXEC (a section without
 * contents, a bad stream as above, or not a valid ELF file inside), or
 * -ENOMEM. The caller closes *out.
 */
int minidebuginfo__open(const struct elf_file *ef, struct elf_file **out);

#endif /* SYNCTRACE_MINIDEBUGINFO_H */
