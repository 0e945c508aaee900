/* SPDX-License-Identifier: MIT */
/*
 * Attaching one BPF program to many uprobe sites: one kernel uprobe_multi
 * link per (file, pid) when the kernel has it, one classic link per site
 * otherwise. Detaching is closing the links, which the kernel also does if
 * we die: nothing is pinned, nothing outlives the process.
 */
#ifndef SYNCTRACE_ATTACH_H
#define SYNCTRACE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "maps/kernel_errno.h"

struct bpf_program;
struct usdt_arg;

/* One probe site. */
struct probe_site {
	const char *path;	/* the file as the kernel should open it */
	__u64 offset;		/* file offset of the instruction */
	__u64 vaddr;		/* its address in the file (what the symbol or note says) */
	__u64 size;		/* a function's size in bytes (its symbol's), 0 for USDT */
	/* Bytes from the function's first byte to vaddr: a Go function is
	 * probed past its stack check (loader/go_prologue.h), else 0. */
	__u64 entry_skip;
	/* Where placement (loader/placement.h) may move its entry probe: place_skip
	 * bytes on, if the probe reads nothing place_writes has; placed: how far
	 * it did (the attacher takes it back if the kernel refuses the site). */
	__u32 place_skip, place_writes;
	__u64 placed;
	__u64 ref_ctr_offset;	/* file offset of a USDT semaphore, or 0 */
	__u64 cookie;		/* what bpf_get_attach_cookie() returns */
	/* A USDT site's arguments (owned by its trace_plan), or NULL. */
	const struct usdt_arg *usdt_args;
	int usdt_nargs;		/* -1: the note's arguments were not understood */
	/* For messages: the function or USDT "provider:name", and the file as
	 * the traced process names it (path may be /proc/self/fd/N). */
	const char *name;
	const char *file;
};

/* The kernel's attach types for multi-site uprobe links (newer than our
 * uapi headers): a link takes the type its program was loaded with. */
#define ATTACH_TYPE_UPROBE_MULTI 48
#define ATTACH_TYPE_UPROBE_SESSION 57

struct attacher;

/* use_multi: the programs were loaded for BPF_TRACE_UPROBE_MULTI. */
struct attacher *attacher__new(bool use_multi);

/*
 * Attach prog (as a return probe if retprobe) to n sites, filtered to
 * process pid (0: every process). Sites sharing a path go in one link.
 * Returns 0 or a negative errno; on error, links made so far stay owned by
 * the attacher and go with attacher__free().
 */
int attacher__attach(struct attacher *a, const struct bpf_program *prog,
		     bool retprobe, pid_t pid, const struct probe_site *sites,
		     size_t n);

/*
 * With skip, a site the kernel refuses to probe (an instruction uprobes
 * cannot handle) is set aside instead of failing the attach; the set-aside
 * sites are listed by attacher__skipped().
 */
void attacher__skip_refused(struct attacher *a, bool skip);
size_t attacher__skipped(const struct attacher *a, const struct probe_site **sites);
size_t attacher__nr_links(const struct attacher *a);

/*
 * The one-line message for rc, the error of attacher__attach() over
 * nr_sites sites: it names the site the kernel refused (a multi-site link
 * it refused is split until one site is left) and the file, as the
 * process names it. An exited process (-ESRCH) is the caller's to say.
 */
void attacher__error(const struct attacher *a, int rc, size_t nr_sites, char *err,
		     size_t errlen);
void attacher__free(struct attacher *a);

/* Does this kernel accept BPF_TRACE_UPROBE_MULTI links? Cached. */
bool attacher__kernel_has_multi(void);

#endif /* SYNCTRACE_ATTACH_H */
