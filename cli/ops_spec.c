// SPDX-License-Identifier: MIT
/* Ops files and --op lines into ops, states and selectors; their probes: ops_probe.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli/ops_lex.h"
#include "cli/ops_options.h"
#include "cli/ops_probe.h"
#include "cli/ops_spec.h"

/* An op line has at most 10 words; more is garbage, not a longer op. */
#define MAX_WORDS 32
#define MSG_MAX 384

/* User text in messages is cut, so that one bad token cannot flood a line. */


struct line_ctx {
	struct ops_file *f;
	const char *file;
	int lineno;
	char *err;
	size_t errlen;
};
/* "FILE:LINE: message", one line whatever bytes the input had. */
__attribute__((format(printf, 2, 3)))
static int fail(struct line_ctx *c, const char *fmt, ...)
{
	va_list ap;
	size_t i;
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s:%d: ", c->file, c->lineno);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	for (i = 0; c->err[i]; i++)
		if ((unsigned char)c->err[i] < ' ' || c->err[i] == 0x7f)
			c->err[i] = '?';
	return -EINVAL;
}

static int fail_nomem(struct line_ctx *c)
{
	fail(c, "out of memory");
	return -ENOMEM;
}

/* c->err holds a message from ops_probe.c: put "FILE:LINE: " before it. */
static int fail_from_probe(struct line_ctx *c, int rc)
{
	char *msg;

	if (!c->err || !c->errlen)
		return rc;
	msg = strdupa(c->err);
	fail(c, "%s", msg);
	return rc;
}

/* Where a name was first declared, for "duplicate" messages. */
static int fail_dup(struct line_ctx *c, const char *what, const char *name,
		    const char *first_kind, const char *file, int line)
{
	char where[MSG_MAX];

	if (!strcmp(file, c->file))
		snprintf(where, sizeof(where), "line %d", line);
	else
		snprintf(where, sizeof(where), "%s:%d", file, line);
	return fail(c, "duplicate %s name '%s' (%s on %s)", what, name, first_kind, where);
}

static int check_name(struct line_ctx *c, const char *kind, const char *name)
{
	size_t n = ident_len(name);

	if (!n || name[n])
		return fail(c, "bad %s name " QF " (expected [A-Za-z_][A-Za-z0-9_]*)", kind,
			    QA(name));
	if (n > OPS_NAME_MAX)
		return fail(c, "%s name '%.20s...' is too long (%zu chars, at most %d)", kind,
			    name, n, OPS_NAME_MAX);
	return 0;
}

/* Op and state names share one namespace: they are the rows of one report. */
static int check_unique(struct line_ctx *c, bool is_op, const char *name)
{
	const char *kind = is_op ? "op" : "state";
	size_t i;

	for (i = 0; i < c->f->nr_ops; i++) {
		const struct op_spec *o = &c->f->ops[i];

		if (!strcmp(o->name, name))
			return fail_dup(c, kind, name, is_op ? "first" : "an op", o->file, o->line);
	}
	for (i = 0; i < c->f->nr_states; i++) {
		const struct state_spec *s = &c->f->states[i];

		if (!strcmp(s->name, name))
			return fail_dup(c, kind, name, is_op ? "a state" : "first", s->file,
					s->line);
	}
	return 0;
}

/* Append *item of size to *arr of *nr; the array owns it from then on. */
static int append(void **arr, size_t *nr, const void *item, size_t size)
{
	char *grown = realloc(*arr, (*nr + 1) * size);

	if (!grown)
		return -ENOMEM;
	memcpy(grown + *nr * size, item, size);
	*arr = grown;
	(*nr)++;
	return 0;
}

/* The specs keep a pointer to their file's name: one copy per name. */
static const char *intern_file(struct ops_file *f, const char *file)
{
	char *copy;
	size_t i;

	for (i = 0; i < f->nr_files; i++)
		if (!strcmp(f->files[i], file))
			return f->files[i];
	copy = strdup(file);
	if (!copy || append((void **)&f->files, &f->nr_files, &copy, sizeof(copy))) {
		free(copy);
		return NULL;
	}
	return copy;
}

static int parse_probe(struct line_ctx *c, const char *tok, struct probe_spec *p)
{
	int err = probe_spec__parse(c->f, tok, p, c->err, c->errlen);

	return err ? fail_from_probe(c, err) : 0;
}

/* What only the whole op can tell: its options together, and its probes. */
static int check_op(struct line_ctx *c, struct op_spec *op)
{
	int err = op_options__check(op, c->err, c->errlen);

	if (!err)
		err = op_spec__check_probes(op, c->err, c->errlen);
	return err ? fail_from_probe(c, err) : 0;
}

