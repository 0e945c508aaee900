// SPDX-License-Identifier: MIT
/* `lat` and `count`: resolve, load, attach, drain each interval, summarise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/loop.h"
#include "cli/report.h"
#include "loader/lang_runtime.h"
#include "loader/target_spec.h"
#include "loader/resolve.h"
#include "loader/session.h"

struct trace_run {
	const struct env *env;
	const struct trace_plan *plan;
	struct drain_maps maps;
	struct snapshot *prev, *now, *delta, *run;
};

static void emit(const struct trace_run *t, const struct snapshot *s,
		 double secs, bool summary)
{
	struct report r = {
		.plan = t->plan, .snap = s, .lat = t->env->cmd == CMD_LAT,
		.summary = summary, .interval_s = secs, .unit = t->env->unit,
	};

	clock_gettime(CLOCK_REALTIME, &r.wall);
	if (t->env->json)
		report_json(stdout, &r);
	else
		report_text(stdout, &r);
}

/* Drain, and print the interval since the previous drain if asked. */
static int interval(struct trace_run *t, bool print)
{
	struct snapshot *tmp;
	int err = drain__read(&t->maps, t->now);

	if (err) {
		report_error("cannot read BPF maps: %s", strerror(-err));
		return err;
	}
	snapshot__delta(t->delta, t->now, t->prev);
	snapshot__fold_extrema(t->run, t->delta);
	if (print)
		emit(t, t->delta, (double)t->delta->time_ns / 1e9, false);
	tmp = t->prev;
	t->prev = t->now;
	t->now = tmp;
	return 0;
}

static int on_interval(void *ctx)
{
	return interval(ctx, true);
}

/* The whole run: the last totals, with the extremes of every interval. */
static void summarise(struct trace_run *t, uint64_t start_ns)
{
	const struct snapshot *last = t->prev;
	unsigned int i;

	for (i = 0; i < last->nr_hists; i++) {
		struct histogram *h = &t->run->hists[i];

		memcpy(h->buckets, last->hists[i].buckets, sizeof(h->buckets));
		h->sum = last->hists[i].sum;
		h->count = last->hists[i].count;
	}
	memcpy(t->run->counts, last->counts, last->nr_counts * sizeof(*last->counts));
	memcpy(t->run->drops, last->drops, sizeof(last->drops));
	emit(t, t->run, (double)(last->time_ns - start_ns) / 1e9, true);
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
				     "(use 'count' for probe hits; latency between two probes arrives with ops)",
				     env->args[i]);
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
	for (i = 0; i < env->nr_args && !rc; i++) {
		rc = resolver__add(r, &specs[i], plan, err, sizeof(err));
		if (rc)
			report_error("%s", err);
	}
	resolver__free(r);
	if (!rc)
		trace_plan__finish(plan);
	return rc;
}

/* lat times a call to its return: not where a return probe would crash the program. */
static int check_returns(const struct env *env, const struct trace_plan *plan)
{
	char msg[1024];
	int rc;

	if (env->cmd != CMD_LAT)
		return 0;
	rc = lang_runtime__check_returns(NULL, plan, msg, sizeof(msg));
	if (rc == -EINVAL)
		report_error("lat on %s; use count, or a watch op that needs no return (count, "
			     "or A -> B paired by key at entries)", msg);
	else if (rc)
		report_error("%s", msg);
	return rc;
}

/* A glob over a big library meets instructions uprobes cannot handle. */
static void warn_skipped(const struct session *s, const struct trace_plan *plan)
{
	const struct probe_site *sites;
	size_t n = session__skipped(s, &sites);

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
		snprintf(where, sizeof(where), "pid %d", env->pid);
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
	struct snapshot **all[] = { &t->prev, &t->now, &t->delta, &t->run };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		*all[i] = snapshot__new(lat ? n : 0, lat ? 0 : n);
		if (!*all[i])
			return -ENOMEM;
	}
	return 0;
}

/* Everything after the plan: load, attach, loop, summary. */
static int trace(const struct env *env, const struct trace_plan *plan, int pidfd)
{
	struct trace_run t = { .env = env, .plan = plan };
	unsigned int n = (unsigned int)plan->nr_points;
	bool lat = env->cmd == CMD_LAT;
	struct loop_hooks hooks = { .on_interval = on_interval, .ctx = &t };
	struct session *s = NULL;
	enum loop_end end;
	uint64_t start_ns;
	char err[512];
	int rc;

	rc = session__open(&s, lat ? SESSION_LAT : SESSION_COUNT, n, err, sizeof(err));
	if (!rc)
		rc = session__attach(s, plan, env->pid, err, sizeof(err));
	if (rc) {
		report_error("%s", err);
		goto cleanup;
	}
	warn_skipped(s, plan);
	if (env->verbose)
		fprintf(stderr, "synctrace: %zu sites, %zu %s links\n", plan->nr_sites,
			session__nr_links(s), session__link_kind(s));
	session__maps(s, &t.maps);
	if ((rc = alloc_snapshots(&t, lat, n)))
		goto cleanup;
	/* the zero point: anything recorded before now is a different run */
	if ((rc = interval(&t, false)))
		goto cleanup;
	start_ns = t.prev->time_ns;

	announce(env, plan);
	end = loop_run(env->interval_s, env->duration_s, pidfd, &hooks);
	if (end == LOOP_ERROR) {
		rc = -EIO;
		goto cleanup;
	}
	if (end == LOOP_PID_EXIT)
		fprintf(stderr, "synctrace: pid %d exited\n", env->pid);
	if (!(rc = interval(&t, env->interval_s > 0)))
		summarise(&t, start_ns);
cleanup:
	snapshot__free(t.prev);
	snapshot__free(t.now);
	snapshot__free(t.delta);
	snapshot__free(t.run);
	session__free(s);
	return rc;
}

int cmd_trace(const struct env *env)
{
	struct target_spec specs[MAX_TARGETS];
	struct trace_plan plan = {};
	int i, pidfd = -1, rc;

	memset(specs, 0, sizeof(specs));
	if (parse_targets(env, specs)) {
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if ((rc = prepare_to_trace(env, &pidfd)))
		goto cleanup;
	rc = build_plan(env, specs, &plan);
	if (!rc)
		rc = check_returns(env, &plan);
	if (rc) {
		rc = rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto cleanup;
	}
	loop_block_signals();
	rc = trace(env, &plan, pidfd) ? EXIT_RUNTIME : EXIT_OK;
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	trace_plan__free(&plan);
	for (i = 0; i < env->nr_args; i++)
		target_spec__free(&specs[i]);
	return rc;
}
