// SPDX-License-Identifier: MIT
/*
 * `watch`: ops and states from --op lines and --ops files, compiled,
 * attached, drained each interval (events as they come); NDJSON or the
 * sync dashboard.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/loop.h"
#include "cli/ops_compile.h"
#include "cli/profiles.h"
#include "cli/run_outputs.h"
#include "cli/watch.h"
#include "cli/watch_net.h"
#include "loader/ops_session.h"
#include "maps/net.h"
#include "maps/ops_drain.h"

#define WATCH_MAX_INFLIGHT 32768	/* open starts of paired ops, all ops together */
#define WATCH_MAX_STATES 1024		/* {state machine, process} pairs */
#define WATCH_EVENTS_BYTES (1U << 20)

struct watch_run {
	const struct env *env;
	const struct ops_program *prog;
	struct ops_maps maps;
	struct op_pairing pairing;
	struct watch_events ev;
	struct op_names names;
	/*
	 * zero: the reading once attached, which the summary subtracts; prev:
	 * the last reading, which the next interval subtracts (none yet: zero).
	 */
	struct op_table zero, prev;
	bool have_prev;
	struct watch_events zero_mark;	/* event counts at the zero point */
	struct watch_events mark;	/* event counts at the last frame */
	int64_t mono_to_real_ns;
	struct outputs outputs;
	unsigned int probes_attached;
	bool string_labels;	/* some op labels by a string: read label texts */
	struct watch_net net;	/* --profile http|pg beside the ops */
};

/* A frame: its events are those heard since the last frame (the summary's: since the zero point). */
static int emit(struct watch_run *w, const struct op_table *t, bool summary)
{
	const struct watch_events *since = summary ? &w->zero_mark : &w->mark;
	struct watch_frame f = {
		.prog = w->prog, .t = t, .names = &w->names, .ev = &w->ev,
		.mono_to_real_ns = w->mono_to_real_ns, .summary = summary,
		.shown = w->env->interval_s > 0, .probes_attached = w->probes_attached,
		.ev_errors = w->ev.errors - since->errors, .ev_slow = w->ev.slow - since->slow,
		.ev_timeouts = w->ev.timeouts - since->timeouts, .first_seq = since->seq + 1,
	};
	struct watch_frame_out out;
	int rc = watch_frame__fill(&out, &f);

	if (!rc && w->net.protos)
		rc = watch_net__merge(&w->net, &out.f);
	if (!rc)
		rc = outputs__frame(&w->outputs, &out.f);
	watch_frame__free(&out);
	w->mark = w->ev;
	w->mark.rb = NULL;
	return rc;
}

static int read_all(struct watch_run *w, struct op_table *now)
{
	int rc = watch_events__consume(&w->ev);

	if (!rc)
		rc = op_table__read(&w->maps, &w->pairing, now);
	/* only string labels have a text: integer ones need not be read back */
	if (!rc && w->string_labels)
		rc = op_names__read(w->maps.labels_fd, &w->names);
	if (rc)
		report_error("cannot read BPF maps: %s", strerror(-rc));
	return rc;
}

/* The zero point: what the kernel recorded before it belongs to no frame. */
static int zero_point(struct watch_run *w)
{
	int rc = read_all(w, &w->zero);

	w->zero_mark = w->mark = w->ev;
	w->zero_mark.rb = w->mark.rb = NULL;
	return rc;
}

/* frame = now - base, to the outputs; 0 or -errno (reported). */
static int emit_delta(struct watch_run *w, const struct op_table *now,
		      const struct op_table *base, bool summary)
{
	struct op_table frame;
	int rc = op_table__delta(&frame, now, base);

	if (rc)
		report_error("cannot read BPF maps: %s", strerror(-rc));
	else if ((rc = emit(w, &frame, summary)))
		report_error("cannot write the %s: %s", summary ? "summary" : "interval",
			     strerror(-rc));
	op_table__free(&frame);
	return rc;
}

/* A reading, and the interval since the last one to the outputs; it becomes prev. */
static int next_reading(struct watch_run *w)
{
	struct op_table now;
	int rc = read_all(w, &now);

	if (!rc && w->net.protos)
		rc = watch_net__reading(&w->net);
	if (!rc)
		rc = emit_delta(w, &now, w->have_prev ? &w->prev : &w->zero, false);
	if (rc) {
		op_table__free(&now);
		return rc;
	}
	op_table__free(&w->prev);
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
	struct watch_run *w = ctx;

	return watch_events__consume(&w->ev);
}

