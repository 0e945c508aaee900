/* SPDX-License-Identifier: MIT */
/*
 * USDT (SystemTap SDT) probes of one ELF file: where they are, their
 * semaphores, and where each argument lives on x86_64.
 */
#ifndef SYNCTRACE_USDT_NOTES_H
#define SYNCTRACE_USDT_NOTES_H

#include <stddef.h>
#include <linux/types.h>

enum usdt_arg_kind { USDT_ARG_CONST, USDT_ARG_REG, USDT_ARG_REG_DEREF };

struct usdt_arg {
	enum usdt_arg_kind kind;
	int size;	/* bytes 1/2/4/8; negative means signed (e.g. -4) */
	__s64 val;	/* CONST: the value; REG_DEREF: the displacement */
	/*
	 * REG, REG_DEREF: byte offset of the 64-bit register in x86_64
	 * struct pt_regs (uapi layout); %eax, %ax, %al map to rax's.
	 */
	int reg_off;
};

#define USDT_MAX_ARGS 12

struct usdt_probe {
	char *provider, *name;
	__u64 pc;		/* probe address after .stapsdt.base adjustment */
	__u64 offset;		/* file offset of pc (uprobe offset) */
	__u64 sema_addr;	/* semaphore vaddr, 0 if none */
	__u64 sema_offset;	/* its file offset (ref_ctr_offset), 0 if none */
	int nargs;		/* -1: arguments not understood; still countable */
	struct usdt_arg args[USDT_MAX_ARGS];
	char *arg_str;		/* raw, e.g. "-4@%edi 8@-16(%rbp)" */
};

/*
 * The probes of path, in note order. Returns 0 (with *n = 0 when the file
 * has none), the -errno of elf_file__open(), or -ENOMEM. Malformed notes
 * (sizes or strings out of bounds, a pc or semaphore outside the file's
 * contents) are skipped: a probe that cannot be attached is not reported.
 */
int usdt_notes__load(const char *path, struct usdt_probe **out, size_t *n);
void usdt_notes__free(struct usdt_probe *p, size_t n);

/*
 * Parse one argument string ("N@%reg", "N@$imm", "N@disp(%reg)",
 * "N@(%reg)", separated by blanks) into at most max args. Returns the number
 * of arguments or -EINVAL. Exposed for unit tests and the fuzzer.
 */
int usdt_parse_args(const char *s, struct usdt_arg *args, int max);

#endif /* SYNCTRACE_USDT_NOTES_H */
