// SPDX-License-Identifier: MIT
/* Entry probes moved off single-stepped instructions; see placement.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "loader/attach.h"
#include "loader/placement.h"
#include "loader/x86_insn.h"
#include "maps/ret_probes.h"

/*
 * The nops the kernel emulates (arch/x86/kernel/uprobes.c compares with
 * x86_nops[len]; a 0x90 opcode with prefixes too): the 5-byte one it
 * optimizes into a call on 6.18.
 */
static const __u8 kernel_nops[9][8] = {
	{ 0 },
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static bool decode(const void *buf, size_t len, ZydisDecodedInstruction *in,
		   ZydisDecodedOperand *ops)
{
	ZydisDecoder dec;

	return ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					     ZYDIS_STACK_WIDTH_64)) &&
	       ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, len, in, ops)) &&
	       in->length && in->length <= len;
}

/*
 * A prefix the kernel refuses any probe on (is_prefix_bad(): es, cs, ss, ds
 * overrides, lock); branch hints are cs and ds.
 */
static bool bad_prefix(const ZydisDecodedInstruction *in)
{
	__u8 i, p;

	for (i = 0; i < in->raw.prefix_count && i < ZYDIS_MAX_INSTRUCTION_LENGTH; i++) {
		p = in->raw.prefixes[i].value;
		if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0xf0)
			return true;
	}
	return false;
}

/*
 * As the kernel's branch_setup_xol_ops() and push_setup_xol_ops() decide:
 * jmp rel8/rel32, call rel32, jcc rel8/rel32 without a 0x66 prefix; push
 * of a 64-bit register, alone or with REX 0x41 only; the nops above. None
 * with a prefix the kernel refuses.
 */
static bool emulated(const __u8 *b, const ZydisDecodedInstruction *in)
{
	__u8 n = in->length, i;

	if (bad_prefix(in))
		return false;
	if (n <= 8 && !memcmp(b, kernel_nops[n], n))
		return true;
	if ((n == 1 && b[0] == 0x90) || (n == 2 && b[0] == 0xf3 && b[1] == 0x90))
		return true;
	if (n == 1 && b[0] >= 0x50 && b[0] <= 0x57)
		return true;
	if (n == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true;
	if (in->meta.category != ZYDIS_CATEGORY_UNCOND_BR &&
	    in->meta.category != ZYDIS_CATEGORY_COND_BR && in->meta.category != ZYDIS_CATEGORY_CALL)
		return false;
	for (i = 0; i < in->raw.prefix_count && i < ZYDIS_MAX_INSTRUCTION_LENGTH; i++)
		if (in->raw.prefixes[i].value == 0x66)
			return false;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_JMP:
	case ZYDIS_MNEMONIC_CALL:
		/* relative forms only: e8, e9, eb */
		return in->raw.imm[0].is_relative && in->meta.branch_type != ZYDIS_BRANCH_TYPE_FAR &&
		       (in->opcode == 0xe8 || in->opcode == 0xe9 || in->opcode == 0xeb);
	default:
		/* jcc: 70-7f, 0f 80-8f (loop, jrcxz: e0-e3, single-stepped) */
		return in->meta.category == ZYDIS_CATEGORY_COND_BR && in->raw.imm[0].is_relative &&
		       ((in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && in->opcode >= 0x70 &&
			 in->opcode <= 0x7f) ||
			(in->opcode_map == ZYDIS_OPCODE_MAP_0F && in->opcode >= 0x80 &&
			 in->opcode <= 0x8f));
	}
}

bool placement__emulated(const void *buf, size_t len)
{
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction in;

	return buf && decode(buf, len, &in, ops) && emulated(buf, &in);
}

static __u32 reg_bit(ZydisRegister r)
{
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);

	if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
		return 1U << (big - ZYDIS_REGISTER_RAX);
	return 0;	/* flags, vector, segment registers: no probe reads them */
}

/* A memory access that cannot fault: the stack, the code's own data, thread-locals. */
static bool safe_access(const ZydisDecodedOperand *o)
{
	return o->mem.base == ZYDIS_REGISTER_RSP || o->mem.base == ZYDIS_REGISTER_RIP ||
	       o->mem.segment == ZYDIS_REGISTER_FS;
}

