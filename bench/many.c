// SPDX-License-Identifier: MIT
/*
 * A target with 500 distinct functions f000..f499, for timing attach and
 * detach of many probes. Prints "ready PID ADDR" (ADDR: f000, so the harness
 * can see the kernel's int3 land there), then idles until stdin closes.
 */
#include <stdio.h>
#include <unistd.h>

/* noipa: identical bodies must not be folded into one address */
#define F(n) __attribute__((noipa)) long f##n(long x) { return x + __COUNTER__; }
#define F10(p) F(p##0) F(p##1) F(p##2) F(p##3) F(p##4) \
	       F(p##5) F(p##6) F(p##7) F(p##8) F(p##9)
#define F100(p) F10(p##0) F10(p##1) F10(p##2) F10(p##3) F10(p##4) \
		F10(p##5) F10(p##6) F10(p##7) F10(p##8) F10(p##9)

F100(0) F100(1) F100(2) F100(3) F100(4)

int main(void)
{
	char line[64];

	printf("ready %d %#lx\n", (int)getpid(), (unsigned long)f000);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
