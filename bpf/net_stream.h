/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net.bpf.c (after net_record.h): from syscalls to streams.
 * Which fds are sockets (CO-RE reads of the task's fd table), the state
 * of each followed connection, protocol detection on its first bytes, and
 * net_feed(), the one entry that hands a connection's bytes to its parser,
 * segment by segment, in order per direction. The feed programs call it
 * with {tgid, fd, 0}; TLS uprobes with {tgid, -1, SSL*}.
 *
 * The parser headers (net_http.h, net_pg.h) are included twice: first for
 * their per-connection state types (the union in struct net_conn), then,
 * with NET_CONN_DEFINED, for their functions.
 */
#ifndef SYNCTRACE_NET_STREAM_H
#define SYNCTRACE_NET_STREAM_H

#include <bpf/bpf_core_read.h>

#define NET_DIR_IN 0		/* read by the process */
#define NET_DIR_OUT 1		/* written by the process */
#define NET_FEED_SOCK 0x100	/* net_feed(): the key is known to be a socket */
#define NET_SCRATCH 256		/* bytes read from user memory at once (a power of 2) */
#define NET_DETECT_BYTES 16	/* first bytes a detection looks at */
#define NET_DETECT_TRIES 8	/* segments offered to detection before giving up */
#define NET_IOV_MAX 1024	/* iovecs of one readv/writev/msghdr followed (UIO_MAXIOV); the rest is skipped */
#define NET_FD_DIRECT 1024	/* the -p process's fds below this: a slot each in net_conns_fd */

/* Only this process (-p), unless follow_root (--children) is set. Set before load. */
const volatile __u32 target_tgid = 0;
/* The parsers that run: a mask of enum net_proto. Set before load. */
const volatile __u32 net_protos = NET_PROTO_HTTP;

/* A connection: a plain socket {tgid, fd, 0}, or TLS plaintext {tgid, -1, SSL*}. */
struct net_conn_key {
	__u32 tgid;
	__s32 fd;
	__u64 tls_ptr;
};

/* One run of bytes of a connection, as a parser gets it. buf 0: the bytes
 * went by unseen (sendfile, iovecs past NET_IOV_MAX): skip len or lose sync. */
struct net_seg {
	__u64 buf;
	__u32 len;
	__u8 dir;		/* NET_DIR_IN / NET_DIR_OUT */
	__u8 pad[3];
	__u64 ts;		/* bpf_ktime_get_ns at the syscall's return */
	__u32 pid, tid;
};

enum net_conn_proto {
	NCP_NEW,		/* not detected yet */
	NCP_NONE,		/* not a socket, or not a protocol that runs: ignored */
	NCP_HTTP,
	NCP_PG,
};

/* The parsers' state types. */
#include "bpf/net_http.h"
#include "bpf/net_pg.h"

struct net_conn {
	__u8 proto;		/* enum net_conn_proto */
	__u8 side;		/* enum net_side, when side_known */
	__u8 side_known;	/* from accept/connect or detection */
	__u8 tries;		/* segments detection has seen */
	__u8 ended;		/* pg_close ran (EOF, then close: once) */
	__u8 live;		/* net_conns_fd: the slot holds a connection */
	__u8 pad[2];
	__u64 opened_ts;
	__u64 sk;		/* socket hooks: the struct sock the fd names (0: not known yet) */
	union {
		struct http_conn http;
		struct pg_conn pg;
	};
};
#define NET_CONN_DEFINED

/*
 * Followed connections, preallocated (an allocation in a tracepoint can
 * fail under a burst; a lost connection is counted, never silent). Sized
 * by user space before load (at most NET_CONNS_MAX). Not-sockets and
 * undetected sockets get an NCP_NONE entry too, so they cost one lookup.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_CONNS_MAX);
	__type(key, struct net_conn_key);
	__type(value, struct net_conn);
} net_conns SEC(".maps");

/*
 * With -p (one process, target_tgid), its fds below NET_FD_DIRECT have a
 * slot each here, by fd: an array lookup the JIT inlines, where a hash
 * lookup of the key cost ~80 ns a syscall (bench/helper_cost, RESULTS.md).
 * A slot is a connection while its live is 1. Every other key (--children,
 * TLS's {tgid, -1, SSL*}, a higher fd) goes to net_conns. Reached only
 * through net_conn_get, net_conn_new and net_forget.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NET_FD_DIRECT);
	__type(key, __u32);
	__type(value, struct net_conn);
} net_conns_fd SEC(".maps");

/* Does key have a slot in net_conns_fd? */
static __always_inline int net_conn_direct(const struct net_conn_key *key)
{
	return target_tgid && key->tgid == target_tgid && !key->tls_ptr &&
	       (__u32)key->fd < NET_FD_DIRECT;
}

/* The connection key names, or NULL. */
static __always_inline struct net_conn *net_conn_get(const struct net_conn_key *key)
{
	struct net_conn *c;
	__u32 fd = key->fd;

	if (!net_conn_direct(key))
		return bpf_map_lookup_elem(&net_conns, key);
	c = bpf_map_lookup_elem(&net_conns_fd, &fd);
	return c && c->live ? c : NULL;
}

/* A segment's walk through a parser's bpf_loop. Kept in a map value, not
 * on the stack: the verifier does not track a map value's contents, so
 * the loop's callback converges at once instead of once per offset. */
struct net_walk {
	__u64 buf, ts;
	__u32 len, off;		/* the segment, and how far the walk is */
	__u32 bpos, blen;	/* scratch bytes consumed / held */
	__u32 dir;
	__u32 pad;
};

/* An iovec as user memory holds it (struct iovec). */
struct net_iovec {
	__u64 base;
	__u64 len;
};

/* iovecs read from user memory at once (a response's head and body: one read). */
#define NET_IOV_BATCH 8

/* A syscall's iovecs, fed one by one (net.bpf.c), likewise in a map value. */
struct net_iov_walk {
	__u64 iov, left;
	__u32 cnt, dir, failed;
	__u32 first, held;	/* vecs holds iovecs first .. first + held - 1 */
	__u32 pad;
	struct net_iovec vecs[NET_IOV_BATCH];
};

/*
 * A program run's scratch: bytes read from user memory, the walks, a
 * zeroed connection to insert, and the call's time. Taken once at the
 * top of a program and handed down. Two homes, by how the program runs:
 * the feed programs run with preemption off (a syscall exit's in
 * perf_syscall_exit's trace_call_bpf; a socket tracepoint, not a
 * faultable one, calls its programs so), and no other of our programs
 * can run on that CPU before the run ends, so one per CPU serves them
 * (an array lookup the JIT inlines); the TLS uprobes run preemptible
 * (migration off only), where another task's run could take the CPU's
 * copy in between, so theirs is per thread (task storage, as net_keybuf).
 */
struct net_scratch {
	__u8 buf[NET_SCRATCH];
	struct net_walk walk;
	struct net_iov_walk iov;
	struct net_conn conn;
	__u64 ts;		/* the call's time: 0 until net_feed reads the clock */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_scratch);
} net_cpu_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct net_scratch);
} net_scratch SEC(".maps");

