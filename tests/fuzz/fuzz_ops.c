// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ops language (cli/ops_spec.c, ops_probe.c,
 * ops_options.c, ops_expr.c, loader/target_spec.c). The input is an ops file,
 * parsed twice: from a memfd by ops_parse_file, and line by line by
 * ops_parse_line. Both must agree, keep the limits of a run, leave only
 * well-formed specs, and fail with one line naming the file and the line.
 * Each line also goes alone through the expression, predicate, integer and
 * duration parsers. Seeds: the .ops files of profiles/ and examples/, and
 * tests/fuzz/language.ops; tests/fuzz/ops.dict has the language's words.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "cli/ops_expr.h"
#include "cli/ops_spec.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_ops: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#define MSG 1024

static int mem_fd = -1;
static char mem_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mem_fd = memfd_create("fuzz_ops", MFD_CLOEXEC);
	if (mem_fd < 0) {
		perror("fuzz_ops: memfd_create");
		exit(1);
	}
	snprintf(mem_path, sizeof(mem_path), "/proc/self/fd/%d", mem_fd);
	return 0;
}

static bool is_ident(const char *s)
{
	size_t i;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i <= OPS_NAME_MAX;
}

/* One line, printable, bounded: what a user sees on stderr. */
static void check_message(const char *msg)
{
	size_t i, n = strnlen(msg, MSG);

	CHECK(n > 0 && n < MSG);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)msg[i] >= ' ' && msg[i] != 0x7f);
}

static void check_expr(const struct expr *e)
{
	int i;

	CHECK(e->base >= EXPR_NONE && e->base <= EXPR_SYM);
	CHECK(e->base != EXPR_NONE);
	CHECK(e->base != EXPR_ARG || (e->arg >= 0 && e->arg <= EXPR_MAX_ARG));
	CHECK(e->nr_reads >= 0 && e->nr_reads <= EXPR_MAX_READS);
	CHECK(!e->nr_reads || !e->add);
	for (i = 0; i < e->nr_reads; i++) {
		int sz = e->reads[i].size;

		CHECK(sz == 1 || sz == 2 || sz == 4 || sz == 8);
	}
	CHECK(e->cast_size == 0 || e->cast_size == 1 || e->cast_size == 2 ||
	      e->cast_size == 4 || e->cast_size == 8);
	CHECK(e->cast_size || !e->cast_signed);
	CHECK(e->uses_ret == (e->base == EXPR_RET || (e->len.set && e->len.base == EXPR_RET)));
	/* str(PTR, LEN): LEN is a number of a string */
	CHECK(!e->len.set || e->str);
	CHECK(!e->len.set || e->len.base == EXPR_ARG || e->len.base == EXPR_RET ||
	      e->len.base == EXPR_CONST);
	CHECK(!e->len.set || e->len.base != EXPR_ARG ||
	      (e->len.arg >= 0 && e->len.arg <= EXPR_MAX_ARG));
	CHECK(e->len.nr_reads >= 0 && e->len.nr_reads <= EXPR_MAX_READS);
	CHECK(e->base != EXPR_COMM || expr__is_string(e));
	/* sym(NAME): a name, bounded and terminated */
	CHECK(e->base != EXPR_SYM || (*e->sym && strnlen(e->sym, sizeof(e->sym)) < sizeof(e->sym)));
}

static void check_pred(const struct pred *p)
{
	if (!p->set)
		return;
	check_expr(&p->lhs);
	CHECK(!expr__is_string(&p->lhs));
	CHECK(p->cmp >= CMP_LT && p->cmp <= CMP_NE);
}

static void check_probe(const struct probe_spec *p)
{
	const struct target_spec *t = &p->target;

	CHECK(p->text && *p->text);
	CHECK(t->kind == TARGET_FUNC ? t->symbol && !t->provider && !t->name
				     : t->provider && t->name && !t->symbol);
	CHECK(!t->binary || *t->binary);
	if (p->has_key)
		check_expr(&p->key);
	CHECK(!p->has_key2 || p->has_key);
	if (p->has_key2)
		check_expr(&p->key2);
}

