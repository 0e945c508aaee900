/* SPDX-License-Identifier: MIT */
/*
 * TLS plaintext for `http` and `pg`: bpf/net.bpf.c's SSL_* uprobes attached to
 * the OpenSSL a process runs, the libssl it maps or the copy linked into
 * its executable (a static node), so HTTPS is parsed like HTTP.
 */
#ifndef SYNCTRACE_NET_TLS_H
#define SYNCTRACE_NET_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct bpf_object;
struct net_tls;

/*
 * Attach the TLS programs of obj (loaded) for pid, or, with root > 0
 * (--children), for root's tree: every file of the process (or of the
 * tree now) that defines SSL_read and SSL_write, the main executable
 * included; and this system's libssl by path, so a libssl loaded later
 * is seen (dlopen, or with root a process the tree starts: probed for
 * every process, the BPF filter keeps the others out). A process with no
 * OpenSSL gets no probe and no error. Returns 0 or
 * -errno with a one-line message in err (-ESRCH: pid is gone).
 */
int net_tls__attach(struct bpf_object *obj, pid_t pid, pid_t root, struct net_tls **out,
		    char *err, size_t errlen);
/* Uprobe links made, files probed, and their names ("a, b"; "" for none). */
size_t net_tls__nr_links(const struct net_tls *t);
size_t net_tls__nr_files(const struct net_tls *t);
const char *net_tls__files(const struct net_tls *t);
/* Detach and free (NULL is fine). */
void net_tls__free(struct net_tls *t);

#endif /* SYNCTRACE_NET_TLS_H */
