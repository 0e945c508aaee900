// SPDX-License-Identifier: MIT
/*
 * The per-syscall target of bench/net_cost: N rounds of write()/read() on a
 * pipe or a loopback TCP pair, timed by the loop itself, so that what
 * `synctrace http`'s global syscall tracepoints add to every syscall can be
 * read in nanoseconds, on this process traced and on it not traced.
 *
 *   sysloop pipe|tcp|http N
 *
 *   pipe  write 64 bytes to a pipe, read them back: 2 syscalls a round; not
 *         a socket, so a traced process pays one lookup of the fd's file
 *   tcp   the same 64 bytes (not HTTP, not PostgreSQL) on a loopback TCP
 *         pair: a socket whose protocol is never recognised
 *   http  one HTTP/1.1 exchange a round on a loopback TCP pair: the client
 *         writes a GET, the server reads it and writes a 200 with a body,
 *         the client reads it: 4 syscalls, one request and one response on
 *         each side, so a traced run must count N + warm-up exchanges
 *
 * Prints "ready PID", waits for a line on stdin (the tracer attaches in
 * between), runs N/10 warm-up rounds then N timed ones in NR_BLOCKS blocks,
 * and prints one JSON line: mode, rounds, syscalls (the timed reads and
 * writes made), ns and ns_per_syscall (wall clock, CLOCK_MONOTONIC, all
 * blocks), cpu_ns_min and cpu_ns_median (this thread's CPU time per syscall,
 * CLOCK_THREAD_CPUTIME_ID, of the best block and the median block: on a
 * shared machine the time others hold the CPU is left out, and the best
 * block is the one they disturbed least; the BPF programs run in this
 * thread's syscalls and count in it, as does loopback TCP's delivery),
 * exchanges (all rounds, warm-up included; 0 unless http), all_syscalls
 * (the reads and writes of the warm-up and the timed rounds).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "GET /items/42 HTTP/1.1\r\nHost: bench\r\n\r\n";
static const char response[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 2\r\n\r\nok";

static long nr_syscalls;	/* the reads and writes made, partial reads included */

#define NR_BLOCKS 20

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* a connected loopback TCP pair: fds[0] the client, fds[1] the server's */
static void tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1, l;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("listen");
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	fds[1] = accept(l, NULL, NULL);
	if (fds[1] < 0)
		die("accept");
	close(l);
	/* each write goes out at once, as a server's response would */
	setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* read exactly n bytes (a loopback stream may hand them over in parts) */
static void read_all(int fd, char *buf, size_t n)
{
	while (n) {
		ssize_t r = read(fd, buf, n);

		nr_syscalls++;
		if (r <= 0)
			die("read");
		buf += r;
		n -= (size_t)r;
	}
}

static void write_all(int fd, const char *buf, size_t n)
{
	nr_syscalls++;
	if (write(fd, buf, n) != (ssize_t)n)
		die("write");
}

/* one round: 2 syscalls (pipe, tcp) or 4 (http) when reads are whole */
static void round_once(int http, const int fds[2], char *buf)
{
	if (!http) {
		write_all(fds[1], buf, 64);
		read_all(fds[0], buf, 64);
		return;
	}
	write_all(fds[0], request, sizeof(request) - 1);
	read_all(fds[1], buf, sizeof(request) - 1);
	write_all(fds[1], response, sizeof(response) - 1);
	read_all(fds[0], buf, sizeof(response) - 1);
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1, c0, c1;
	double ns = 0, cpu[NR_BLOCKS];
	char buf[256], line[64];
	long n, i, warm, all;
	int fds[2], http, b;

	if (argc != 3 || (n = atol(argv[2])) < NR_BLOCKS) {
		fprintf(stderr, "usage: sysloop pipe|tcp|http N\n");
		return 2;
	}
	http = !strcmp(argv[1], "http");
	if (!strcmp(argv[1], "pipe")) {
		/* pipe(): fds[0] the read end, fds[1] the write end */
		if (pipe(fds))
			die("pipe");
	} else if (!strcmp(argv[1], "tcp") || http) {
		int t[2];

		tcp_pair(t);
		/* tcp mode writes on fds[1] and reads on fds[0], as for a pipe */
		fds[0] = http ? t[0] : t[1];
		fds[1] = http ? t[1] : t[0];
	} else {
		fprintf(stderr, "sysloop: unknown mode '%s' (pipe, tcp or http)\n", argv[1]);
		return 2;
	}
	memset(buf, 'x', sizeof(buf));
	warm = n / 10;

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (i = 0; i < warm; i++)
		round_once(http, fds, buf);
	i = 0;
	all = nr_syscalls;
	nr_syscalls = 0;
	for (b = 0; b < NR_BLOCKS; b++) {
		long before = nr_syscalls, end = n * (b + 1) / NR_BLOCKS;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (; i < end; i++)
			round_once(http, fds, buf);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		ns += elapsed(&t0, &t1);
		cpu[b] = elapsed(&c0, &c1) / (double)(nr_syscalls - before);
	}
	qsort(cpu, NR_BLOCKS, sizeof(cpu[0]), cmp_double);
	printf("{\"mode\": \"%s\", \"rounds\": %ld, \"syscalls\": %ld, \"ns\": %.0f, "
	       "\"ns_per_syscall\": %.1f, \"cpu_ns_min\": %.1f, \"cpu_ns_median\": %.1f, "
	       "\"exchanges\": %ld, \"all_syscalls\": %ld}\n",
	       argv[1], n, nr_syscalls, ns, ns / (double)nr_syscalls, cpu[0],
	       (cpu[NR_BLOCKS / 2 - 1] + cpu[NR_BLOCKS / 2]) / 2, http ? n + warm : 0,
	       all + nr_syscalls);
	return 0;
}
