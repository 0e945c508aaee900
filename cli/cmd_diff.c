// SPDX-License-Identifier: MIT
/*
 * `synctrace diff BASE NEW`: each op's change per metric between two runs'
 * summaries, judged against thresholds: exit 0 ok, 1 warn, 3 fail (2: usage,
 * or an input that cannot be read). What "worse" means per metric is in
 * README.md ("diff and --assert: gates for CI").
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli/commands.h"
#include "output/record_read.h"
#include "output/summary_read.h"
#include "output/text_safe.h"

#define EXIT_WARN 1
#define EXIT_FAIL 3
#define MAX_METRICS 16

enum verdict { VERDICT_NONE, VERDICT_OK, VERDICT_WARN, VERDICT_FAIL };

static const char *const verdict_names[] = { "-", "ok", "warn", "fail" };

struct diff_env {
	const char *base, *new;
	double warn, fail;		/* latency, errors, timeouts: a relative rise */
	double rate_warn, rate_fail;	/* rate: a relative drop */
	double error_warn, error_fail;	/* error_rate: a rise in percentage points */
	struct metric_ref metrics[MAX_METRICS];
	int nr_metrics;
	bool json;
};

enum { OPT_WARN = 0x200, OPT_FAIL, OPT_RATE_WARN, OPT_RATE_FAIL, OPT_ERROR_WARN,
       OPT_ERROR_FAIL, OPT_METRIC, OPT_JSON };

static const struct argp_option options[] = {
	{ "warn", OPT_WARN, "PCT", 0, "Warn when a latency (or errors, timeouts) rises this much (default 20%)", 0 },
	{ "fail", OPT_FAIL, "PCT", 0, "Fail when a latency (or errors, timeouts) rises this much (default 50%)", 0 },
	{ "rate-warn", OPT_RATE_WARN, "PCT", 0, "Warn when the rate (calls/s) drops this much (default 20%)", 0 },
	{ "rate-fail", OPT_RATE_FAIL, "PCT", 0, "Fail when the rate (calls/s) drops this much (default 40%)", 0 },
	{ "error-warn", OPT_ERROR_WARN, "POINTS", 0, "Warn when error_rate rises this many percentage points (default 1)", 0 },
	{ "error-fail", OPT_ERROR_FAIL, "POINTS", 0, "Fail when error_rate rises this many percentage points (default 5)", 0 },
	{ "metric", OPT_METRIC, "LIST", 0, "Metrics compared (default p95,p99,error_rate,rate): count, rate, errors, error_rate, timeouts, p50, p90, p95, p99, p999, min, max, mean, value.p95...", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object on stdout instead of the table", 0 },
	{},
};

static const char doc[] =
"Compare two runs: each op's change per metric, a verdict per op and overall.\n"
"Exit 0: ok; 1: a warning; 3: a failure; 2: bad usage or an unreadable input.\n"
"\n"
"BASE and NEW are summaries: the output of lat, count or watch --json (its\n"
"last \"summary\": true line is read; '-' reads stdin), or recordings (--record)\n"
"whole or in part: FILE.db, FILE.db@phase=NAME, FILE.db@since=TIME,until=TIME\n"
"(TIME as report takes it: '10 min ago', '2026-12-05T10:00:00Z', '@SECONDS').\n"
"\n"
"Examples:\n"
"  synctrace diff base.json new.json\n"
"  synctrace diff run.db@phase=baseline run.db@phase=stress\n"
"  synctrace diff yesterday.db 'today.db@since=10 min ago'\n"
"  synctrace diff base.json new.json --warn 10% --fail 25% --metric p99\n"
"  synctrace diff base.json new.json --json\n";

/* "20%" or "20": a percentage > 0, as a fraction (or points: as given). */
static int parse_pct(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || !isfinite(v) || !(v > 0) || v > 1e6 ||
	    (*end && strcmp(end, "%")) || (*arg < '0' || *arg > '9'))
		return -EINVAL;
	*out = v / 100;
	return 0;
}

