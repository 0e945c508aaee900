// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for TARGET parsing (loader/target_spec.c): the input, up
 * to its first NUL, as a TARGET. What parses must put back together into the
 * text as written, with names the grammar allows; what does not must leave
 * nothing behind and say why in one printable line.
 */
#include <errno.h>
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

/* Symbols, providers and probe names: no blanks, controls, '/' or ':'. */
static bool name_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/' || *s == ':')
			return false;
	return true;
}

static bool all_null(const struct target_spec *t)
{
	return !t->binary && !t->symbol && !t->provider && !t->name && !t->text;
}

static void check_parsed(const char *text, const struct target_spec *t)
{
	char *again = NULL;
	int n;

	CHECK(t->text && !strcmp(t->text, text));
	CHECK(!t->binary || *t->binary);
	if (t->kind == TARGET_FUNC) {
		CHECK(name_ok(t->symbol) && !t->provider && !t->name);
		CHECK(!t->binary || !strchr(t->binary, ':'));
		n = asprintf(&again, "%s%s%s", t->binary ? t->binary : "", t->binary ? ":" : "",
			     t->symbol);
		CHECK(is_glob(t->symbol) == (strpbrk(t->symbol, "*?[") != NULL));
	} else {
		CHECK(t->kind == TARGET_USDT && !t->symbol);
		CHECK(name_ok(t->provider) && name_ok(t->name));
		n = asprintf(&again, "usdt:%s%s%s:%s", t->binary ? t->binary : "",
			     t->binary ? ":" : "", t->provider, t->name);
	}
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