/*
 * May in run before the probe instead of after it? Only what goes on to
 * the next instruction and cannot fault or trap: a call that faulted there
 * would be counted at +0 and not at the moved site (Go turns a nil
 * pointer's fault into a panic a caller recovers). *writes gains its writes.
 */
static bool skippable(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
		      __u32 *writes)
{
	__u8 i;

	switch (in->meta.category) {
	case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_RET: case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR: case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_SYSRET: case ZYDIS_CATEGORY_SYSTEM:
	case ZYDIS_CATEGORY_IO: case ZYDIS_CATEGORY_IOSTRINGOP: case ZYDIS_CATEGORY_STRINGOP:
	case ZYDIS_CATEGORY_SGX: case ZYDIS_CATEGORY_VTX: case ZYDIS_CATEGORY_INVALID:
		return false;
	default:
		break;
	}
	if (in->mnemonic == ZYDIS_MNEMONIC_DIV || in->mnemonic == ZYDIS_MNEMONIC_IDIV ||
	    in->mnemonic == ZYDIS_MNEMONIC_UD0 || in->mnemonic == ZYDIS_MNEMONIC_UD1 ||
	    in->mnemonic == ZYDIS_MNEMONIC_UD2 || in->mnemonic == ZYDIS_MNEMONIC_HLT ||
	    in->mnemonic == ZYDIS_MNEMONIC_INT3 || in->mnemonic == ZYDIS_MNEMONIC_XBEGIN)
		return false;
	for (i = 0; i < in->operand_count && i < ZYDIS_MAX_OPERAND_COUNT; i++) {
		const ZydisDecodedOperand *o = &ops[i];

		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			*writes |= reg_bit(o->reg.value);
		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || o->mem.type == ZYDIS_MEMOP_TYPE_AGEN)
			continue;
		if (!safe_access(o))
			return false;
		if (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
			*writes |= PLACE_W_MEM;
	}
	return true;
}

static void name_of(const ZydisDecodedInstruction *in, char *buf, size_t len)
{
	const char *s = ZydisMnemonicGetString(in->mnemonic);

	snprintf(buf, len, "%s", s ? s : "?");
}

/* The first emulated instruction of the entry block, in the first few: p->skip, or why not. */
static void find_site(const __u8 *code, size_t size, struct placement *p)
{
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction in;
	size_t pos = 0;
	__u32 writes = 0;
	int i;

	for (i = 0; i <= PLACE_MAX_INSNS && pos < size; i++) {
		if (!decode(code + pos, size - pos, &in, ops)) {
			p->why = PLACE_UNDECODED;
			return;
		}
		/*
		 * The kernel optimizes a 5-byte nop into a call, which writes its
		 * return address at rsp - 8: into the red zone, where a leaf function
		 * may already have stored what a skipped instruction wrote (seen:
		 * 9,999 of 10,000 calls returned a wrong value). At +0 the red zone
		 * holds nothing yet; past a memory write the nop is only skipped.
		 */
		bool clobbers = (writes & PLACE_W_MEM) && in.length == 5 &&
				!memcmp(code + pos, kernel_nops[5], 5);

		if (!clobbers && emulated(code + pos, &in)) {
			if (!i) {
				p->why = PLACE_ENTRY_CHEAP;
				return;
			}
			p->skip = (__u32)pos;
			p->writes = writes;
			p->nr_skipped = (__u8)i;
			name_of(&in, p->at, sizeof(p->at));
			p->why = PLACE_MOVED;
			return;
		}
		if (!i)
			name_of(&in, p->past, sizeof(p->past));
		if (!skippable(&in, ops, &writes)) {
			/* a branch that ends the block here would have been emulated */
			p->why = in.meta.category == ZYDIS_CATEGORY_COND_BR ||
				 in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
				 in.meta.category == ZYDIS_CATEGORY_CALL ||
				 in.meta.category == ZYDIS_CATEGORY_RET ?
				 PLACE_NO_EMULATED : PLACE_UNSAFE_SKIP;
			return;
		}
		pos += in.length;
	}
	p->why = PLACE_NO_EMULATED;
}

