// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel floors of bench/net_cost: programs that do only the first
 * thing a socket tracer's programs do (is this the traced process?), on
 * the hooks a socket tracer can use on this kernel, so that what a syscall
 * pays for the hook alone can be told from what the parsers add:
 *   tp      the syscall tracepoints `synctrace http` attaches (bpf/net.bpf.c:
 *           read, write, readv, writev, recvfrom, sendto, recvmsg, sendmsg,
 *           sendfile64 exit, close and connect enter, accept and accept4
 *           exit)
 *   raw     raw_tracepoint sys_enter and sys_exit (every syscall)
 * Hooks on the socket functions alone (tcp_sendmsg, ...), which pipes and
 * other syscalls would not pay, are not possible on this kernel: it has no
 * BPF trampolines (fentry: EPERM; bpftrace: "kfunc/kretfunc not available")
 * and no kprobes (no kprobe PMU, no kprobe_events).
 * netfloor.c loads one kind (autoload off for the others).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid;
__u64 hits;	/* the target's hook hits: proves the programs ran */

static __always_inline int filter(void)
{
	if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

#define TP(call)								\
	SEC("tracepoint/syscalls/sys_exit_" #call)				\
	int tp_exit_##call(void *ctx) { return filter(); }

TP(read)
TP(write)
TP(readv)
TP(writev)
TP(recvfrom)
TP(sendto)
TP(recvmsg)
TP(sendmsg)
TP(sendfile64)

SEC("tracepoint/syscalls/sys_enter_close")
int tp_enter_close(void *ctx) { return filter(); }

SEC("tracepoint/syscalls/sys_enter_connect")
int tp_enter_connect(void *ctx) { return filter(); }

SEC("tracepoint/syscalls/sys_exit_accept")
int tp_exit_accept(void *ctx) { return filter(); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int tp_exit_accept4(void *ctx) { return filter(); }

SEC("raw_tracepoint/sys_enter")
int raw_enter(void *ctx) { return filter(); }

SEC("raw_tracepoint/sys_exit")
int raw_exit(void *ctx) { return filter(); }
