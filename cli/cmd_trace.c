// SPDX-License-Identifier: MIT
/* `lat` and `count`: resolve, load, attach, drain each interval, summarise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/loop.h"
#include "cli/run_outputs.h"
#include "loader/placement.h"
#include "loader/ret_plan.h"
#include "loader/target_spec.h"
#include "loader/resolve.h"
#include "loader/session.h"
#include "maps/probes.h"

struct trace_run {
	const struct env *env;
	const struct trace_plan *plan;
	struct drain_maps maps;
	/*
	 * first: the zero point, read once attached; base: the last reading,
	 * what the next interval subtracts; now: the reading being taken.
	 * run: the whole run's extremes; out: what is printed.
	 */
	struct snapshot *first, *base, *now, *spare, *run, *out;
	struct snapshot *owned[5];	/* each allocation once, for freeing */
	struct outputs outputs;
	struct frame_row *rows;		/* one per point, for frames */
	struct frame_count drops[DROP_NR];
	unsigned int probes_attached;
};

/* s as a frame, to every output. 0 or -errno. */
static int emit(struct trace_run *t, const struct snapshot *s, bool summary)
{
	bool lat = t->env->cmd == CMD_LAT;
	struct output_frame f = {
		.source = FRAME_CALLS, .summary = summary, .shown = t->env->interval_s > 0,
		.latency = lat, .interval_s = (double)s->time_ns / 1e9,
		.nr_rows = t->plan->nr_points, .rows = t->rows,
		.nr_drops = DROP_NR, .drops = t->drops, .probes_attached = t->probes_attached,
	};
	size_t i;

	for (i = 0; i < t->plan->nr_points; i++) {
		struct frame_row *r = &t->rows[i];
		const struct histogram *h = lat ? &s->hists[i] : NULL;

		*r = (struct frame_row){
			.op = t->plan->points[i].op, .target = t->plan->points[i].target,
			.has = lat ? FRAME_HAS_LATENCY : FRAME_HAS_RATE,
			.count = lat ? h->count : s->counts[i],
		};
		if (h)
			r->latency = (struct frame_dist){
				.h = h, .has_min = h->has_extrema && h->count, .min = h->min,
				.has_max = h->has_extrema && h->count, .max = h->max };
	}
	for (i = 0; i < DROP_NR; i++)
		t->drops[i] = (struct frame_count){ drop_reason_name((unsigned int)i), s->drops[i] };
	clock_gettime(CLOCK_REALTIME, &f.wall);
	return outputs__frame(&t->outputs, &f);
}

/* Drain, and hand the interval since the previous drain to the outputs. */
static int interval(struct trace_run *t)
{
	struct snapshot *next;
	int err = drain__read(&t->maps, t->now);

	if (!err)
		err = snapshot__delta(t->out, t->now, t->base);
	if (err) {
		report_error("cannot read BPF maps: %s", strerror(-err));
		return err;
	}
	snapshot__fold_extrema(t->run, t->out);
	if ((err = emit(t, t->out, false))) {
		report_error("cannot write the interval: %s", strerror(-err));
		return err;
	}
	/* now becomes the base; the old base (unless it is the zero point) is reused */
	next = t->base == t->first ? t->spare : t->base;
	t->base = t->now;
	t->now = next;
	return 0;
}

static int on_interval(void *ctx)
{
	return interval(ctx);
}

/*
 * The whole run: the last reading minus the zero point, so that it is
 * exactly the sum of the intervals printed, with every interval's extremes.
 */
