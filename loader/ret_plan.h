/* SPDX-License-Identifier: MIT */
/*
 * How the returns of each probed function are seen: by a uretprobe (the
 * kernel replaces the return address on the stack), or by probes on the
 * function's ret instructions and the jumps out of it (ret_sites.h), never
 * a uretprobe in a Go or OCaml file, whose runtimes read return addresses
 * (lang_runtime.h). Used by lat (session.c) and by ops that wait for a
 * return (cli/ops_compile.c); the BPF side is bpf/ret_probes.h.
 */
#ifndef SYNCTRACE_RET_PLAN_H
#define SYNCTRACE_RET_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "loader/attach.h"
#include "maps/ret_probes.h"

/* --returns: what the user asked for. */
enum returns_mode {
	RETURNS_AUTO,		/* ret probes in Go and OCaml files, uretprobes elsewhere */
	RETURNS_URETPROBE,	/* uretprobes (refused in Go and OCaml files) */
	RETURNS_RET_PROBE,	/* ret probes everywhere */
};

/* "auto", "uretprobe", "ret-probe": 0, or -EINVAL. */
int returns_mode__parse(const char *s, enum returns_mode *out);

/* One exit of a function timed by ret probes: a probe site of its own. */
struct ret_plan_exit {
	struct probe_site site;	/* the entry's, at the exit's offset and address */
	__u64 entry_offset;	/* the function's entry site */
	__u32 info;		/* its rp_site: ret_plan's infos[info] */
};

struct ret_plan_file;
struct runtime_cache;
struct elf_file;

struct ret_plan {
	enum returns_mode mode;
	struct rp_site *infos;		/* the kernel's table of rp_site, by index */
	size_t nr_infos, cap_infos;
	struct ret_plan_exit *exits;
	size_t nr_exits, cap_exits;
	size_t nr_uret;			/* functions left to uretprobes */
	size_t nr_probed;		/* functions timed by ret probes */
	bool any_go;			/* some function keyed by goroutine */
	struct ret_plan_file *files;	/* for -v */
	size_t nr_files;
	struct runtime_cache *runtimes;
	struct elf_file *ef;		/* the file of the last function decoded */
	char *ef_path;
};

struct ret_plan *ret_plan__new(enum returns_mode mode);
void ret_plan__free(struct ret_plan *rp);

/* How a function's returns are seen. */
enum ret_use { RET_USE_URETPROBE, RET_USE_PROBES };

/*
 * Decide for the function at site (its entry: path, offset, vaddr, size,
 * name, file, cookie): RET_USE_URETPROBE, or RET_USE_PROBES with its
 * entry's rp_site index in *entry_info and its exits added to rp->exits
 * (each a copy of site at the exit, cookie unchanged: the caller adds the
 * info). Refused, with one line in err: -EINVAL (--returns=uretprobe in a
 * Go or OCaml file: "NAME: FILE is a Go program, and a uretprobe would
 * crash it (Go moves stacks)"), -ENOTSUP, -EILSEQ, -E2BIG, -ENODATA,
 * -ENOENT (its exits cannot be found: "NAME in FILE: WHY"), -EIO and the
 * like (the file cannot be read again), -ENOMEM.
 */
int ret_plan__add(struct ret_plan *rp, const struct probe_site *site, __u32 *entry_info,
		  char *err, size_t errlen);

/* -v: one line per file, how its functions' returns are seen. */
void ret_plan__describe(const struct ret_plan *rp, FILE *f);

/*
 * Drop the exits of the functions whose entry (path, offset) is among
 * skipped (the kernel refused to probe it): their calls cannot be timed.
 */
void ret_plan__drop_entries(struct ret_plan *rp, const struct probe_site *skipped, size_t n);

/* Is name a Go function (compiled by gc, keeping g in R14) rather than C in a Go file? */
bool ret_plan__is_go_function(const char *name);

#endif /* SYNCTRACE_RET_PLAN_H */
