/* SPDX-License-Identifier: MIT */
/* Character classes and message quoting shared by the ops parsers
 * (ops_spec.c, ops_probe.c, ops_expr.c). Internal to cli/. */
#ifndef SYNCTRACE_OPS_LEX_H
#define SYNCTRACE_OPS_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Quote user text in messages, cut to QUOTE_MAX: printf(QF, QA(s)). */
#define QUOTE_MAX 80
#define QF "'%.*s%s'"
#define QA(s) (int)strnlen((s), QUOTE_MAX), (s), \
	(strnlen((s), QUOTE_MAX + 1) > QUOTE_MAX ? "..." : "")

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool is_ident_char(char c)
{
	return is_ident_start(c) || is_digit(c);
}

static inline const char *skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/* Length of the identifier at s, 0 if none starts there. */
static inline int ident_len(const char *s)
{
	int n = 0;

	if (!is_ident_start(*s))
		return 0;
	while (is_ident_char(s[n]))
		n++;
	return n;
}

#endif /* SYNCTRACE_OPS_LEX_H */