/* Open starts past their timeout expire on this tick, not at the next interval. */
static int on_tick(void *ctx)
{
	struct watch_run *w = ctx;
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	rc = op_pairing__expire(&w->pairing, w->maps.starts_fd,
				(uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	if (rc)
		report_error("cannot read BPF maps: %s", strerror(-rc));
	return rc;
}

/*
 * How often open starts are checked: a tenth of the shortest timeout, at
 * most 100 ms and at least 1 ms; 0 without paired ops.
 */
static double expiry_tick_s(const struct ops_program *prog)
{
	double tick = 0;
	size_t i;

	for (i = 0; i < prog->nr_ops; i++) {
		double t = (double)prog->specs[i]->timeout_ns / 1e10;

		if (!prog->specs[i]->paired)
			continue;
		t = t > 0.1 ? 0.1 : t < 0.001 ? 0.001 : t;
		tick = !tick || t < tick ? t : tick;
	}
	return tick;
}

/* --op 'push f error=ret<0' is an op line without its keyword; 'op ...'
 * and 'state ...' are taken as written. */
static int parse_op_arg(struct ops_file *f, const char *arg, int idx, char *err, size_t len)
{
	size_t n = strspn(arg, " \t");
	char *line;
	int rc;

	if (!strncmp(arg + n, "op ", 3) || !strncmp(arg + n, "state ", 6))
		return ops_parse_line(f, arg, NULL, idx, err, len);
	if (asprintf(&line, "op %s", arg) < 0)
		return -ENOMEM;
	rc = ops_parse_line(f, line, NULL, idx, err, len);
	free(line);
	return rc;
}

/* --profile http and pg are the socket parsers (cmd_net.c), not ops files. */
static unsigned int socket_profile(const char *name)
{
	return !strcmp(name, "http") ? NET_PROTO_HTTP : !strcmp(name, "pg") ? NET_PROTO_PG : 0;
}

static int parse_ops(const struct env *env, struct ops_file *f)
{
	char err[1024], path[PATH_MAX];
	size_t n = 0;
	int i, rc = 0;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < env->nr_profiles && !rc; i++)
		if (!socket_profile(env->profiles[i]) && !(rc = profile_path(env->profiles[i], path, sizeof(path), err, sizeof(err))))
			rc = ops_parse_file(f, path, err, sizeof(err));
	for (i = 0; i < env->nr_ops_files && !rc; i++)
		rc = ops_parse_file(f, env->ops_files[i], err, sizeof(err));
	for (i = 0; i < env->nr_ops && !rc; i++)
		rc = parse_op_arg(f, env->ops[i], i + 1, err, sizeof(err));
	if (rc) {
		report_error("%s", err);
	} else if (!f->nr_ops && !f->nr_states) {
		/* an --op line always declares one: the files declared nothing */
		rc = -EINVAL;
		for (i = 0; i < env->nr_profiles + env->nr_ops_files && n < sizeof(err); i++)
			n += snprintf(err + n, sizeof(err) - n, "%s%s%s", i ? ", " : "",
				      i < env->nr_profiles ? "profile " : "",
				      i < env->nr_profiles ? env->profiles[i]
							   : env->ops_files[i - env->nr_profiles]);
		report_error("%s: no op or state declared (nothing to watch)", err);
	}
	return rc;
}

/*
 * Map sizes for the program (the maps are preallocated): a labelled op may
 * fill its labels plus `other`, an op without labels has one row; only ops
 * with latency (value=) have latency (value) histograms.
 */
static void sizes_of(const struct ops_program *prog, const struct ops_options *opt,
		     struct ops_setup *sz)
{
	size_t i;

	for (i = 0; i < prog->nr_ops; i++) {
		__u32 flags = prog->cfgs[i].flags;
		/* labels, `other`, and with fanout the starts' own row */
		unsigned int rows = flags & OPF_LABEL ?
				    opt->max_labels + 1 + !!(flags & OPF_FANOUT) : 1;

		sz->stats += rows;
		sz->lat_rows += flags & OPF_LATENCY ? rows : 0;
		sz->val_rows += flags & OPF_VALUE ? rows : 0;
		sz->labels += flags & OPF_LABEL ? opt->max_labels : 0;
		sz->starts = prog->specs[i]->paired ? WATCH_MAX_INFLIGHT : sz->starts;
	}
	sz->states = prog->nr_states ? WATCH_MAX_STATES : 0;
	sz->nr_state_machines = (unsigned int)prog->nr_states;
	sz->events_bytes = WATCH_EVENTS_BYTES;
	sz->rp = prog->rp;
}

/*
 * Refuse ops whose preallocated maps would pass the memory budget, saying
 * which --max-labels would fit: the labels are what makes them big.
 */
static int check_memory(const struct ops_program *prog, const struct ops_options *opt,
			const struct env *env)
{
	unsigned long long budget = map_budget(), bytes, one;
	struct ops_options o = *opt;
	struct ops_setup sz = {};
	unsigned int lo = 0, hi = opt->max_labels, mid;
	char b[3][32];

	sizes_of(prog, opt, &sz);
	bytes = ops_setup__memory(&sz);
	if (env->verbose)
		fprintf(stderr, "synctrace: the ops' maps take %s of kernel memory\n",
			format_bytes(b[0], sizeof(b[0]), bytes));
	if (bytes <= budget)
		return 0;
	while (lo < hi) {	/* the most labels that fit */
		mid = lo + (hi - lo + 1) / 2;
		o.max_labels = mid;
		memset(&sz, 0, sizeof(sz));
		sizes_of(prog, &o, &sz);
		if (ops_setup__memory(&sz) <= budget)
			lo = mid;
		else
			hi = mid - 1;
	}
	o.max_labels = opt->max_labels - 1;
	memset(&sz, 0, sizeof(sz));
	sizes_of(prog, &o, &sz);
	one = bytes - ops_setup__memory(&sz);
	if (lo)
		report_error("these ops would take %s of kernel memory with --max-labels %u (%s "
			     "a label), over the budget of %s: --max-labels %u fits "
			     "(SYNCTRACE_MAP_BUDGET_MB sets the budget)",
			     format_bytes(b[0], sizeof(b[0]), bytes), opt->max_labels,
			     format_bytes(b[1], sizeof(b[1]), one),
			     format_bytes(b[2], sizeof(b[2]), budget), lo);
	else
		report_error("these ops would take %s of kernel memory, over the budget of %s: "
			     "use fewer ops (SYNCTRACE_MAP_BUDGET_MB sets the budget)",
			     format_bytes(b[0], sizeof(b[0]), bytes),
			     format_bytes(b[2], sizeof(b[2]), budget));
	return -E2BIG;
}

static int configure(struct ops_session *s, const struct ops_program *prog)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < prog->nr_ops; i++)
		rc = ops_session__configure(s, (unsigned int)i, &prog->cfgs[i]);
	for (i = 0; !rc && i < prog->nr_states; i++)
		rc = ops_session__configure_state(s, (unsigned int)i, &prog->state_cfgs[i]);
	if (!rc)
		rc = ops_session__set_site_infos(s, prog->site_infos, prog->nr_site_infos);
	return rc;
}

