// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for TARGET parsing (loader/target_spec.c): the input, up
 * to its first NUL, as a TARGET. What parses must put back together into the
 * text as written (BINARY: split where target_spec__prefix_colon says, +OFF
 * and 0xADDR the numbers written), with names the grammar allows, and a
 * name without glob characters must match itself; what does not parse must
 * leave nothing behind and say why in one printable line.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/target_spec.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_target: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* Providers and probe names: no blanks, controls, '/' or ':'. */
static bool name_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/' || *s == ':')
			return false;
	return true;
}

/* Symbols: no blanks or controls, no ':' first or last, no digit first. */
static bool symbol_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || s[0] == ':' || s[len - 1] == ':' || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static bool all_null(const struct target_spec *t)
{
	return !t->binary && !t->symbol && !t->glob && !t->provider && !t->name && !t->text &&
	       !t->raw && !t->raw_addr && !t->sym_offset;
}

/* s is all of a number of base, and its value v. */
static bool number_is(const char *s, int base, unsigned long long v)
{
	char *end;

	if (!*s || strspn(s, base == 16 ? "0123456789abcdefABCDEF" : "0123456789") != strlen(s))
		return false;
	errno = 0;
	return strtoull(s, &end, base) == v && !errno && !*end;
}

/* What follows [BINARY:] in a function target. */
static void check_symbol_part(const char *rest, const struct target_spec *t)
{
	size_t n = strlen(t->symbol);

	if (t->raw) {
		CHECK(t->binary && !t->glob && !t->sym_offset && !strcmp(rest, t->symbol));
		CHECK(rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'));
		CHECK(number_is(rest + 2, 16, t->raw_addr));
		return;
	}
	CHECK(symbol_ok(t->symbol) && t->glob && !t->raw_addr);
	CHECK(!strncmp(rest, t->symbol, n));
	if (rest[n]) {
		/* +OFF: one function */
		CHECK(rest[n] == '+' && !is_glob(t->glob));
		if (rest[n + 1] == '0' && (rest[n + 2] == 'x' || rest[n + 2] == 'X'))
			CHECK(number_is(rest + n + 3, 16, t->sym_offset));
		else
			CHECK(number_is(rest + n + 1, 10, t->sym_offset));
	} else {
		CHECK(!t->sym_offset);
	}
	/* a name without glob characters (Go's (*T) and [...] are none) matches itself */
	if (!strchr(t->symbol, '\\') && !is_glob(t->glob))
		CHECK(fnmatch(t->glob, t->symbol, 0) == 0);
}

static void check_parsed(const char *text, const struct target_spec *t)
{
	const char *colon = target_spec__prefix_colon(text);
	char *again = NULL;
	int n;

	CHECK(t->text && !strcmp(t->text, text));
	CHECK(!t->binary || *t->binary);
	if (t->kind == TARGET_FUNC) {
		CHECK(t->symbol && !t->provider && !t->name);
		/* BINARY: ends at the first ':' not in a "::", and has no ':' */
		CHECK(!t->binary || !strchr(t->binary, ':'));
		CHECK(t->binary ? colon == text + strlen(t->binary) : !colon);
		check_symbol_part(t->binary ? colon + 1 : text, t);
		return;
	}
	CHECK(t->kind == TARGET_USDT && !t->symbol && !t->glob && !t->raw);
	CHECK(name_ok(t->provider) && name_ok(t->name));
	n = asprintf(&again, "usdt:%s%s%s:%s", t->binary ? t->binary : "",
		     t->binary ? ":" : "", t->provider, t->name);
	CHECK(n > 0 && !strcmp(again, text));
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), err[512];
	struct target_spec t;
	size_t i, n;
	int rc;

	CHECK(text);
	memset(err, 'X', sizeof(err));
	rc = target_spec__parse(text, &t, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc) {
		CHECK(all_null(&t));
		n = strnlen(err, sizeof(err));
		CHECK(n < sizeof(err) && !strncmp(err, "malformed target '", 18));
		for (i = 0; i < n; i++)
			CHECK((unsigned char)err[i] >= ' ' && err[i] != 0x7f);
	} else {
		check_parsed(text, &t);
		target_spec__free(&t);
		CHECK(all_null(&t));
	}
	free(text);
	return 0;
}
