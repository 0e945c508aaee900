// SPDX-License-Identifier: MIT
/*
 * The overhead benchmark's target: probe sites whose first instruction is
 * fixed in assembly, called N times in a tight loop, timed from inside.
 *
 *   target push|lea N        one site, N calls
 *   target pair N            site_start(i, label, value) then site_end(i), N times
 *   target fail N [RATE [THREADS]]
 *                            site_fail (always returns -1) N times in all, at
 *                            most RATE calls per second in all (0: no limit),
 *                            split over THREADS threads (default 1)
 *
 * Prints "ready PID ADDR..." (the sites of the mode, so the harness can see
 * the kernel's int3 land on each), waits for a line on stdin, runs the loop,
 * prints "calls N ns T ns_per_call X", and stays until stdin closes: a
 * tracer watching the pid must not see it exit before it is stopped.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAIR_LABELS 4		/* distinct by= labels of the pair loop */
#define THROTTLE_BATCH 64	/* calls between two clock reads when throttled */
#define MAX_THREADS 64

long site_push(long x);
long site_lea(long x);
long site_start(long id, long label, long value);
long site_end(long id);
long site_fail(long x);

/*
 * Written in assembly because the first instruction decides the uprobe's
 * cost: the kernel emulates `push %rbp` in the trap handler, while
 * `lea` has to be single-stepped out of line (a second trap per hit).
 * Every site but site_lea starts with `push %rbp`, so the ops rows compare
 * with the push row; all but site_fail return arg0 + 1.
 */
#define PUSH_SITE(name, body)				\
	"	.globl	" name "\n"				\
	"	.type	" name ", @function\n"			\
	"	.p2align 4\n"					\
	name ":\n"						\
	"	push	%rbp\n"					\
	"	mov	%rsp, %rbp\n"				\
	body							\
	"	pop	%rbp\n"					\
	"	ret\n"						\
	"	.size	" name ", .-" name "\n"

__asm__(
	"	.text\n"
	PUSH_SITE("site_push", "	lea	0x1(%rdi), %rax\n")
	PUSH_SITE("site_start", "	lea	0x1(%rdi), %rax\n")
	PUSH_SITE("site_end", "	lea	0x1(%rdi), %rax\n")
	PUSH_SITE("site_fail", "	mov	$-1, %rax\n")
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
	fprintf(stderr, "usage: target push|lea|pair N | target fail N [RATE [THREADS]]\n");
	return 2;
}

/* direct calls, so the loop costs the same for both sites */
static long run_push(long n)
{
	long i, acc = 0;

	for (i = 0; i < n; i++)
		acc = site_push(acc);
	return acc;
}

static long run_lea(long n)
{
	long i, acc = 0;

	for (i = 0; i < n; i++)
		acc = site_lea(acc);
	return acc;
}

/* A paired op's start and end, keyed by i, with a few labels and values. */
static long run_pair(long n)
{
	long i, acc = 0;

	for (i = 0; i < n; i++) {
		site_start(i, i % PAIR_LABELS, i & 1023);
		acc += site_end(i) - i;
	}
	return acc;
}

struct fail_job {
	long n, rate, acc;
	pthread_t thread;
};

/* Failing calls, paced to rate per second (0: as fast as possible):
 * batches keep the clock reads out of the measured rate. */
static void *fail_thread(void *arg)
{
	struct fail_job *j = arg;
	long long t0 = now_ns();
	long i;

	for (i = 0; i < j->n; i++) {
		if (j->rate && i % THROTTLE_BATCH == 0)
			while (now_ns() - t0 < (long long)((double)i * 1e9 / (double)j->rate))
				;
		j->acc += site_fail(i) < 0;
	}
	return NULL;
}

/* More than one producer, because one traced thread alone may not be
 * able to outrun the consumer of the events. */
static long run_fail(long n, long rate, long threads)
{
	struct fail_job jobs[MAX_THREADS];
	long t, acc = 0;

	for (t = 0; t < threads; t++) {
		jobs[t] = (struct fail_job){ .n = n / threads + (t < n % threads),
					    .rate = rate / threads };
		if (pthread_create(&jobs[t].thread, NULL, fail_thread, &jobs[t]))
			return -1;
	}
	for (t = 0; t < threads; t++) {
		pthread_join(jobs[t].thread, NULL);
		acc += jobs[t].acc;
	}
	return acc;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	char line[64];
	const char *mode;
	long n, rate = 0, threads = 1, acc = 0;

	if (argc < 3 || argc > 5 || (argc > 3 && strcmp(argv[1], "fail")))
		return usage();
	mode = argv[1];
	n = strtol(argv[2], NULL, 10);
	if (argc > 3)
		rate = strtol(argv[3], NULL, 10);
	if (argc > 4)
		threads = strtol(argv[4], NULL, 10);
	if (n <= 0 || rate < 0 || threads < 1 || threads > MAX_THREADS)
		return usage();

	if (!strcmp(mode, "push"))
		printf("ready %d %#lx\n", (int)getpid(), (unsigned long)site_push);
	else if (!strcmp(mode, "lea"))
		printf("ready %d %#lx\n", (int)getpid(), (unsigned long)site_lea);
	else if (!strcmp(mode, "pair"))
		printf("ready %d %#lx %#lx\n", (int)getpid(), (unsigned long)site_start,
		       (unsigned long)site_end);
	else if (!strcmp(mode, "fail"))
		printf("ready %d %#lx\n", (int)getpid(), (unsigned long)site_fail);
	else
		return usage();
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;

	t0 = now_ns();
	if (!strcmp(mode, "push"))
		acc = run_push(n);
	else if (!strcmp(mode, "lea"))
		acc = run_lea(n);
	else if (!strcmp(mode, "pair"))
		acc = run_pair(n);
	else
		acc = run_fail(n, rate, threads);
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
