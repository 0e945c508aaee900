// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half of `http` and `pg`: what a process reads from and writes
 * to its sockets, seen at the syscalls (language-blind), parsed as streams
 * in the kernel, counted per row of maps/net.h. The syscall programs save
 * their arguments at entry (per thread) and feed the bytes the call moved
 * at its return; close forgets a connection, accept and connect start a
 * fresh one. TLS plaintext comes through the SSL_read/SSL_write uprobes at
 * the end, keyed by the SSL*. docs/OPS-KERNEL.md "Sockets".
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

enum net_call { NA_BUF, NA_IOV, NA_BLIND };

/*
 * A call in flight, per thread, from its entry to its return: task
 * storage (one pointer walk from the task, nothing hashed, nothing
 * inserted or deleted per call as a hash of thread ids would), valid
 * between the two.
 */
struct net_args {
	__u64 buf;		/* NA_BUF: the buffer; NA_IOV: the iovec array */
	__s32 fd;
	__u32 iovcnt;		/* NA_IOV: iovecs; NA_BUF: the count asked (0: no EOF) */
	__u8 call;		/* enum net_call */
	__u8 dir;
	__u8 valid;		/* saved at the entry, not yet fed */
	__u8 pad[5];
	__s64 ret;		/* set at the return, for net_feed_syscall */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct net_args);
} net_args SEC(".maps");

/* This thread's saved call (created with create), or NULL. */
static __always_inline struct net_args *net_args_get(__u64 create)
{
	return bpf_task_storage_get(&net_args, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

struct net_iovec {
	__u64 base;
	__u64 len;
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

/*
 * Is fd known to be nothing of ours (not a socket, a protocol no parser
 * runs, a PostgreSQL stream that ended)? Its return would feed nothing and
 * note no EOF, so the call is not saved (a traced process's pipes and
 * files cost two lookups, not a save, a find and a delete). What this
 * thread saved before goes, so that this call's return never takes the
 * arguments of one whose return was not seen (entered before attach).
 */
static __always_inline int net_ignored(__s32 fd)
{
	struct net_conn_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd };
	struct net_conn *c = bpf_map_lookup_elem(&net_conns, &key);
	struct net_args *a;

	if (!c || (c->proto != NCP_NONE && !c->ended))
		return 0;
	a = net_args_get(0);
	if (a)
		a->valid = 0;
	return 1;
}

static __always_inline void net_save(__s32 fd, __u64 buf, __u32 iovcnt, __u8 call, __u8 dir)
{
	struct net_args *a;

	if (fd < 0 || net_ignored(fd))
		return;
	a = net_args_get(1);
	if (!a)
		return;
	a->buf = buf;
	a->fd = fd;
	a->iovcnt = iovcnt;
	a->call = call;
	a->dir = dir;
	a->valid = 1;
}

/* recvmsg/sendmsg: the iovecs, read from the msghdr at the entry. */
static __always_inline void net_save_msg(__s32 fd, __u64 msg, __u8 dir)
{
	struct net_msghdr m;

	if (fd < 0 || net_ignored(fd))
		return;
	if (bpf_probe_read_user(&m, sizeof(m), (const void *)msg)) {
		net_drop(NET_DROP_READ_FAILED);
		return;
	}
	net_save(fd, m.iov, m.iovlen > NET_IOV_MAX ? NET_IOV_MAX : m.iovlen, NA_IOV, dir);
}

struct net_iov_ctx {
	const struct net_conn_key *key;
	struct net_iov_walk *w;
};

static long net_iov_step(__u32 i, struct net_iov_ctx *ctx)
{
	struct net_iov_walk *w = ctx->w;
	struct net_iovec v;
	__u64 n;

	if (!w->left || i >= w->cnt)
		return 1;
	if (bpf_probe_read_user(&v, sizeof(v), (const void *)(w->iov + i * sizeof(v)))) {
		net_drop(NET_DROP_READ_FAILED);
		w->failed = 1;
		return 1;
	}
	n = v.len < w->left ? v.len : w->left;
	if (n)
		net_feed(ctx->key, w->dir, v.base, n, w->ts);
	w->left -= n;
	return 0;
}

/*
 * The parsers are in one program per program type, reached by a tail call:
 * every return program inlining them made each load a 5,800-instruction
 * verification (~150 ms each, 2.5 s for the 13 returns before `Tracing`);
 * now they are verified twice. The returns save ret beside the call's
 * arguments and jump; a jump that fails (never, once loaded) loses the
 * call's bytes, counted as lost_sync.
 */
int net_feed_syscall(struct sys_exit_ctx *ctx);
int net_feed_tls(struct pt_regs *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct sys_exit_ctx *));
} net_tail_syscall SEC(".maps") = { .values = { [0] = (void *)&net_feed_syscall } };

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct pt_regs *));
} net_tail_tls SEC(".maps") = { .values = { [0] = (void *)&net_feed_tls } };

