// SPDX-License-Identifier: MIT
/* The options of an op line, in one table; see ops_options.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli/ops_lex.h"
#include "cli/ops_options.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct opt_ctx {
	struct op_spec *op;
	char *msg;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct opt_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, c->len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_pred(struct opt_ctx *c, const char *val, struct pred *p)
{
	int err = pred__parse(val, p, c->msg, c->len);

	return err == -ENOMEM ? err : err ? -EINVAL : 0;
}

static int set_error(struct opt_ctx *c, const char *val)
{
	return parse_pred(c, val, &c->op->error);
}

static int set_when(struct opt_ctx *c, const char *val)
{
	return parse_pred(c, val, &c->op->when);
}

static int set_value(struct opt_ctx *c, const char *val)
{
	if (expr__parse(val, &c->op->value, c->msg, c->len))
		return -EINVAL;
	if (expr__is_string(&c->op->value))
		return fail(c, "op '%s': value= takes a number, and " QF " is a string",
			    c->op->name, QA(val));
	c->op->has_value = true;
	return 0;
}

/*
 * by=[NAME:]EXPR: NAME says what the labels are, for the reader of the
 * dashboard ("apply [client 1]"); pid and tid name themselves.
 */
static int set_by(struct opt_ctx *c, const char *val)
{
	int n = ident_len(val);

	if (n && val[n] == ':') {
		if (n > OPS_NAME_MAX)
			return fail(c, "op '%s': label name '%.20s...' is too long (at most %d chars)",
				    c->op->name, val, OPS_NAME_MAX);
		memcpy(c->op->label_name, val, n);
		c->op->label_name[n] = '\0';
		val += n + 1;
	}
	if (expr__parse(val, &c->op->label, c->msg, c->len))
		return -EINVAL;
	if (!c->op->label_name[0] && (c->op->label.base == EXPR_PID ||
				      c->op->label.base == EXPR_TID))
		strcpy(c->op->label_name, c->op->label.base == EXPR_PID ? "pid" : "tid");
	c->op->has_label = true;
	return 0;
}

static int set_timeout(struct opt_ctx *c, const char *val)
{
	if (ops_parse_duration(val, &c->op->timeout_ns))
		return fail(c, "op '%s': bad timeout " QF " (expected a duration > 0: 30s, "
			    "500ms, 100us, 2m, 1h, or plain seconds)", c->op->name, QA(val));
	c->op->timeout_set = true;
	return 0;
}

static int set_unmatched(struct opt_ctx *c, const char *val)
{
	if (strcmp(val, "count") && strcmp(val, "ignore"))
		return fail(c, "op '%s': unmatched= is count or ignore, not " QF, c->op->name,
			    QA(val));
	c->op->ignore_unmatched = !strcmp(val, "ignore");
	c->op->unmatched_set = true;
	return 0;
}

static int set_count(struct opt_ctx *c, const char *val)
{
	c->op->count_only = true;
	return 0;
}

static int set_would_block(struct opt_ctx *c, const char *val)
{
	return parse_pred(c, val, &c->op->would_block);
}

static int set_fanout(struct opt_ctx *c, const char *val)
{
	c->op->fanout = true;
	return 0;
}

/*
 * Every option, in the order messages list them. `value` says whether it
 * takes one (NAME=VALUE) or is a plain word (NAME); set() parses it into
 * the op_spec.
 */
static const struct op_option {
	const char *name;
	bool value;
	int (*set)(struct opt_ctx *c, const char *val);
} options[] = {
	{ "error", true, set_error },
	{ "value", true, set_value },
	{ "by", true, set_by },
	{ "when", true, set_when },
	{ "timeout", true, set_timeout },
	{ "unmatched", true, set_unmatched },
	{ "would_block", true, set_would_block },
	{ "count", false, set_count },
	{ "fanout", false, set_fanout },
};

_Static_assert(ARRAY_SIZE(options) <= 8 * sizeof(((struct op_spec *)0)->options_given),
	       "op_spec.options_given has a bit per option");

/* "error=, value=, ..., count": what an op line may say after its probes. */
static const char *option_list(void)
{
	static char list[256];
	size_t i, n = 0;

	if (list[0])
		return list;
	for (i = 0; i < ARRAY_SIZE(options) && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s%s", i ? ", " : "",
			      options[i].name, options[i].value ? "=" : "");
	return list;
}

int op_option__apply(struct op_spec *op, const char *word, char *msg, size_t len)
{
	struct opt_ctx c = { op, msg, len };
	const char *eq = strchr(word, '='), *val = eq ? eq + 1 : "";
	size_t klen = eq ? (size_t)(eq - word) : strlen(word), i;
	const struct op_option *o = NULL;

	if (!strcmp(word, "->"))
		return fail(&c, "op '%s': '->' must come right after the first probe, once",
			    op->name);
	for (i = 0; i < ARRAY_SIZE(options) && !o; i++)
		if (strlen(options[i].name) == klen && !strncmp(word, options[i].name, klen))
			o = &options[i];
	if (!o && eq)
		return fail(&c, "unknown option " QF " (expected %s)", QA(word), option_list());
	if (!o)
		return fail(&c, "op '%s': expected %s%s%s, got " QF, op->name,
			    op->paired ? "an option (" : "'->' or an option",
			    op->paired ? option_list() : "", op->paired ? ")" : "", QA(word));
	if (!o->value && eq)
		return fail(&c, "op '%s': %s takes no value", op->name, o->name);
	if (o->value && !*val)
		return fail(&c, "op '%s': option '%s' needs a value: %s=...", op->name, o->name,
			    o->name);
	if (op->options_given & (1U << (o - options)))
		return fail(&c, "op '%s': option '%s' given twice", op->name, o->name);
	op->options_given |= 1U << (o - options);
	return o->set(&c, val);
}

int op_options__check(struct op_spec *op, char *msg, size_t len)
{
	struct opt_ctx c = { op, msg, len };

	if (op->count_only && op->timeout_set)
		return fail(&c, "op '%s': count takes no timeout= (nothing is timed)", op->name);
	if (op->count_only && op->paired)
		return fail(&c, "op '%s': count takes no '->' (a paired op is timed from one "
			    "probe to the other)", op->name);
	if (op->unmatched_set && !op->paired)
		return fail(&c, "op '%s': unmatched= is for paired ops (A -> B): only their ends "
			    "can miss a start", op->name);
	if (op->fanout && !op->paired)
		return fail(&c, "op '%s': fanout is for paired ops (A -> B): a start answered by "
			    "many ends", op->name);
	if (!op->count_only && !op->timeout_set)
		op->timeout_ns = OPS_DEFAULT_TIMEOUT_NS;
	return 0;
}