static int start(struct watch_run *w, struct ops_session **s, const struct ops_options *opt,
		 pid_t pid, bool children)
{
	struct ops_setup sz = {};
	struct timespec mono, real;
	char err[512];
	size_t i;
	int rc = 0;

	sizes_of(w->prog, opt, &sz);
	/* with children, the probes go on every process and the kernel keeps pid's tree */
	if (pid && children)
		rc = follow_tree__init(&sz.follow, pid, err, sizeof(err));
	if (!rc)
		rc = ops_session__open(s, &sz, err, sizeof(err));
	if (!rc && (rc = configure(*s, w->prog)))
		snprintf(err, sizeof(err), "cannot configure BPF maps: %s", strerror(-rc));
	if (!rc)
		rc = ops_session__attach(*s, w->prog->sites, w->prog->nr_sites,
					 children ? 0 : pid, err, sizeof(err));
	if (rc) {
		report_error("%s", err);
		return rc;
	}
	ops_session__maps(*s, &w->maps);
	w->probes_attached = (unsigned int)ops_session__nr_links(*s);
	if (w->env->verbose) {
		fprintf(stderr, "synctrace: %zu sites, %zu %s links\nsynctrace: reads: %s\n",
			w->prog->nr_sites, ops_session__nr_links(*s), ops_session__link_kind(*s),
			ops_session__sleepable(*s) ? "sleepable programs (a page the process "
			"has not touched yet is faulted in)" : "non-sleepable programs (a page "
			"the process has not touched yet cannot be read: read_failed)");
		ret_plan__describe(w->prog->rp, stderr);
	}
	if ((rc = watch_events__open(&w->ev, w->maps.events_fd))) {
		report_error("cannot read the events ring buffer: %s", strerror(-rc));
		return rc;
	}
	for (i = 0; i < w->prog->nr_ops; i++)
		if (w->prog->specs[i]->paired)
			w->pairing.timeout_ns[i] = w->prog->specs[i]->timeout_ns;
	for (i = 0; i < w->prog->nr_ops; i++)
		if (w->prog->specs[i]->has_label && expr__is_string(&w->prog->specs[i]->label))
			w->string_labels = true;
	w->pairing.on_expired = watch_events__on_expired;
	w->pairing.ctx = &w->ev;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	w->mono_to_real_ns = (real.tv_sec - mono.tv_sec) * 1000000000LL +
			     (real.tv_nsec - mono.tv_nsec);
	return 0;
}

