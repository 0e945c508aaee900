/* SPDX-License-Identifier: MIT */
/* Durations as text: the units of every table, histogram and dashboard. */
#ifndef SYNCTRACE_UNITS_H
#define SYNCTRACE_UNITS_H

#include <stddef.h>

enum unit { UNIT_AUTO, UNIT_NS, UNIT_US, UNIT_MS };

/*
 * ns as text with at least three significant digits, so that two bucket
 * bounds (at least 1/32 apart) never print the same: "587us", "1.02ms",
 * "76.3us", "15ns". UNIT_AUTO picks the unit that shows the value as 1 or
 * more (ns, us, ms, s); a fixed unit keeps it and adds decimals where the
 * value is small ("0.0123ms"). Returns buf.
 */
const char *format_duration(char *buf, size_t len, double ns, enum unit u);
/* "ns", "us", "ms", or "" for UNIT_AUTO. */
const char *unit_name(enum unit u);

#endif /* SYNCTRACE_UNITS_H */
