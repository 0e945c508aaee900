// SPDX-License-Identifier: MIT
/*
 * Where ops measure: probes ([SEL:]TARGET[(EXPR)]) and the selectors
 * (NAME=PATH) they name, how an op's probes pair, and ret and @ret kept to
 * where a function returns. For ops_spec.c only; see ops_probe.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_lex.h"
#include "cli/ops_probe.h"

#define MSG_MAX 384	/* parts of a message: nested messages, lists, places */

/* User text in messages is cut, so that one bad token cannot flood a line. */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct probe_ctx {
	const struct ops_file *f;	/* its selectors */
	char *msg;			/* the caller's, for the one-line message */
	size_t len;
};

/* Where an expression is taken, and whether ret and @ret are allowed there. */
struct ret_use {
	const char *what;		/* "the start key", "value=", ... */
	const struct expr *e;
	const struct probe_spec *at;
	bool allowed;			/* e is taken at at's return */
	const char *why;		/* why it is not */
};





__attribute__((format(printf, 2, 3)))
static int fail(struct probe_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->msg || !c->len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->msg, c->len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int fail_nomem(struct probe_ctx *c)
{
	fail(c, "out of memory");
	return -ENOMEM;
}

static const struct selector *find_selector(const struct ops_file *f, const char *name,
					    size_t len)
{
	size_t i;

	for (i = 0; i < f->nr_sels; i++)
		if (strlen(f->sels[i].name) == len && !strncmp(f->sels[i].name, name, len))
			return &f->sels[i];
	return NULL;
}

static int check_selector_name(struct probe_ctx *c, const char *name)
{
	static const char *const reserved[] = { "op", "state", "usdt" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strcmp(name, reserved[i]))
			return fail(c, "selector name '%s' is reserved (op, state, usdt)", name);
	return 0;
}

static int check_selector_path(struct probe_ctx *c, const char *name, const char *path)
{
	const char *p;

	if (!*path)
		return fail(c, "selector '%s' needs a path: %s=PATH", name, name);
	for (p = path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return fail(c, "selector '%s': the path must not contain spaces or "
				    "control characters", name);
	return 0;
}

/* Where first was declared: its line if in sel's file, else FILE:LINE. */
static int fail_dup_selector(struct probe_ctx *c, const struct selector *sel,
			     const struct selector *first)
{
	char where[MSG_MAX];

	if (!strcmp(first->file, sel->file))
		snprintf(where, sizeof(where), "line %d", first->line);
	else
		snprintf(where, sizeof(where), "%s:%d", first->file, first->line);
	return fail(c, "duplicate selector '%s' (first on %s)", sel->name, where);
}

int selector__parse(const struct ops_file *f, const char *s, struct selector *sel,
		    char *msg, size_t len)
{
	struct probe_ctx c = { .f = f, .msg = msg, .len = len };
	size_t n = ident_len(s);
	const char *path = skip_blanks(skip_blanks(s + n) + 1);
	const struct selector *first;
	int err;

	if (n > OPS_NAME_MAX)
		return fail(&c, "selector name '%.20s...' is too long (%zu chars, at most %d)",
			    s, n, OPS_NAME_MAX);
	memcpy(sel->name, s, n);
	sel->name[n] = '\0';
	err = check_selector_name(&c, sel->name);
	if (!err)
		err = check_selector_path(&c, sel->name, path);
	if (err)
		return err;
	first = find_selector(f, sel->name, n);
	if (first)
		return fail_dup_selector(&c, sel, first);
	sel->path = strdup(path);
	return sel->path ? 0 : fail_nomem(&c);
}

/* One substitution, insertion, deletion or swap of neighbours apart (or equal). */
static bool one_edit_apart(const char *a, size_t la, const char *b, size_t lb)
{
	size_t i = 0;

	if (la > lb)
		return one_edit_apart(b, lb, a, la);
	if (lb - la > 1)
		return false;
	while (i < la && a[i] == b[i])
		i++;
	if (i == la)
		return true;
	if (la < lb)
		return !strncmp(a + i, b + i + 1, la - i);
	if (!strncmp(a + i + 1, b + i + 1, la - i - 1))
		return true;
	return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
	       !strncmp(a + i + 2, b + i + 2, la - i - 2);
}

/*
 * X:TARGET with X not a selector is BINARY:SYMBOL ("relayd:f", "libpq:f"),
 * unless X can only be a selector (X:usdt:...) or is a typo of one.
 */
static bool meant_a_selector(const struct ops_file *f, const char *x, size_t len,
			     const char *rest)
{
	size_t i, sl;

	if ((size_t)ident_len(x) < len)
		return false;
	if (!strncmp(rest, "usdt:", 5))
		return true;
	if (len < 3 || !strncmp(x, "lib", 3))
		return false;
	for (i = 0; i < f->nr_sels; i++) {
		sl = strlen(f->sels[i].name);
		if (sl >= 3 && one_edit_apart(x, len, f->sels[i].name, sl))
			return true;
	}
	return false;
}

static int fail_unknown_selector(struct probe_ctx *c, const char *text, size_t len)
{
	char list[MSG_MAX] = "";
	size_t i, n = 0;

	for (i = 0; i < c->f->nr_sels && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
			      c->f->sels[i].name);
	if (!c->f->nr_sels)
		return fail(c, "unknown selector '%.*s' in " QF " (none declared: declare "
			    "%.*s=PATH before use)", (int)len, text, QA(text), (int)len, text);
	return fail(c, "unknown selector '%.*s' in " QF " (declared: %s)", (int)len, text,
		    QA(text), list);
}

/* p->text is [SEL:]TARGET: fill p->selector and p->target. */
static int resolve_target(struct probe_ctx *c, struct probe_spec *p)
{
	const struct selector *sel = NULL;
	const char *colon = target_spec__prefix_colon(p->text);	/* never a "::" */
	size_t len = colon ? (size_t)(colon - p->text) : 0;
	char why[MSG_MAX] = "";

	if (colon)
		sel = find_selector(c->f, p->text, len);
	if (colon && !sel && meant_a_selector(c->f, p->text, len, colon + 1))
		return fail_unknown_selector(c, p->text, len);
	if (target_spec__parse(sel ? colon + 1 : p->text, &p->target, why, sizeof(why)))
		return fail(c, "%s", why);
	if (!sel)
		return 0;
	if (p->target.binary)
		return fail(c, "probe " QF ": selector '%s' already names the binary (%s): "
			    "drop '%s:'", QA(p->text), sel->name, sel->path, p->target.binary);
	p->target.binary = strdup(sel->path);
	p->selector = strdup(sel->name);
	return p->target.binary && p->selector ? 0 : fail_nomem(c);
}

/* Where the top-level comma of text[0..len) is (one not inside parentheses), or NULL. */
static const char *top_comma(const char *text, size_t len)
{
	int depth = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] == '(')
			depth++;
		else if (text[i] == ')' && depth)
			depth--;
		else if (text[i] == ',' && !depth)
			return text + i;
	}
	return NULL;
}

