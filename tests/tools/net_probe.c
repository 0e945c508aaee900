// SPDX-License-Identifier: MIT
/*
 * net_probe: a unit-style check of bpf/net.bpf.c's parsers, before and
 * apart from `synctrace http`. Loads build/net.skel.h, follows -p PID
 * (with -c its children too) until SIGINT/SIGTERM, -d SECS, or the
 * process's exit, then prints every row, one a line, sorted:
 *
 *   side kind "op" "label" count=N errors=N client_errors=N bytes_in=N
 *   bytes_out=N lat_n=N [sse=opened/closed/events first_n=N dur_n=N]
 *   [ws=opened/closed in=t,b,p,c out=... bytes=in/out]
 *
 * then `drops` and `totals` lines. Options: -P MASK (net_protos), -r N
 * (ops cap), -l N (labels cap), -s NS (slow events, printed as they come),
 * -t LIBSSL (TLS plaintext: the SSL_* uprobes on that file, for -p PID).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "maps/net.h"
#include "loader/follow.h"
#include "net.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *const kinds[] = { "http", "pg_query", "pg_error", "pg_notify" };
static const char *const drops[] = { "conns_full", "rows_full", "read_failed", "lost_sync",
				     "pipeline_full", "events_lost" };

/* The TLS programs' links, destroyed at the end (the skeleton does not own them). */
static struct bpf_link *tls_links[9];

/* The TLS programs on the OpenSSL in path (every function it has). */
static int attach_tls(struct net_bpf *skel, const char *path, int pid)
{
	const struct { struct bpf_program *prog; const char *func; int ret; } t[] = {
		{ skel->progs.net_ssl_read_enter, "SSL_read", 0 },
		{ skel->progs.net_ssl_read_exit, "SSL_read", 1 },
		{ skel->progs.net_ssl_write_enter, "SSL_write", 0 },
		{ skel->progs.net_ssl_write_exit, "SSL_write", 1 },
		{ skel->progs.net_ssl_read_ex_enter, "SSL_read_ex", 0 },
		{ skel->progs.net_ssl_read_ex_exit, "SSL_read_ex", 1 },
		{ skel->progs.net_ssl_write_ex_enter, "SSL_write_ex", 0 },
		{ skel->progs.net_ssl_write_ex_exit, "SSL_write_ex", 1 },
		{ skel->progs.net_ssl_free, "SSL_free", 0 },
	};
	unsigned int i, n = 0;

	_Static_assert(sizeof(t) / sizeof(t[0]) == sizeof(tls_links) / sizeof(tls_links[0]),
		       "a link per program");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = t[i].func, .retprobe = t[i].ret);

		if ((tls_links[i] = bpf_program__attach_uprobe_opts(t[i].prog, pid, path, 0, &o)))
			n++;
	}
	return n ? 0 : -1;
}

static __u64 hist_count(int fd, const struct net_row_key *k, __u32 dist)
{
	struct net_hist_key hk = { .row = *k, .dist = dist };
	struct net_hist h;
	__u64 n = 0;
	unsigned int i;

	if (bpf_map_lookup_elem(fd, &hk, &h))
		return 0;
	for (i = 0; i < HIST_NR_BUCKETS; i++)
		n += h.buckets[i];
	return n;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct net_event *e = data;

	printf("slow %s \"%s\" \"%s\" %llu\n", e->row.side ? "client" : "server", e->row.op,
	       e->row.label, (unsigned long long)e->latency_ns);
	return 0;
}

static void dump(struct net_bpf *skel, int ncpu)
{
	int sfd = bpf_map__fd(skel->maps.net_stats), hfd = bpf_map__fd(skel->maps.net_hists);
	struct net_row_key key, next, *prev = NULL;
	struct net_counters *v = calloc(ncpu, sizeof(*v)), s;
	struct net_totals t = {};
	__u32 zero = 0, i;
	int c, w;

	if (!v)
		return;
	while (!bpf_map_get_next_key(sfd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(sfd, &key, v))
			continue;
		memset(&s, 0, sizeof(s));
		for (c = 0; c < ncpu; c++) {
			__u64 *dst = (__u64 *)&s, *src = (__u64 *)&v[c];

			for (i = 0; i < sizeof(s) / 8; i++)
				dst[i] += src[i];
		}
		printf("%s %s \"%s\" \"%s\" count=%llu errors=%llu client_errors=%llu "
		       "bytes_in=%llu bytes_out=%llu lat_n=%llu",
		       key.side ? "client" : "server", key.kind < 4 ? kinds[key.kind] : "?",
		       key.op, key.label, s.count, s.errors, s.client_errors, s.bytes_in,
		       s.bytes_out, hist_count(hfd, &key, NET_DIST_LATENCY));
		if (key.kind != NET_KIND_HTTP)
			printf(" rows=%llu", s.rows);
		if (s.sse_opened)
			printf(" sse=%llu/%llu/%llu first_n=%llu dur_n=%llu", s.sse_opened,
			       s.sse_closed, s.sse_events,
			       hist_count(hfd, &key, NET_DIST_SSE_FIRST),
			       hist_count(hfd, &key, NET_DIST_SSE_DURATION));
		if (s.ws_opened) {
			printf(" ws=%llu/%llu in=", s.ws_opened, s.ws_closed);
			for (w = 0; w < NET_WS_OPCODES; w++)
				printf("%s%llu", w ? "," : "", s.ws_frames_in[w]);
			printf(" out=");
			for (w = 0; w < NET_WS_OPCODES; w++)
				printf("%s%llu", w ? "," : "", s.ws_frames_out[w]);
			printf(" bytes=%llu/%llu", s.ws_bytes_in, s.ws_bytes_out);
		}
		printf("\n");
	}
	printf("drops");
	for (i = 0; i < NET_DROP_NR; i++) {
		__u64 sum = 0;

		if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.net_drops), &i, v))
			for (c = 0; c < ncpu; c++)
				sum += ((__u64 *)v)[c];
		printf(" %s=%llu", drops[i], sum);
	}
	printf("\n");
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.net_totals), &zero, &t);
	printf("totals ops=%llu op_overflow=%llu labels=%llu label_overflow=%llu opened=%llu "
	       "closed=%llu\n", t.ops, t.op_overflow, t.labels, t.label_overflow, t.conns_opened,
	       t.conns_closed);
	free(v);
}

