// SPDX-License-Identifier: MIT
/* x86-64 instructions decoded with Zydis 4; see x86_insn.h. */
#include <errno.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "loader/x86_insn.h"

/* pt_regs offsets of rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8 .. r15 (Zydis's order). */
static const int gpr64_off[16] = { 80, 88, 96, 40, 152, 32, 104, 112,
				   72, 64, 56, 48, 24, 16, 8, 0 };

/* The conditions of jcc, in opcode order (0x70 + cc). */
static const ZydisMnemonic jcc_mnemonics[16] = {
	ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,
	ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
	ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
	ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE,
};

void x86_iter__init(struct x86_iter *it, const void *code, size_t len, __u64 vaddr)
{
	it->code = code;
	it->len = code ? len : 0;
	it->pos = 0;
	it->vaddr = vaddr;
}

/* The pt_regs offset of a 64-bit general register, RIP, none; or -3 for any other. */
static int reg_off(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE)
		return X86_REG_NONE;
	if (r == ZYDIS_REGISTER_RIP)
		return X86_REG_RIP;
	if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
		return gpr64_off[r - ZYDIS_REGISTER_RAX];
	return -3;
}

/* An indirect jump's or call's operand, and whether BPF can compute it from pt_regs. */
static void indirect_operand(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o,
			     struct x86_operand *op)
{
	memset(op, 0, sizeof(*op));
	op->base = op->index = X86_REG_NONE;
	if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		op->base = reg_off(o->reg.value);
		op->plain = op->base >= 0 && o->size == 64;
		return;
	}
	if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
		return;
	op->mem = true;
	op->base = reg_off(o->mem.base);
	op->index = reg_off(o->mem.index);
	op->scale = o->mem.index == ZYDIS_REGISTER_NONE ? 0 : o->mem.scale;
	op->disp = o->mem.disp.has_displacement ? o->mem.disp.value : 0;
	op->plain = o->mem.type == ZYDIS_MEMOP_TYPE_MEM && o->size == 64 &&
		    in->address_width == 64 && op->base >= X86_REG_RIP && op->index >= X86_REG_NONE &&
		    op->index != X86_REG_RIP && o->mem.segment != ZYDIS_REGISTER_FS &&
		    o->mem.segment != ZYDIS_REGISTER_GS && (op->index == X86_REG_NONE ||
		    op->scale == 1 || op->scale == 2 || op->scale == 4 || op->scale == 8);
}

static int jcc_condition(ZydisMnemonic m)
{
	int i;

	for (i = 0; i < 16; i++)
		if (jcc_mnemonics[i] == m)
			return i;
	return -1;
}

/* The absolute target of a relative branch's first operand, or -EILSEQ. */
static int branch_target(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o,
			 __u64 vaddr, __u64 *target)
{
	ZyanU64 t;

	if (o->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !o->imm.is_relative ||
	    !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(in, o, vaddr, &t)))
		return -EILSEQ;
	*target = t;
	return 0;
}

/* How control leaves in, with its target or operand. */
static int classify(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
		    __u8 nr_ops, struct x86_insn *out)
{
	const ZydisDecodedOperand *o = &ops[0];
	bool far = in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
	int cc;

	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_RET:
		out->flow = X86_FLOW_RET;
		return 0;
	case ZYDIS_MNEMONIC_JMP:
	case ZYDIS_MNEMONIC_CALL: {
		bool jmp = in->mnemonic == ZYDIS_MNEMONIC_JMP;

		if (far || !nr_ops) {
			out->flow = X86_FLOW_OTHER;
		} else if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			out->flow = jmp ? X86_FLOW_JMP : X86_FLOW_CALL;
			return branch_target(in, o, out->vaddr, &out->target);
		} else {
			out->flow = jmp ? X86_FLOW_JMP_INDIRECT : X86_FLOW_CALL_INDIRECT;
			indirect_operand(in, o, &out->op);
		}
		return 0;
	}
	case ZYDIS_MNEMONIC_LOOP:
	case ZYDIS_MNEMONIC_LOOPE:
	case ZYDIS_MNEMONIC_LOOPNE:
	case ZYDIS_MNEMONIC_JRCXZ:
	case ZYDIS_MNEMONIC_JECXZ:
	case ZYDIS_MNEMONIC_JCXZ:
	case ZYDIS_MNEMONIC_XBEGIN:
		out->flow = X86_FLOW_COND_OTHER;
		return nr_ops ? branch_target(in, o, out->vaddr, &out->target) : -EILSEQ;
	default:
		break;
	}
	cc = jcc_condition(in->mnemonic);
	if (cc >= 0) {
		out->flow = X86_FLOW_JCC;
		out->cc = (__u8)cc;
		return nr_ops ? branch_target(in, o, out->vaddr, &out->target) : -EILSEQ;
	}
	/* whatever else moves control elsewhere: iret, sysret, sysexit, far forms */
	switch (in->meta.category) {
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_CALL:
		out->flow = X86_FLOW_OTHER;
		break;
	default:
		out->flow = X86_FLOW_NEXT;
	}
	return 0;
}

/* A decoder per call: initialising one writes a few fields, and keeps the iterator plain. */
int x86_iter__next(struct x86_iter *it, struct x86_insn *out)
{
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT_VISIBLE];
	ZydisDecodedInstruction in;
	ZydisDecoderContext ctx;
	ZydisDecoder dec;
	__u8 n;

	if (it->pos >= it->len)
		return 0;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
		return -EILSEQ;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, &ctx, it->code + it->pos,
							it->len - it->pos, &in)) ||
	    !in.length || in.length > it->len - it->pos)
		return -EILSEQ;
	memset(out, 0, sizeof(*out));
	memset(ops, 0, sizeof(ops));
	out->vaddr = it->vaddr + it->pos;
	out->len = in.length;
	out->mnemonic = ZydisMnemonicGetString(in.mnemonic);
	if (!out->mnemonic)
		out->mnemonic = "?";
	/* only branches need their operands: the visible ones hold the target */
	n = in.operand_count_visible < ZYDIS_MAX_OPERAND_COUNT_VISIBLE ?
	    in.operand_count_visible : ZYDIS_MAX_OPERAND_COUNT_VISIBLE;
	if (in.meta.category == ZYDIS_CATEGORY_RET || in.meta.category == ZYDIS_CATEGORY_CALL ||
	    in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
	    in.meta.category == ZYDIS_CATEGORY_COND_BR || in.mnemonic == ZYDIS_MNEMONIC_XBEGIN) {
		if (n && !ZYAN_SUCCESS(ZydisDecoderDecodeOperands(&dec, &ctx, &in, ops, n)))
			return -EILSEQ;
		if (classify(&in, ops, n, out))
			return -EILSEQ;
	}
	it->pos += in.length;
	return 1;
}
