// SPDX-License-Identifier: MIT
/* Skeleton lifecycle for bpf/net.bpf.c; see net_session.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader/net_session.h"
#include "loader/net_tls.h"
#include "net.skel.h"

/* The SSE distributions are kept for a route's streams: one status each, both sides. */
#define NET_SSE_DISTS 2

struct net_session {
	struct net_bpf *skel;
	struct bpf_link **links;
	size_t nr_links;
	struct net_tls *tls;	/* the SSL_* uprobes (loader/net_tls.h) */
	enum net_hooks hooks;	/* what feeds the parsers (net_hooks_pick, at start) */
};

int net_session__open(struct net_session **out, char *err, size_t len)
{
	struct net_session *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (!(s->skel = net_bpf__open())) {
		int rc = -errno;

		snprintf(err, len, "cannot open the socket BPF object: %s", strerror(-rc));
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static void set_entries(struct bpf_map *m, unsigned long long n)
{
	bpf_map__set_max_entries(m, n < 1 ? 1 : n > (1U << 30) ? 1U << 30 : (__u32)n);
}

void net_session__setup(struct net_session *s, const struct net_setup *st)
{
	struct net_bpf *skel = s->skel;
	unsigned long long rows = 0, hists = 0, admit = 0;
	unsigned long long routes = st->routes, labels = st->labels;

	if (st->protos & NET_PROTO_HTTP) {
		/* each route of each side: a few statuses, `other` among the routes */
		unsigned long long r = 2 * (routes + 1) * NET_ROWS_PER_OP;

		rows += r;
		hists += 3 * r + 2 * (routes + 1) * NET_SSE_DISTS;	/* latency, bytes in/out; SSE */
		admit += 2 * routes + labels;
	}
	if (st->protos & NET_PROTO_PG) {
		/* pg_query, pg_error, pg_notify: one op each, its labels on both sides */
		unsigned long long r = 3 * 2 * (labels + 1);

		rows += r;
		hists += 2 * (labels + 1);	/* pg_query's latency */
		admit += 3 * 2 + 3 * labels;
	}
	set_entries(skel->maps.net_rows, rows);
	/* ids a race lost stay unused: room for a few per CPU beside the rows */
	set_entries(skel->maps.net_counts, rows + NET_IDS_SPARE);
	set_entries(skel->maps.net_dists, hists + NET_IDS_SPARE);
	skel->rodata->net_row_ids = bpf_map__max_entries(skel->maps.net_counts);
	skel->rodata->net_hist_ids = bpf_map__max_entries(skel->maps.net_dists);
	set_entries(skel->maps.net_admit, admit);
	skel->rodata->net_max_ops = st->routes;
	skel->rodata->net_max_labels = st->labels;
	skel->rodata->net_slow_ns = st->slow_ns;
	skel->rodata->net_protos = st->protos;
	skel->rodata->target_tgid = st->follow.root > 0 ? 0 : (__u32)st->pid;
	skel->rodata->follow_root = st->follow.root > 0 ? (__u32)st->follow.root : 0;
	skel->rodata->task_real_parent_off = (__u32)st->follow.real_parent_off;
	skel->rodata->task_tgid_off = (__u32)st->follow.tgid_off;
}

/* One map's preallocated kernel memory, by its type. */
static unsigned long long map_bytes(const struct bpf_map *m, int ncpu)
{
	unsigned long long n = bpf_map__max_entries(m);
	unsigned long long key = (bpf_map__key_size(m) + 7) & ~7ULL;
	unsigned long long value = (bpf_map__value_size(m) + 7) & ~7ULL;

	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
		return n * (48 + key + value + 16);	/* element header, its share of buckets */
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return n * (48 + key + 8 + value * ncpu + 16);
	case BPF_MAP_TYPE_ARRAY:
		return n * value;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return n * value * ncpu;
	case BPF_MAP_TYPE_RINGBUF:
		return n;
	case BPF_MAP_TYPE_TASK_STORAGE:
		return 0;	/* not preallocated: a few bytes per thread seen */
	default:
		return n * (key + value);
	}
}

unsigned long long net_session__memory(const struct net_session *s)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long bytes = 0;
	struct bpf_map *m;

	if (ncpu < 1)
		ncpu = 1;
	bpf_object__for_each_map(m, s->skel->obj)
		bytes += map_bytes(m, ncpu);
	return bytes;
}

