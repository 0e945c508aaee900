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
 * branch and its arguments are not evaluated. Build with -DSYNCTRACE_NO_SDT
 * to compile every probe out. Including this header defines
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
 * ever raises ours, and the probes below would never fire. */
#if defined(_SYS_SDT_H) && !defined(_SDT_HAS_SEMAPHORES)
#error "include synctrace/sdt.h before <sys/sdt.h>, or define _SDT_HAS_SEMAPHORES"
#endif
#ifndef _SDT_HAS_SEMAPHORES
#define _SDT_HAS_SEMAPHORES 1
#endif
#include <sys/sdt.h>

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

/* Fixed argument types, so each probe's note spec is the same in every
 * program whatever the caller passes: 8-byte pointer, u64 or s64. */
#define SYNCTRACE_OP_START(op, id)					\
	do {								\
		if (SYNCTRACE_ENABLED(op_start))			\
			STAP_PROBE2(synctrace, op_start, synctrace__name(op),	\
				    (unsigned long long)(id));		\
	} while (0)

#define SYNCTRACE_OP_DONE(op, id, status)				\
	do {								\
		if (SYNCTRACE_ENABLED(op_done))				\
			STAP_PROBE3(synctrace, op_done, synctrace__name(op),	\
				    (unsigned long long)(id), (long long)(status)); \
	} while (0)

#define SYNCTRACE_CONFLICT(entity, id)					\
	do {								\
		if (SYNCTRACE_ENABLED(conflict))			\
			STAP_PROBE2(synctrace, conflict, synctrace__name(entity), \
				    (unsigned long long)(id));		\
	} while (0)

/* Not (machine, state): a parameter named state would rename the probe. */
#define SYNCTRACE_STATE(machine, value)					\
	do {								\
		if (SYNCTRACE_ENABLED(state))				\
			STAP_PROBE2(synctrace, state, synctrace__name(machine), \
				    (long long)(value));		\
	} while (0)

#endif /* SYNCTRACE_NO_SDT */

#endif /* SYNCTRACE_SDT_H */
