// SPDX-License-Identifier: MIT
/*
 * Text from traced processes (labels, op names, paths) written into the
 * HTML report: as character data, attribute values, and JSON inside a
 * <script> element. A label is whatever bytes a process held; none may
 * close an element, open a tag or break the page's UTF-8.
 */
#include <stdio.h>
#include "output/html.h"

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates and past U+10FFFF are not UTF-8 */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void html_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int n;

	while (*p) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			n = utf8_len(p);
			if (*p < 0x20 || *p == 0x7f || !n) {
				/* shown as the terminal tables show it, never raw */
				fprintf(f, "\\x%02x", *p);
				break;
			}
			fwrite(p, 1, (size_t)n, f);
			p += n;
			continue;
		}
		p++;
	}
}

void html_json_script(FILE *f, const char *json)
{
	const unsigned char *p = (const unsigned char *)json;
	int n;

	while (*p) {
		if (*p == '<' || *p == '>' || *p == '&') {
			/* JSON has these only inside strings, where \u00XX means the same */
			fprintf(f, "\\u%04x", *p++);
			continue;
		}
		if (!(n = utf8_len(p))) {
			/* a raw byte json-c passed through: only ever inside a string */
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n, f);
		p += n;
	}
}
