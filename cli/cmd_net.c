// SPDX-License-Identifier: MIT
/*
 * `http` and `pg`: a process's HTTP/1.x exchanges or PostgreSQL messages,
 * read at its sockets by bpf/net.bpf.c, drained each interval into frames
 * of socket rows (cli/net_frame.c) for every output; --slow exchanges
 * heard through the ring buffer as events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cli/commands.h"
#include "cli/loop.h"
#include "cli/net_frame.h"
#include "cli/run_outputs.h"
#include "loader/net_session.h"

#define NET_RECENT 5		/* slow exchanges a frame shows, the newest */

/* A --slow exchange, kept with its texts. */
struct net_slow {
	struct frame_event e;
	char op[NET_OP_MAX], label[NET_LABEL_MAX];
	uint64_t seq;
};

struct net_run {
	const struct env *env;
	unsigned int protos;
	struct net_session *s;
	struct net_maps maps;
	/* zero: the reading once attached (the summary subtracts it); prev: the last */
	struct net_table zero, prev;
	bool have_prev;
	struct outputs outputs;
	int64_t mono_to_real_ns;
	struct ring_buffer *rb;
	struct net_slow recent[NET_RECENT];
	uint64_t slow_seq;		/* slow exchanges heard */
	uint64_t mark_seq, zero_seq;	/* heard by the last frame, by the zero point */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct net_run *w = ctx;
	const struct net_event *e = data;
	struct net_slow *x;

	if (size < sizeof(*e))
		return 0;
	x = &w->recent[w->slow_seq++ % NET_RECENT];
	memset(x, 0, sizeof(*x));
	x->seq = w->slow_seq;
	snprintf(x->op, sizeof(x->op), "%.*s", NET_OP_MAX - 1, e->row.op);
	snprintf(x->label, sizeof(x->label), "%.*s", NET_LABEL_MAX - 1, e->row.label);
	x->e = (struct frame_event){
		.wall_ns = (uint64_t)((int64_t)e->ts + w->mono_to_real_ns), .op = x->op,
		.kind = FRAME_EV_SLOW, .slow = true, .pid = e->pid, .tid = e->tid,
		.labelled = true, .latency_ns = e->latency_ns,
		.label = { .kind = e->row.other_label ? FRAME_LABEL_OTHER : FRAME_LABEL_VALUE,
			   .is_string = true, .text = x->label, .name = "" },
	};
	return 0;
}

static int consume(struct net_run *w)
{
	int n = w->rb ? ring_buffer__consume(w->rb) : 0;

	return n < 0 ? n : 0;
}

/* The slow exchanges heard since seq, oldest first, into out. */
static size_t recent_since(const struct net_run *w, uint64_t seq, struct frame_event *out)
{
	uint64_t first = w->slow_seq > NET_RECENT ? w->slow_seq - NET_RECENT : 0, i;
	size_t n = 0;

	for (i = first > seq ? first : seq; i < w->slow_seq; i++)
		out[n++] = w->recent[i % NET_RECENT].e;
	return n;
}

static int emit(struct net_run *w, const struct net_table *t, bool summary)
{
	uint64_t since = summary ? w->zero_seq : w->mark_seq;
	struct frame_event events[NET_RECENT];
	struct net_frame_rows r;
	struct output_frame f;
	struct timespec now;
	int64_t wall;
	int rc;

	if ((rc = net_frame_rows__fill(&r, t, w->protos)))
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &now);
	wall = now.tv_sec * 1000000000LL + now.tv_nsec + w->mono_to_real_ns;
	f = (struct output_frame){
		.source = FRAME_OPS, .summary = summary, .shown = w->env->interval_s > 0,
		.interval_s = (double)t->time_ns / 1e9, .mono_to_real_ns = w->mono_to_real_ns,
		.wall = { .tv_sec = (time_t)(wall / 1000000000), .tv_nsec = (long)(wall % 1000000000) },
		.nr_rows = r.nr, .rows = r.rows,
		.events = { .present = w->env->slow_ns > 0, .slow = w->slow_seq - since,
			    .lost = t->drops[NET_DROP_EVENTS_LOST],
			    .nr = recent_since(w, since, events), .v = events },
		.nr_drops = NET_DROP_NR, .drops = r.drops,
		.probes_attached = (unsigned int)net_session__nr_links(w->s),
		.net = &r.totals,
	};
	rc = outputs__frame(&w->outputs, &f);
	net_frame_rows__free(&r);
	w->mark_seq = w->slow_seq;
	return rc;
}

