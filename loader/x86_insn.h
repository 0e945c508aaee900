/* SPDX-License-Identifier: MIT */
/*
 * x86-64 machine code, one instruction at a time, decoded by Zydis: its
 * length, its mnemonic, how control leaves it (on to the next, a return,
 * a jump where and on what condition) and, for an indirect jump or call,
 * where the target is read from, as struct pt_regs offsets a BPF program
 * can use. Allocation-free: the iterator lives on the caller's stack.
 * Used to find a function's returns (ret_sites.h); meant for any planner
 * that must know a function's instructions (probing past a prologue).
 */
#ifndef SYNCTRACE_X86_INSN_H
#define SYNCTRACE_X86_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum x86_flow {
	X86_FLOW_NEXT,		/* goes on to the next instruction (or traps) */
	X86_FLOW_RET,		/* ret, ret imm16, far ret: leaves by the return address */
	X86_FLOW_JMP,		/* jmp rel: to target */
	X86_FLOW_JCC,		/* jcc rel: to target when condition cc holds */
	X86_FLOW_JMP_INDIRECT,	/* jmp through a register or memory: see op */
	X86_FLOW_CALL,		/* call rel: target */
	X86_FLOW_CALL_INDIRECT,	/* call through a register or memory: see op */
	X86_FLOW_COND_OTHER,	/* loop, loopcc, jrcxz, jecxz, xbegin: to target on rcx or an abort */
	X86_FLOW_OTHER,		/* far jmp and call, iret, sysret...: where to, unknown */
};

/* Registers of an operand, as offsets in the uapi struct pt_regs. */
#define X86_REG_NONE (-1)
#define X86_REG_RIP (-2)	/* the address of the next instruction */

/* Where an indirect jump or call takes its target from. */
struct x86_operand {
	bool mem;		/* read 8 bytes at base + index * scale + disp; else the register base */
	bool plain;		/* 64-bit registers and addresses, no fs/gs: computable from pt_regs */
	int base;		/* pt_regs offset, X86_REG_RIP or X86_REG_NONE */
	int index;		/* pt_regs offset or X86_REG_NONE */
	__u8 scale;		/* 1, 2, 4, 8 (0 without index) */
	__s64 disp;
};

struct x86_insn {
	__u64 vaddr;		/* where it is */
	__u8 len;		/* 1..15 bytes */
	const char *mnemonic;	/* "ret", "jmp", "jnz"... (static) */
	enum x86_flow flow;
	__u64 target;		/* JMP, JCC, CALL, COND_OTHER: the absolute target */
	__u8 cc;		/* JCC: the condition, 0-15 as in opcode 0x70 + cc */
	struct x86_operand op;	/* JMP_INDIRECT, CALL_INDIRECT */
};

struct x86_iter {
	const __u8 *code;
	size_t len, pos;
	__u64 vaddr;		/* the address of code[0] */
};

/* Iterate over len bytes of code that sits at vaddr. */
void x86_iter__init(struct x86_iter *it, const void *code, size_t len, __u64 vaddr);

/*
 * The next instruction in *out: 1; 0 at the end of the code; -EILSEQ when
 * the bytes at it->pos are no instruction or one the end cuts short (the
 * iterator then stays there). Never reads outside the code.
 */
int x86_iter__next(struct x86_iter *it, struct x86_insn *out);

#endif /* SYNCTRACE_X86_INSN_H */
