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
	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '*' || *s == '?' || *s == '[')
			return true;
	}
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_control_or_blank(char c)
{
	return (unsigned char)c <= ' ' || c == 0x7f;
}

/* USDT providers and probe names: no blanks, controls, slashes or colons. */
static bool valid_usdt_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (is_control_or_blank(*s) || *s == '/' || *s == ':')
			return false;
	return true;
}

/*
 * Symbols: anything a language writes but blanks and controls ('/', '.',
 * '(', '*' for Go; "::" for C++ and Rust; a ':' of Go's type:.eq.T after a
 * BINARY: prefix), not starting or ending with ':'.
 */
static bool valid_symbol(const char *s)
{
	size_t len = strlen(s);

	if (!len || s[0] == ':' || s[len - 1] == ':')
		return false;
	for (; *s; s++)
		if (is_control_or_blank(*s))
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

const char *target_spec__prefix_colon(const char *text)
{
	const char *p = text;
	size_t run;

	while ((p = strchr(p, ':'))) {
		run = strspn(p, ":");
		if (run == 1)
			return p;
		p += run;
	}
	return NULL;
}

char *target_spec__glob(const char *symbol)
{
	/* at most one backslash more per character */
	char *glob = malloc(2 * strlen(symbol) + 1), *o = glob;
	const char *s;

	if (!glob)
		return NULL;
	for (s = symbol; *s; s++) {
		if (*s == '\\' && s[1]) {
			*o++ = *s++;	/* escaped already */
			*o++ = *s;
		} else if (s[0] == '(' && s[1] == '*') {
			memcpy(o, "(\\*", 3);	/* Go's pointer receiver: (*T) */
			o += 3;
			s++;
		} else if (!strncmp(s, "[...]", 5)) {
			memcpy(o, "\\[...\\]", 7);	/* Go's generic: F[...] */
			o += 7;
			s += 4;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return glob;
}

/* A decimal or 0x-hex number that is all of s, without overflowing 64 bits. */
static bool parse_u64(const char *s, __u64 *v)
{
	unsigned int base = 10, d;
	__u64 r = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		if (is_digit(*s))
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (r > (~0ULL - d) / base)
			return false;
		r = r * base + d;
	}
	*v = r;
	return true;
}

/* What follows BINARY: (or the whole text without one): 0xADDR, SYMBOL+OFF or SYMBOL. */
static int parse_symbol(char *sym, const char *text, struct target_spec *out,
			char *err, size_t errlen)
{
	char *plus = strrchr(sym, '+');

	if (sym[0] == '0' && (sym[1] == 'x' || sym[1] == 'X')) {
		if (!out->binary)
			return fail(err, errlen, text, "a raw address needs its file: BINARY:0xADDR");
		if (!parse_u64(sym, &out->raw_addr))
			return fail(err, errlen, text, "bad address: expected BINARY:0xADDR, "
				    "hex digits, 64 bits at most");
		out->raw = true;
		out->symbol = strdup(sym);
		return out->symbol ? 0 : -ENOMEM;
	}
	if (is_digit(sym[0]))
		return fail(err, errlen, text, "a raw address is hex: BINARY:0xADDR");
	if (plus && is_digit(plus[1])) {
		if (!parse_u64(plus + 1, &out->sym_offset))
			return fail(err, errlen, text, "bad offset after '+': expected a decimal or "
				    "0x-hex number, 64 bits at most");
		*plus = '\0';
	}
	if (!valid_symbol(sym))
		return fail(err, errlen, text, "expected [BINARY_OR_LIB:]SYMBOL");
	out->symbol = strdup(sym);
	out->glob = target_spec__glob(sym);
	if (!out->symbol || !out->glob)
		return -ENOMEM;
	if (plus && is_digit(plus[1]) && is_glob(out->glob))
		return fail(err, errlen, text, "SYMBOL+OFF needs one function, not a glob");
	return 0;
}

static int parse_func(char *copy, const char *text, struct target_spec *out,
		      char *err, size_t errlen)
{
	char *colon = (char *)target_spec__prefix_colon(copy);

	out->kind = TARGET_FUNC;
	if (strstr(copy, ":::"))
		return fail(err, errlen, text, "':::' is neither 'BINARY:' nor a name's '::'");
	if (!colon)
		return parse_symbol(copy, text, out, err, errlen);
	*colon = '\0';
	if (!*copy)
		return fail(err, errlen, text, "empty binary before ':'");
	/* a path or a library's name: a C++ or Rust name's '::' cannot end before it */
	if (strstr(copy, "::"))
		return fail(err, errlen, text, "a name with '::' then a single ':' (a BINARY: "
			    "prefix comes first: BINARY:NS::NAME)");
	out->binary = strdup(copy);
	if (!out->binary)
		return -ENOMEM;
	return parse_symbol(colon + 1, text, out, err, errlen);
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
	char *copy = strdup(text);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!copy)
		return -ENOMEM;
	if (!strncmp(copy, "usdt:", 5)) {
		out->kind = TARGET_USDT;
		if (split_usdt(copy + 5, out))
			rc = fail(err, errlen, text, "expected usdt:[BINARY:]PROVIDER:NAME");
		else if (!valid_usdt_name(out->provider) || !valid_usdt_name(out->name))
			rc = fail(err, errlen, text, "empty or invalid provider or probe name");
		else if (out->binary && !*out->binary)
			rc = fail(err, errlen, text, "empty binary before ':'");
	} else {
		rc = parse_func(copy, text, out, err, errlen);
	}
	free(copy);
	if (!rc) {
		out->text = strdup(text);
		if (!out->text)
			rc = -ENOMEM;
	}
	if (rc)
		target_spec__free(out);
	return rc;
}

void target_spec__free(struct target_spec *t)
{
	free(t->binary);
	free(t->symbol);
	free(t->glob);
	free(t->provider);
	free(t->name);
	free(t->text);
	memset(t, 0, sizeof(*t));
}