static int read_all(struct net_run *w, struct net_table *t)
{
	int rc = consume(w);

	if (!rc)
		rc = net_table__read(&w->maps, t);
	if (rc)
		report_error("cannot read BPF maps: %s", strerror(-rc));
	return rc;
}

static int emit_delta(struct net_run *w, const struct net_table *now,
		      const struct net_table *base, bool summary)
{
	struct net_table frame;
	int rc = net_table__delta(&frame, now, base);

	if (rc)
		report_error("cannot read BPF maps: %s", strerror(-rc));
	else if ((rc = emit(w, &frame, summary)))
		report_error("cannot write the %s: %s", summary ? "summary" : "interval",
			     strerror(-rc));
	net_table__free(&frame);
	return rc;
}

static int next_reading(struct net_run *w)
{
	struct net_table now;
	int rc = read_all(w, &now);

	if (!rc)
		rc = emit_delta(w, &now, w->have_prev ? &w->prev : &w->zero, false);
	if (rc) {
		net_table__free(&now);
		return rc;
	}
	net_table__free(&w->prev);
	w->prev = now;
	w->have_prev = true;
	return 0;
}

static int on_interval(void *ctx)
{
	return next_reading(ctx);
}

static int on_events(void *ctx)
{
	int rc = consume(ctx);

	if (rc)
		report_error("cannot read the events ring buffer: %s", strerror(-rc));
	return rc;
}

static unsigned int cap_of(const struct net_setup *st)
{
	return st->protos & NET_PROTO_HTTP ? st->routes : st->labels;
}

static void set_cap(struct net_setup *st, unsigned int v)
{
	if (st->protos & NET_PROTO_HTTP)
		st->routes = v;
	else
		st->labels = v;
}

/*
 * Refuse maps past the memory budget, saying which --routes (http) or
 * --max-labels (pg) would fit: the caps are what makes them big.
 */
