// SPDX-License-Identifier: MIT
/* The Prometheus text format, escaped and exact; see prom_text.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/prom_text.h"

void prom_buf__init(struct prom_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void prom_buf__free(struct prom_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* Room for n more bytes and a NUL. */
static bool reserve(struct prom_buf *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->failed)
		return false;
	if (n > b->max || b->len + n + 1 > b->max) {
		b->failed = true;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	if (!(s = realloc(b->s, cap))) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void prom_buf__put(struct prom_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void prom_buf__puts(struct prom_buf *b, const char *s)
{
	prom_buf__put(b, s, strlen(s));
}

void prom_buf__printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!reserve(b, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (b->s && b->len + (size_t)n < b->cap) {
		b->len += (size_t)n;
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

void prom_buf__label_value(struct prom_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	prom_buf__put(b, "\"", 1);
	while (*p) {
		if (*p == '\\' || *p == '"') {
			prom_buf__put(b, "\\", 1);
			prom_buf__put(b, (const char *)p++, 1);
		} else if (*p == '\n') {
			prom_buf__put(b, "\\n", 2);
			p++;
		} else if ((n = utf8_len(p))) {
			prom_buf__put(b, (const char *)p, n);
			p += n;
		} else {
			prom_buf__put(b, "\xef\xbf\xbd", 3);	/* U+FFFD */
			p++;
		}
	}
	prom_buf__put(b, "\"", 1);
}

uint64_t prom_group_lower(unsigned int group)
{
	return hist_bucket_lower(group << PROM_MERGE_SHIFT);
}

uint64_t prom_group_upper(unsigned int group)
{
	unsigned int last = ((group + 1) << PROM_MERGE_SHIFT) - 1;

	/* the last exact bucket's upper bound is inclusive already */
	if (last >= HIST_LAST_BUCKET)
		return UINT64_MAX;
	return hist_bucket_upper(last) - 1;
}

/* Digits (no sign, no leading zeros) with a point put scale from the right. */
static const char *with_point(char *buf, size_t len, const char *digits, unsigned int scale)
{
	size_t n = strlen(digits), i = 0, o = 0;
	char tmp[96];

	if (scale > 40 || n > 40) {
		snprintf(buf, len, "%s", digits);
		return buf;
	}
	if (n <= scale) {
		tmp[o++] = '0';
		tmp[o++] = '.';
		for (; n + i < scale; i++)
			tmp[o++] = '0';
		memcpy(tmp + o, digits, n);
		o += n;
	} else {
		memcpy(tmp, digits, n - scale);
		o = n - scale;
		if (scale) {
			tmp[o++] = '.';
			memcpy(tmp + o, digits + n - scale, scale);
			o += scale;
		}
	}
	/* trailing zeros after the point, and a bare point, say nothing */
	if (scale) {
		while (tmp[o - 1] == '0')
			o--;
		if (tmp[o - 1] == '.')
			o--;
	}
	tmp[o] = '\0';
	snprintf(buf, len, "%s", tmp);
	return buf;
}

const char *prom_decimal(char *buf, size_t len, uint64_t n, unsigned int scale)
{
	char digits[32];

	snprintf(digits, sizeof(digits), "%" PRIu64, n);
	return with_point(buf, len, digits, scale);
}

const char *prom_sum_text(char *buf, size_t len, const struct histogram *h,
			  unsigned int scale)
{
	char digits[48];

	return with_point(buf, len, hist_sum_text(h, digits, sizeof(digits)), scale);
}

static void series(struct prom_buf *b, const char *name, const char *suffix,
		   const char *labels, const char *le, const char *value)
{
	prom_buf__puts(b, name);
	prom_buf__puts(b, suffix);
	if (*labels || le) {
		prom_buf__puts(b, "{");
		prom_buf__puts(b, labels);
		if (le) {
			prom_buf__puts(b, *labels ? ",le=\"" : "le=\"");
			prom_buf__puts(b, le);
			prom_buf__puts(b, "\"");
		}
		prom_buf__puts(b, "}");
	}
	prom_buf__puts(b, " ");
	prom_buf__puts(b, value);
	prom_buf__puts(b, "\n");
}

void prom_histogram(struct prom_buf *b, const char *name, const char *labels,
		    const struct histogram *h, unsigned int scale, unsigned int *lo,
		    unsigned int *hi)
{
	char le[48], value[48];
	uint64_t below = 0;
	unsigned int g;
	uint32_t i = 0;

	if (h->nr) {
		unsigned int first = prom_group(h->bins[0].idx);
		unsigned int last = prom_group(h->bins[h->nr - 1].idx);

		if (*lo > *hi) {
			*lo = first;
			*hi = last;
		} else {
			*lo = first < *lo ? first : *lo;
			*hi = last > *hi ? last : *hi;
		}
	}
	/* every group of the range, cumulative; the last group, if it ends
	 * at 2^64 - 1, is +Inf itself and written once, as +Inf */
	for (g = *lo; *lo <= *hi && g <= *hi; g++) {
		for (; i < h->nr && prom_group(h->bins[i].idx) == g; i++)
			below += h->bins[i].n;
		if (prom_group_upper(g) == UINT64_MAX)
			break;
		series(b, name, "_bucket", labels, prom_decimal(le, sizeof(le),
		       prom_group_upper(g), scale), prom_decimal(value, sizeof(value), below, 0));
	}
	series(b, name, "_bucket", labels, "+Inf", prom_decimal(value, sizeof(value), h->count, 0));
	series(b, name, "_sum", labels, NULL, prom_sum_text(value, sizeof(value), h, scale));
	series(b, name, "_count", labels, NULL, prom_decimal(value, sizeof(value), h->count, 0));
}
