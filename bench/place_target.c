// SPDX-License-Identifier: MIT
/*
 * The placement benchmark's target (bench/placement): one function per
 * prologue class, written in assembly so that the instruction at +0 and
 * the ones after it are exactly the class's, called N times in a tight
 * loop, timed from inside in the thread's CPU time. All return arg0 + 1.
 *
 *   place_target CLASS N
 *
 * Prints "ready PID ADDR" (the function's address), waits for a line on
 * stdin, runs the loop, prints "calls N ns T ns_per_call X" and stays until
 * stdin closes, as bench/target.c does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FUNC(name, body)					\
	"	.globl	" name "\n"				\
	"	.type	" name ", @function\n"			\
	"	.p2align 4\n"					\
	name ":\n"						\
	body							\
	"	.size	" name ", .-" name "\n"

__asm__(
	"	.text\n"
	/* push at +0: emulated already, nothing to move */
	FUNC("pc_push",
	     "	push	%rbp\n"
	     "	mov	%rsp, %rbp\n"
	     "	lea	0x1(%rdi), %rax\n"
	     "	pop	%rbp\n"
	     "	ret\n")
	/* test then jcc: the je at +3 is emulated */
	FUNC("pc_test_jcc",
	     "	test	%rdi, %rdi\n"
	     "	je	1f\n"
	     "	lea	0x1(%rdi), %rax\n"
	     "	ret\n"
	     "1:	mov	$1, %eax\n"
	     "	ret\n")
	/* a register mov, then push %rbx at +3 */
	FUNC("pc_mov_push",
	     "	mov	%rdi, %rax\n"
	     "	push	%rbx\n"
	     "	lea	0x1(%rax), %rax\n"
	     "	pop	%rbx\n"
	     "	ret\n")
	/* endbr64 (CET builds), then push %rbp at +4 */
	FUNC("pc_endbr_push",
	     "	endbr64\n"
	     "	push	%rbp\n"
	     "	mov	%rsp, %rbp\n"
	     "	lea	0x1(%rdi), %rax\n"
	     "	pop	%rbp\n"
	     "	ret\n")
	/* sub then call at +4: the call is emulated */
	FUNC("pc_sub_call",
	     "	sub	$8, %rsp\n"
	     "	call	pc_inc\n"
	     "	add	$8, %rsp\n"
	     "	ret\n")
	/* sub only: no emulated instruction in the entry block, stays at +0 */
	FUNC("pc_sub_only",
	     "	sub	$8, %rsp\n"
	     "	lea	0x1(%rdi), %rax\n"
	     "	add	$8, %rsp\n"
	     "	ret\n")
	/* a loop's back edge targets +2: the jb at +9 may not take the probe */
	FUNC("pc_loop",
	     "	xor	%ecx, %ecx\n"
	     "1:	add	$1, %rcx\n"
	     "	cmp	$2, %rcx\n"
	     "	jb	1b\n"
	     "	lea	0x1(%rdi), %rax\n"
	     "	ret\n")
	/* a 5-byte nop at +0: the kernel turns it into a call (no trap) */
	FUNC("pc_nop5",
	     "	.byte	0x0f, 0x1f, 0x44, 0x00, 0x00\n"
	     "	lea	0x1(%rdi), %rax\n"
	     "	ret\n")
	/* a 1-byte nop at +0, the instruction of a <sys/sdt.h> site */
	FUNC("pc_nop1",
	     "	nop\n"
	     "	lea	0x1(%rdi), %rax\n"
	     "	ret\n")
	/* the callee of pc_sub_call, never traced */
	FUNC("pc_inc",
	     "	lea	0x1(%rdi), %rax\n"
	     "	ret\n"));

long pc_push(long x);
long pc_test_jcc(long x);
long pc_mov_push(long x);
long pc_endbr_push(long x);
long pc_sub_call(long x);
long pc_sub_only(long x);
long pc_loop(long x);
long pc_nop5(long x);
long pc_nop1(long x);

static const struct {
	const char *name;
	long (*fn)(long);
} classes[] = {
	{ "push", pc_push },
	{ "test_jcc", pc_test_jcc },
	{ "mov_push", pc_mov_push },
	{ "endbr_push", pc_endbr_push },
	{ "sub_call", pc_sub_call },
	{ "sub_only", pc_sub_only },
	{ "loop", pc_loop },
	{ "nop5", pc_nop5 },
	{ "nop1", pc_nop1 },
};

/*
 * The thread's CPU time, user and kernel: a probe's trap, single-step or
 * syscall and its BPF program run on this thread and count; the time
 * other processes of a busy machine take the CPU away does not.
 */
static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long (*volatile fn)(long) = NULL;	/* volatile: the same indirect call for every class */
	long long t0, t1;
	long i, n, acc = 0;
	char line[64];
	size_t c;

	for (c = 0; argc == 3 && c < sizeof(classes) / sizeof(classes[0]); c++)
		if (!strcmp(argv[1], classes[c].name))
			fn = classes[c].fn;
	n = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
	if (!fn || n <= 0) {
		fprintf(stderr, "usage: place_target CLASS N (CLASS: push test_jcc mov_push "
			"endbr_push sub_call sub_only loop nop5 nop1)\n");
		return 2;
	}
	printf("ready %d %#lx\n", (int)getpid(), (unsigned long)fn);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	t0 = now_ns();
	for (i = 0; i < n; i++)
		acc = fn(acc);
	t1 = now_ns();
	if (acc != n) {
		fprintf(stderr, "place_target: expected %ld calls, counted %ld\n", n, acc);
		return 1;
	}
	printf("calls %ld ns %lld ns_per_call %.2f\n", n, t1 - t0, (double)(t1 - t0) / (double)n);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
