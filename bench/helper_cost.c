// SPDX-License-Identifier: MIT
/*
 * What each piece of a socket tracer's syscall program costs on this
 * machine, kernel-timed (bench/RESULTS.md "Sockets"): for each piece of
 * bench/helper_cost.bpf.c, a child makes N read(2)s of 1 byte from
 * /dev/zero with the program on its sys_exit_read, and the kernel's own
 * run time of the program (BPF_ENABLE_STATS) is divided by its runs. The
 * pieces run in turns, ROUNDS times; the table gives each one's median,
 * and its difference from the filter alone.
 *
 *   helper_cost [N]      (default 200000 reads a run; root)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helper_cost.skel.h"

#define ROUNDS 5

static const char *const pieces[] = {
	"filter alone (the floor)",
	"bpf_ktime_get_ns, once",
	"bpf_ktime_get_ns, twice",
	"connection by key: hash lookup (65,536 entries)",
	"connection by fd: array lookup",
	"syscall arguments (bpf_task_pt_regs)",
	"  + bpf_probe_read_user, 32 bytes",
	"  + bpf_probe_read_user, 256 bytes",
	"8 atomic adds",
	"8 plain adds",
};
#define NPIECES (int)(sizeof(pieces) / sizeof(pieces[0]))

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* A child that waits for a byte on go, then reads n bytes one at a time. */
static pid_t reader(long n, int *go)
{
	int p[2];
	pid_t pid;
	char b;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/zero", O_RDONLY);

		close(p[1]);
		if (fd < 0 || read(p[0], &b, 1) != 1)
			_exit(1);
		while (n-- > 0)
			if (read(fd, &b, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/* ns a run of the piece on n reads, or -1. */
static double one_run(int piece, long n)
{
	struct helper_cost_bpf *skel;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	double ns = -1;
	int go, st;
	pid_t pid = reader(n, &go);

	if (pid < 0)
		return -1;
	skel = helper_cost_bpf__open();
	if (skel) {
		skel->rodata->target_tgid = pid;
		skel->rodata->piece = piece;
	}
	if (skel && !helper_cost_bpf__load(skel) && !helper_cost_bpf__attach(skel)) {
		if (write(go, "g", 1) == 1 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    !WEXITSTATUS(st) &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.helper_cost), &info, &len) &&
		    info.run_cnt >= (__u64)n)
			ns = (double)info.run_time_ns / info.run_cnt;
	}
	close(go);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	helper_cost_bpf__destroy(skel);
	return ns;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	double t[NPIECES][ROUNDS], med[NPIECES];
	int stats, r, i;

	if (argc > 2 || n < 1000) {
		fprintf(stderr, "usage: helper_cost [N >= 1000]\n");
		return 2;
	}
	libbpf_set_print(quiet);
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0) {
		perror("helper_cost: BPF_ENABLE_STATS");
		return 1;
	}
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < NPIECES; i++) {
			t[i][r] = one_run(i, n);
			if (t[i][r] < 0) {
				fprintf(stderr, "helper_cost: piece %d failed\n", i);
				return 1;
			}
		}
	close(stats);
	printf("| piece | ns a run (median of %d) | over the filter |\n|---|---:|---:|\n", ROUNDS);
	for (i = 0; i < NPIECES; i++) {
		qsort(t[i], ROUNDS, sizeof(double), cmp);
		med[i] = t[i][ROUNDS / 2];
		printf("| %s | %.1f | %+.1f |\n", pieces[i], med[i], med[i] - med[0]);
	}
	return 0;
}