int main(int argc, char **argv)
{
	struct net_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct follow_tree tree;
	int pid = 0, children = 0, secs = 0, opt, rc = 1, ncpu = libbpf_num_possible_cpus();
	unsigned int protos = NET_PROTO_HTTP, routes = NET_ROUTES_DEFAULT;
	unsigned int labels = NET_LABELS_DEFAULT;
	unsigned long long slow = 0;
	const char *tls = NULL;
	char err[256];
	time_t end;

	while ((opt = getopt(argc, argv, "p:cd:P:r:l:s:t:")) != -1) {
		switch (opt) {
		case 'p': pid = atoi(optarg); break;
		case 'c': children = 1; break;
		case 'd': secs = atoi(optarg); break;
		case 'P': protos = strtoul(optarg, NULL, 0); break;
		case 'r': routes = strtoul(optarg, NULL, 0); break;
		case 'l': labels = strtoul(optarg, NULL, 0); break;
		case 's': slow = strtoull(optarg, NULL, 0); break;
		case 't': tls = optarg; break;
		default:
			fprintf(stderr, "usage: net_probe -p PID [-c] [-d SECS] [-P MASK] [-r N] "
				"[-l N] [-s NS] [-t LIBSSL]\n");
			return 2;
		}
	}
	if (pid <= 0) {
		fprintf(stderr, "net_probe: -p PID is required\n");
		return 2;
	}
	skel = net_bpf__open();
	if (!skel) {
		fprintf(stderr, "net_probe: cannot open the BPF object\n");
		return 1;
	}
	if (children) {
		if (follow_tree__init(&tree, pid, err, sizeof(err))) {
			fprintf(stderr, "net_probe: %s\n", err);
			goto cleanup;
		}
		skel->rodata->follow_root = pid;
		skel->rodata->task_real_parent_off = tree.real_parent_off;
		skel->rodata->task_tgid_off = tree.tgid_off;
	} else {
		skel->rodata->target_tgid = pid;
	}
	skel->rodata->net_protos = protos;
	skel->rodata->net_max_ops = routes;
	skel->rodata->net_max_labels = labels;
	skel->rodata->net_slow_ns = slow;
	bpf_map__set_max_entries(skel->maps.net_stats, (routes + 1) * 2 * NET_ROWS_PER_OP);
	bpf_map__set_max_entries(skel->maps.net_hists,
				 (routes + 1) * 2 * NET_ROWS_PER_OP * NET_DIST_NR);
	bpf_map__set_max_entries(skel->maps.net_admit, (routes + labels) * 2 * NET_KIND_NR + 16);
	bpf_map__set_max_entries(skel->maps.net_conns, 4096);
	if (net_bpf__load(skel)) {
		fprintf(stderr, "net_probe: cannot load the BPF object\n");
		goto cleanup;
	}
	/* syscall tracepoints are found through tracefs: mount it if no one has */
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    access("/sys/kernel/debug/tracing/events", F_OK) &&
	    mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		fprintf(stderr, "net_probe: cannot mount tracefs: %s\n", strerror(errno));
	if (net_bpf__attach(skel)) {
		fprintf(stderr, "net_probe: cannot attach\n");
		goto cleanup;
	}
	if (tls && attach_tls(skel, tls, pid)) {
		fprintf(stderr, "net_probe: no SSL_* function in %s\n", tls);
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.net_events), on_event, NULL, NULL);
	if (!rb)
		goto cleanup;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "net_probe: ready\n");
	end = secs ? time(NULL) + secs : 0;
	while (!stop && (!end || time(NULL) < end) && !kill(pid, 0))
		ring_buffer__poll(rb, 100);
	ring_buffer__consume(rb);
	dump(skel, ncpu);
	rc = 0;
cleanup:
	ring_buffer__free(rb);
	for (unsigned int i = 0; i < sizeof(tls_links) / sizeof(tls_links[0]); i++)
		bpf_link__destroy(tls_links[i]);
	net_bpf__destroy(skel);
	return rc;
}
