// SPDX-License-Identifier: MIT
/*
 * The overhead benchmark's target: two probe sites whose first instruction
 * is fixed in assembly, called N times in a tight loop, timed from inside.
 *
 *   target push|lea N
 *
 * Prints "ready PID ADDR" (ADDR: the chosen site, so the harness can see
 * the kernel's int3 land there), waits for a line on stdin, runs the loop,
 * prints "calls N ns T ns_per_call X", and stays until stdin closes: a
 * tracer watching the pid must not see it exit before it is stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long site_push(long x);
long site_lea(long x);

/*
 * Written in assembly because the first instruction decides the uprobe's
 * cost: the kernel emulates `push %rbp` in the trap handler, while
 * `lea` has to be single-stepped out of line (a second trap per hit).
 */
__asm__(
	"	.text\n"
	"	.globl	site_push\n"
	"	.type	site_push, @function\n"
	"	.p2align 4\n"
	"site_push:\n"
	"	push	%rbp\n"
	"	mov	%rsp, %rbp\n"
	"	lea	0x1(%rdi), %rax\n"
	"	pop	%rbp\n"
	"	ret\n"
	"	.size	site_push, .-site_push\n"
	"\n"
	"	.globl	site_lea\n"
	"	.type	site_lea, @function\n"
	"	.p2align 4\n"
	"site_lea:\n"
	"	lea	0x1(%rdi), %rax\n"
	"	ret\n"
	"	.size	site_lea, .-site_lea\n");

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: target push|lea N\n");
	return 2;
}

int main(int argc, char **argv)
{
	long (*site)(long);
	long long t0, t1;
	char line[64];
	long n, i, acc = 0;

	if (argc != 3)
		return usage();
	if (!strcmp(argv[1], "push"))
		site = site_push;
	else if (!strcmp(argv[1], "lea"))
		site = site_lea;
	else
		return usage();
	n = strtol(argv[2], NULL, 10);
	if (n <= 0)
		return usage();

	printf("ready %d %#lx\n", (int)getpid(), (unsigned long)site);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;

	/* direct calls, so the loop costs the same for both sites */
	t0 = now_ns();
	if (site == site_push)
		for (i = 0; i < n; i++)
			acc = site_push(acc);
	else
		for (i = 0; i < n; i++)
			acc = site_lea(acc);
	t1 = now_ns();

	if (acc != n) {
		fprintf(stderr, "target: expected %ld calls, counted %ld\n", n, acc);
		return 1;
	}
	printf("calls %ld ns %lld ns_per_call %.2f\n", n, t1 - t0,
	       (double)(t1 - t0) / (double)n);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