/* A feed program's (or another program's that runs with preemption off). */
static __always_inline struct net_scratch *net_scratch_cpu(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&net_cpu_scratch, &k);
}

/* A uprobe's (preemptible). */
static __always_inline struct net_scratch *net_scratch_task(void)
{
	return bpf_task_storage_get(&net_scratch, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* n (<= NET_SCRATCH) bytes at user address src into dst; a failure is counted. */
static __always_inline int net_read_user(void *dst, __u32 n, __u64 src)
{
	if (n > NET_SCRATCH)
		n = NET_SCRATCH;
	if (!bpf_probe_read_user(dst, n, (const void *)src))
		return 0;
	net_drop(NET_DROP_READ_FAILED);
	return -1;
}

/* Just what the socket check reads; CO-RE relocates the offsets against
 * the running kernel's BTF (the ___net flavour names the kernel's type). */
struct inode___net {
	unsigned short i_mode;
} __attribute__((preserve_access_index));

struct file___net {
	struct inode___net *f_inode;
	void *private_data;	/* a socket's: its struct socket */
} __attribute__((preserve_access_index));

struct socket___net {
	void *sk;
} __attribute__((preserve_access_index));

struct fdtable___net {
	unsigned int max_fds;
	struct file___net **fd;
} __attribute__((preserve_access_index));

struct files_struct___net {
	struct fdtable___net *fdt;
} __attribute__((preserve_access_index));

struct task_struct___net {
	struct files_struct___net *files;
} __attribute__((preserve_access_index));

#define NET_S_IFMT 0170000
#define NET_S_IFSOCK 0140000

/* The socket file fd names in the current process, or 0 (not a socket). */
static __noinline __u64 net_fd_socket(__s32 fd)
{
	struct task_struct___net *task = (void *)bpf_get_current_task();
	struct fdtable___net *fdt = BPF_CORE_READ(task, files, fdt);
	struct file___net **fds, *f = NULL;
	unsigned short mode;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	return (mode & NET_S_IFMT) == NET_S_IFSOCK ? (__u64)f : 0;
}

/* Is fd of the current process a socket? (Read once per fd: the answer is cached.) */
static __always_inline int net_is_socket(__s32 fd)
{
	return net_fd_socket(fd) != 0;
}

/* The struct sock of the socket fd names, or 0 (not a socket). */
static __always_inline __u64 net_fd_sk(__s32 fd)
{
	struct file___net *f = (void *)net_fd_socket(fd);
	struct socket___net *sock;

	if (!f)
		return 0;
	sock = BPF_CORE_READ(f, private_data);
	return (__u64)BPF_CORE_READ(sock, sk);
}

/* The parsers' functions. */
#include "bpf/net_http.h"
#include "bpf/net_pg.h"

/* A fresh state for key (a new connection on a reused fd starts over). */
static __noinline struct net_conn *net_conn_new(struct net_scratch *sc,
						const struct net_conn_key *key, __u8 proto,
						__s32 side)
{
	struct net_conn *c;
	__u32 fd;

	if (!sc)
		return NULL;
	__builtin_memset(&sc->conn, 0, sizeof(sc->conn));
	sc->conn.proto = proto;
	if (side >= 0) {
		sc->conn.side = side;
		sc->conn.side_known = 1;
	}
	if (net_conn_direct(key)) {
		fd = key->fd;
		c = bpf_map_lookup_elem(&net_conns_fd, &fd);
		if (!c)
			return NULL;
		/* live set last (the copy zeroes it) */
		__builtin_memcpy(c, &sc->conn, sizeof(*c));
		c->live = 1;
		return c;
	}
	if (bpf_map_update_elem(&net_conns, key, &sc->conn, BPF_ANY)) {
		if (proto == NCP_NEW)
			net_drop(NET_DROP_CONNS_FULL);
		return NULL;
	}
	c = bpf_map_lookup_elem(&net_conns, key);
	return c;
}

/* Which parser claims the connection's first bytes (and on which side)? */
static __always_inline void net_detect(struct net_conn *c, const struct net_seg *s)
{
	__u8 head[NET_DETECT_BYTES] = {};
	struct net_totals *t;
	__u32 n = s->len;
	int r;

	if (n > NET_DETECT_BYTES)
		n = NET_DETECT_BYTES;
	if (!s->buf || bpf_probe_read_user(head, n, (const void *)s->buf))
		goto not_yet;
	if (net_protos & NET_PROTO_HTTP) {
		r = http_detect(head, n);
		if (r) {
			c->proto = NCP_HTTP;
			/* a request line is read by the server, a status line by the client */
			c->side = (r == 1) == (s->dir == NET_DIR_IN) ? NET_SIDE_SERVER
								      : NET_SIDE_CLIENT;
			c->side_known = 1;
			goto claimed;
		}
	}
	if ((net_protos & NET_PROTO_PG) && pg_detect(c, s, head, n)) {
		c->proto = NCP_PG;
		goto claimed;
	}
not_yet:
	if (++c->tries >= NET_DETECT_TRIES)
		c->proto = NCP_NONE;
	return;
claimed:
	c->opened_ts = s->ts;
	t = net_totals_get();
	if (t)
		net_add(&t->conns_opened, 1);
}

/*
 * The connection's stream ends (the peer's EOF, or close). HTTP: what is
 * open ends (streams, a body read to the end), every time (nothing is
 * open the second), and a server may still answer a client that shut its
 * side down. PG: once, and nothing is parsed after.
 */
static __noinline void net_end(struct net_conn *c, __u64 ts)
{
	if (c->proto == NCP_HTTP) {
		http_close(c, ts);
	} else if (c->proto == NCP_PG && !c->ended) {
		c->ended = 1;
		pg_close(c, ts);
	}
}

/* A read returned 0: the peer closed its side (ts 0: read the clock here).
 * sk: the socket hooks' struct sock, which must be the connection's (0: any). */
static __noinline void net_eof(const struct net_conn_key *key, __u64 ts, __u64 sk)
{
	struct net_conn *c = net_conn_get(key);

	if (c && (!sk || !c->sk || c->sk == sk))
		net_end(c, ts ? ts : bpf_ktime_get_ns());
}

/* close(fd), or the fd is about to name a new connection (accept, connect). */
static __noinline void net_forget(const struct net_conn_key *key, __u64 ts)
{
	struct net_conn *c = net_conn_get(key);
	struct net_totals *t;

	if (!c)
		return;
	if (c->proto == NCP_HTTP || c->proto == NCP_PG) {
		net_end(c, ts);
		t = net_totals_get();
		if (t)
			net_add(&t->conns_closed, 1);
	}
	if (net_conn_direct(key))
		c->live = 0;
	else
		bpf_map_delete_elem(&net_conns, key);
}

/*
 * The entry point for bytes: len bytes at user address buf (0: unseen),
 * read (NET_DIR_IN) or written (NET_DIR_OUT) on the connection key, with
 * the program run's scratch sc. With NET_FEED_SOCK or'ed into dir, the
 * caller knows key names a socket (TLS); otherwise a first sight of the
 * fd checks. sc->ts 0: the clock is read here, once the fd is known to
 * be followed (a traced process's pipes and files cost a lookup, not a
 * clock read), and kept for the call's other iovecs. A global function:
 * verified once, not once per call site and state (the syscall program
 * took 696k of the verifier's 1M instructions and 1.9 s with it static,
 * 158k and 0.25 s now).
 */
__noinline int net_feed(struct net_scratch *sc, const struct net_conn_key *key,
			__u32 dir, __u64 buf, __u32 len)
{
	int is_sock = dir & NET_FEED_SOCK;
	struct net_conn *c;
	struct net_seg s = {};
	__u64 id;

	if (!len || !sc || !key)
		return 0;
	c = net_conn_get(key);
	if (!c) {
		if (!is_sock && !net_is_socket(key->fd)) {
			net_conn_new(sc, key, NCP_NONE, -1);
			return 0;
		}
		c = net_conn_new(sc, key, NCP_NEW, -1);
		if (!c)
			return 0;
	}
	if (c->proto == NCP_NONE || c->ended)
		return 0;
	if (!sc->ts)
		sc->ts = bpf_ktime_get_ns();
	id = bpf_get_current_pid_tgid();
	s.buf = buf;
	s.len = len;
	s.dir = dir & 1;
	s.ts = sc->ts;
	s.pid = id >> 32;
	s.tid = (__u32)id;
	if (c->proto == NCP_NEW) {
		net_detect(c, &s);
		if (c->proto == NCP_NEW || c->proto == NCP_NONE)
			return 0;
	}
	if (c->proto == NCP_HTTP)
		http_feed(c, &s, sc);
	else if (c->proto == NCP_PG)
		pg_feed(c, &s);
	return 0;
}


#endif /* SYNCTRACE_NET_STREAM_H */
