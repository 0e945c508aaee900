// SPDX-License-Identifier: MIT
/* Durations as text; see units.h. */
#include <math.h>
#include <stdio.h>
#include "output/units.h"

static const char *const names[] = { "", "ns", "us", "ms" };
static const double divisors[] = { 1, 1, 1e3, 1e6 };

const char *unit_name(enum unit u)
{
	return u <= UNIT_MS ? names[u] : "";
}

/* v with three significant digits, without an exponent. */
static void sig3(char *buf, size_t len, double v, const char *suffix)
{
	int decimals;

	if (v == 0 || v >= 100)
		decimals = 0;
	else if (v >= 10)
		decimals = 1;
	else
		decimals = 2 - (int)floor(log10(v));
	/* a value that rounds up into the next decade keeps three digits too */
	if (decimals > 0 && v * pow(10, decimals) >= 999.5)
		decimals--;
	if (decimals > 12)
		decimals = 12;
	snprintf(buf, len, "%.*f%s", decimals, v, suffix);
}

const char *format_duration(char *buf, size_t len, double ns, enum unit u)
{
	if (u != UNIT_AUTO && u <= UNIT_MS) {
		sig3(buf, len, ns / divisors[u], names[u]);
		return buf;
	}
	if (ns < 999.5 && ns == floor(ns))
		snprintf(buf, len, "%.0fns", ns);	/* a bucket bound, an exact min */
	else if (ns < 999.5)
		sig3(buf, len, ns, "ns");
	else if (ns < 999.5e3)
		sig3(buf, len, ns / 1e3, "us");
	else if (ns < 999.5e6)
		sig3(buf, len, ns / 1e6, "ms");
	else
		sig3(buf, len, ns / 1e9, "s");
	return buf;
}
