// SPDX-License-Identifier: MIT
/*
 * The target of bench/output_cost: 64 distinct functions r00..r77 (two octal digits), each
 * called as rNN(route, bytes) over 256 routes ("/r/0".."/r/255"), without
 * pause, so that 64 `watch` ops (one a function, `by=str(arg0)`) have 16,384
 * rows, every one busy every interval. One op a function, not 64 on one:
 * 64 ops on one function nest 64 frames deep per call, past the ops
 * programs' frame stack (OPS_FRAME_DEPTH), and all but the last 16 lose
 * their calls to depth_overflow.
 *
 * Prints "ready PID", waits for a line on stdin, then calls until killed.
 */
#include <stdio.h>
#include <unistd.h>

#define NR_FUNCS 64
#define NR_ROUTES 256

/* noipa: identical bodies must not be folded into one address; the loop
 * spreads the latency over a few buckets */
#define F(n) __attribute__((noipa)) int r##n(const char *route, int bytes) \
	{ volatile int x = 0; for (int i = 0; i < bytes % 64; i++) x += route[0]; return x; }
#define F8(p) F(p##0) F(p##1) F(p##2) F(p##3) F(p##4) F(p##5) F(p##6) F(p##7)

F8(0) F8(1) F8(2) F8(3) F8(4) F8(5) F8(6) F8(7)

#define P8(p) r##p##0, r##p##1, r##p##2, r##p##3, r##p##4, r##p##5, r##p##6, r##p##7
static int (*const funcs[NR_FUNCS])(const char *, int) = {
	P8(0), P8(1), P8(2), P8(3), P8(4), P8(5), P8(6), P8(7)
};

int main(void)
{
	static char routes[NR_ROUTES][16];
	char line[64];
	unsigned long i;

	for (i = 0; i < NR_ROUTES; i++)
		snprintf(routes[i], sizeof(routes[i]), "/r/%lu", i);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (i = 0;; i++)
		funcs[i % NR_FUNCS](routes[(i / NR_FUNCS) % NR_ROUTES],
				    100 + (int)(i * 37 % 1000));
	return 0;
}