static void op_spec_free(struct op_spec *op)
{
	probe_spec__free(&op->start);
	probe_spec__free(&op->end);
}

/* op NAME PROBE [-> PROBE] [OPTION...] */
static int parse_op(struct line_ctx *c, char **w, int n, struct op_spec *op)
{
	int i = 3, err;

	if (n < 2)
		return fail(c, "op needs a name: op NAME PROBE [-> PROBE] [OPTION...]");
	err = check_name(c, "op", w[1]);
	if (!err)
		err = check_unique(c, true, w[1]);
	if (err)
		return err;
	strcpy(op->name, w[1]);
	if (n < 3 || !strcmp(w[2], "->"))
		return fail(c, "op '%s': expected a probe after the name", op->name);
	err = parse_probe(c, w[2], &op->start);
	if (err)
		return err;
	if (i < n && !strcmp(w[i], "->")) {
		if (++i >= n)
			return fail(c, "op '%s': expected a probe after '->'", op->name);
		err = parse_probe(c, w[i++], &op->end);
		if (err)
			return err;
		op->paired = true;
	}
	for (; i < n; i++) {
		err = op_option__apply(op, w[i], c->err, c->errlen);
		if (err)
			return fail_from_probe(c, err);
	}
	return check_op(c, op);
}

static bool is_state_value_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_ident_char(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return len > 0;
}

/* A state value: an integer, or a character in quotes ('r'). */
static int parse_state_value(const char *p, size_t len, long long *out)
{
	char buf[32];

	if (len == 3 && p[0] == '\'' && p[2] == '\'') {
		*out = (unsigned char)p[1];
		return 0;
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return ops_parse_int(buf, out);
}

/* One NAME[:VALUE] of names=, added to st. */
static int add_state_name(struct line_ctx *c, struct state_spec *st, const char *p, size_t len)
{
	const char *colon = memchr(p, ':', len);
	size_t nlen = colon ? (size_t)(colon - p) : len;
	long long v = st->nr_names;
	int i;

	if (!nlen || !is_state_value_name(p, nlen) || nlen > OPS_NAME_MAX)
		return fail(c, "state '%s': bad name " QF " in names= (letters, digits, _ . -, at "
			    "most %d chars, then :VALUE if you like)", st->name,
			    (int)(len < 40 ? len : 40), p, len < 40 ? "" : "...", OPS_NAME_MAX);
	if (colon && parse_state_value(colon + 1, len - nlen - 1, &v))
		return fail(c, "state '%s': bad value " QF " in names= (an integer or a "
			    "character in quotes: idle:0, ready:'r')", st->name,
			    (int)(len - nlen - 1), colon + 1, "");
	for (i = 0; i < st->nr_names; i++) {
		if (strlen(st->names[i]) == nlen && !strncmp(st->names[i], p, nlen))
			return fail(c, "state '%s': name '%s' twice in names=", st->name,
				    st->names[i]);
		if (st->values[i] == v)
			return fail(c, "state '%s': value %lld twice in names= ('%s' has it)",
				    st->name, v, st->names[i]);
	}
	if (st->nr_names == STATE_MAX_NAMES)
		return fail(c, "state '%s': names= has more than %d names", st->name,
			    STATE_MAX_NAMES);
	st->names[st->nr_names] = strndup(p, nlen);
	if (!st->names[st->nr_names])
		return fail_nomem(c);
	st->values[st->nr_names++] = v;
	return 0;
}

/*
 * names=a,b,c: names[i] is the name of value i; NAME:VALUE gives the value
 * (ready:'r', stopping:4). They label the report.
 */
static int parse_names(struct line_ctx *c, struct state_spec *st, const char *list)
{
	const char *p = list, *end;
	int err;

	if (st->nr_names)
		return fail(c, "state '%s': option 'names' given twice", st->name);
	if (!*list)
		return fail(c, "state '%s': names= is empty (expected names=a,b,c)", st->name);
	for (;; p = end + 1) {
		end = strchrnul(p, ',');
		if (end == p)
			return fail(c, "state '%s': empty name in names= (value %d)", st->name,
				    st->nr_names);
		if ((err = add_state_name(c, st, p, end - p)))
			return err;
		if (!*end)
			return 0;
	}
}

static void state_spec_free(struct state_spec *st)
{
	int i;

	probe_spec__free(&st->probe);
	for (i = 0; i < st->nr_names; i++)
		free(st->names[i]);
	st->nr_names = 0;
}

/* state NAME PROBE(EXPR) [names=a,b,c] */
static int parse_state(struct line_ctx *c, char **w, int n, struct state_spec *st)
{
	int i, err;

	if (n < 2)
		return fail(c, "state needs a name: state NAME PROBE(EXPR) [names=a,b,...]");
	err = check_name(c, "state", w[1]);
	if (!err)
		err = check_unique(c, false, w[1]);
	if (err)
		return err;
	strcpy(st->name, w[1]);
	if (n < 3)
		return fail(c, "state '%s' needs a value: PROBE(EXPR)", st->name);
	err = parse_probe(c, w[2], &st->probe);
	if (err)
		return err;
	if (!st->probe.has_key)
		return fail(c, "state '%s' needs a value: PROBE(EXPR)", st->name);
	if (st->probe.has_key2)
		return fail(c, "state '%s': a state's value is one EXPR, not a pair", st->name);
	for (i = 3; i < n; i++) {
		if (!strcmp(w[i], "->"))
			return fail(c, "state '%s': a state has one probe, no '->'", st->name);
		if (strncmp(w[i], "names=", 6))
			return fail(c, "state '%s': unknown option " QF " (expected names=)",
				    st->name, QA(w[i]));
		err = parse_names(c, st, w[i] + 6);
		if (err)
			return err;
	}
	if (st->nr_names && expr__is_string(&st->probe.key))
		return fail(c, "state '%s': names= names numbers, and the value is a string",
			    st->name);
	err = state_spec__check_ret(st, c->err, c->errlen);
	return err ? fail_from_probe(c, err) : 0;
}

/*
 * Split at blanks outside parentheses, so "u64(arg1 + 8)" is one word;
 * "->" outside parentheses is a word of its own even when glued. The words
 * point into *buf.
 */
static int split_words(struct line_ctx *c, const char *s, char **buf, char **w, int *n)
{
	char *out = malloc(2 * strlen(s) + 2);
	bool in_word = false;
	int depth = 0;

	*buf = out;
	*n = 0;
	if (!out)
		return fail_nomem(c);
	for (; *s; s++) {
		if (!depth && (is_blank(*s) || (s[0] == '-' && s[1] == '>'))) {
			if (in_word)
				*out++ = '\0';
			in_word = false;
			if (is_blank(*s))
				continue;
		}
		if (!in_word) {
			if (*n == MAX_WORDS)
				return fail(c, "too many words (more than %d)", MAX_WORDS);
			w[(*n)++] = out;
			in_word = true;
		}
		if (!depth && s[0] == '-' && s[1] == '>') {
			memcpy(out, "->", 3);
			out += 3;
			s++;
			in_word = false;
			continue;
		}
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth)
			depth--;
		*out++ = *s;
	}
	if (in_word)
		*out = '\0';
	return 0;
}

