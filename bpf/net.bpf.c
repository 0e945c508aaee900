// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half of `http` and `pg`: what a process reads from and writes
 * to its sockets, seen at its socket calls (language-blind), parsed as
 * streams in the kernel, counted per row of maps/net.h. One feed program
 * runs at each call's end (the socket tracepoints, or the syscall exits
 * on older kernels) and feeds the bytes the call moved; close forgets a
 * connection, accept and connect start a fresh one. TLS plaintext comes
 * through the SSL_read/SSL_write uprobes at the end, keyed by the SSL*.
 * docs/OPS-KERNEL.md "Sockets".
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps/net.h"
#include "bpf/follow.h"

char LICENSE[] SEC("license") = "GPL";

#include "bpf/net_record.h"
#include "bpf/net_stream.h"

/* syscalls:sys_enter_* / sys_exit_* (see their format files). */
struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* The fields of struct user_msghdr that name its iovecs. */
struct net_msghdr {
	__u64 name;
	__u32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
};

/* Is the current process one we trace? (First, in every program.) */
static __always_inline int net_traced(void)
{
	if (follow_root)
		return traced_here();
	return target_tgid && (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

struct net_iov_ctx {
	const struct net_conn_key *key;
	struct net_scratch *sc;
};

/* iovec i of the call: its bytes fed; the iovecs read NET_IOV_BATCH at a time. */
static long net_iov_step(__u32 i, struct net_iov_ctx *ctx)
{
	struct net_iov_walk *w = &ctx->sc->iov;
	struct net_iovec v;
	__u32 n;
	__u64 len;

	if (!w->left || i >= w->cnt)
		return 1;
	if (i - w->first >= w->held) {
		n = w->cnt - i < NET_IOV_BATCH ? w->cnt - i : NET_IOV_BATCH;
		if (bpf_probe_read_user(w->vecs, n * sizeof(v),
					(const void *)(w->iov + (__u64)i * sizeof(v)))) {
			net_drop(NET_DROP_READ_FAILED);
			w->failed = 1;
			return 1;
		}
		w->first = i;
		w->held = n;
	}
	v = w->vecs[(i - w->first) & (NET_IOV_BATCH - 1)];
	len = v.len < w->left ? v.len : w->left;
	if (len)
		net_feed(ctx->sc, ctx->key, w->dir, v.base, len);
	w->left -= len;
	return 0;
}

/*
 * The TLS parsers are in one program, reached by a tail call: every return
 * uprobe inlining them made each load a 5,800-instruction verification
 * (~150 ms each). A jump that fails (never, once loaded) loses the call's
 * bytes, counted as lost_sync. The syscall exits need no jump: one
 * program, net_feed_syscall, is attached to all of them.
 */
int net_feed_tls(struct pt_regs *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct pt_regs *));
} net_tail_tls SEC(".maps") = { .values = { [0] = (void *)&net_feed_tls } };

/* x86-64's numbers of the calls followed (asm/unistd_64.h), as the exit's ctx has them. */
#define NET_NR_READ 0
#define NET_NR_WRITE 1
#define NET_NR_READV 19
#define NET_NR_WRITEV 20
#define NET_NR_SENDFILE 40
#define NET_NR_SENDTO 44
#define NET_NR_RECVFROM 45
#define NET_NR_SENDMSG 46
#define NET_NR_RECVMSG 47

/* A msghdr's iovecs (recvmsg/sendmsg), read at the return into sc->iov
 * (the kernel writes back the msghdr's name and control lengths and its
 * flags, never these). 0, or -1 (counted). */
static __noinline int net_msg_iov(__u64 msg, struct net_scratch *sc)
{
	struct net_msghdr m;

	if (!sc)
		return -1;
	if (bpf_probe_read_user(&m, sizeof(m), (const void *)msg)) {
		net_drop(NET_DROP_READ_FAILED);
		return -1;
	}
	sc->iov.iov = m.iov;
	sc->iov.cnt = m.iovlen > NET_IOV_MAX ? NET_IOV_MAX : m.iovlen;
	return 0;
}

/* Benchmarks only (tests/tools/net_probe -F): the feed programs stop
 * after their filter, the floor of bench/net_cost's toggle part. Set
 * before load; at 0 the verifier knows the branch is never taken: it
 * costs a load and a jump. */
const volatile __u32 net_filter_only = 0;

