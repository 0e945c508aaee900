// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel floor of the overhead benchmark: an entry and a return program
 * that do nothing, so what a hit costs is the uprobe machinery alone.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int floor_entry(struct pt_regs *ctx)
{
	return 0;
}

SEC("uprobe")
int floor_exit(struct pt_regs *ctx)
{
	return 0;
}
