/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net.bpf.c (included last, after net_stream.h): TLS plaintext.
 * Uprobes on OpenSSL's SSL_read, SSL_read_ex, SSL_write and SSL_write_ex
 * (of the libssl a process maps, or of a static node binary) save the
 * call's SSL* and buffer per thread at entry; the return probe feeds the
 * bytes the call moved to the same parsers as the socket syscalls, on the
 * connection {tgid, -1, SSL*}. SSL_free ends that connection. The socket
 * under it carries ciphertext, which detection never claims (a TLS record
 * is neither a request nor a status line). loader/net_tls.c attaches these.
 */
#ifndef SYNCTRACE_NET_TLS_H
#define SYNCTRACE_NET_TLS_H

/* A call in flight, per thread, from entry to return. */
struct net_tls_args {
	__u64 ssl;
	__u64 buf;
	__u64 moved;		/* _ex: the size_t *readbytes / *written */
	__u32 how;		/* NET_TLS_* of maps/net.h: the attach cookie */
	__u32 pad;
};

/* Its own map: the syscalls SSL_read makes inside (read, write) use net_args. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);	/* threads inside an SSL call at once */
	__type(key, __u32);
	__type(value, struct net_tls_args);
} net_tls_args SEC(".maps");

SEC("uprobe")
int net_tls_entry(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct net_tls_args a = {};

	if (!net_traced())
		return 0;
	a.how = bpf_get_attach_cookie(ctx);
	a.ssl = PT_REGS_PARM1(ctx);
	a.buf = PT_REGS_PARM2(ctx);
	if (a.how & NET_TLS_EX)
		a.moved = PT_REGS_PARM4(ctx);
	bpf_map_update_elem(&net_tls_args, &tid, &a, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int net_tls_exit(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns(), n = 0;
	__u32 tid = (__u32)id;
	struct net_conn_key key = {};
	struct net_tls_args *a;
	long ret;
	__u32 dir;

	a = bpf_map_lookup_elem(&net_tls_args, &tid);
	if (!a)
		return 0;
	ret = PT_REGS_RC(ctx);
	key.tgid = id >> 32;
	key.fd = -1;
	key.tls_ptr = a->ssl;
	dir = a->how & NET_TLS_WRITE ? NET_DIR_OUT : NET_DIR_IN;
	if (a->how & NET_TLS_EX) {
		/* 1 on success, the count in *moved; 0 on any failure */
		if ((int)ret == 1 && a->moved &&
		    bpf_probe_read_user(&n, sizeof(n), (const void *)a->moved)) {
			net_drop(NET_DROP_READ_FAILED);
			n = 0;
		}
	} else if ((int)ret > 0) {
		n = (__u32)(int)ret;
	} else if ((int)ret == 0 && dir == NET_DIR_IN) {
		/* SSL_read 0: the peer closed (close_notify, or EOF on the socket) */
		net_eof(&key, ts);
	}
	/* -1 (would block, an error): nothing moved */
	if (n && a->buf)
		net_feed(&key, dir, a->buf, n > 0xffffffffULL ? 0xffffffffU : (__u32)n, ts, 1);
	bpf_map_delete_elem(&net_tls_args, &tid);
	return 0;
}

/* SSL_free(ssl): the TLS connection is over (its SSE/WS streams close). */
SEC("uprobe")
int net_tls_free(struct pt_regs *ctx)
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

#endif /* SYNCTRACE_NET_TLS_H */