static int summarise(struct trace_run *t)
{
	unsigned int i;
	int err = snapshot__delta(t->out, t->base, t->first);

	if (err) {
		report_error("cannot read BPF maps: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < t->out->nr_hists; i++) {
		t->out->hists[i].min = t->run->hists[i].min;
		t->out->hists[i].max = t->run->hists[i].max;
		t->out->hists[i].has_extrema = t->run->hists[i].has_extrema;
	}
	if ((err = emit(t, t->out, true)))
		report_error("cannot write the summary: %s", strerror(-err));
	return err;
}

static int parse_targets(const struct env *env, struct target_spec *specs)
{
	char err[512];
	int i;

	for (i = 0; i < env->nr_args; i++) {
		if (target_spec__parse(env->args[i], &specs[i], err, sizeof(err))) {
			report_error("%s", err);
			return -EINVAL;
		}
		if (env->cmd == CMD_LAT && specs[i].kind == TARGET_USDT) {
			report_error("%s: a USDT probe is a point, not a call: 'lat' needs a function "
				     "(count its hits with 'count'; time one probe to another with a "
				     "paired op: synctrace watch --op 'NAME usdt:PROV:START(ID) -> "
				     "usdt:PROV:DONE(ID)')", env->args[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int build_plan(const struct env *env, const struct target_spec *specs,
		      struct trace_plan *plan)
{
	struct resolver *r = resolver__new(env->pid);
	char err[1024];
	int i, rc = 0;

	if (!r)
		return -ENOMEM;
	resolver__set_placement(r, !env->no_placement);
	for (i = 0; i < env->nr_args && !rc; i++) {
		rc = resolver__add(r, &specs[i], plan, err, sizeof(err));
		if (rc)
			report_error("%s", err);
	}
	resolver__free(r);
	if (!rc)
		trace_plan__finish(plan);
	/* lat arms a return at the entry: no skipped instruction may move rsp */
	for (i = 0; !rc && i < (int)plan->nr_sites; i++)
		placement__apply(&plan->sites[i], env->cmd == CMD_LAT ? PLACE_NEEDS_RETURN : 0);
	return rc;
}

/* Refusals about one function's code, which a glob can step past. */
static bool function_refusal(int rc)
{
	return rc == -ENOTSUP || rc == -EILSEQ || rc == -E2BIG || rc == -ENODATA || rc == -ENOENT;
}

/*
 * One pass over the plan's functions: rp decides how each one's returns
 * are seen; a site timed at its rets carries its rp_site in its cookie, as
 * do its exits. The first refusal is in msg, the refused sites marked.
 */
static int plan_pass(struct trace_plan *plan, struct ret_plan *rp, bool *refused,
		     size_t *nr_refused, char *msg, size_t len)
{
	char why[1024];
	size_t i, first_exit;
	__u32 info;
	int rc;

	*nr_refused = 0;
	for (i = 0; i < plan->nr_sites; i++) {
		struct probe_site *site = &plan->sites[i];

		first_exit = rp->nr_exits;
		rc = ret_plan__add(rp, site, &info, why, sizeof(why));
		if (function_refusal(rc)) {
			if (!(*nr_refused)++)
				snprintf(msg, len, "%s", why);
			refused[i] = true;
			continue;
		}
		if (rc < 0) {
			snprintf(msg, len, "%s", why);
			return rc;
		}
		if (rc != RET_USE_PROBES)
			continue;
		site->cookie = COOKIE_ID(site->cookie) | ((__u64)info + 1) << 32;
		for (; first_exit < rp->nr_exits; first_exit++) {
			struct ret_plan_exit *x = &rp->exits[first_exit];

			x->site.cookie = COOKIE_ID(site->cookie) | ((__u64)x->info + 1) << 32;
		}
	}
	return 0;
}

/*
 * lat: how each function's returns are seen (loader/ret_plan.h): a
 * uretprobe, or probes on its ret instructions (always in Go and OCaml
 * files). A function whose returns cannot be found is an error alone, a
 * warning among several (the others are traced).
 */
static int plan_returns(const struct env *env, struct trace_plan *plan, struct ret_plan **out)
{
	struct ret_plan *rp = ret_plan__new(env->returns);
	bool *refused = calloc(plan->nr_sites + 1, sizeof(*refused));
	size_t nr_refused = 0, i, n = 0;
	char msg[1024] = "";
	int rc = -ENOMEM;

	if (!rp || !refused)
		goto cleanup;
	if ((rc = trace_plan__check_entries(plan, msg, sizeof(msg)))) {
		report_error("lat on %s; use count", msg);
		goto cleanup;
	}
	rc = plan_pass(plan, rp, refused, &nr_refused, msg, sizeof(msg));
	if (rc == -EINVAL) {
		report_error("lat on %s; --returns=auto probes its ret instructions instead", msg);
		goto cleanup;
	}
	if (rc) {
		report_error("%s", msg);
		goto cleanup;
	}
	if (nr_refused && nr_refused == plan->nr_sites) {
		report_error("cannot time %s%s", msg, nr_refused > 1 ? " (and every other match)" : "");
		rc = -ENOTSUP;
		goto cleanup;
	}
	if (nr_refused) {
		if (nr_refused > 1)
			fprintf(stderr, "synctrace: warning: cannot time %s; not traced, nor %zu "
				"other matching function%s\n", msg, nr_refused - 1,
				nr_refused > 2 ? "s" : "");
		else
			fprintf(stderr, "synctrace: warning: cannot time %s; not traced\n", msg);
		for (i = 0; i < plan->nr_sites; i++)
			if (!refused[i])
				plan->sites[n++] = plan->sites[i];
		plan->nr_sites = n;
		for (i = 0; i < n; i++)	/* the point indexes again, for the renumbering */
			plan->sites[i].cookie = COOKIE_ID(plan->sites[i].cookie);
		trace_plan__finish(plan);
		ret_plan__free(rp);
		rp = ret_plan__new(env->returns);
		memset(refused, 0, (plan->nr_sites + 1) * sizeof(*refused));
		rc = rp ? plan_pass(plan, rp, refused, &nr_refused, msg, sizeof(msg)) : -ENOMEM;
		if (rc)
			goto cleanup;
	}
	*out = rp;
	rp = NULL;
cleanup:
	if (rc == -ENOMEM)
		report_error("out of memory");
	ret_plan__free(rp);
	free(refused);
	return rc;
}

/* lat's histograms are per CPU: a glob over thousands of functions on many CPUs is big. */
static int check_memory(const struct env *env, const struct trace_plan *plan,
			const struct ret_plan *rp)
{
	enum session_mode mode = env->cmd == CMD_LAT ? SESSION_LAT : SESSION_COUNT;
	unsigned long long bytes = session__memory(mode, (unsigned int)plan->nr_points, rp);
	char b[2][32];

	if (bytes <= map_budget())
		return EXIT_OK;
	report_error("%s on %zu functions would take %s of kernel memory (%s), over the budget "
		     "of %s: narrow the targets (SYNCTRACE_MAP_BUDGET_MB sets the budget)",
		     env->cmd == CMD_LAT ? "lat" : "count", plan->nr_points,
		     format_bytes(b[0], sizeof(b[0]), bytes),
		     mode == SESSION_LAT ? "a histogram per function per CPU" : "counters",
		     format_bytes(b[1], sizeof(b[1]), map_budget()));
	return EXIT_USAGE;
}

/* A glob over a big library meets instructions uprobes cannot handle. */
static void warn_skipped(const struct session *s, const struct trace_plan *plan, bool verbose)
{
	const struct probe_site *sites;
	size_t n = session__skipped(s, &sites), i;

	for (i = 0; verbose && i < n; i++)	/* -v: each of them */
		fprintf(stderr, "synctrace: not traced: %s (the kernel cannot probe it)\n",
			plan->points[sites[i].cookie].op);
	if (n == 1)
		fprintf(stderr, "synctrace: warning: the kernel cannot probe %s; not traced\n",
			plan->points[sites[0].cookie].op);
	else if (n > 1)
		fprintf(stderr, "synctrace: warning: the kernel cannot probe %zu sites (%s, ...); not traced\n",
			n, plan->points[sites[0].cookie].op);
}

static void announce(const struct env *env, const struct trace_plan *plan)
{
	size_t i, nusdt = 0, nfunc;
	char where[600];

	for (i = 0; i < plan->nr_points; i++)
		nusdt += plan->points[i].usdt;
	nfunc = plan->nr_points - nusdt;
	if (env->pid)
		snprintf(where, sizeof(where), "pid %d%s", env->pid,
			 env->children ? " and its descendants" : "");
	else if (plan->nr_paths == 1)
		snprintf(where, sizeof(where), "every process running %s", plan->paths[0]);
	else
		snprintf(where, sizeof(where), "every process running those %zu files",
			 plan->nr_paths);
	fprintf(stderr, "Tracing ");
	if (nfunc)
		fprintf(stderr, "%zu function%s", nfunc, nfunc == 1 ? "" : "s");
	if (nusdt)
		fprintf(stderr, "%s%zu USDT probe%s", nfunc ? " and " : "", nusdt,
			nusdt == 1 ? "" : "s");
	fprintf(stderr, " in %s... Ctrl-C to end.\n", where);
}

/* lat fills histograms, count fills counters: n rows of one or the other. */
static int alloc_snapshots(struct trace_run *t, bool lat, unsigned int n)
{
	struct snapshot **all[] = { &t->first, &t->now, &t->spare, &t->run, &t->out };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		*all[i] = t->owned[i] = snapshot__new(lat ? n : 0, lat ? 0 : n);
		if (!*all[i])
			return -ENOMEM;
	}
	return 0;
}

/* The zero point: what the kernel recorded before now belongs to no interval. */
static int zero_point(struct trace_run *t)
{
	int err = drain__read(&t->maps, t->first);

	if (err)
		report_error("cannot read BPF maps: %s", strerror(-err));
	t->base = t->first;
	return err;
}

/*
 * Everything after the plan: outputs, load, attach, loop, summary. Returns
 * 0 with *code the exit code the outputs ask for, or -errno.
 */
static int trace(const struct env *env, const struct trace_plan *plan, struct ret_plan *rp,
		 int pidfd, int *code)
{
	struct trace_run t = { .env = env, .plan = plan };
	struct run_info run = { 0 };
	unsigned int n = (unsigned int)plan->nr_points;
	bool lat = env->cmd == CMD_LAT;
	struct loop_hooks hooks = { .on_interval = on_interval, .ctx = &t };
	struct follow_tree follow = { 0 };
	struct session *s = NULL;
	enum loop_end end;
	char err[512];
	size_t i, moved;
	int rc = 0;

	if (!(t.rows = calloc(n ? n : 1, sizeof(*t.rows)))) {
		report_error("out of memory");
		return -ENOMEM;
	}
	run_outputs__binaries(&run, env, plan->sites, plan->nr_sites);
	if ((*code = run_outputs__open(&t.outputs, env, &run, FRAME_CALLS))) {
		run_outputs__free_run(&run);
		free(t.rows);
		return 0;
	}
	/* with children, the probes go on every process and the kernel keeps pid's tree */
	if (env->pid && env->children)
		rc = follow_tree__init(&follow, env->pid, err, sizeof(err));
	if (!rc)
		rc = session__open(&s, lat ? SESSION_LAT : SESSION_COUNT, n, &follow, rp, err,
				   sizeof(err));
	if (!rc)
		rc = session__attach(s, plan, env->children ? 0 : env->pid, err, sizeof(err));
	if (rc) {
		report_error("%s", err);
		goto cleanup;
	}
	warn_skipped(s, plan, env->verbose);
	if (env->verbose) {
		fprintf(stderr, "synctrace: %zu sites, %zu %s links\n", plan->nr_sites,
			session__nr_links(s), session__link_kind(s));
		for (i = 0, moved = 0; i < plan->nr_sites; i++)
			moved += plan->sites[i].placed != 0;
		fprintf(stderr, "synctrace: placement: %zu of %zu entry probes moved off a "
			"single-stepped first instruction%s\n", moved, plan->nr_sites,
			env->no_placement ? " (off)" : "");
		if (rp)
			ret_plan__describe(rp, stderr);
	}
	session__maps(s, &t.maps);
	t.probes_attached = (unsigned int)session__nr_links(s);
	if ((rc = alloc_snapshots(&t, lat, n)))
		goto cleanup;
	if ((rc = zero_point(&t)))
		goto cleanup;

	announce(env, plan);
	end = loop_run(run_outputs__interval_s(env), env->duration_s, pidfd, &hooks);
	if (end == LOOP_ERROR) {
		rc = -EIO;
		goto cleanup;
	}
	if (end == LOOP_PID_EXIT)
		fprintf(stderr, "synctrace: pid %d exited\n", env->pid);
	if (!(rc = interval(&t)))
		rc = summarise(&t);
cleanup:
	*code = outputs__close(&t.outputs);
	run_outputs__free_run(&run);
	for (i = 0; i < sizeof(t.owned) / sizeof(t.owned[0]); i++)
		snapshot__free(t.owned[i]);
	session__free(s);
	free(t.rows);
	return rc;
}

int cmd_trace(const struct env *env)
{
	struct target_spec specs[MAX_TARGETS];
	struct trace_plan plan = {};
	struct ret_plan *rp = NULL;
	int i, pidfd = -1, rc, code = EXIT_OK;

	memset(specs, 0, sizeof(specs));
	if (parse_targets(env, specs)) {
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if ((rc = prepare_to_trace(env, &pidfd)))
		goto cleanup;
	rc = build_plan(env, specs, &plan);
	if (!rc && env->cmd == CMD_LAT)
		rc = plan_returns(env, &plan, &rp);
	if (rc) {
		rc = rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto cleanup;
	}
	if ((rc = check_memory(env, &plan, rp)))
		goto cleanup;
	loop_block_signals();
	rc = trace(env, &plan, rp, pidfd, &code) ? EXIT_RUNTIME : code;
cleanup:
	ret_plan__free(rp);
	if (pidfd >= 0)
		close(pidfd);
	trace_plan__free(&plan);
	for (i = 0; i < env->nr_args; i++)
		target_spec__free(&specs[i]);
	return rc;
}
