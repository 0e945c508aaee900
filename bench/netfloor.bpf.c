// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel floors of bench/net_cost: programs that do only the first
 * thing a socket tracer's programs do (is this the traced process?), on
 * the hooks a socket tracer can use on this kernel, so that what a syscall
 * pays for the hook alone can be told from what the parsers add:
 *   sock    what `synctrace http` attaches where the kernel has them
 *           (bpf/net.bpf.c): the raw tracepoints sock:sock_recv_length and
 *           sock_send_length for the bytes (sockets' calls alone run
 *           them), and the syscall tracepoints of close and connect
 *           (enter), accept and accept4 (exit): the ctl_ programs
 *   tp      what it attaches on older kernels: the syscall exits of read,
 *           write, readv, writev, recvfrom, sendto, recvmsg, sendmsg and
 *           sendfile64 for the bytes (every process's such calls run them),
 *           and the ctl_ programs
 *   raw     raw_tracepoint sys_enter and sys_exit (every syscall)
 * Hooks on the socket functions themselves (tcp_sendmsg, ...) are not
 * possible on this kernel: it has no BPF trampolines (fentry: EPERM;
 * bpftrace: "kfunc/kretfunc not available") and no kprobes (no kprobe PMU,
 * no kprobe_events). netfloor.c loads one kind (autoload off for the
 * others).
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

SEC("raw_tracepoint/sock_recv_length")
int sock_recv(void *ctx) { return filter(); }

SEC("raw_tracepoint/sock_send_length")
int sock_send(void *ctx) { return filter(); }

SEC("tracepoint/syscalls/sys_enter_close")
int ctl_enter_close(void *ctx) { return filter(); }

SEC("tracepoint/syscalls/sys_enter_connect")
int ctl_enter_connect(void *ctx) { return filter(); }

SEC("tracepoint/syscalls/sys_exit_accept")
int ctl_exit_accept(void *ctx) { return filter(); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int ctl_exit_accept4(void *ctx) { return filter(); }

SEC("raw_tracepoint/sys_enter")
int raw_enter(void *ctx) { return filter(); }

SEC("raw_tracepoint/sys_exit")
int raw_exit(void *ctx) { return filter(); }
