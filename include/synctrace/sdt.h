/* SPDX-License-Identifier: MIT */
/*
 * synctrace USDT contract, version 1: four probes a sync engine may add to
 * name its operations for synctrace (profiles/usdt-sync.ops) or any USDT
 * tracer. Optional: synctrace traces plain functions without them.
 *
 *   probe                 arguments
 *   synctrace:op_start    arg0 const char *op, arg1 u64 id
 *   synctrace:op_done     arg0 const char *op, arg1 u64 id, arg2 s64 status
 *   synctrace:conflict    arg0 const char *entity, arg1 u64 id
 *   synctrace:state       arg0 const char *machine, arg1 s64 state
 *
 * op and entity are short names ("push", "key"); status is 0 for success and
 * non-zero for an error; state is a small enum value. A tracer pairs
 * op_start with op_done by id alone, across threads and processes, so an id
 * must be unique among the ops in flight, whatever their name (put a client
 * or process id in its high bits). Every op_start should get one op_done.
 *
 * Use: include this header in the files that fire probes, and write
 * SYNCTRACE_SDT_DEFINE_SEMAPHORES once, at file scope, in exactly one .c
 * file of the program (a link error names any semaphore left undefined):
 *
 *	#include "synctrace/sdt.h"
 *	SYNCTRACE_SDT_DEFINE_SEMAPHORES
 *
 *	SYNCTRACE_OP_START("push", id);
 *	err = push(m);
 *	SYNCTRACE_OP_DONE("push", id, err);
 *
 * Each probe is a nop behind a test of its semaphore, which the kernel
 * raises while a tracer is attached: with none, a probe costs one load and a
 * branch and its arguments are not evaluated. On x86-64 the nop is the
 * 5-byte one that kernels from 6.18 on turn into a call instead of a trap
 * (a traced hit costs about a quarter of a sys/sdt.h site's; see below);
 * elsewhere, or built with -DSYNCTRACE_SDT_NOP1, it is sys/sdt.h's own site.
 * SYNCTRACE_SDT_NOP5 says which (1 or 0). Build with -DSYNCTRACE_NO_SDT to
 * compile every probe out. Including this header defines
 * _SDT_HAS_SEMAPHORES, so other <sys/sdt.h> probes in the same file need
 * semaphores too; include it before <sys/sdt.h>.
 */
#ifndef SYNCTRACE_SDT_H
#define SYNCTRACE_SDT_H

#define SYNCTRACE_SDT_VERSION 1

#ifdef SYNCTRACE_NO_SDT

#define SYNCTRACE_SDT_DEFINE_SEMAPHORES
#define SYNCTRACE_ENABLED(name) 0
/* sizeof: the arguments count as used, and are not evaluated. */
#define SYNCTRACE_OP_START(op, id) do { (void)sizeof(op); (void)sizeof(id); } while (0)
#define SYNCTRACE_OP_DONE(op, id, status) \
	do { (void)sizeof(op); (void)sizeof(id); (void)sizeof(status); } while (0)
#define SYNCTRACE_CONFLICT(entity, id) do { (void)sizeof(entity); (void)sizeof(id); } while (0)
#define SYNCTRACE_STATE(machine, value) \
	do { (void)sizeof(machine); (void)sizeof(value); } while (0)

#else

/* Without it, sys/sdt.h writes 0 for the semaphore in each note, no tracer
 * ever raises ours, and the probes below would never fire. Kept on x86-64
 * too, where the probes below do not use sys/sdt.h, so that the rule for
 * other <sys/sdt.h> probes in the file is the same on every architecture. */