bool placement__veto(struct placement *p, __u64 fn, __u64 target, __u64 from)
{
	if (p->why != PLACE_MOVED || target <= fn || target - fn > p->skip)
		return false;
	p->why = PLACE_BRANCH_IN;
	p->entered_from = from;
	p->skip = 0;
	return true;
}

void placement__decide(const void *code, size_t size, __u64 vaddr, struct placement *out)
{
	struct x86_insn in;
	struct x86_iter it;
	int n;

	memset(out, 0, sizeof(*out));
	if (!code || !size || size > RP_MAX_FN_SIZE) {
		out->why = PLACE_UNDECODED;
		return;
	}
	find_site(code, size, out);
	if (out->why != PLACE_MOVED)
		return;
	/* the whole function: a branch into (+0, site] would enter past +0 */
	x86_iter__init(&it, code, size, vaddr);
	while ((n = x86_iter__next(&it, &in)) > 0) {
		if (in.flow == X86_FLOW_JMP_INDIRECT) {
			out->why = PLACE_INDIRECT_JMP;
			out->skip = 0;
			return;
		}
		if ((in.flow == X86_FLOW_JMP || in.flow == X86_FLOW_JCC ||
		     in.flow == X86_FLOW_CALL || in.flow == X86_FLOW_COND_OTHER) &&
		    placement__veto(out, vaddr, in.target, in.vaddr))
			return;
	}
	if (n < 0) {
		out->why = PLACE_UNDECODED;
		out->skip = 0;
	}
}

bool placement__disabled_by_env(void)
{
	const char *v = getenv("SYNCTRACE_NO_PLACEMENT");

	return v && *v && strcmp(v, "0");
}

/* What the skipped instructions write that the probe reads, in words. */
static const char *spoils(__u32 w)
{
	if (w & PLACE_W_RSP)
		return "moves rsp";
	if (w & PLACE_W_MEM)
		return "writes memory";
	return "writes an argument register";
}

void placement__describe(const struct placement *p, __u32 needs, char *buf, size_t len)
{
	switch (p->why) {
	case PLACE_MOVED:
		if (p->writes & needs)
			snprintf(buf, len, "+0 (what comes before the %s at +%u %s)", p->at,
				 p->skip, spoils(p->writes & needs));
		else if (p->nr_skipped > 1)
			snprintf(buf, len, "+%u (%s, moved past %s and %u more)", p->skip, p->at,
				 p->past, p->nr_skipped - 1);
		else
			snprintf(buf, len, "+%u (%s, moved past %s)", p->skip, p->at, p->past);
		return;
	case PLACE_ENTRY_CHEAP:
		snprintf(buf, len, "+0 (emulated)");
		return;
	case PLACE_NO_EMULATED:
		snprintf(buf, len, "+0 (no emulated instruction early in the entry block)");
		return;
	case PLACE_UNSAFE_SKIP:
		snprintf(buf, len, "+0 (an early instruction may fault)");
		return;
	case PLACE_BRANCH_IN:
		if (p->entered_from)
			snprintf(buf, len, "+0 (entered past +0 from 0x%llx)",
				 (unsigned long long)p->entered_from);
		else
			snprintf(buf, len, "+0 (another symbol starts past +0)");
		return;
	case PLACE_INDIRECT_JMP:
		snprintf(buf, len, "+0 (the function has an indirect jump)");
		return;
	case PLACE_UNDECODED:
		snprintf(buf, len, "+0 (its code does not decode)");
		return;
	case PLACE_NEAR_UNKNOWN:
		snprintf(buf, len, "+0 (code near it, at 0x%llx, does not decode)",
			 (unsigned long long)p->entered_from);
		return;
	default:
		snprintf(buf, len, "+0");
	}
}

bool placement__apply(struct probe_site *site, __u32 needs)
{
	if (!site->place_skip || (site->place_writes & needs) || site->placed)
		return false;
	site->offset += site->place_skip;
	site->vaddr += site->place_skip;
	site->entry_skip += site->place_skip;
	site->placed = site->place_skip;
	return true;
}
