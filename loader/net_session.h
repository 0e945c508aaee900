/* SPDX-License-Identifier: MIT */
/*
 * The socket BPF object (bpf/net.bpf.c): opened, sized for the caps and
 * the process set, loaded, its syscall tracepoints attached. Every link
 * is an fd of this process: nothing stays attached once synctrace is gone.
 */
#ifndef SYNCTRACE_NET_SESSION_H
#define SYNCTRACE_NET_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "loader/follow.h"
#include "maps/net_drain.h"

struct net_session;

/* What is traced and how big the maps are made. */
struct net_setup {
	pid_t pid;			/* the process (tgid) whose sockets are read */
	struct follow_tree follow;	/* root > 0 (--children): pid and its descendants */
	unsigned int protos;		/* enum net_proto mask: which parsers run */
	unsigned int routes;		/* ops per {kind, side} before `other` (--routes) */
	unsigned int labels;		/* labels per kind before `other` (--max-labels) */
	uint64_t slow_ns;		/* --slow: events for exchanges this slow; 0 none */
};

struct bpf_program;
struct bpf_link;

/* Which hooks carry the bytes to the parsers (maps/net.h's NET_FEED_*). */
enum net_hooks {
	NET_HOOKS_SOCKETS,	/* sock:sock_{recv,send}_length: only sockets' calls pay */
	NET_HOOKS_SYSCALLS,	/* the syscall exits: every process's read and write pays */
};

/*
 * The socket tracepoints if this kernel has them (tracefs mounted), else
 * the syscall exits: 0 with *h set. SYNCTRACE_NET_HOOKS=syscalls or
 * =sockets asks for one; another value, or sockets where there are none:
 * -errno with the message in err.
 */
int net_hooks_pick(enum net_hooks *h, char *err, size_t len);
/* "socket tracepoints" / "syscall exits", for messages. */
const char *net_hooks_name(enum net_hooks h);
/*
 * Before load: only h's feed program (bpf/net.bpf.c's net_feed_sock or
 * net_feed_syscall) loads. After load, attach it to each of its hooks,
 * the links into links[0 .. net_feed_nr(h) - 1]: 0, or -errno with a
 * message in err and nothing left attached. (Also tests/tools/net_probe's.)
 */
void net_feed_select(struct bpf_program *syscall, struct bpf_program *sock, enum net_hooks h);
size_t net_feed_nr(enum net_hooks h);
int net_feed_attach(struct bpf_program *syscall, struct bpf_program *sock, enum net_hooks h,
		    struct bpf_link **links, char *err, size_t len);

/* Open the object (nothing in the kernel yet). -errno with a message in err. */
int net_session__open(struct net_session **out, char *err, size_t len);
/* Size the maps and set the constants for st (before load; may be redone). */
void net_session__setup(struct net_session *s, const struct net_setup *st);
/* The kernel memory the maps take as set up, preallocated (an estimate within a few percent). */
unsigned long long net_session__memory(const struct net_session *s);
/* Load and attach. -errno with a message in err. */
int net_session__start(struct net_session *s, char *err, size_t len);
/* The hooks that feed the parsers (set by net_session__start). */
enum net_hooks net_session__hooks(const struct net_session *s);
/*
 * TLS plaintext: the SSL_read/SSL_write (and _ex, SSL_free) uprobes on the
 * OpenSSL pid runs (loader/net_tls.h: the libssl it maps, its executable
 * when that links OpenSSL in, this system's libssl by path); with tree,
 * for pid's tree now and later (the programs keep the tree). How many
 * probes attached (0: no OpenSSL found), shown the files probed; or
 * -errno with the message in shown.
 */
int net_session__attach_tls(struct net_session *s, pid_t pid, bool tree, char *shown,
			    size_t len);
void net_session__maps(const struct net_session *s, struct net_maps *m);
/* The --slow events ring buffer. */
int net_session__events_fd(const struct net_session *s);
size_t net_session__nr_links(const struct net_session *s);
/* Detaches (closes the links) and frees. */
void net_session__free(struct net_session *s);

#endif /* SYNCTRACE_NET_SESSION_H */
