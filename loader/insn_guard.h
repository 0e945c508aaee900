/* SPDX-License-Identifier: MIT */
/*
 * Instructions the kernel's uprobes accept but execute wrongly: a probe on
 * one would change what the traced program computes, so none is attached
 * there. Decoded with Zydis, never by hand.
 */
#ifndef SYNCTRACE_INSN_GUARD_H
#define SYNCTRACE_INSN_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * Is the instruction at the start of buf (len bytes, the code at a probe
 * site) one a uprobe must not sit on? EVEX (AVX-512) ones: on kernel 6.18 a
 * uprobe on `vpbroadcastb %esi,%ymm17`, the first instruction of glibc's
 * __strchr_evex, made every call return a wrong pointer, with or without
 * a BPF program attached. Bytes that do not decode are the kernel's to judge.
 */
bool insn_guard__unsafe(const void *buf, size_t len);

/* The same for the instruction at offset in the file open as fd: 1, 0 or -errno. */
int insn_guard__unsafe_at(int fd, __u64 offset);

#endif /* SYNCTRACE_INSN_GUARD_H */