#if defined(_SYS_SDT_H) && !defined(_SDT_HAS_SEMAPHORES)
#error "include synctrace/sdt.h before <sys/sdt.h>, or define _SDT_HAS_SEMAPHORES"
#endif
#ifndef _SDT_HAS_SEMAPHORES
#define _SDT_HAS_SEMAPHORES 1
#endif
#if defined(__x86_64__) && !defined(SYNCTRACE_SDT_NOP1)
#define SYNCTRACE_SDT_NOP5 1
#else
#define SYNCTRACE_SDT_NOP5 0
#include <sys/sdt.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The names sys/sdt.h puts in the notes: PROVIDER_NAME_semaphore. */
#define SYNCTRACE_SEMAPHORE_ATTRS __attribute__((unused, section(".probes")))
#define SYNCTRACE_SDT_DEFINE_SEMAPHORES					\
	unsigned short synctrace_op_start_semaphore SYNCTRACE_SEMAPHORE_ATTRS;	\
	unsigned short synctrace_op_done_semaphore SYNCTRACE_SEMAPHORE_ATTRS;	\
	unsigned short synctrace_conflict_semaphore SYNCTRACE_SEMAPHORE_ATTRS;	\
	unsigned short synctrace_state_semaphore SYNCTRACE_SEMAPHORE_ATTRS;

extern unsigned short synctrace_op_start_semaphore SYNCTRACE_SEMAPHORE_ATTRS;
extern unsigned short synctrace_op_done_semaphore SYNCTRACE_SEMAPHORE_ATTRS;
extern unsigned short synctrace_conflict_semaphore SYNCTRACE_SEMAPHORE_ATTRS;
extern unsigned short synctrace_state_semaphore SYNCTRACE_SEMAPHORE_ATTRS;

#ifdef __cplusplus
}
#endif

/*
 * Non-zero while a tracer is attached to synctrace:NAME (op_start, op_done,
 * conflict, state), e.g. to skip work done only for a probe. The volatile
 * read keeps the compiler from hoisting the test out of a loop: the kernel
 * changes the value behind its back.
 */