static int parse_decl(struct line_ctx *c, const char *s)
{
	struct op_spec op = { .file = c->file, .line = c->lineno };
	struct state_spec st = { .file = c->file, .line = c->lineno };
	struct selector sel = { .file = c->file, .line = c->lineno };
	char *buf, *w[MAX_WORDS] = { "" };
	size_t n = ident_len(s);
	int nw, err;

	if (n && *skip_blanks(s + n) == '=') {
		if (c->f->nr_sels == OPS_SELECTORS_MAX)
			return fail(c, "too many selectors (at most %d)", OPS_SELECTORS_MAX);
		err = selector__parse(c->f, s, &sel, c->err, c->errlen);
		if (err)
			err = fail_from_probe(c, err);
		if (!err && append((void **)&c->f->sels, &c->f->nr_sels, &sel, sizeof(sel)))
			err = fail_nomem(c);
		if (err)
			free(sel.path);
		return err;
	}
	err = split_words(c, s, &buf, w, &nw);
	/* the limits of a run (maps/ops.h), checked where they are passed */
	if (!err && !strcmp(w[0], "op") && c->f->nr_ops == OPS_MAX)
		err = fail(c, "too many ops (at most %d)", OPS_MAX);
	else if (!err && !strcmp(w[0], "state") && c->f->nr_states == OPS_STATES_MAX)
		err = fail(c, "too many states (at most %d)", OPS_STATES_MAX);
	if (!err && !strcmp(w[0], "op")) {
		err = parse_op(c, w, nw, &op);
		if (!err && append((void **)&c->f->ops, &c->f->nr_ops, &op, sizeof(op)))
			err = fail_nomem(c);
		if (err)
			op_spec_free(&op);
	} else if (!err && !strcmp(w[0], "state")) {
		err = parse_state(c, w, nw, &st);
		if (!err && append((void **)&c->f->states, &c->f->nr_states, &st, sizeof(st)))
			err = fail_nomem(c);
		if (err)
			state_spec_free(&st);
	} else if (!err && !strcmp(w[0], "children")) {
		if (nw > 1)
			err = fail(c, "children takes nothing after it, got " QF, QA(w[1]));
		else
			c->f->follow_children = true;
	} else if (!err) {
		err = fail(c, "unknown declaration " QF " (expected op, state, children or "
			   "NAME=PATH)", QA(w[0]));
	}
	free(buf);
	return err;
}

