// SPDX-License-Identifier: MIT
/*
 * --assert checks: parsed from the right (op names may hold '.', '<', '='
 * and '[': C++ templates, Go methods and generics), judged with the metrics
 * of output/metrics.c. See check.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/check.h"
#include "output/text_safe.h"

#define QUOTED_MAX 120

static const char *const cmp_texts[] = { "<", "<=", ">", ">=", "==" };

const char *check_cmp_text(enum check_cmp cmp)
{
	return cmp <= CMP_EQ ? cmp_texts[cmp] : "?";
}

bool check_holds(enum check_cmp cmp, double v, double limit)
{
	switch (cmp) {
	case CMP_LT:
		return v < limit;
	case CMP_LE:
		return v <= limit;
	case CMP_GT:
		return v > limit;
	case CMP_GE:
		return v >= limit;
	default:
		return v == limit;
	}
}

void check__free(struct check *c)
{
	free(c->text);
	free(c->op);
	free(c->label);
	free(c->whole);
	memset(c, 0, sizeof(*c));
}

static int bad(char *err, size_t len, const char *text, const char *fmt, ...)
{
	char quoted[QUOTED_MAX * 4 + 8], why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, len, "bad --assert '%s': %s", text_safe(quoted, sizeof(quoted), text,
							      QUOTED_MAX), why);
	return -EINVAL;
}

/* The comparator: the last of '<', '>', '=' in s (a limit has none). */
static int find_cmp(const char *s, size_t *at, size_t *n, enum check_cmp *cmp)
{
	const char *p = NULL;
	size_t i;

	for (i = strlen(s); i > 0; i--)
		if (strchr("<>=", s[i - 1])) {
			p = s + i - 1;
			break;
		}
	if (!p)
		return -EINVAL;
	if (*p == '=' && p > s && strchr("<>=", p[-1])) {
		*cmp = p[-1] == '<' ? CMP_LE : p[-1] == '>' ? CMP_GE : CMP_EQ;
		*at = (size_t)(p - 1 - s);
		*n = 2;
		return 0;
	}
	if (*p == '=')
		return -EINVAL;		/* '=' alone: == was meant */
	*cmp = *p == '<' ? CMP_LT : CMP_GT;
	*at = (size_t)(p - s);
	*n = 1;
	return 0;
}

/* A limit: a plain decimal number >= 0 and its unit ("", "ms", "%", "/s"). */
static int parse_number(const char *s, double *v, const char **unit)
{
	const char *p = s;
	char *end;

	/* digits and one point only: no sign, hex, inf or nan from strtod */
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -EINVAL;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if ((*p == 'e' || *p == 'E') &&
	    (isdigit((unsigned char)p[1]) ||
	     ((p[1] == '-' || p[1] == '+') && isdigit((unsigned char)p[2]))))
		for (p += 2; isdigit((unsigned char)*p); p++)
			;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end != p || !isfinite(*v))
		return -EINVAL;
	*unit = p;
	return 0;
}

static const struct { const char *name; double ns; } durations[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
};

/* The limit in the metric's base unit; the unit must suit the metric. */
static int parse_limit(struct check *c, const char *s, char *err, size_t len)
{
	const char *unit, *text = c->text;
	bool latency = metric_is_dist(c->metric.m) && !c->metric.value;
	char piece[80];
	size_t i;

	if (parse_number(s, &c->limit, &unit))
		return bad(err, len, text, "the limit '%s' is not a number >= 0",
			   text_safe(piece, sizeof(piece), s, 40));
	if (latency) {
		for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++)
			if (!strcmp(unit, durations[i].name)) {
				c->limit *= durations[i].ns;
				return 0;
			}
		return bad(err, len, text, "a latency's limit needs a unit: ns, us, ms or s "
			   "(e.g. 100ms)");
	}
	if (c->metric.m == METRIC_ERROR_RATE) {
		if (!strcmp(unit, "%")) {
			c->limit /= 100;
			return 0;
		}
		if (!*unit && c->limit <= 1)
			return 0;
		return bad(err, len, text, "error_rate is a percentage (5%%) or a fraction "
			   "(0.05)");
	}
	if (c->metric.m == METRIC_RATE && !strcmp(unit, "/s"))
		return 0;
	if (*unit)
		return bad(err, len, text, "%s takes a plain number, not '%s'",
			   metric_name(c->metric.m), text_safe(piece, sizeof(piece), unit, 16));
	return 0;
}