static int parse_key_part(struct probe_ctx *c, const char *tok, const char *from,
			  const char *to, struct expr *e)
{
	char why[MSG_MAX] = "", *text;
	int err;

	if (!*skip_blanks(from) || skip_blanks(from) >= to)
		return fail(c, "probe " QF ": empty key%s", QA(tok),
			    from == strchr(tok, '(') + 1 ? ": write PROBE(EXPR) or drop the ()" :
			    " part: write PROBE(EXPR, EXPR)");
	text = strndup(from, to - from);
	if (!text)
		return fail_nomem(c);
	err = expr__parse(text, e, why, sizeof(why));
	free(text);
	if (err)
		return err == -ENOMEM ? fail_nomem(c) : fail(c, "%s", why);
	return 0;
}

/* (EXPR) or (EXPR, EXPR) ending tok, paren pointing to its '(' (key_paren). */
static int parse_key(struct probe_ctx *c, const char *tok, const char *paren,
		     struct probe_spec *p)
{
	const char *close = tok + strlen(tok) - 1, *comma;
	int err;

	comma = top_comma(paren + 1, close - paren - 1);
	if (comma && top_comma(comma + 1, close - comma - 1))
		return fail(c, "probe " QF ": a key has at most %d parts: PROBE(EXPR, EXPR)",
			    QA(tok), OPS_KEY_PARTS);
	err = parse_key_part(c, tok, paren + 1, comma ? comma : close, &p->key);
	if (!err && comma)
		err = parse_key_part(c, tok, comma + 1, close, &p->key2);
	if (err)
		return err;
	p->has_key = true;
	p->has_key2 = comma != NULL;
	return 0;
}

/*
 * The '(' of tok's key: its last top-level group, if that ends tok and is
 * not a Go receiver's (pkg.(*T).M, after a '.'); a C++ name's parameters
 * would be taken for the key. NULL if none; *unclosed is set to the first
 * top-level '(' that never closes, if any.
 */
static const char *key_paren(const char *tok, const char **unclosed)
{
	const char *last = NULL, *p;
	int depth = 0;

	*unclosed = NULL;
	for (p = tok; *p; p++) {
		if (*p == '(' && !depth++)
			last = p;
		else if (*p == ')' && depth)
			depth--;
	}
	if (depth) {
		*unclosed = last;
		return NULL;
	}
	if (!last || p[-1] != ')' || (last > tok && last[-1] == '.'))
		return NULL;
	return last;
}