int ops_parse_line(struct ops_file *f, const char *line, const char *file, int lineno,
		   char *err, size_t errlen)
{
	struct line_ctx c = { .f = f, .file = file ? file : "--op", .lineno = lineno,
			      .err = err, .errlen = errlen };
	char *copy, *hash, *end;
	const char *s;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (strnlen(line, OPS_LINE_MAX + 1) > OPS_LINE_MAX)
		return fail(&c, "line too long (more than %d chars)", OPS_LINE_MAX);
	copy = strdup(line);
	if (!copy)
		return fail_nomem(&c);
	hash = strchr(copy, '#');
	if (hash)
		*hash = '\0';
	for (end = copy + strlen(copy); end > copy && is_blank(end[-1]); end--)
		;
	*end = '\0';
	s = skip_blanks(copy);
	rc = 0;
	if (*s) {
		/* The specs point to the interned name, not to the caller's. */
		c.file = intern_file(f, c.file);
		rc = c.file ? parse_decl(&c, s) : fail_nomem(&c);
	}
	free(copy);
	return rc;
}

/*
 * What fd holds, up to OPS_FILE_MAX + 1 bytes (one more than allowed, to tell
 * a file at the bound from a longer one), NUL-terminated, into *buf.
 */
static int read_bounded(int fd, size_t hint, char **buf, size_t *len)
{
	size_t cap = (hint < OPS_FILE_MAX ? hint : OPS_FILE_MAX) + 2, n = 0;
	char *b = malloc(cap), *grown;
	ssize_t got;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n + 1 == cap) {
			if (cap == OPS_FILE_MAX + 2)
				break;
			cap = cap > OPS_FILE_MAX / 2 ? OPS_FILE_MAX + 2 : 2 * cap;
			if (!(grown = realloc(b, cap))) {
				free(b);
				return -ENOMEM;
			}
			b = grown;
		}
		got = read(fd, b + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(b);
			return -errno;
		}
		if (!got)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/*
 * The whole of the regular file path, at most OPS_FILE_MAX bytes, into *buf
 * (NUL-terminated). A FIFO, a device or a directory is refused at once:
 * opened without blocking, never read.
 */
static int read_ops_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc = 0;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file (an ops file is a text file of op "
			 "and state lines)", path);
	} else if (st.st_size > OPS_FILE_MAX ||
		   /* st_size may lie (/proc says 0) or grow: the read is bounded too */
		   (!(rc = read_bounded(fd, (size_t)st.st_size, buf, len)) &&
		    *len > OPS_FILE_MAX)) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: too big for an ops file (more than %d bytes)", path,
			 OPS_FILE_MAX);
	} else if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	}
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int ops_parse_file(struct ops_file *f, const char *path, char *err, size_t errlen)
{
	char *buf, *line, *eol, *end;
	size_t len = 0;
	int lineno, rc;

	if ((rc = read_ops_file(path, &buf, &len, err, errlen)))
		return rc;
	end = buf + len;
	for (line = buf, lineno = 1; line < end && !rc; line = eol + 1, lineno++) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		*eol = '\0';
		if (memchr(line, '\0', (size_t)(eol - line))) {
			struct line_ctx c = { .file = path, .lineno = lineno, .err = err,
					      .errlen = errlen };

			rc = fail(&c, "NUL byte in the line");
		} else {
			rc = ops_parse_line(f, line, path, lineno, err, errlen);
		}
	}
	free(buf);
	return rc;
}

void ops_file__free(struct ops_file *f)
{
	size_t i;

	for (i = 0; i < f->nr_ops; i++)
		op_spec_free(&f->ops[i]);
	for (i = 0; i < f->nr_states; i++)
		state_spec_free(&f->states[i]);
	for (i = 0; i < f->nr_sels; i++)
		free(f->sels[i].path);
	for (i = 0; i < f->nr_files; i++)
		free(f->files[i]);
	free(f->ops);
	free(f->states);
	free(f->sels);
	free(f->files);
	memset(f, 0, sizeof(*f));
}
