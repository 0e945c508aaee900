// SPDX-License-Identifier: MIT
/* Escaped, elided text for tables; see text_safe.h. */
#include <stdio.h>
#include <string.h>
#include "output/text_safe.h"

/* The escape of c, or NULL when c stands for itself; esc has room for 5. */
static const char *escape(unsigned char c, char *esc)
{
	switch (c) {
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\\':
		return "\\\\";
	}
	if (c >= 0x20 && c != 0x7f)
		return NULL;
	snprintf(esc, 5, "\\x%02x", c);
	return esc;
}

size_t text_width(const char *s)
{
	char esc[5];
	size_t n = 0;
	const char *e;

	for (; *s; s++)
		n += (e = escape((unsigned char)*s, esc)) ? strlen(e) : 1;
	return n;
}

/* Append the escaped s to buf[*used..len). */
static void put_escaped(char *buf, size_t len, size_t *used, const char *s)
{
	char esc[5];
	const char *e;

	for (; *s && *used + 1 < len; s++) {
		e = escape((unsigned char)*s, esc);
		if (!e) {
			buf[(*used)++] = *s;
			continue;
		}
		if (*used + strlen(e) + 1 > len)
			break;
		memcpy(buf + *used, e, strlen(e));
		*used += strlen(e);
	}
	buf[*used] = '\0';
}

const char *text_safe(char *buf, size_t len, const char *s, size_t max)
{
	size_t used = 0, full, head, tail;

	if (!len)
		return buf;
	put_escaped(buf, len, &used, s);
	full = text_width(s);
	/* elide only what is whole in buf (callers size buf for the escaped text) */
	if (!max || full <= max || max <= strlen(TEXT_ELLIPSIS) + 2 || used < full)
		return buf;
	/* keep the first head and the last tail characters around the ellipsis */
	head = (max - strlen(TEXT_ELLIPSIS) + 1) / 2;
	tail = max - strlen(TEXT_ELLIPSIS) - head;
	memmove(buf + head + strlen(TEXT_ELLIPSIS), buf + used - tail, tail + 1);
	memcpy(buf + head, TEXT_ELLIPSIS, strlen(TEXT_ELLIPSIS));
	return buf;
}