static int parse_metrics(struct diff_env *env, const char *arg)
{
	const char *p = arg;

	env->nr_metrics = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		struct metric_ref r = { 0 };
		const char *name = p;

		if (n > 6 && !strncmp(p, "value.", 6)) {
			r.value = true;
			name += 6;
			n -= 6;
		}
		if (env->nr_metrics == MAX_METRICS || metric_parse(name, n, &r.m) ||
		    (r.value && !metric_is_dist(r.m)))
			return -EINVAL;
		env->metrics[env->nr_metrics++] = r;
		p = name + n;
		if (*p == ',' && *++p == '\0')
			return -EINVAL;
	}
	return env->nr_metrics ? 0 : -EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct diff_env *env = state->input;
	double *pct = key == OPT_WARN ? &env->warn : key == OPT_FAIL ? &env->fail :
		      key == OPT_RATE_WARN ? &env->rate_warn : key == OPT_RATE_FAIL ?
		      &env->rate_fail : key == OPT_ERROR_WARN ? &env->error_warn :
		      key == OPT_ERROR_FAIL ? &env->error_fail : NULL;

	if (pct) {
		if (parse_pct(arg, pct))
			argp_error(state, "invalid threshold '%s': expected a percentage > 0 (20%%)",
				   arg);
		return 0;
	}
	switch (key) {
	case OPT_METRIC:
		if (parse_metrics(env, arg))
			argp_error(state, "invalid --metric '%s': expected names from count, rate, "
				   "errors, error_rate, timeouts, p50, p90, p95, p99, p999, min, max, "
				   "mean, value.<p95...>, comma-separated", arg);
		break;
	case OPT_JSON:
		env->json = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0)
			env->base = arg;
		else if (state->arg_num == 1)
			env->new = arg;
		else
			argp_error(state, "diff takes two summaries, BASE and NEW");
		break;
	case ARGP_KEY_END:
		if (!env->new)
			argp_error(state, "diff needs two summaries, BASE and NEW");
		if (env->warn >= env->fail || env->rate_warn >= env->rate_fail ||
		    env->error_warn >= env->error_fail)
			argp_error(state, "each --*warn must be below its --*fail");
		if (env->rate_fail >= 1)
			argp_error(state, "--rate-fail is a drop: below 100%%");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* A recording (SQLite) rather than NDJSON: its first 16 bytes. */
static bool is_recording(FILE *f)
{
	char magic[16];
	bool yes = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
		   !memcmp(magic, "SQLite format 3", sizeof(magic));

	rewind(f);
	return yes;
}

/* An output that keeps the replayed summary's ops (the intervals are not needed). */
struct collector {
	struct output base;
	struct op_set *set;
	int err;
};

static int collect_frame(struct output *o, const struct output_frame *f)
{
	struct collector *c = (struct collector *)o;

	if (f->summary && !c->err)
		c->err = op_set__from_frame(c->set, f);
	return c->err;
}

static int collect_close(struct output *o)
{
	return 0;	/* on the stack */
}

static const struct output_ops collector_ops = {
	.name = "diff", .frame = collect_frame, .close = collect_close,
};

/* "phase=NAME,since=TIME,until=TIME" (any of them) into range. 0 or -EINVAL. */
static int parse_range(char *spec, struct record_range *range, char *err, size_t len)
{
	char *item, *save = NULL;
	int64_t now_ns = record_time_now();

	for (item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (!strncmp(item, "phase=", 6) && item[6]) {
			range->phase = item + 6;
		} else if (!strncmp(item, "since=", 6)) {
			if (record_parse_time(item + 6, now_ns, &range->since_ns))
				goto bad_time;
		} else if (!strncmp(item, "until=", 6)) {
			if (record_parse_time(item + 6, now_ns, &range->until_ns))
				goto bad_time;
		} else {
			snprintf(err, len, "'%.60s': expected phase=NAME, since=TIME or until=TIME",
				 item);
			return -EINVAL;
		}
	}
	return 0;
bad_time:
	snprintf(err, len, "'%.60s': not a time ('10 min ago', '2026-12-05T10:00:00Z', "
		 "'@SECONDS')", item);
	return -EINVAL;
}

/* FILE.db[@RANGE]: the summary of that range, replayed from the stored buckets. */
static int load_recording(const char *spec, struct op_set *s, const char *safe)
{
	struct collector c = { .base.ops = &collector_ops, .set = s };
	struct outputs outs = { .v = { &c.base }, .nr = 1 };
	struct record_range range = { .hide_intervals = true };
	struct record_reader *r = NULL;
	char *path = strdup(spec), *at, err[512] = "";
	int rc = -ENOMEM;

	if (!path) {
		report_error("out of memory");
		goto cleanup;
	}
	/* the whole text first: a file may have '@' in its name */
	at = access(path, F_OK) ? strchr(path, '@') : NULL;
	if (at) {
		*at = '\0';
		if ((rc = parse_range(at + 1, &range, err, sizeof(err)))) {
			report_error("%s: %s", safe, err);
			goto cleanup;
		}
	}
	/* the reader's reasons name the file */
	if ((rc = record_reader__open(&r, path, err, sizeof(err))) ||
	    (rc = record_reader__replay(r, &range, &outs, err, sizeof(err))))
		report_error("%s", err);
	else if ((rc = c.err))
		report_error("%s: %s", safe, strerror(-rc));
cleanup:
	record_reader__free(r);
	free(path);
	return rc ? EXIT_USAGE : EXIT_OK;
}

