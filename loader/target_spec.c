// SPDX-License-Identifier: MIT
/* TARGET parsing; see target_spec.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/target_spec.h"

#define QUOTE_MAX 80	/* chars of the text a message quotes */

bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Symbols, providers and probe names: no spaces, slashes or colons. */
static bool valid_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == '/' || *s == ':' || *s == 0x7f)
			return false;
	return true;
}

/* The text is cut, and its control characters shown as '?': the message stays one line. */
static int fail(char *err, size_t errlen, const char *text, const char *why)
{
	char shown[QUOTE_MAX + 1];
	size_t i, n = strnlen(text, QUOTE_MAX);

	for (i = 0; i < n; i++)
		shown[i] = (unsigned char)text[i] < ' ' || text[i] == 0x7f ? '?' : text[i];
	shown[n] = '\0';
	snprintf(err, errlen, "malformed target '%s%s': %s", shown, text[n] ? "..." : "", why);
	return -EINVAL;
}

static int split_usdt(char *rest, struct target_spec *out)
{
	char *last = strrchr(rest, ':'), *mid;

	if (!last)
		return -EINVAL;
	*last = '\0';
	mid = strrchr(rest, ':');
	if (mid) {
		*mid = '\0';
		out->binary = strdup(rest);
		out->provider = strdup(mid + 1);
	} else {
		out->provider = strdup(rest);
	}
	out->name = strdup(last + 1);
	return 0;
}

int target_spec__parse(const char *text, struct target_spec *out,
		       char *err, size_t errlen)
{
	char *copy = strdup(text), *colon;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!copy)
		return -ENOMEM;
	if (!strncmp(copy, "usdt:", 5)) {
		out->kind = TARGET_USDT;
		if (split_usdt(copy + 5, out))
			rc = fail(err, errlen, text, "expected usdt:[BINARY:]PROVIDER:NAME");
		else if (!valid_name(out->provider) || !valid_name(out->name))
			rc = fail(err, errlen, text, "empty or invalid provider or probe name");
	} else {
		out->kind = TARGET_FUNC;
		colon = strchr(copy, ':');
		if (colon) {
			*colon = '\0';
			out->binary = strdup(copy);
		}
		out->symbol = strdup(colon ? colon + 1 : copy);
		if (!valid_name(out->symbol))
			rc = fail(err, errlen, text, "expected [BINARY_OR_LIB:]SYMBOL");
	}
	if (!rc && out->binary && !*out->binary)
		rc = fail(err, errlen, text, "empty binary before ':'");
	free(copy);
	if (!rc)
		out->text = strdup(text);
	if (rc)
		target_spec__free(out);
	return rc;
}

void target_spec__free(struct target_spec *t)
{
	free(t->binary);
	free(t->symbol);
	free(t->provider);
	free(t->name);
	free(t->text);
	memset(t, 0, sizeof(*t));
}
