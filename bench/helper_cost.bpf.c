// SPDX-License-Identifier: GPL-2.0
/*
 * What the pieces of a socket tracer's syscall program cost here, one at a
 * time (bench/helper_cost.c runs each, kernel-timed): the program
 * bpf/net.bpf.c's net_feed_syscall is made of a filter, then a few
 * helpers and map accesses a followed syscall, then the parse. Attached to
 * syscalls:sys_exit_read; rodata `piece` picks what a run of the loop's
 * read(2) does after the filter (enum piece in helper_cost.c).
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid;
const volatile __u32 piece;
__u64 sink;

struct conn_key {
	__u32 tgid;
	__s32 fd;
	__u64 tls_ptr;
};

/* net_conn's size (bpf/net_stream.h), by key as net_conns and by index as net_conns_fd */
struct conn {
	__u8 b[960];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, struct conn);
} by_key SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct conn);
} by_fd SEC(".maps");

SEC("tracepoint/syscalls/sys_exit_read")
int helper_cost(void *ctx)
{
	struct conn_key key = {};
	struct pt_regs *regs;
	struct conn *c;
	__u64 *q;
	__u32 fd = 5;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	key.tgid = target_tgid;
	key.fd = fd;
	switch (piece) {
	case 1:		/* the clock, once */
		sink += bpf_ktime_get_ns();
		break;
	case 2:		/* the clock, twice */
		sink += bpf_ktime_get_ns();
		sink += bpf_ktime_get_ns();
		break;
	case 3:		/* the connection by its key (a hash) */
		c = bpf_map_lookup_elem(&by_key, &key);
		if (c) {
			c->b[0]++;
		} else {
			/* the first run inserts it (a zeroed value from the array) */
			c = bpf_map_lookup_elem(&by_fd, &fd);
			if (c)
				bpf_map_update_elem(&by_key, &key, c, BPF_ANY);
		}
		break;
	case 4:		/* the connection by its fd (an array) */
		c = bpf_map_lookup_elem(&by_fd, &fd);
		if (c)
			c->b[0]++;
		break;
	case 5:		/* the syscall's arguments */
	case 6:		/* and 32 bytes of its buffer (an iovec pair) */
	case 7:		/* and 256 (a head) */
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		c = bpf_map_lookup_elem(&by_fd, &fd);
		if (!regs || !c)
			return 0;
		sink += PT_REGS_PARM1_SYSCALL(regs) + PT_REGS_PARM3_SYSCALL(regs);
		if (piece > 5)
			bpf_probe_read_user(c, piece == 6 ? 32 : 256,
					    (void *)PT_REGS_PARM2_SYSCALL(regs));
		break;
	case 8:		/* 8 atomic adds (shared counters, histograms) */
	case 9:		/* 8 plain adds (per-CPU counters, preemption off) */
		q = bpf_map_lookup_elem(&by_fd, &fd);
		if (!q)
			return 0;
		if (piece == 8) {
			__sync_fetch_and_add(&q[0], 1);
			__sync_fetch_and_add(&q[8], 1);
			__sync_fetch_and_add(&q[16], 1);
			__sync_fetch_and_add(&q[24], 1);
			__sync_fetch_and_add(&q[32], 1);
			__sync_fetch_and_add(&q[40], 1);
			__sync_fetch_and_add(&q[48], 1);
			__sync_fetch_and_add(&q[56], 1);
		} else {
			q[0]++;
			q[8]++;
			q[16]++;
			q[24]++;
			q[32]++;
			q[40]++;
			q[48]++;
			q[56]++;
		}
		break;
	}
	return 0;
}
