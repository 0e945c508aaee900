// SPDX-License-Identifier: MIT
/*
 * `watch`: ops from --op lines and --ops files, compiled, attached, drained
 * each interval; NDJSON or a plain table. One-call and count-only ops on
 * functions so far (docs/OPS-KERNEL.md has the rest of the plan).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli/commands.h"
#include "cli/loop.h"
#include "cli/ops_compile.h"
#include "cli/report.h"
#include "loader/ops_session.h"
#include "maps/ops_drain.h"

struct watch_run {
	const struct env *env;
	const struct ops_program *prog;
	struct ops_maps maps;
	struct op_table prev;
	uint64_t start_ns;	/* when tracing started, for the summary */
};

static json_object *dist_json(const struct histogram *h, bool with_extrema,
			      uint64_t min, uint64_t max)
{
	json_object *o = json_object_new_object();
	int i;

	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "sum", json_object_new_uint64(h->sum));
	json_object_object_add(o, "mean", json_object_new_double(round(hist_mean(h) * 10) / 10));
	for (i = 0; i < NR_PCTS; i++)
		json_object_object_add(o, report_pct_names[i], json_object_new_uint64(
			(uint64_t)llround(hist_percentile(h, report_pcts[i]))));
	if (with_extrema && h->count) {
		json_object_object_add(o, "min", json_object_new_uint64(min));
		json_object_object_add(o, "max", json_object_new_uint64(max));
	}
	return o;
}

static json_object *row_json(const struct watch_run *w, const struct op_row *r, bool summary)
{
	const struct op_spec *spec = w->prog->specs[r->key.op];
	const struct op_cfg *cfg = &w->prog->cfgs[r->key.op];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(spec->name));
	if (cfg->flags & OPF_LABEL)
		json_object_object_add(o, "label", json_object_new_int64((int64_t)r->key.label));
	json_object_object_add(o, "count", json_object_new_uint64(r->calls));
	if (cfg->flags & OPF_ERROR) {
		json_object_object_add(o, "errors", json_object_new_uint64(r->errors));
		json_object_object_add(o, "error_rate", json_object_new_double(
			r->calls ? round((double)r->errors / (double)r->calls * 1e4) / 1e4 : 0));
	}
	if (cfg->flags & OPF_VALUE)
		json_object_object_add(o, "value", dist_json(&r->value, summary,
							    r->value_min, r->value_max));
	if (cfg->flags & OPF_LATENCY)
		json_object_object_add(o, "latency_ns", dist_json(&r->lat, false, 0, 0));
	return o;
}

static void emit_json(const struct watch_run *w, const struct op_table *t, bool summary)
{
	json_object *root = json_object_new_object(), *ops = json_object_new_array();
	json_object *drops = json_object_new_object();
	struct timespec now;
	char when[64];
	struct tm tm;
	size_t i, n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - n, ".%03ldZ", now.tv_nsec / 1000000);
	json_object_object_add(root, "time", json_object_new_string(when));
	json_object_object_add(root, "interval_s", json_object_new_double(
		round((double)t->time_ns / 1e6) / 1e3));
	for (i = 0; i < t->nr_rows; i++)
		json_object_array_add(ops, row_json(w, &t->rows[i], summary));
	json_object_object_add(root, "ops", ops);
	for (i = 0; i < OPD_NR; i++)
		json_object_object_add(drops, op_drop_name(i), json_object_new_uint64(t->drops[i]));
	json_object_object_add(root, "drops", drops);
	if (summary)
		json_object_object_add(root, "summary", json_object_new_boolean(1));
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(root);
}

static void emit_text(const struct watch_run *w, const struct op_table *t, bool summary)
{
	size_t i;

	printf("\n%s (%.1f s)\n%-20s %12s %10s %8s %14s %10s %10s\n",
	       summary ? "== summary" : "--", (double)t->time_ns / 1e9, "OP [LABEL]", "COUNT",
	       "ERRORS", "ERR%", "VALUE SUM", "P50 us", "P99 us");
	for (i = 0; i < t->nr_rows; i++) {
		const struct op_row *r = &t->rows[i];
		const struct op_cfg *cfg = &w->prog->cfgs[r->key.op];
		char name[64];

		snprintf(name, sizeof(name), cfg->flags & OPF_LABEL ? "%s [%lld]" : "%s",
			 w->prog->specs[r->key.op]->name, (long long)r->key.label);
		printf("%-20s %12llu %10llu %7.2f%% %14llu %10.1f %10.1f\n", name,
		       (unsigned long long)r->calls, (unsigned long long)r->errors,
		       r->calls ? 100.0 * (double)r->errors / (double)r->calls : 0.0,
		       (unsigned long long)r->value_sum, hist_percentile(&r->lat, 0.5) / 1e3,
		       hist_percentile(&r->lat, 0.99) / 1e3);
	}
	fflush(stdout);
}

