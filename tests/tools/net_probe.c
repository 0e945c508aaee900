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
 * -t LIBSSL (TLS plaintext: the SSL_* uprobes on that file, for -p PID),
 * -T (the tracepoint programs detached and attached again on command,
 * loaded and verified once: a line "off" or "on" on stdin, answered by
 * "off" or "on" on stderr once done; bench/net_toggle.py's switch), -F (the
 * feed program stops after its filter: the floor, net_filter_only). The
 * hooks are synctrace's (SYNCTRACE_NET_HOOKS too).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
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
#include "maps/net_drain.h"
#include "loader/follow.h"
#include "loader/net_session.h"
#include "net.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *const kinds[] = { "http", "pg_query", "pg_error", "pg_notify" };

/* The TLS programs' links and the feed program's (on each of its hooks),
 * destroyed at the end (the skeleton does not own them). */
static struct bpf_link *tls_links[9];
static struct bpf_link *feed_links[16];

/* What feeds the parsers (net_hooks_pick, before load). */
static enum net_hooks hooks;

/* The skeleton's tracepoints, then the feed program on each of its hooks. */
static int attach_syscalls(struct net_bpf *skel)
{
	char err[256];

	if (net_feed_nr(hooks) > sizeof(feed_links) / sizeof(feed_links[0]) ||
	    net_bpf__attach(skel)) {
		fprintf(stderr, "net_probe: cannot attach\n");
		return -1;
	}
	if (net_feed_attach(skel->progs.net_feed_syscall, skel->progs.net_feed_sock, hooks,
			    feed_links, err, sizeof(err))) {
		fprintf(stderr, "net_probe: %s\n", err);
		return -1;
	}
	return 0;
}

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

static int on_event(void *ctx, void *data, size_t len)
{
	const struct net_event *e = data;

	printf("slow %s \"%s\" \"%s\" %llu\n", e->row.side ? "client" : "server", e->row.op,
	       e->row.label, (unsigned long long)e->latency_ns);
	return 0;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/* Threads detach_all starts at most (the links of net.bpf.c's syscall programs: ~25). */
#define DETACH_THREADS 64

/* A link destroyed on a thread of its own (in th[*n]), or here if none can start. */
static void destroy_apart(struct bpf_link **link, pthread_t *th, int *n)
{
	if (!*link)
		return;
	if (*n < DETACH_THREADS && !pthread_create(&th[*n], NULL, destroy_link, *link))
		(*n)++;
	else
		bpf_link__destroy(*link);
	*link = NULL;
}

/* The syscall programs' links destroyed at once, a thread each: one at a
 * time, each waits out its own RCU grace period (~60 ms a tracepoint here). */
static void detach_all(struct net_bpf *skel)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	pthread_t th[DETACH_THREADS];
	int i, n = 0;

	for (i = 0; i < s->prog_cnt; i++)
		destroy_apart(s->progs[i].link, th, &n);
	for (i = 0; i < (int)(sizeof(feed_links) / sizeof(feed_links[0])); i++)
		destroy_apart(&feed_links[i], th, &n);
	while (n--)
		pthread_join(th[n], NULL);
}

/* net_conns_fd's slots zeroed (live 0: no connection), one by one (an
 * array's entries cannot be deleted). */
static void forget_direct(struct net_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.net_conns_fd);
	void *zero = calloc(1, bpf_map__value_size(skel->maps.net_conns_fd));
	__u32 i;

	for (i = 0; zero && i < bpf_map__max_entries(skel->maps.net_conns_fd); i++)
		if (bpf_map_update_elem(fd, &i, zero, BPF_ANY))
			break;
	free(zero);
}

/* The connections followed, forgotten: switched on again, the programs
 * start as a new `synctrace http` would (an exchange that went on while
 * they were off would leave its request waiting for a response forever). */
