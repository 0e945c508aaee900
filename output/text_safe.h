/* SPDX-License-Identifier: MIT */
/*
 * Text from traced processes (labels, symbol names, paths) made safe for a
 * terminal table: control characters escaped, so that a label holding a
 * newline cannot break a row or move the cursor, and long texts elided in
 * the middle, where the beginning and the end (a statement's verb and its
 * table, a path's file name) stay visible.
 */
#ifndef SYNCTRACE_TEXT_SAFE_H
#define SYNCTRACE_TEXT_SAFE_H

#include <stddef.h>

#define PATH_TEXT_MAX 4200	/* an escaped path of PATH_MAX, roughly */
#define TEXT_ELLIPSIS "..."

/*
 * s into buf with \n, \r, \t, \\ written as such and other bytes below
 * 0x20 (and 0x7f) as \xNN; if max > 0 and that is longer than max, its
 * middle is replaced by "..." so that it is max long. Returns buf.
 */
const char *text_safe(char *buf, size_t len, const char *s, size_t max);
/* The length text_safe() gives s with no limit. */
size_t text_width(const char *s);

#endif /* SYNCTRACE_TEXT_SAFE_H */