/* Room for every link: the tracepoints and the TLS uprobes. */
static int links_room(struct net_session *s, size_t more)
{
	struct bpf_link **v = realloc(s->links, (s->nr_links + more + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->links = v;
	return 0;
}

static const char *const net_feed_calls[] = { NET_FEED_SYSCALLS };
static const char *const net_feed_sock_tps[] = { NET_FEED_SOCK_TPS };

int net_hooks_pick(enum net_hooks *h, char *err, size_t len)
{
	const char *want = getenv("SYNCTRACE_NET_HOOKS");
	bool have = !access("/sys/kernel/tracing/events/sock/sock_send_length", F_OK) ||
		    !access("/sys/kernel/debug/tracing/events/sock/sock_send_length", F_OK);

	if (want && *want && strcmp(want, "syscalls") && strcmp(want, "sockets")) {
		snprintf(err, len, "SYNCTRACE_NET_HOOKS is \"sockets\" or \"syscalls\", not \"%s\"",
			 want);
		return -EINVAL;
	}
	if (want && !strcmp(want, "sockets") && !have) {
		snprintf(err, len, "SYNCTRACE_NET_HOOKS=sockets: this kernel has no socket "
			 "tracepoints (sock:sock_send_length, 6.3 on)");
		return -ENOENT;
	}
	*h = have && !(want && !strcmp(want, "syscalls")) ? NET_HOOKS_SOCKETS : NET_HOOKS_SYSCALLS;
	return 0;
}

const char *net_hooks_name(enum net_hooks h)
{
	return h == NET_HOOKS_SOCKETS ? "socket tracepoints" : "syscall exits";
}

void net_feed_select(struct bpf_program *syscall, struct bpf_program *sock, enum net_hooks h)
{
	bpf_program__set_autoload(syscall, h == NET_HOOKS_SYSCALLS);
	bpf_program__set_autoload(sock, h == NET_HOOKS_SOCKETS);
}

size_t net_feed_nr(enum net_hooks h)
{
	return h == NET_HOOKS_SOCKETS ? sizeof(net_feed_sock_tps) / sizeof(net_feed_sock_tps[0])
				      : sizeof(net_feed_calls) / sizeof(net_feed_calls[0]);
}

/* Hook i of h: the feed program on it, or NULL with -errno in errno. */
static struct bpf_link *feed_link(struct bpf_program *syscall, struct bpf_program *sock,
				  enum net_hooks h, size_t i, char *name, size_t len)
{
	if (h == NET_HOOKS_SOCKETS) {
		snprintf(name, len, "sock:%s", net_feed_sock_tps[i]);
		return bpf_program__attach_raw_tracepoint(sock, net_feed_sock_tps[i]);
	}
	snprintf(name, len, "syscalls:sys_exit_%s", net_feed_calls[i]);
	return bpf_program__attach_tracepoint(syscall, "syscalls", name + strlen("syscalls:"));
}

int net_feed_attach(struct bpf_program *syscall, struct bpf_program *sock, enum net_hooks h,
		    struct bpf_link **links, char *err, size_t len)
{
	char hook[48];
	size_t i;
	int rc;

	for (i = 0; i < net_feed_nr(h); i++) {
		if (!(links[i] = feed_link(syscall, sock, h, i, hook, sizeof(hook)))) {
			rc = -errno;
			snprintf(err, len, "cannot attach the socket feed program (%s): %s", hook,
				 strerror(-rc));
			while (i--) {
				bpf_link__destroy(links[i]);
				links[i] = NULL;
			}
			return rc;
		}
	}
	return 0;
}

/*
 * Every tracepoint program with a target in its section, then the feed
 * program (a bare section: net_feed_sock or net_feed_syscall) on each of
 * its hooks; uprobes (TLS) are attached apart, and their parser (net_feed_tls)
 * is reached by a tail call, never attached.
 */
static int attach_all(struct net_session *s, char *err, size_t len)
{
	struct bpf_program *prog;
	size_t n = net_feed_nr(s->hooks);
	int rc;

	bpf_object__for_each_program(prog, s->skel->obj)
		n++;
	if (links_room(s, n))
		return -ENOMEM;
	bpf_object__for_each_program(prog, s->skel->obj) {
		enum bpf_prog_type t = bpf_program__type(prog);
		struct bpf_link *l;

		if (!bpf_program__autoload(prog) ||
		    !strchr(bpf_program__section_name(prog), '/') ||
		    (t != BPF_PROG_TYPE_TRACEPOINT && t != BPF_PROG_TYPE_RAW_TRACEPOINT &&
		     t != BPF_PROG_TYPE_TRACING))
			continue;
		if (!(l = bpf_program__attach(prog))) {
			rc = -errno;
			snprintf(err, len, "cannot attach %s (%s): %s", bpf_program__name(prog),
				 bpf_program__section_name(prog), strerror(-rc));
			return rc;
		}
		s->links[s->nr_links++] = l;
	}
	if ((rc = net_feed_attach(s->skel->progs.net_feed_syscall, s->skel->progs.net_feed_sock,
				  s->hooks, s->links + s->nr_links, err, len)))
		return rc;
	s->nr_links += net_feed_nr(s->hooks);
	return 0;
}

/*
 * The syscall tracepoints are named through tracefs (libbpf reads their
 * ids there), and net_hooks_pick looks there for the socket ones. systemd
 * mounts it at boot; a machine without it (a bare VM, a container's init)
 * gets it mounted where the kernel documents it.
 */
static int ensure_tracefs(char *err, size_t len)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return 0;
	snprintf(err, len, "the syscall tracepoints need tracefs, which is not mounted, and "
		 "mounting it on /sys/kernel/tracing failed: %s", strerror(errno));
	return -errno;
}

int net_session__start(struct net_session *s, char *err, size_t len)
{
	int rc = ensure_tracefs(err, len);

	if (rc || (rc = net_hooks_pick(&s->hooks, err, len)))
		return rc;
	net_feed_select(s->skel->progs.net_feed_syscall, s->skel->progs.net_feed_sock, s->hooks);
	if ((rc = net_bpf__load(s->skel))) {
		snprintf(err, len, "cannot load the socket BPF programs: %s", strerror(-rc));
		return rc;
	}
	return attach_all(s, err, len);
}

enum net_hooks net_session__hooks(const struct net_session *s)
{
	return s->hooks;
}

int net_session__attach_tls(struct net_session *s, pid_t pid, bool tree, char *shown,
			    size_t len)
{
	int rc = net_tls__attach(s->skel->obj, pid, tree ? pid : 0, &s->tls, shown, len);

	if (rc)
		return rc;
	snprintf(shown, len, "%s", net_tls__files(s->tls));
	return (int)net_tls__nr_links(s->tls);
}

void net_session__maps(const struct net_session *s, struct net_maps *m)
{
	m->rows_fd = bpf_map__fd(s->skel->maps.net_rows);
	m->counts_fd = bpf_map__fd(s->skel->maps.net_counts);
	m->dists_fd = bpf_map__fd(s->skel->maps.net_dists);
	m->totals_fd = bpf_map__fd(s->skel->maps.net_totals);
	m->drops_fd = bpf_map__fd(s->skel->maps.net_drops);
}

int net_session__events_fd(const struct net_session *s)
{
	return bpf_map__fd(s->skel->maps.net_events);
}

size_t net_session__nr_links(const struct net_session *s)
{
	return s->nr_links + net_tls__nr_links(s->tls);
}

void net_session__free(struct net_session *s)
{
	size_t i;

	if (!s)
		return;
	net_tls__free(s->tls);
	for (i = 0; i < s->nr_links; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	net_bpf__destroy(s->skel);
	free(s);
}