/* LHS = OP[.value|.latency].METRIC; OP may be OP[LABEL]. */
static int parse_lhs(struct check *c, char *lhs, char *err, size_t len)
{
	char *dot = strrchr(lhs, '.'), *open, piece[80];
	size_t n;

	if (!dot || dot == lhs)
		return bad(err, len, c->text, "expected OP.METRIC, e.g. push.p95<100ms");
	if (metric_parse(dot + 1, strlen(dot + 1), &c->metric.m))
		return bad(err, len, c->text, "unknown metric '%s' (count, rate, errors, "
			   "error_rate, timeouts, p50, p90, p95, p99, p999, min, max, mean)",
			   text_safe(piece, sizeof(piece), dot + 1, 32));
	*dot = '\0';
	n = strlen(lhs);
	if (n > 6 && !strcmp(lhs + n - 6, ".value")) {
		c->metric.value = true;
		lhs[n - 6] = '\0';
	} else if (n > 8 && !strcmp(lhs + n - 8, ".latency")) {
		lhs[n - 8] = '\0';
	}
	if (!metric_is_dist(c->metric.m) && c->metric.value)
		return bad(err, len, c->text, "value.%s: values have percentiles, min, max and "
			   "mean; %s is the op's", metric_name(c->metric.m),
			   metric_name(c->metric.m));
	n = strlen(lhs);
	open = strrchr(lhs, '[');
	if (n && lhs[n - 1] == ']' && open && open > lhs) {
		if (open + 1 == lhs + n - 1)
			return bad(err, len, c->text, "an empty label: write OP[LABEL]");
		if (!(c->whole = strdup(lhs)))
			return -ENOMEM;
		lhs[n - 1] = '\0';
		if (!(c->label = strdup(open + 1)))
			return -ENOMEM;
		*open = '\0';
	}
	if (!*lhs)
		return bad(err, len, c->text, "no op before the metric");
	if (!(c->op = strdup(lhs)))
		return -ENOMEM;
	return 0;
}

/* s without blanks at either end, in place. */
static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

int check__parse(struct check *c, const char *text, char *err, size_t len)
{
	char *copy = NULL, *lhs, *rhs;
	size_t at, n;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!(c->text = strdup(text)) || !(copy = strdup(text))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (find_cmp(copy, &at, &n, &c->cmp)) {
		rc = bad(err, len, text, "expected OP.METRIC<LIMIT with <, <=, >, >= or ==");
		goto cleanup;
	}
	copy[at] = '\0';
	lhs = trim(copy);
	rhs = trim(copy + at + n);
	if ((rc = parse_lhs(c, lhs, err, len)))
		goto cleanup;
	rc = parse_limit(c, rhs, err, len);
cleanup:
	free(copy);
	if (rc)
		check__free(c);
	return rc;
}

static void describe(const struct check *c, char *name, size_t len)
{
	char metric[32];

	snprintf(name, len, "%s%s%s%s.%s", c->op, c->label ? "[" : "", c->label ? c->label : "",
		 c->label ? "]" : "", metric_ref_name(c->metric, metric, sizeof(metric)));
}

int check__eval(const struct check *c, const struct output_frame *f, char *msg, size_t len)
{
	char name[512], safe[600], got[48], lim[48];
	struct op_stats s;
	const char *why = NULL;
	double v;
	int rc;

	describe(c, name, sizeof(name));
	text_safe(safe, sizeof(safe), name, 200);
	/* a name like Go's Map[...] first, whole; then OP and its LABEL */
	rc = op_stats__from_frame(&s, f, c->whole ? c->whole : c->op, NULL);
	if (rc == -ENOENT && c->whole)
		rc = op_stats__from_frame(&s, f, c->op, c->label);
	if (rc == -ENOENT) {
		snprintf(msg, len, "%s: no op '%s' in this run", safe,
			 text_safe(got, sizeof(got), c->op, 40));
		return CHECK_BROKEN;
	}
	if (rc)
		return rc;
	if (c->label && !s.rows && !(c->metric.m == METRIC_COUNT || c->metric.m == METRIC_RATE)) {
		op_stats__free(&s);
		if (!f->summary)
			return CHECK_SKIPPED;
		snprintf(msg, len, "%s: no row labelled '%s'", safe,
			 text_safe(got, sizeof(got), c->label, 40));
		return CHECK_BROKEN;
	}
	rc = op_stats__metric(&s, c->metric, &v, &why);
	op_stats__free(&s);
	if (rc) {
		/* an interval without calls has nothing too slow in it */
		if (!f->summary && why == metric_no_calls)
			return CHECK_SKIPPED;
		snprintf(msg, len, "%s: %s", safe, why);
		return CHECK_BROKEN;
	}
	if (check_holds(c->cmp, v, c->limit))
		return CHECK_HOLDS;
	snprintf(msg, len, "%s = %s, not %s %s", safe, metric_format(c->metric, v, got, sizeof(got)),
		 check_cmp_text(c->cmp), metric_format(c->metric, c->limit, lim, sizeof(lim)));
	return CHECK_BROKEN;
}