static int drain_and_emit(struct watch_run *w, bool summary, bool print)
{
	struct op_table now, delta;
	int rc = op_table__read(&w->maps, &now);

	if (!rc && print && !summary)
		rc = op_table__delta(&delta, &now, &w->prev);
	if (rc) {
		report_error("cannot read BPF maps: %s", strerror(-rc));
		op_table__free(&now);
		return rc;
	}
	if (print) {
		const struct op_table *t = summary ? &now : &delta;

		if (summary)
			now.time_ns -= w->start_ns;	/* the summary covers the whole run */
		(w->env->json ? emit_json : emit_text)(w, t, summary);
		if (!summary)
			op_table__free(&delta);
	}
	if (!summary) {
		op_table__free(&w->prev);
		w->prev = now;
	} else {
		op_table__free(&now);
	}
	return 0;
}

static int on_interval(void *ctx)
{
	return drain_and_emit(ctx, false, true);
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

static int parse_ops(const struct env *env, struct ops_file *f)
{
	char err[1024];
	int i, rc = 0;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < env->nr_ops_files && !rc; i++)
		rc = ops_parse_file(f, env->ops_files[i], err, sizeof(err));
	for (i = 0; i < env->nr_ops && !rc; i++)
		rc = parse_op_arg(f, env->ops[i], i + 1, err, sizeof(err));
	if (rc)
		report_error("%s", err);
	else if (!f->nr_ops && !f->nr_states && !(rc = -EINVAL))
		report_error("no op in the given ops");
	return rc;
}

static int run(const struct env *env, const struct ops_program *prog, int pidfd)
{
	struct watch_run w = { .env = env, .prog = prog };
	struct loop_hooks hooks = { on_interval, &w };
	struct ops_session *s = NULL;
	char err[512];
	size_t i;
	int rc;

	rc = ops_session__open(&s, (unsigned int)prog->nr_ops * 257, err, sizeof(err));
	for (i = 0; !rc && i < prog->nr_ops; i++)
		rc = ops_session__configure(s, (unsigned int)i, &prog->cfgs[i]);
	if (!rc)
		rc = ops_session__attach(s, prog->sites, prog->nr_sites, env->pid, err, sizeof(err));
	if (rc) {
		report_error("%s", err);
		goto cleanup;
	}
	ops_session__maps(s, &w.maps);
	if ((rc = drain_and_emit(&w, false, false)))
		goto cleanup;
	w.start_ns = w.prev.time_ns;
	fprintf(stderr, "Tracing %zu op%s (%zu sites)%s... Ctrl-C to end.\n", prog->nr_ops,
		prog->nr_ops == 1 ? "" : "s", prog->nr_sites, env->pid ? " in one process" : "");
	if (loop_run(env->interval_s, env->duration_s, pidfd, &hooks) == LOOP_PID_EXIT)
		fprintf(stderr, "synctrace: pid %d exited\n", env->pid);
	if (env->interval_s > 0)
		drain_and_emit(&w, false, true);
	rc = drain_and_emit(&w, true, true);
cleanup:
	op_table__free(&w.prev);
	ops_session__free(s);
	return rc;
}

int cmd_watch(const struct env *env)
{
	struct ops_program prog = {};
	struct ops_file f;
	int pidfd = -1, rc;
	char err[1024];

	if (parse_ops(env, &f)) {
		ops_file__free(&f);
		return EXIT_USAGE;
	}
	if ((rc = prepare_to_trace(env, &pidfd)))
		goto cleanup;
	rc = ops_compile(&f, env->pid, &prog, err, sizeof(err));
	if (rc) {
		report_error("%s", err);
		rc = rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto cleanup;
	}
	loop_block_signals();
	rc = run(env, &prog, pidfd) ? EXIT_RUNTIME : EXIT_OK;
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	ops_program__free(&prog);
	ops_file__free(&f);
	return rc;
}