static void forget_conns(struct net_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.net_conns);
	unsigned char key[64];	/* struct net_conn_key (bpf/net_stream.h), 16 bytes */

	if (bpf_map__key_size(skel->maps.net_conns) > sizeof(key))
		return;
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
	forget_direct(skel);
}

/* -T: one command from stdin ("on", "off"): the tracepoint programs attached
 * or detached, answered on stderr. -1 at stdin's end or on a failure. */
static int toggle(struct net_bpf *skel, int *on)
{
	char line[16];

	if (!fgets(line, sizeof(line), stdin))
		return -1;
	if (!strcmp(line, "off\n") && *on) {
		detach_all(skel);
		*on = 0;
	} else if (!strcmp(line, "on\n") && !*on) {
		forget_conns(skel);
		if (attach_syscalls(skel))
			return -1;
		*on = 1;
	}
	fprintf(stderr, "%s\n", *on ? "on" : "off");
	return 0;
}

/* The rows as maps/net_drain.c reads them (the one reader of the layout). */
static void dump(struct net_bpf *skel)
{
	struct net_maps m = {
		.rows_fd = bpf_map__fd(skel->maps.net_rows),
		.counts_fd = bpf_map__fd(skel->maps.net_counts),
		.dists_fd = bpf_map__fd(skel->maps.net_dists),
		.totals_fd = bpf_map__fd(skel->maps.net_totals),
		.drops_fd = bpf_map__fd(skel->maps.net_drops),
	};
	struct net_table t;
	size_t r;
	int i, w;

	if (net_table__read(&m, &t)) {
		fprintf(stderr, "net_probe: cannot read the maps\n");
		net_table__free(&t);
		return;
	}
	for (r = 0; r < t.nr_rows; r++) {
		const struct net_row *row = &t.rows[r];
		const struct net_row_key *key = &row->key;
		const struct net_counters *s = &row->c;

		printf("%s %s \"%s\" \"%s\" count=%llu errors=%llu client_errors=%llu "
		       "bytes_in=%llu bytes_out=%llu lat_n=%llu",
		       key->side ? "client" : "server", key->kind < 4 ? kinds[key->kind] : "?",
		       key->op, key->label, s->count, s->errors, s->client_errors, s->bytes_in,
		       s->bytes_out, (unsigned long long)row->dist[NET_DIST_LATENCY].count);
		if (key->kind != NET_KIND_HTTP)
			printf(" rows=%llu", s->rows);
		if (s->sse_opened)
			printf(" sse=%llu/%llu/%llu first_n=%llu dur_n=%llu", s->sse_opened,
			       s->sse_closed, s->sse_events,
			       (unsigned long long)row->dist[NET_DIST_SSE_FIRST].count,
			       (unsigned long long)row->dist[NET_DIST_SSE_DURATION].count);
		if (s->ws_opened) {
			printf(" ws=%llu/%llu in=", s->ws_opened, s->ws_closed);
			for (w = 0; w < NET_WS_OPCODES; w++)
				printf("%s%llu", w ? "," : "", s->ws_frames_in[w]);
			printf(" out=");
			for (w = 0; w < NET_WS_OPCODES; w++)
				printf("%s%llu", w ? "," : "", s->ws_frames_out[w]);
			printf(" bytes=%llu/%llu", s->ws_bytes_in, s->ws_bytes_out);
		}
		printf("\n");
	}
	printf("drops");
	for (i = 0; i < NET_DROP_NR; i++)
		printf(" %s=%llu", net_drop_name(i), (unsigned long long)t.drops[i]);
	printf("\n");
	printf("totals ops=%llu op_overflow=%llu labels=%llu label_overflow=%llu opened=%llu "
	       "closed=%llu\n", t.totals.ops, t.totals.op_overflow, t.totals.labels,
	       t.totals.label_overflow, t.totals.conns_opened, t.totals.conns_closed);
	net_table__free(&t);
}