#define SYNCTRACE_ENABLED(name)						\
	__builtin_expect(*(volatile unsigned short *)&synctrace_##name##_semaphore, 0)

/* Type-checks a name argument: a pointer cast would hide an integer. */
static inline const char *synctrace__name(const char *synctrace__s)
{
	return synctrace__s;
}

#if SYNCTRACE_SDT_NOP5
/*
 * x86-64: the probe site is the 5-byte nop 0f 1f 44 00 00, which kernels
 * from 6.18 on patch into a call to a trampoline after its first hit: each
 * later hit is a syscall, not an int3 trap (sys/sdt.h emits a 1-byte nop,
 * which traps on every hit). The note is the one sys/sdt.h writes
 * (.note.stapsdt, type 3, "stapsdt": pc, _.stapsdt.base, semaphore,
 * provider, name, arguments), so every USDT tracer reads it unchanged.
 *
 * That call pushes its return address at rsp - 8, inside the 128-byte red
 * zone where a leaf function may keep live data below rsp. So the nop sits
 * between two lea that step rsp over the red zone (lea leaves the flags
 * alone), and the arguments are registers or constants ("nr", never memory,
 * which might be addressed from the moved rsp). The whole sequence runs only
 * while a tracer holds the semaphore up.
 *
 * Argument specs are fixed by the casts of the macros below: 8@ for a
 * pointer or u64, -8@ for an s64, as sys/sdt.h writes them for those types.
 */
#define SYNCTRACE__SDT_S(x) #x
#define SYNCTRACE__SDT_PROBE(name, args, ...)					\
	do {									\
		__asm__ __volatile__("" :: "m" (synctrace_##name##_semaphore));	\
		__asm__ __volatile__(						\
			"lea -128(%%rsp), %%rsp\n"				\
			"990:	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"		\
			"lea 128(%%rsp), %%rsp\n"				\
			".pushsection .note.stapsdt, \"?\", \"note\"\n"		\
			".balign 4\n"						\
			".4byte 992f-991f, 994f-993f, 3\n"			\
			"991:	.asciz \"stapsdt\"\n"				\
			"992:	.balign 4\n"					\
			"993:	.8byte 990b\n"					\
			".8byte _.stapsdt.base\n"				\
			".8byte synctrace_" SYNCTRACE__SDT_S(name) "_semaphore\n"	\
			".asciz \"synctrace\"\n"				\
			".asciz \"" SYNCTRACE__SDT_S(name) "\"\n"		\
			".asciz \"" args "\"\n"					\
			"994:	.balign 4\n"					\
			".popsection\n"						\
			".ifndef _.stapsdt.base\n"				\
			".pushsection .stapsdt.base, \"aG\", \"progbits\", "	\
				".stapsdt.base, comdat\n"			\
			".weak _.stapsdt.base\n"				\
			".hidden _.stapsdt.base\n"				\
			"_.stapsdt.base: .space 1\n"				\
			".size _.stapsdt.base, 1\n"				\
			".popsection\n"						\
			".endif\n"						\
			:: __VA_ARGS__);					\
	} while (0)

#define SYNCTRACE__PROBE2(name, a1, a2)						\
	SYNCTRACE__SDT_PROBE(name, "8@%[sdt1] 8@%[sdt2]",			\
			     [sdt1] "nr" (synctrace__name(a1)),			\
			     [sdt2] "nr" ((unsigned long long)(a2)))
#define SYNCTRACE__PROBE2S(name, a1, a2)					\
	SYNCTRACE__SDT_PROBE(name, "8@%[sdt1] -8@%[sdt2]",			\
			     [sdt1] "nr" (synctrace__name(a1)),			\
			     [sdt2] "nr" ((long long)(a2)))
#define SYNCTRACE__PROBE3(name, a1, a2, a3)					\
	SYNCTRACE__SDT_PROBE(name, "8@%[sdt1] 8@%[sdt2] -8@%[sdt3]",		\
			     [sdt1] "nr" (synctrace__name(a1)),			\
			     [sdt2] "nr" ((unsigned long long)(a2)),		\
			     [sdt3] "nr" ((long long)(a3)))
#else
/* Elsewhere (or with -DSYNCTRACE_SDT_NOP1): sys/sdt.h's own sites. */
#define SYNCTRACE__PROBE2(name, a1, a2)						\
	STAP_PROBE2(synctrace, name, synctrace__name(a1), (unsigned long long)(a2))
#define SYNCTRACE__PROBE2S(name, a1, a2)					\
	STAP_PROBE2(synctrace, name, synctrace__name(a1), (long long)(a2))
#define SYNCTRACE__PROBE3(name, a1, a2, a3)					\
	STAP_PROBE3(synctrace, name, synctrace__name(a1),			\
		    (unsigned long long)(a2), (long long)(a3))
#endif

/* Fixed argument types, so each probe's note spec is the same in every
 * program whatever the caller passes: 8-byte pointer, u64 or s64. */
#define SYNCTRACE_OP_START(op, id)					\
	do {								\
		if (SYNCTRACE_ENABLED(op_start))			\
			SYNCTRACE__PROBE2(op_start, op, id);		\
	} while (0)

#define SYNCTRACE_OP_DONE(op, id, status)				\
	do {								\
		if (SYNCTRACE_ENABLED(op_done))				\
			SYNCTRACE__PROBE3(op_done, op, id, status);	\
	} while (0)

#define SYNCTRACE_CONFLICT(entity, id)					\
	do {								\
		if (SYNCTRACE_ENABLED(conflict))			\
			SYNCTRACE__PROBE2(conflict, entity, id);	\
	} while (0)

/* Not (machine, state): a parameter named state would rename the probe. */
#define SYNCTRACE_STATE(machine, value)					\
	do {								\
		if (SYNCTRACE_ENABLED(state))				\
			SYNCTRACE__PROBE2S(state, machine, value);	\
	} while (0)

#endif /* SYNCTRACE_NO_SDT */

#endif /* SYNCTRACE_SDT_H */