/* A syscall returned ret: save it and jump to the parsers. */
static __always_inline void net_return(struct sys_exit_ctx *ctx, __s64 ret)
{
	struct net_args *a = net_args_get(0);

	if (!a || !a->valid)
		return;
	a->ret = ret;
	bpf_tail_call(ctx, &net_tail_syscall, 0);
	net_drop(NET_DROP_LOST_SYNC);
	a->valid = 0;
}

/* The call of this thread returned: feed the bytes it moved (or note an EOF). */
SEC("tracepoint")
int net_feed_syscall(struct sys_exit_ctx *ctx)
{
	struct net_args *a = net_args_get(0);
	struct net_conn_key key = {};
	struct net_iov_ctx ic = {};
	struct net_scratch *sc;
	__u64 ts = bpf_ktime_get_ns();
	__s64 ret;

	if (!a || !a->valid)
		return 0;
	a->valid = 0;	/* fed once, whatever happens below */
	ret = a->ret;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.fd = a->fd;
	/* 0 from a read that asked for bytes: the peer's EOF */
	if (ret == 0 && a->dir == NET_DIR_IN && a->iovcnt) {
		net_eof(&key, ts);
	} else if (ret > 0) {
		switch (a->call) {
		case NA_BUF:
			net_feed(&key, a->dir, a->buf, ret, ts);
			break;
		case NA_BLIND:
			net_feed(&key, a->dir, 0, ret, ts);
			break;
		case NA_IOV:
			sc = net_scratch_get();
			if (!sc)
				break;
			ic.key = &key;
			ic.w = &sc->iov;
			sc->iov.iov = a->buf;
			sc->iov.left = ret;
			sc->iov.ts = ts;
			sc->iov.cnt = a->iovcnt;
			sc->iov.dir = a->dir;
			sc->iov.failed = 0;
			bpf_loop(NET_IOV_MAX, net_iov_step, &ic, 0);
			/* past NET_IOV_MAX iovecs, the rest went by unseen */
			if (sc->iov.left && !sc->iov.failed)
				net_feed(&key, a->dir, 0, sc->iov.left, ts);
			break;
		}
	}
	return 0;
}

#define NET_ENTER(call, fn)						\
SEC("tracepoint/syscalls/sys_enter_" #call)				\
int net_enter_##call(struct sys_enter_ctx *ctx)			\
{									\
	if (net_traced())						\
		fn;							\
	return 0;							\
}									\
SEC("tracepoint/syscalls/sys_exit_" #call)				\
int net_exit_##call(struct sys_exit_ctx *ctx)				\
{									\
	if (net_traced())						\
		net_return(ctx, ctx->ret);				\
	return 0;							\
}

NET_ENTER(read, net_save(ctx->args[0], ctx->args[1], ctx->args[2] ? 1 : 0, NA_BUF, NET_DIR_IN))
NET_ENTER(write, net_save(ctx->args[0], ctx->args[1], 0, NA_BUF, NET_DIR_OUT))
NET_ENTER(readv, net_save(ctx->args[0], ctx->args[1], ctx->args[2], NA_IOV, NET_DIR_IN))
NET_ENTER(writev, net_save(ctx->args[0], ctx->args[1], ctx->args[2], NA_IOV, NET_DIR_OUT))
NET_ENTER(recvfrom, net_save(ctx->args[0], ctx->args[1], ctx->args[2] ? 1 : 0, NA_BUF,
			     NET_DIR_IN))
NET_ENTER(sendto, net_save(ctx->args[0], ctx->args[1], 0, NA_BUF, NET_DIR_OUT))
NET_ENTER(recvmsg, net_save_msg(ctx->args[0], ctx->args[1], NET_DIR_IN))
NET_ENTER(sendmsg, net_save_msg(ctx->args[0], ctx->args[1], NET_DIR_OUT))
/* sendfile's bytes go by unseen: a body is skipped by its length, a head lost */
NET_ENTER(sendfile64, net_save(ctx->args[0], 0, 0, NA_BLIND, NET_DIR_OUT))

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
	net_conn_new(&key, NCP_NEW, side);
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
	struct net_conn_key key = {};
	__u64 n = 0, ts = bpf_ktime_get_ns();
	__s64 ret;

	if (!a)
		return 0;
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
		net_feed(&key, a->dir | NET_FEED_SOCK, a->buf, ret, ts);
	else if (ret == 0 && !a->ex && a->dir == NET_DIR_IN)
		net_eof(&key, ts);	/* SSL_read's 0: the peer closed (close_notify or EOF) */
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
	return 0;
}