/* The socket profiles beside the ops, in what the ops leave of the budget: 0 or -errno
 * (said; -E2BIG: over it). */
static int start_net(struct watch_run *w, const struct ops_options *opt, unsigned int protos)
{
	struct ops_setup sz = {};
	unsigned long long budget = map_budget(), ops;
	int code;

	sizes_of(w->prog, opt, &sz);
	ops = ops_setup__memory(&sz);
	code = watch_net__start(&w->net, w->env, protos, budget > ops ? budget - ops : 0);
	return code == EXIT_USAGE ? -E2BIG : code ? -EIO : 0;
}

/* 0 with *code the exit code the outputs ask for, or -errno (reported). */
static int run(const struct env *env, const struct ops_program *prog,
	       const struct ops_options *opt, int pidfd, bool children, unsigned int protos,
	       int *code)
{
	struct watch_run w = { .env = env, .prog = prog };
	struct loop_hooks hooks = { on_interval, &w, -1, on_events, expiry_tick_s(prog), on_tick };
	struct ops_session *s = NULL;
	struct run_info info = { 0 };
	int rc;

	run_outputs__binaries(&info, env, prog->sites, prog->nr_sites);
	if ((*code = run_outputs__open(&w.outputs, env, &info, FRAME_OPS))) {
		run_outputs__free_run(&info);
		return 0;
	}
	if ((rc = start(&w, &s, opt, env->pid, children)) ||
	    (protos && (rc = start_net(&w, opt, protos))) || (rc = zero_point(&w)))
		goto cleanup;
	hooks.fd = watch_events__fd(&w.ev);
	if (!hooks.tick_s)
		hooks.on_tick = NULL;
	fprintf(stderr, "Tracing %zu op%s, %zu state%s (%zu sites)%s... Ctrl-C to end.\n",
		prog->nr_ops, prog->nr_ops == 1 ? "" : "s", prog->nr_states,
		prog->nr_states == 1 ? "" : "s", prog->nr_sites,
		!env->pid ? "" : children ? " in one process and its descendants" :
		" in one process");
	if (loop_run(run_outputs__interval_s(env), env->duration_s, pidfd, &hooks) ==
	    LOOP_PID_EXIT)
		fprintf(stderr, "synctrace: pid %d exited\n", env->pid);
	/* the last interval and the summary end at the same reading: their sums agree */
	rc = next_reading(&w);
	if (!rc && protos)
		rc = watch_net__summary(&w.net);
	if (!rc)
		rc = emit_delta(&w, &w.prev, &w.zero, true);
cleanup:
	*code = outputs__close(&w.outputs);
	run_outputs__free_run(&info);
	op_table__free(&w.zero);
	op_table__free(&w.prev);
	op_pairing__free(&w.pairing);
	op_names__free(&w.names);
	watch_events__free(&w.ev);
	watch_net__free(&w.net);
	ops_session__free(s);
	return rc;
}

int cmd_watch(const struct env *env)
{
	struct ops_options opt = { env->max_labels, env->slow_ns, env->returns };
	struct ops_program prog = {};
	struct ops_file f;
	int pidfd = -1, rc, code = EXIT_OK, i, ops_profiles = 0;
	unsigned int protos = 0;
	char err[1024];

	for (i = 0; i < env->nr_profiles; i++) {
		protos |= socket_profile(env->profiles[i]);
		ops_profiles += !socket_profile(env->profiles[i]);
	}
	if (protos && !env->pid) {
		report_error("watch --profile http and pg need -p PID (the process whose sockets "
			     "are read)");
		return EXIT_USAGE;
	}
	/* the sockets alone: http's and pg's run, drawn as a dashboard */
	if (protos && !ops_profiles && !env->nr_ops && !env->nr_ops_files)
		return net_command(env, protos);
	if (parse_ops(env, &f)) {
		ops_file__free(&f);
		return EXIT_USAGE;
	}
	if ((rc = prepare_to_trace(env, &pidfd)))
		goto cleanup;
	rc = ops_compile(&f, env->pid, &opt, &prog, err, sizeof(err));
	if (rc) {
		report_error("%s", err);
		rc = rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto cleanup;
	}
	if (check_memory(&prog, &opt, env)) {
		rc = EXIT_USAGE;
		goto cleanup;
	}
	loop_block_signals();
	rc = run(env, &prog, &opt, pidfd, env->children || f.follow_children, protos, &code);
	rc = rc == -E2BIG ? EXIT_USAGE : rc ? EXIT_RUNTIME : code;
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	ops_program__free(&prog);
	ops_file__free(&f);
	return rc;
}