int main(int argc, char **argv)
{
	struct net_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct follow_tree tree;
	int pid = 0, children = 0, secs = 0, toggled = 0, on = 1, filter_only = 0, opt, rc = 1;
	unsigned int protos = NET_PROTO_HTTP, routes = NET_ROUTES_DEFAULT;
	unsigned int labels = NET_LABELS_DEFAULT;
	unsigned long long slow = 0;
	const char *tls = NULL;
	char err[256];
	time_t end;

	while ((opt = getopt(argc, argv, "p:cd:P:r:l:s:t:TF")) != -1) {
		switch (opt) {
		case 'p': pid = atoi(optarg); break;
		case 'c': children = 1; break;
		case 'd': secs = atoi(optarg); break;
		case 'P': protos = strtoul(optarg, NULL, 0); break;
		case 'r': routes = strtoul(optarg, NULL, 0); break;
		case 'l': labels = strtoul(optarg, NULL, 0); break;
		case 's': slow = strtoull(optarg, NULL, 0); break;
		case 't': tls = optarg; break;
		case 'T': toggled = 1; break;
		case 'F': filter_only = 1; break;
		default:
			fprintf(stderr, "usage: net_probe -p PID [-c] [-d SECS] [-P MASK] [-r N] "
				"[-l N] [-s NS] [-t LIBSSL] [-T] [-F]\n");
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
	skel->rodata->net_filter_only = filter_only;
	skel->rodata->net_protos = protos;
	skel->rodata->net_max_ops = routes;
	skel->rodata->net_max_labels = labels;
	skel->rodata->net_slow_ns = slow;
	bpf_map__set_max_entries(skel->maps.net_rows, (routes + 1) * 2 * NET_ROWS_PER_OP);
	bpf_map__set_max_entries(skel->maps.net_counts,
				 (routes + 1) * 2 * NET_ROWS_PER_OP + NET_IDS_SPARE);
	bpf_map__set_max_entries(skel->maps.net_dists,
				 (routes + 1) * 2 * NET_ROWS_PER_OP * NET_DIST_NR + NET_IDS_SPARE);
	skel->rodata->net_row_ids = bpf_map__max_entries(skel->maps.net_counts);
	skel->rodata->net_hist_ids = bpf_map__max_entries(skel->maps.net_dists);
	bpf_map__set_max_entries(skel->maps.net_admit, (routes + labels) * 2 * NET_KIND_NR + 16);
	bpf_map__set_max_entries(skel->maps.net_conns, 4096);
	/* tracepoints are found through tracefs: mount it if no one has */
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    access("/sys/kernel/debug/tracing/events", F_OK) &&
	    mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		fprintf(stderr, "net_probe: cannot mount tracefs: %s\n", strerror(errno));
	if (net_hooks_pick(&hooks, err, sizeof(err))) {
		fprintf(stderr, "net_probe: %s\n", err);
		goto cleanup;
	}
	net_feed_select(skel->progs.net_feed_syscall, skel->progs.net_feed_sock, hooks);
	if (net_bpf__load(skel)) {
		fprintf(stderr, "net_probe: cannot load the BPF object\n");
		goto cleanup;
	}
	if (attach_syscalls(skel))
		goto cleanup;
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
	while (!stop && (!end || time(NULL) < end) && !kill(pid, 0)) {
		struct pollfd in = { .fd = 0, .events = POLLIN };

		if (toggled && poll(&in, 1, 0) > 0 && toggle(skel, &on))
			break;
		ring_buffer__poll(rb, toggled ? 10 : 100);
	}
	ring_buffer__consume(rb);
	dump(skel);
	rc = 0;
cleanup:
	ring_buffer__free(rb);
	for (unsigned int i = 0; i < sizeof(tls_links) / sizeof(tls_links[0]); i++)
		bpf_link__destroy(tls_links[i]);
	for (unsigned int i = 0; i < sizeof(feed_links) / sizeof(feed_links[0]); i++)
		bpf_link__destroy(feed_links[i]);
	net_bpf__destroy(skel);
	return rc;
}