/* One side into s; an exit code (the reason said). */
static int load(const char *spec, struct op_set *s)
{
	FILE *f = strcmp(spec, "-") ? fopen(spec, "r") : stdin;
	char err[512], safe[PATH_TEXT_MAX];
	int rc;

	text_safe(safe, sizeof(safe), spec, 200);
	if (!f && strchr(spec, '@'))
		return load_recording(spec, s, safe);
	if (!f) {
		report_error("%s: %s", safe, strerror(errno));
		return EXIT_USAGE;
	}
	if (f != stdin && is_recording(f)) {
		fclose(f);
		return load_recording(spec, s, safe);
	}
	rc = op_set__read_ndjson(s, f, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (rc == -EINVAL)
		report_error("%s: %s", safe, err);
	else if (rc)
		report_error("%s: %s", safe, strerror(-rc));
	return rc ? EXIT_USAGE : EXIT_OK;
}

struct judged {
	bool has_base, has_new;
	double base, new, change;	/* change: relative, or points for error_rate */
	enum verdict v;
};

/* Up is worse for latency, errors and timeouts; down for rate; error_rate in points. */
static void judge(const struct diff_env *env, struct metric_ref r, struct judged *j)
{
	double up_warn = env->warn, up_fail = env->fail;

	j->v = VERDICT_NONE;
	if (!j->has_base || !j->has_new)
		return;
	if (r.m == METRIC_ERROR_RATE) {
		j->change = (j->new - j->base) * 100;
		j->v = j->change >= env->error_fail * 100 ? VERDICT_FAIL :
		       j->change >= env->error_warn * 100 ? VERDICT_WARN : VERDICT_OK;
		return;
	}
	j->change = j->base > 0 ? (j->new - j->base) / j->base : j->new > 0 ? INFINITY : 0;
	if (r.m == METRIC_COUNT || r.value)
		return;		/* shown, not judged: neither way is worse */
	if (r.m == METRIC_RATE) {
		j->v = j->change <= -env->rate_fail ? VERDICT_FAIL :
		       j->change <= -env->rate_warn ? VERDICT_WARN : VERDICT_OK;
		return;
	}
	j->v = j->change >= up_fail ? VERDICT_FAIL : j->change >= up_warn ? VERDICT_WARN :
	       VERDICT_OK;
}

static const char *change_text(struct metric_ref r, const struct judged *j, char *buf,
			       size_t len)
{
	if (!j->has_base || !j->has_new)
		snprintf(buf, len, "-");
	else if (r.m == METRIC_ERROR_RATE)
		snprintf(buf, len, "%+.2fpp", j->change);
	else if (isinf(j->change))
		snprintf(buf, len, "new");
	else
		snprintf(buf, len, "%+.1f%%", j->change * 100);
	return buf;
}

static void value_text(struct metric_ref r, bool has, double v, char *buf, size_t len)
{
	if (has)
		metric_format(r, v, buf, len);
	else
		snprintf(buf, len, "-");
}

/* Whole numbers (counts, a min) as integers: %.10g would cut a count past 10 digits. */
static json_object *json_num(double v)
{
	if (v == floor(v) && fabs(v) < 9e15)
		return json_object_new_int64((int64_t)v);
	return json_object_new_double(v);
}

struct tally {
	enum verdict worst;
	unsigned int by[4];
};

/* One op's rows (text) or object (json); returns its verdict. */
static enum verdict diff_op(const struct diff_env *env, const char *name,
			    const struct op_stats *b, const struct op_stats *n, json_object *arr)
{
	enum verdict worst = b && n ? VERDICT_OK : VERDICT_WARN;
	char safe[256], bt[48], nt[48], ct[48], mname[32];
	json_object *o = NULL, *ms = NULL;
	struct judged j[MAX_METRICS];
	const char *why;
	int i;

	for (i = 0; i < env->nr_metrics; i++) {
		memset(&j[i], 0, sizeof(j[i]));
		j[i].has_base = b && !op_stats__metric(b, env->metrics[i], &j[i].base, &why);
		j[i].has_new = n && !op_stats__metric(n, env->metrics[i], &j[i].new, &why);
		judge(env, env->metrics[i], &j[i]);
		if (j[i].v > worst)
			worst = j[i].v;
	}
	if (arr) {
		o = json_object_new_object();
		ms = json_object_new_array();
		json_object_object_add(o, "op", json_object_new_string(name));
		json_object_object_add(o, "verdict", json_object_new_string(verdict_names[worst]));
		if (!b || !n)
			json_object_object_add(o, "only_in", json_object_new_string(b ? "base" : "new"));
	} else {
		text_safe(safe, sizeof(safe), name, 60);
		printf("%s  [%s]%s\n", safe, verdict_names[worst],
		       !n ? "  only in BASE" : !b ? "  only in NEW" : "");
	}
	for (i = 0; i < env->nr_metrics; i++) {
		struct metric_ref r = env->metrics[i];

		metric_ref_name(r, mname, sizeof(mname));
		if (arr) {
			json_object *m = json_object_new_object();

			json_object_object_add(m, "metric", json_object_new_string(mname));
			json_object_object_add(m, "base", j[i].has_base ? json_num(j[i].base) : NULL);
			json_object_object_add(m, "new", j[i].has_new ? json_num(j[i].new) : NULL);
			json_object_object_add(m, "change", j[i].has_base && j[i].has_new &&
					       !isinf(j[i].change) ?
					       json_object_new_double(j[i].change) : NULL);
			json_object_object_add(m, "verdict",
					       json_object_new_string(verdict_names[j[i].v]));
			json_object_array_add(ms, m);
			continue;
		}
		value_text(r, j[i].has_base, j[i].base, bt, sizeof(bt));
		value_text(r, j[i].has_new, j[i].new, nt, sizeof(nt));
		printf("  %-12s %12s %12s %10s  %s\n", mname, bt, nt, change_text(r, &j[i], ct,
		       sizeof(ct)), verdict_names[j[i].v]);
	}
	if (arr) {
		json_object_object_add(o, "metrics", ms);
		json_object_array_add(arr, o);
	}
	return worst;
}

static void count_op(struct tally *t, enum verdict v)
{
	t->by[v]++;
	if (v > t->worst)
		t->worst = v;
}

/* Every op of either side, BASE's order first; the overall verdict. */
static enum verdict diff_sets(const struct diff_env *env, const struct op_set *b,
			      const struct op_set *n)
{
	json_object *root = env->json ? json_object_new_object() : NULL;
	json_object *arr = root ? json_object_new_array() : NULL;
	struct tally t = { .worst = VERDICT_OK };
	size_t i;

	if (!env->json)
		printf("BASE %s (%s, %.1f s)  NEW %s (%s, %.1f s)\n", env->base, b->shape,
		       b->interval_s, env->new, n->shape, n->interval_s);
	for (i = 0; i < b->nr; i++)
		count_op(&t, diff_op(env, b->v[i].op, &b->v[i], op_set__find(n, b->v[i].op), arr));
	for (i = 0; i < n->nr; i++)
		if (!op_set__find(b, n->v[i].op))
			count_op(&t, diff_op(env, n->v[i].op, NULL, &n->v[i], arr));
	if (root) {
		json_object_object_add(root, "base", json_object_new_string(env->base));
		json_object_object_add(root, "new", json_object_new_string(env->new));
		json_object_object_add(root, "verdict", json_object_new_string(verdict_names[t.worst]));
		json_object_object_add(root, "ops", arr);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		printf("verdict: %s (%u ops: %u ok, %u warn, %u fail)\n", verdict_names[t.worst],
		       t.by[VERDICT_OK] + t.by[VERDICT_WARN] + t.by[VERDICT_FAIL],
		       t.by[VERDICT_OK], t.by[VERDICT_WARN], t.by[VERDICT_FAIL]);
	}
	fflush(stdout);
	return t.worst;
}

int cmd_diff(int argc, char **argv)
{
	static const struct metric_ref defaults[] = {
		{ METRIC_P95, false }, { METRIC_P99, false }, { METRIC_ERROR_RATE, false },
		{ METRIC_RATE, false },
	};
	struct diff_env env = { .warn = 0.20, .fail = 0.50, .rate_warn = 0.20, .rate_fail = 0.40,
				.error_warn = 0.01, .error_fail = 0.05 };
	struct argp argp = { .options = options, .parser = parse_opt,
			     .args_doc = "BASE NEW", .doc = doc };
	struct op_set base = { 0 }, new = { 0 };
	enum verdict v;
	int rc;

	memcpy(env.metrics, defaults, sizeof(defaults));
	env.nr_metrics = sizeof(defaults) / sizeof(defaults[0]);
	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, 0, NULL, &env);
	if ((rc = load(env.base, &base)) || (rc = load(env.new, &new)))
		goto cleanup;
	v = diff_sets(&env, &base, &new);
	rc = v == VERDICT_FAIL ? EXIT_FAIL : v == VERDICT_WARN ? EXIT_WARN : EXIT_OK;
cleanup:
	op_set__free(&base);
	op_set__free(&new);
	return rc;
}
