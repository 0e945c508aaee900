/* SPDX-License-Identifier: MIT */
/*
 * Following a process tree (-p PID --children): the probes are attached for
 * every process and the BPF side (bpf/follow.h) keeps the hits of root and
 * its descendants, found by walking task_struct's real_parent, whose
 * offsets come from the kernel's BTF.
 */
#ifndef SYNCTRACE_LOADER_FOLLOW_H
#define SYNCTRACE_LOADER_FOLLOW_H

#include <stddef.h>
#include <sys/types.h>

struct follow_tree {
	pid_t root;			/* 0: no tree, the -p process alone (or every process) */
	int real_parent_off, tgid_off;	/* in struct task_struct */
};

/* t for root's tree; -errno with a one-line message in err. */
int follow_tree__init(struct follow_tree *t, pid_t root, char *err, size_t len);

#endif /* SYNCTRACE_LOADER_FOLLOW_H */
