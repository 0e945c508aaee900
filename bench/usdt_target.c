// SPDX-License-Identifier: MIT
/*
 * The USDT part of bench/placement: a contract probe (SYNCTRACE_STATE of
 * include/synctrace/sdt.h) hit N times in a tight loop, timed from inside
 * in the thread's CPU time.
 * Built twice: build/bench/usdt_nop5 with the contract's 5-byte-nop site,
 * build/bench/usdt_nop1 with -DSYNCTRACE_SDT_NOP1, where the site is the
 * one <sys/sdt.h> emits (STAP_PROBE2, a 1-byte nop behind the same
 * semaphore test): one program, one probe, only the instruction differs.
 *
 *   usdt_nop5|usdt_nop1 N
 *
 * Prints "ready PID", waits for a line on stdin ("go" or "go traced": then
 * first waits, up to 30 s, for a tracer to raise the semaphore), runs the
 * loop, prints "calls N ns T ns_per_call X fired F" and stays until stdin
 * closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "synctrace/sdt.h"

SYNCTRACE_SDT_DEFINE_SEMAPHORES

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

/* One hit per call; noinline, so every hit costs a call as in a real engine. */
__attribute__((noinline)) static long hit(long x)
{
	SYNCTRACE_STATE("bench", x);
	return x + 1;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	long i, n, acc = 0, fired = 0;
	char line[64];
	int waited;

	n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (waited = 0; strstr(line, "traced") && !SYNCTRACE_ENABLED(state) && waited < 30000;
	     waited++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		acc = hit(acc);
	t1 = now_ns();
	fired = SYNCTRACE_ENABLED(state) ? n : 0;
	if (acc != n)
		return 1;
	printf("calls %ld ns %lld ns_per_call %.2f fired %ld\n", n, t1 - t0,
	       (double)(t1 - t0) / (double)n, fired);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