static int check_memory(struct net_session *s, struct net_setup *st, const struct env *env)
{
	unsigned long long budget = map_budget(), bytes;
	const char *opt = st->protos & NET_PROTO_HTTP ? "--routes" : "--max-labels";
	unsigned int want = cap_of(st), lo = 0, hi = want, mid;
	char b[2][32];

	net_session__setup(s, st);
	bytes = net_session__memory(s);
	if (env->verbose)
		fprintf(stderr, "synctrace: the socket maps take %s of kernel memory\n",
			format_bytes(b[0], sizeof(b[0]), bytes));
	if (bytes <= budget)
		return 0;
	while (lo < hi) {	/* the largest cap that fits */
		mid = lo + (hi - lo + 1) / 2;
		set_cap(st, mid);
		net_session__setup(s, st);
		if (net_session__memory(s) <= budget)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (lo)
		report_error("the socket maps would take %s of kernel memory with %s %u, over the "
			     "budget of %s: %s %u fits (SYNCTRACE_MAP_BUDGET_MB sets the budget)",
			     format_bytes(b[0], sizeof(b[0]), bytes), opt, want,
			     format_bytes(b[1], sizeof(b[1]), budget), opt, lo);
	else
		report_error("the socket maps would take %s of kernel memory, over the budget of "
			     "%s even with %s 1 (SYNCTRACE_MAP_BUDGET_MB sets the budget)",
			     format_bytes(b[0], sizeof(b[0]), bytes),
			     format_bytes(b[1], sizeof(b[1]), budget), opt);
	return -E2BIG;
}

static int start(struct net_run *w, char *err, size_t len)
{
	struct timespec mono, real;
	int rc = net_session__start(w->s, err, len), n;
	char tls[512];

	if (rc)
		return rc;
	if (w->env->verbose)
		fprintf(stderr, "synctrace: the bytes come from the %s\n",
			net_hooks_name(net_session__hooks(w->s)));
	/* HTTPS and TLS PostgreSQL: the plaintext at OpenSSL, if the process has it */
	n = net_session__attach_tls(w->s, w->env->pid, w->env->children, tls, sizeof(tls));
	if (n < 0) {
		snprintf(err, len, "%s", tls);
		return n;
	}
	if (w->env->verbose && n)
		fprintf(stderr, "synctrace: TLS plaintext: %d probes on %s\n", n, tls);
	else if (w->env->verbose)
		fprintf(stderr, "synctrace: TLS plaintext: no OpenSSL in pid %d\n", w->env->pid);
	net_session__maps(w->s, &w->maps);
	if (w->env->slow_ns &&
	    !(w->rb = ring_buffer__new(net_session__events_fd(w->s), on_event, w, NULL))) {
		rc = -errno;
		snprintf(err, len, "cannot read the events ring buffer: %s", strerror(-rc));
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	w->mono_to_real_ns = (real.tv_sec - mono.tv_sec) * 1000000000LL +
			     (real.tv_nsec - mono.tv_nsec);
	return 0;
}

/* 0 with *code the exit code the outputs ask for, or -errno (reported). */
static int run(struct net_run *w, int pidfd, int *code)
{
	const struct env *env = w->env;
	struct loop_hooks hooks = { on_interval, w, -1, on_events, 0, NULL };
	struct run_info info = { 0 };
	char err[512];
	int rc;

	if ((*code = run_outputs__open(&w->outputs, env, &info, FRAME_OPS)))
		return 0;
	if ((rc = start(w, err, sizeof(err)))) {
		report_error("%s", err);
		goto cleanup;
	}
	if ((rc = read_all(w, &w->zero)))
		goto cleanup;
	w->zero_seq = w->mark_seq = w->slow_seq;
	hooks.fd = w->rb ? ring_buffer__epoll_fd(w->rb) : -1;
	fprintf(stderr, "Tracing %s in pid %d%s... Ctrl-C to end.\n",
		w->protos == (NET_PROTO_HTTP | NET_PROTO_PG) ? "HTTP and PostgreSQL" :
		w->protos & NET_PROTO_HTTP ? "HTTP" : "PostgreSQL", env->pid,
		env->children ? " and its descendants" : "");
	if (loop_run(run_outputs__interval_s(env), env->duration_s, pidfd, &hooks) ==
	    LOOP_PID_EXIT)
		fprintf(stderr, "synctrace: pid %d exited\n", env->pid);
	/* the last interval and the summary end at the same reading: their sums agree */
	rc = next_reading(w);
	if (!rc)
		rc = emit_delta(w, &w->prev, &w->zero, true);
cleanup:
	*code = outputs__close(&w->outputs);
	return rc;
}

int cmd_net(const struct env *env)
{
	return net_command(env, env->cmd == CMD_PG ? NET_PROTO_PG : NET_PROTO_HTTP);
}

int net_command(const struct env *env, unsigned int protos)
{
	struct net_run w = { .env = env };
	struct net_setup st = {
		.pid = env->pid, .routes = env->routes, .labels = env->max_labels,
		.slow_ns = env->slow_ns,
	};
	int pidfd = -1, rc, code = EXIT_OK;
	char err[512];

	w.protos = st.protos = protos;
	if ((rc = prepare_to_trace(env, &pidfd)))
		return rc;
	rc = EXIT_RUNTIME;
	if (env->children && follow_tree__init(&st.follow, env->pid, err, sizeof(err))) {
		report_error("%s", err);
		goto cleanup;
	}
	if (net_session__open(&w.s, err, sizeof(err))) {
		report_error("%s", err);
		goto cleanup;
	}
	if (check_memory(w.s, &st, env)) {
		rc = EXIT_USAGE;
		goto cleanup;
	}
	loop_block_signals();
	rc = run(&w, pidfd, &code) ? EXIT_RUNTIME : code;
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	ring_buffer__free(w.rb);
	net_table__free(&w.zero);
	net_table__free(&w.prev);
	net_session__free(w.s);
	return rc;
}
