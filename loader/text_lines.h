/* SPDX-License-Identifier: MIT */
/*
 * A growing list of formatted lines (notes for `list -v`: debug files
 * refused, where symbols came from), each malloc'ed.
 */
#ifndef SYNCTRACE_TEXT_LINES_H
#define SYNCTRACE_TEXT_LINES_H

#include <stdarg.h>
#include <stddef.h>

/* Append the line fmt formats to the *n lines of *lines: 0 or -ENOMEM (nothing added). */
int text_lines__vadd(char ***lines, size_t *n, const char *fmt, va_list ap);

/* Free every line and the list. */
void text_lines__free(char **lines, size_t n);

#endif /* SYNCTRACE_TEXT_LINES_H */