/* Does call nr feed bytes (net_feed_call's cases)? */
static __always_inline int net_nr_feeds(int nr)
{
	return nr == NET_NR_READ || nr == NET_NR_WRITE || nr == NET_NR_READV ||
	       nr == NET_NR_WRITEV || nr == NET_NR_SENDFILE || nr == NET_NR_SENDTO ||
	       nr == NET_NR_RECVFROM || nr == NET_NR_SENDMSG || nr == NET_NR_RECVMSG;
}

/*
 * The socket hooks: is key's state that of the socket sk the bytes moved
 * on? Made so if the fd names sk: a state that knew no socket yet
 * (accept, connect) adopts it, one that knew another is replaced (the fd
 * was closed unseen: dup2 over it, a close(2) of a shared socket). If
 * the fd names another, the kernel moved sk's bytes inside the call for
 * its own ends (NFS under a file's write, an io_uring request run at a
 * syscall's return): they are not at the call's buffer, -1. Inlined in
 * the program, not called from net_feed: from there, net_forget's calls
 * would go past the verifier's eight frames.
 */
static __always_inline int net_sock_conn(struct net_scratch *sc, const struct net_conn_key *key,
					 __u64 sk)
{
	struct net_conn *c = net_conn_get(key);

	if (c && c->sk == sk)
		return 0;
	if (net_fd_sk(key->fd) != sk)
		return -1;
	if (c && !c->sk) {
		c->sk = sk;
		return 0;
	}
	if (c)
		net_forget(key, bpf_ktime_get_ns());
	c = net_conn_new(sc, key, NCP_NEW, -1);
	if (c)
		c->sk = sk;
	return 0;
}

/*
 * A followed call of ours (number nr) moved ret >= 0 bytes (or saw the
 * peer's EOF): its fd, buffer and count are read from the user registers
 * the task saved at the syscall's entry (bpf_task_pt_regs), which a
 * syscall leaves as they were (its result goes to ax alone), so no entry
 * program saves them. sk: the socket hooks' struct sock (0: the syscall
 * hooks'). Both feed programs end here.
 */
static __always_inline int net_feed_call(int nr, __s64 ret, struct pt_regs *regs, __u64 sk)
{
	struct net_conn_key key = {};
	struct net_iov_ctx ic = {};
	struct net_scratch *sc = net_scratch_cpu();
	__u64 buf, cnt;
	__u32 dir;

	if (!regs || !sc)
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.fd = (__s32)PT_REGS_PARM1_SYSCALL(regs);
	buf = PT_REGS_PARM2_SYSCALL(regs);
	cnt = PT_REGS_PARM3_SYSCALL(regs);
	if (key.fd < 0)
		return 0;
	dir = nr == NET_NR_READ || nr == NET_NR_READV || nr == NET_NR_RECVFROM ||
	      nr == NET_NR_RECVMSG ? NET_DIR_IN : NET_DIR_OUT;
	/* 0: net_feed and net_eof read the clock once the fd is one of ours */
	sc->ts = 0;
	if (ret == 0) {
		/* 0 from a read that asked for bytes (recvmsg: had iovecs): the peer's EOF */
		if (dir != NET_DIR_IN)
			return 0;
		if (nr == NET_NR_RECVMSG) {
			if (net_msg_iov(buf, sc))
				return 0;
			cnt = sc->iov.cnt;
		}
		if (cnt)
			net_eof(&key, 0, sk);
		return 0;
	}
	if (sk && net_nr_feeds(nr) && net_sock_conn(sc, &key, sk))
		return 0;
	switch (nr) {
	case NET_NR_READ:
	case NET_NR_WRITE:
	case NET_NR_RECVFROM:
	case NET_NR_SENDTO:
		net_feed(sc, &key, dir, buf, ret);
		return 0;
	case NET_NR_SENDFILE:
		/* its bytes go by unseen: a body is skipped by its length, a head lost */
		net_feed(sc, &key, dir, 0, ret);
		return 0;
	case NET_NR_RECVMSG:
	case NET_NR_SENDMSG:
		if (net_msg_iov(buf, sc))
			return 0;
		break;
	case NET_NR_READV:
	case NET_NR_WRITEV:
		sc->iov.iov = buf;
		sc->iov.cnt = cnt > NET_IOV_MAX ? NET_IOV_MAX : cnt;
		break;
	default:
		return 0;
	}
	ic.key = &key;
	ic.sc = sc;
	sc->iov.left = ret;
	sc->iov.dir = dir;
	sc->iov.failed = 0;
	sc->iov.first = 0;
	sc->iov.held = 0;
	bpf_loop(NET_IOV_MAX, net_iov_step, &ic, 0);
	/* past NET_IOV_MAX iovecs, the rest went by unseen */
	if (sc->iov.left && !sc->iov.failed)
		net_feed(sc, &key, dir, 0, sc->iov.left);
	return 0;
}

