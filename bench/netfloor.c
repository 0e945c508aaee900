// SPDX-License-Identifier: MIT
/*
 * The kernel floors of bench/net_cost: bench/netfloor.bpf.c's filter-only
 * programs on one kind of hook (sock: the socket and syscall tracepoints
 * `synctrace http` uses, the default; tp: the syscall tracepoints it uses
 * on kernels without the socket ones; raw: raw_tracepoint
 * sys_enter/sys_exit), so the benchmark can show what any tracer on those
 * hooks costs; bytes: the socket tracepoints alone, no syscall tracepoint.
 *
 *   netfloor -p PID [sock|bytes|tp|raw]
 *
 * Prints "Tracing ..." on stderr once attached; on SIGINT/SIGTERM prints
 * {"hits": N} (the target's syscalls the programs saw) and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "netfloor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int main(int argc, char **argv)
{
	const char *kind = argc == 4 ? argv[3] : "sock";
	struct netfloor_bpf *skel;
	struct bpf_program *prog;
	int err;

	if (argc < 3 || argc > 4 || strcmp(argv[1], "-p") || atoi(argv[2]) <= 0 ||
	    (strcmp(kind, "sock") && strcmp(kind, "bytes") && strcmp(kind, "tp") &&
	     strcmp(kind, "raw"))) {
		fprintf(stderr, "usage: netfloor -p PID [sock|bytes|tp|raw]\n");
		return 2;
	}
	libbpf_set_print(quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = netfloor_bpf__open();
	if (!skel) {
		fprintf(stderr, "netfloor: open failed\n");
		return 1;
	}
	skel->rodata->target_tgid = (__u32)atoi(argv[2]);
	/* programs are named for their kind (sock_*, tp_*, raw_*); sock and tp add
	 * ctl_*; bytes is sock_* alone */
	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);
		const char *k = strcmp(kind, "bytes") ? kind : "sock";
		int mine = !strncmp(name, k, strlen(k)) && name[strlen(k)] == '_';

		bpf_program__set_autoload(prog, mine || ((!strcmp(kind, "sock") ||
							  !strcmp(kind, "tp")) &&
							 !strncmp(name, "ctl_", 4)));
	}
	err = netfloor_bpf__load(skel);
	if (!err)
		err = netfloor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "netfloor: load or attach failed: %s\n", strerror(-err));
		goto cleanup;
	}
	fprintf(stderr, "Tracing pid %s: filter-only programs (%s)\n", argv[2], kind);
	while (!stop)
		pause();
	printf("{\"hits\": %llu}\n", (unsigned long long)skel->bss->hits);
cleanup:
	netfloor_bpf__destroy(skel);
	return err ? 1 : 0;
}
