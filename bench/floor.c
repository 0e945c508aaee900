// SPDX-License-Identifier: MIT
/*
 * The kernel floor: bench/floor.bpf.c's empty programs attached to
 * functions the way synctrace attaches (loader/attach.c, uprobe_multi when
 * the kernel has it), so the benchmark can subtract what no tracer avoids.
 *
 *   floor -p PID [--entry-only | --at-ret] BINARY FUNC[+OFF]...
 *
 * FUNC+OFF (bytes, 0x for hex): the entry program OFF bytes into FUNC, as
 * probe placement moves it (bench/placement).
 * --entry-only: no return program, as `watch` attaches the start and end
 * of a paired op (both are points, not calls). --at-ret: the return
 * program as a plain uprobe on each ret instruction of the function
 * (loader/ret_sites.h), as lat times a function at its rets.
 *
 * Prints "Tracing ..." on stderr once attached, exits 0 on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "loader/attach.h"
#include "loader/elf_file.h"
#include "loader/sym_table.h"
#include "loader/ret_sites.h"
#include "floor.skel.h"

#define MAX_FUNCS 8
#define MAX_RETS 64

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* The file offset of func in path, as a uprobe wants it, and its address and size. */
static int find_offset(const char *path, const char *func, __u64 *offset, __u64 *addr,
		       __u64 *size)
{
	const struct sym **syms = NULL;
	struct sym_table *st;
	size_t n;
	int err;

	err = sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st);
	if (err)
		return err;
	n = sym_table__match(st, func, &syms);
	if (n == 1) {
		*offset = syms[0]->offset;
		*addr = syms[0]->addr;
		*size = syms[0]->size;
	}
	free(syms);
	sym_table__free(st);
	return n == 1 ? 0 : -ENOENT;
}

/* The ret instructions of the function at addr, appended to rets[*n]. */
static int find_rets(const char *path, __u64 addr, __u64 size, struct probe_site *rets,
		     size_t *n)
{
	struct ret_sites rs = { 0 };
	struct elf_file *ef;
	char why[256];
	size_t i;
	int err;

	err = elf_file__open(path, &ef);
	if (!err)
		err = ret_sites__find(&rs, ef, addr, size, why, sizeof(why));
	for (i = 0; !err && i < rs.nr; i++) {
		if (rs.exits[i].info.kind != RP_RET)
			continue;	/* a tail exit: the floor times no calls */
		if (*n == MAX_RETS) {
			err = -E2BIG;
			break;
		}
		rets[(*n)++] = (struct probe_site){ .path = path, .offset = rs.exits[i].offset };
	}
	ret_sites__free(&rs);
	elf_file__close(ef);
	return err;
}

static int usage(void)
{
	fprintf(stderr, "usage: floor -p PID [--entry-only | --at-ret] BINARY FUNC[+OFF]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct probe_site sites[MAX_FUNCS] = { 0 }, rets[MAX_RETS] = { 0 };
	struct attacher *a = NULL;
	struct floor_bpf *skel = NULL;
	struct bpf_program *prog;
	bool multi = attacher__kernel_has_multi() && !getenv("SYNCTRACE_NO_MULTI");
	bool entry_only, at_ret;
	size_t nr_rets = 0;
	__u64 addr, size;
	sigset_t stop;
	pid_t pid;
	int i, n, first, err = 0, sig;

	if (argc < 5 || strcmp(argv[1], "-p"))
		return usage();
	pid = (pid_t)atoi(argv[2]);
	entry_only = !strcmp(argv[3], "--entry-only");
	at_ret = !strcmp(argv[3], "--at-ret");
	first = 4 + (entry_only || at_ret);	/* the first FUNC */
	n = argc - first;
	if (n < 1 || n > MAX_FUNCS)
		return usage();
	libbpf_set_print(quiet);

	/* blocked before attaching, so an early Ctrl-C still detaches cleanly */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	for (i = 0; i < n && !err; i++) {
		char *plus = strchr(argv[first + i], '+');
		__u64 off = plus ? strtoull(plus + 1, NULL, 0) : 0;

		if (plus)
			*plus = '\0';
		sites[i].path = argv[first - 1];
		err = find_offset(sites[i].path, argv[first + i], &sites[i].offset, &addr, &size);
		if (!err && off >= size)
			err = -ERANGE;
		sites[i].offset += off;
		if (err)
			fprintf(stderr, "floor: %s: no single function '%s'\n", sites[i].path,
				argv[first + i]);
		if (!err && at_ret && (err = find_rets(sites[i].path, addr, size, rets, &nr_rets)))
			fprintf(stderr, "floor: %s: the rets of '%s' cannot be found\n",
				sites[i].path, argv[first + i]);
	}
	if (err)
		goto cleanup;
	skel = floor_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "floor: cannot open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	/* uprobe_multi links only take programs loaded for that attach type */
	if (multi)
		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_expected_attach_type(prog, ATTACH_TYPE_UPROBE_MULTI);
	err = floor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}
	a = attacher__new(multi);
	if (!a) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = attacher__attach(a, skel->progs.floor_entry, false, pid, sites, (size_t)n);
	if (!err && at_ret)
		err = attacher__attach(a, skel->progs.floor_exit, false, pid, rets, nr_rets);
	else if (!err && !entry_only)
		err = attacher__attach(a, skel->progs.floor_exit, true, pid, sites, (size_t)n);
	if (err) {
		fprintf(stderr, "floor: cannot attach uprobes: %s\n", strerror(-err));
		goto cleanup;
	}
	fprintf(stderr, "Tracing %d function%s in pid %d (empty programs%s, %s)... Ctrl-C to end.\n",
		n, n == 1 ? "" : "s", pid, entry_only ? ", entry only" :
		at_ret ? ", returns at the ret instructions" : "",
		multi ? "uprobe_multi" : "classic links");
	sigwait(&stop, &sig);
cleanup:
	attacher__free(a);
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
