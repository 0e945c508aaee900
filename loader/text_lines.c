// SPDX-License-Identifier: MIT
/* Lists of formatted lines; see text_lines.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "loader/text_lines.h"

int text_lines__vadd(char ***lines, size_t *n, const char *fmt, va_list ap)
{
	char **v, *line;

	if (vasprintf(&line, fmt, ap) < 0)
		return -ENOMEM;
	v = realloc(*lines, (*n + 1) * sizeof(*v));
	if (!v) {
		free(line);
		return -ENOMEM;
	}
	v[(*n)++] = line;
	*lines = v;
	return 0;
}

void text_lines__free(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}