/* Everything f holds is what the language allows. */
static void check_file(const struct ops_file *f, int lines)
{
	size_t i, j;
	int k, m;

	CHECK(f->nr_ops <= OPS_MAX && f->nr_states <= OPS_STATES_MAX &&
	      f->nr_sels <= OPS_SELECTORS_MAX);
	for (i = 0; i < f->nr_ops; i++) {
		const struct op_spec *op = &f->ops[i];

		CHECK(is_ident(op->name));
		CHECK(!strcmp(op->file, mem_path) && op->line >= 1 && op->line <= lines);
		for (j = 0; j < i; j++)
			CHECK(strcmp(f->ops[j].name, op->name) && f->ops[j].line < op->line);
		check_probe(&op->start);
		if (op->paired)
			check_probe(&op->end);
		check_pred(&op->error);
		check_pred(&op->when);
		check_pred(&op->would_block);
		CHECK(!op->fanout || op->paired);
		CHECK(!op->paired || op->start.has_key2 == op->end.has_key2);
		CHECK(strnlen(op->label_name, sizeof(op->label_name)) < sizeof(op->label_name));
		CHECK(!op->label_name[0] || is_ident(op->label_name));
		if (op->has_value) {
			check_expr(&op->value);
			CHECK(!expr__is_string(&op->value));
		}
		if (op->has_label)
			check_expr(&op->label);
		CHECK(op->count_only ? !op->timeout_ns : op->timeout_ns > 0);
		CHECK(!op->ignore_unmatched || op->paired);
	}
	for (i = 0; i < f->nr_states; i++) {
		const struct state_spec *st = &f->states[i];

		CHECK(is_ident(st->name));
		for (j = 0; j < f->nr_ops; j++)
			CHECK(strcmp(f->ops[j].name, st->name));
		for (j = 0; j < i; j++)
			CHECK(strcmp(f->states[j].name, st->name));
		check_probe(&st->probe);
		CHECK(st->probe.has_key && !st->probe.has_key2);
		CHECK(st->nr_names >= 0 && st->nr_names <= STATE_MAX_NAMES);
		for (k = 0; k < st->nr_names; k++) {
			CHECK(st->names[k] && *st->names[k] &&
			      strlen(st->names[k]) <= OPS_NAME_MAX);
			for (m = 0; m < k; m++)
				CHECK(strcmp(st->names[m], st->names[k]) &&
				      st->values[m] != st->values[k]);
		}
	}
	for (i = 0; i < f->nr_sels; i++) {
		const struct selector *s = &f->sels[i];
		const char *p;

		CHECK(is_ident(s->name) && s->path && *s->path);
		for (p = s->path; *p; p++)
			CHECK((unsigned char)*p > ' ' && *p != 0x7f);
		for (j = 0; j < i; j++)
			CHECK(strcmp(f->sels[j].name, s->name));
	}
}

/* The parsers of values, alone, on any text. */
static void fuzz_values(const char *text)
{
	char msg[MSG] = "";
	unsigned long long ns;
	struct expr e;
	struct pred p;
	long long v;
	int rc;

	rc = expr__parse(text, &e, msg, sizeof(msg));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc)
		CHECK(*msg && !strchr(msg, '\n'));
	else
		check_expr(&e);
	msg[0] = '\0';
	rc = pred__parse(text, &p, msg, sizeof(msg));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc) {
		CHECK(*msg && !strchr(msg, '\n'));
	} else {
		CHECK(p.set);
		check_pred(&p);
	}
	rc = ops_parse_int(text, &v);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	rc = ops_parse_duration(text, &ns);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	CHECK(rc || ns > 0);
}

static size_t counts(const struct ops_file *f)
{
	return f->nr_ops * 1000000 + f->nr_states * 1000 + f->nr_sels;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ops_file whole = {}, lines = {};
	char err_file[MSG] = "", err_line[MSG] = "", want[MSG];
	const char *p = (const char *)data, *end = p + size, *eol;
	int rc_file, rc = 0, lineno = 0;
	char *line;
	size_t before;

	CHECK(!ftruncate(mem_fd, 0));
	CHECK(pwrite(mem_fd, data, size, 0) == (ssize_t)size);
	rc_file = ops_parse_file(&whole, mem_path, err_file, sizeof(err_file));
	CHECK(rc_file == 0 || rc_file == -EINVAL);

	/* the same lines, one by one, as ops_parse_file reads them */
	for (; p < end && !rc; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		lineno++;
		line = strndup(p, (size_t)(eol - p));
		CHECK(line);
		before = counts(&lines);
		if (strlen(line) != (size_t)(eol - p)) {
			rc = -EINVAL;
			snprintf(err_line, sizeof(err_line), "%s:%d: NUL byte in the line",
				 mem_path, lineno);
		} else {
			rc = ops_parse_line(&lines, line, mem_path, lineno, err_line,
					    sizeof(err_line));
			CHECK(rc == 0 || rc == -EINVAL);
			CHECK(!rc || counts(&lines) == before);
			fuzz_values(line);
		}
		free(line);
	}
	if (rc != rc_file || (rc && strcmp(err_file, err_line)) ||
	    counts(&whole) != counts(&lines)) {
		fprintf(stderr, "fuzz_ops: the file says %d '%s', its lines %d '%s'\n", rc_file,
			err_file, rc, err_line);
		abort();
	}
	if (rc) {
		check_message(err_file);
		snprintf(want, sizeof(want), "%s:%d: ", mem_path, lineno);
		CHECK(!strncmp(err_file, want, strlen(want)));
	}
	check_file(&whole, lineno);
	check_file(&lines, lineno);
	ops_file__free(&whole);
	ops_file__free(&lines);
	CHECK(!whole.nr_ops && !whole.ops && !lines.files);
	return 0;
}