int probe_spec__parse(const struct ops_file *f, const char *tok, struct probe_spec *p,
		      char *msg, size_t len)
{
	struct probe_ctx c = { .f = f, .msg = msg, .len = len };
	const char *unclosed, *paren = key_paren(tok, &unclosed);
	size_t tlen = paren ? (size_t)(paren - tok) : strlen(tok);
	int err;

	memset(p, 0, sizeof(*p));
	if (unclosed)
		return fail(&c, "bad expression " QF ": missing ')'", QA(unclosed + 1));
	if (!tlen)
		return fail(&c, "probe " QF " names no target: [SEL:]TARGET(EXPR)", QA(tok));
	if (memchr(tok, '=', tlen))
		return fail(&c, "expected a probe, got the option " QF, QA(tok));
	p->text = strndup(tok, tlen);
	if (!p->text)
		return fail_nomem(&c);
	if (paren) {
		err = parse_key(&c, tok, paren, p);
		if (err)
			return err;
	}
	return resolve_target(&c, p);
}

void probe_spec__free(struct probe_spec *p)
{
	free(p->text);
	free(p->selector);
	target_spec__free(&p->target);
	memset(p, 0, sizeof(*p));
}

/*
 * ret and @ret exist only where a function returns: the probe must be a
 * function, and the expression must be taken at its return (allowed).
 */
static int check_ret(struct probe_ctx *c, const char *owner, const struct ret_use *u)
{
	const char *used = u->e->at_ret ? "@ret" : "'ret'";

	if (!u->e->uses_ret && !u->e->at_ret)
		return 0;
	if (u->at->target.kind == TARGET_USDT)
		return fail(c, "%s needs a function probe, not %.*s%s", used, QA(u->at->text));
	if (!u->allowed)
		return fail(c, "%s: %s cannot use %s: %s", owner, u->what, used, u->why);
	return 0;
}

/* Pairing is by a key on both probes or by thread; a lone probe is timed to its return. */
static int check_pairing(struct probe_ctx *c, const char *owner, const struct op_spec *op)
{
	if (!op->paired && op->start.has_key)
		return fail(c, "%s: a key (EXPR) pairs two probes: add '-> PROBE(EXPR)' or "
			    "drop it", owner);
	if (op->paired && op->start.has_key != op->end.has_key)
		return fail(c, "%s: '->' needs a key on both sides or on neither (neither "
			    "pairs by thread): %s%s -> %s%s", owner, op->start.text,
			    op->start.has_key ? "(EXPR)" : "", op->end.text,
			    op->end.has_key ? "(EXPR)" : "");
	if (op->paired && op->start.has_key2 != op->end.has_key2)
		return fail(c, "%s: both keys need the same number of parts: %s(%s) -> %s(%s)",
			    owner, op->start.text, op->start.has_key2 ? "EXPR, EXPR" : "EXPR",
			    op->end.text, op->end.has_key2 ? "EXPR, EXPR" : "EXPR");
	if (op->paired && op->start.has_key &&
	    (expr__is_string(&op->start.key) != expr__is_string(&op->end.key) ||
	     expr__is_string(&op->start.key2) != expr__is_string(&op->end.key2)))
		return fail(c, "%s: the keys must be both strings or both numbers, part by part",
			    owner);
	if (!op->paired && !op->count_only && op->start.target.kind == TARGET_USDT)
		return fail(c, "%s: " QF " is a usdt probe, there is no return to time: add "
			    "count, or pair it: %s -> PROBE", owner, QA(op->start.text),
			    op->start.text);
	return 0;
}

/*
 * Each side of an op fires at its function's return when its expressions use
 * ret or @ret: the start's key, value= and by=, the end's key, error= and when=.
 */
static int check_op_ret(struct probe_ctx *c, const char *owner, const struct op_spec *op)
{
	const struct probe_spec *end = op->paired ? &op->end : &op->start;
	const struct ret_use uses[] = {
		{ "the start key", &op->start.key, &op->start, true, "" },
		{ "the start key", &op->start.key2, &op->start, true, "" },
		{ "the end key", &op->end.key, &op->end, true, "" },
		{ "the end key", &op->end.key2, &op->end, true, "" },
		{ "error=", &op->error.lhs, end, true, "" },
		{ "when=", &op->when.lhs, end, true, "" },
		{ "would_block=", &op->would_block.lhs, end, true, "" },
		{ "value=", &op->value, &op->start, true, "" },
		{ "by=", &op->label, op->fanout ? end : &op->start, true, "" },
	};
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(uses); i++) {
		err = check_ret(c, owner, &uses[i]);
		if (err)
			return err;
	}
	return 0;
}

int op_spec__check_probes(const struct op_spec *op, char *msg, size_t len)
{
	struct probe_ctx c = { .f = NULL, .msg = msg, .len = len };
	char owner[OPS_NAME_MAX + 8];
	int err;

	snprintf(owner, sizeof(owner), "op '%s'", op->name);
	err = check_pairing(&c, owner, op);
	return err ? err : check_op_ret(&c, owner, op);
}

int state_spec__check_ret(const struct state_spec *st, char *msg, size_t len)
{
	const struct ret_use value = { "the value", &st->probe.key, &st->probe, false,
				       "it is taken at the probe's entry" };
	struct probe_ctx c = { .f = NULL, .msg = msg, .len = len };
	char owner[OPS_NAME_MAX + 16];

	snprintf(owner, sizeof(owner), "state '%s'", st->name);
	return check_ret(&c, owner, &value);
}