/*
 * The syscall hooks: a followed call returned (syscalls:sys_exit_* of
 * each call in maps/net.h's NET_FEED_SYSCALLS: user space attaches this
 * one program to them all, and it tells them apart by the call's number).
 * Every process's call of these runs the filter, a socket's or not.
 */
SEC("tracepoint")
int net_feed_syscall(struct sys_exit_ctx *ctx)
{
	/* first, the filter: a failed call (EAGAIN: an event loop's last read) moved nothing */
	if (!net_traced() || ctx->ret < 0 || net_filter_only)
		return 0;
	return net_feed_call(ctx->nr, ctx->ret,
			     (void *)bpf_task_pt_regs(bpf_get_current_task_btf()), 0);
}

/* Just the syscall's number from the saved user registers (CO-RE). */
struct pt_regs___net {
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

#define NET_MSG_PEEK 2

/*
 * The socket hooks, where the kernel has them (6.3 on): sock:sock_recv_length
 * and sock:sock_send_length, which every socket's recvmsg and sendmsg
 * fire inside the call (read, write and the rest all come through them)
 * with its struct sock, result and flags. User space attaches this one
 * program to both. Only sockets' calls run the filter, and no syscall
 * tracepoint is needed for the bytes (loader/net_session.c). The call is
 * told by the syscall's number in the saved registers; a number of
 * another ABI (ia32, x32) names no followed call. A peek is read again.
 */
SEC("raw_tracepoint")
int net_feed_sock(struct bpf_raw_tracepoint_args *ctx)
{
	__s64 ret = (int)ctx->args[1];
	struct pt_regs___net *regs;

	if (!net_traced() || ret < 0 || net_filter_only || (ctx->args[2] & NET_MSG_PEEK))
		return 0;
	regs = (void *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return 0;
	return net_feed_call((int)BPF_CORE_READ(regs, orig_ax), ret, (void *)regs,
			     ctx->args[0]);
}

/* close(fd): the connection ends, its state goes. */
SEC("tracepoint/syscalls/sys_enter_close")
int net_enter_close(struct sys_enter_ctx *ctx)
{
	struct net_conn_key key = {};

	if (!net_traced())
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.fd = ctx->args[0];
	net_forget(&key, bpf_ktime_get_ns());
	return 0;
}

/* A new connection on fd (whatever the fd named before is gone), side known. */
static __always_inline void net_new_side(__s64 fd, __u32 side)
{
	struct net_conn_key key = {};

	if (fd < 0)
		return;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.fd = fd;
	net_forget(&key, bpf_ktime_get_ns());
	net_conn_new(net_scratch_cpu(), &key, NCP_NEW, side);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int net_exit_accept(struct sys_exit_ctx *ctx)
{
	if (net_traced())
		net_new_side(ctx->ret, NET_SIDE_SERVER);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int net_exit_accept4(struct sys_exit_ctx *ctx)
{
	if (net_traced())
		net_new_side(ctx->ret, NET_SIDE_SERVER);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int net_enter_connect(struct sys_enter_ctx *ctx)
{
	if (net_traced())
		net_new_side(ctx->args[0], NET_SIDE_CLIENT);
	return 0;
}

/*
 * TLS plaintext: OpenSSL's SSL_read/SSL_write (and _ex) of the libssl the
 * process maps, or of a binary that links OpenSSL in (node). The entry
 * saves the buffer, the return feeds what the call moved, on the
 * connection {tgid, -1, SSL*}; SSL_free forgets it. The attach targets are
 * user space's (SEC("uprobe"): not auto-attached). Their own per-thread
 * map: SSL_read's own read(2) on the socket comes in between.
 */
struct net_tls_args {
	__u64 ssl;
	__u64 buf;
	__u64 done;		/* _ex: where the byte count is written */
	__u8 dir;
	__u8 ex;
	__u8 pad[6];
	__s64 ret;		/* set at the return, for net_feed_tls */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct net_tls_args);
} net_tls_args SEC(".maps");

static __always_inline void net_tls_enter(struct pt_regs *ctx, __u8 dir, __u8 ex)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct net_tls_args a = {
		.ssl = PT_REGS_PARM1(ctx), .buf = PT_REGS_PARM2(ctx),
		.done = ex ? PT_REGS_PARM4(ctx) : 0, .dir = dir, .ex = ex,
	};

	if (!a.ssl)
		return;
	bpf_map_update_elem(&net_tls_args, &tid, &a, BPF_ANY);
}

/* An SSL_* call returned: save its return and jump to the parsers. */
static __always_inline void net_tls_exit(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct net_tls_args *a = bpf_map_lookup_elem(&net_tls_args, &tid);

	if (!a)
		return;
	a->ret = (int)PT_REGS_RC(ctx);
	bpf_tail_call(ctx, &net_tail_tls, 0);
	net_drop(NET_DROP_LOST_SYNC);
	bpf_map_delete_elem(&net_tls_args, &tid);
}

SEC("uprobe")
int net_feed_tls(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct net_tls_args *a = bpf_map_lookup_elem(&net_tls_args, &tid);
	struct net_scratch *sc = net_scratch_task();
	struct net_conn_key key = {};
	__u64 n = 0, ts = bpf_ktime_get_ns();
	__s64 ret;

	if (!a || !sc)
		return 0;
	sc->ts = ts;
	ret = a->ret;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.fd = -1;
	key.tls_ptr = a->ssl;
	if (a->ex) {
		/* 1 and *done bytes, or 0 (no bytes: an error, or the peer's close) */
		if (ret == 1 && bpf_probe_read_user(&n, sizeof(n), (const void *)a->done))
			net_drop(NET_DROP_READ_FAILED);
		ret = ret == 1 ? (__s64)n : 0;
	}
	if (ret > 0)
		net_feed(sc, &key, a->dir | NET_FEED_SOCK, a->buf, ret);
	else if (ret == 0 && !a->ex && a->dir == NET_DIR_IN)
		net_eof(&key, ts, 0);	/* SSL_read's 0: the peer closed (close_notify or EOF) */
	bpf_map_delete_elem(&net_tls_args, &tid);
	return 0;
}

#define NET_TLS(name, dir, ex)						\
SEC("uprobe")								\
int net_##name##_enter(struct pt_regs *ctx)				\
{									\
	if (net_traced())						\
		net_tls_enter(ctx, dir, ex);				\
	return 0;							\
}									\
SEC("uretprobe")							\
int net_##name##_exit(struct pt_regs *ctx)				\
{									\
	if (net_traced())						\
		net_tls_exit(ctx);					\
	return 0;							\
}

NET_TLS(ssl_read, NET_DIR_IN, 0)
NET_TLS(ssl_write, NET_DIR_OUT, 0)
NET_TLS(ssl_read_ex, NET_DIR_IN, 1)
NET_TLS(ssl_write_ex, NET_DIR_OUT, 1)

/* SSL_free(ssl): the TLS connection ends. */
SEC("uprobe")
int net_ssl_free(struct pt_regs *ctx)
{
	struct net_conn_key key = {};

	if (!net_traced())
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.fd = -1;
	key.tls_ptr = PT_REGS_PARM1(ctx);
	if (key.tls_ptr)
		net_forget(&key, bpf_ktime_get_ns());
	return 0;
}

/* Just what the exit check reads (CO-RE, as net_stream.h's). */
struct atomic___net {
	int counter;
};

struct signal_struct___net {
	struct atomic___net live;
} __attribute__((preserve_access_index));

struct task_struct___exit {
	struct signal_struct___net *signal;
} __attribute__((preserve_access_index));

static long net_exit_conn(void *map, const struct net_conn_key *key,
			  struct net_conn *c, __u32 *tgid)
{
	if (key->tgid == *tgid)
		net_forget(key, bpf_ktime_get_ns());
	return 0;
}

/* net_conns_fd's slot fd (its connections are target_tgid's). */
static long net_exit_slot(void *map, const __u32 *fd, struct net_conn *c, void *unused)
{
	struct net_conn_key key = {};

	if (!c->live)
		return 0;
	key.tgid = target_tgid;
	key.fd = *fd;
	net_forget(&key, bpf_ktime_get_ns());
	return 0;
}

/*
 * A traced process ends (its last thread exits): its sockets close without
 * close(2), so its connections end here (streams closed, counted) and
 * their entries go, instead of staying until the map fills. Attached with
 * the others; user space may leave it out with -p alone (the run ends).
 */
SEC("raw_tracepoint/sched_process_exit")
int net_process_exit(void *ctx)
{
	struct task_struct___exit *task = (void *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!net_traced() || BPF_CORE_READ(task, signal, live.counter))
		return 0;
	bpf_for_each_map_elem(&net_conns, net_exit_conn, &tgid, 0);
	if (tgid == target_tgid)
		bpf_for_each_map_elem(&net_conns_fd, net_exit_slot, NULL, 0);
	return 0;
}
