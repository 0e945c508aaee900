// SPDX-License-Identifier: MIT
/*
 * The times `report --since/--until` take (record_read.h): "10 min ago",
 * "2026-12-05 10:00:00" (local time), "2026-12-05T10:00:00Z" (UTC),
 * "@1733400000[.5]" (seconds since the epoch) and "now". Users type these,
 * so every field is range-checked and nothing can overflow.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "output/record_read.h"

#define NS 1000000000LL
/* Year 1970 to 2262: the span of int64 nanoseconds since the epoch. */
#define MAX_SECS (INT64_MAX / NS - 1)

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A run of at most max digits into *v; the text after it, or NULL. */
static const char *digits(const char *s, int min, int max, int64_t *v)
{
	int n = 0;

	*v = 0;
	while (isdigit((unsigned char)*s) && n < max) {
		*v = *v * 10 + (*s++ - '0');
		n++;
	}
	if (n < min || isdigit((unsigned char)*s))
		return NULL;
	return s;
}

/* ".123456789": the fraction of a second as ns (up to 9 digits). */
static const char *fraction(const char *s, int64_t *ns)
{
	int64_t scale = NS / 10;

	*ns = 0;
	if (*s != '.')
		return s;
	s++;
	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		if (!scale)
			return NULL;
		*ns += (*s - '0') * scale;
		scale /= 10;
	}
	return s;
}

/* "N UNIT ago": seconds per unit, 0 for an unknown unit. */
static int64_t unit_secs(const char *u, size_t len)
{
	static const struct { const char *name; int64_t secs; } units[] = {
		{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 }, { "seconds", 1 },
		{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 }, { "minutes", 60 },
		{ "h", 3600 }, { "hour", 3600 }, { "hours", 3600 },
		{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
		{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == len && !strncasecmp(u, units[i].name, len))
			return units[i].secs;
	return 0;
}

static int parse_ago(const char *s, int64_t now_ns, int64_t *out)
{
	int64_t n, unit;
	const char *u;

	if (!(s = digits(s, 1, 9, &n)))
		return -EINVAL;
	u = s = skip_space(s);
	while (isalpha((unsigned char)*s))
		s++;
	if (!(unit = unit_secs(u, (size_t)(s - u))))
		return -EINVAL;
	s = skip_space(s);
	if (strncasecmp(s, "ago", 3))
		return -EINVAL;
	if (*skip_space(s + 3))
		return -EINVAL;
	/* n < 10^9, unit <= 604800: n * unit * NS could overflow, so check */
	if (n > MAX_SECS / unit || now_ns - n * unit * NS < 0)
		return -EINVAL;
	*out = now_ns - n * unit * NS;
	return 0;
}

static int parse_epoch(const char *s, int64_t *out)
{
	int64_t secs, ns;

	if (!(s = digits(s, 1, 11, &secs)) || !(s = fraction(s, &ns)) || *skip_space(s))
		return -EINVAL;
	if (secs > MAX_SECS)
		return -EINVAL;
	*out = secs * NS + ns;
	return 0;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD[ T]HH:MM[:SS[.frac]][Z]"; without Z, local time. */
static int parse_date(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t y, mo, d, h = 0, mi = 0, sec = 0, ns = 0, secs;
	struct tm tm = { 0 };
	bool utc = false;
	time_t t;

	if (!(s = digits(s, 4, 4, &y)) || *s++ != '-' || !(s = digits(s, 2, 2, &mo)) ||
	    *s++ != '-' || !(s = digits(s, 2, 2, &d)))
		return -EINVAL;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (!(s = digits(s, 2, 2, &h)) || *s++ != ':' || !(s = digits(s, 2, 2, &mi)))
			return -EINVAL;
		if (*s == ':' && (!(s = digits(s + 1, 2, 2, &sec)) || !(s = fraction(s, &ns))))
			return -EINVAL;
	}
	if (*s == 'Z') {
		utc = true;
		s++;
	}
	if (*skip_space(s))
		return -EINVAL;
	if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	secs = (int64_t)t;
	if (t == (time_t)-1 || secs < 0 || secs > MAX_SECS)
		return -EINVAL;
	*out = secs * NS + ns;
	return 0;
}

int record_parse_time(const char *text, int64_t now_ns, int64_t *out_ns)
{
	const char *s;

	if (!text || now_ns < 0)
		return -EINVAL;
	s = skip_space(text);
	if (!strcasecmp(s, "now")) {
		*out_ns = now_ns;
		return 0;
	}
	if (*s == '@')
		return parse_epoch(s + 1, out_ns);
	/* a date has a '-' after four digits; "10 min ago" does not */
	if (strlen(s) >= 5 && s[4] == '-')
		return parse_date(s, out_ns);
	return parse_ago(s, now_ns, out_ns);
}

int64_t record_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
