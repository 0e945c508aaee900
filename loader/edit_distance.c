// SPDX-License-Identifier: MIT
/* Bounded edit distance for "did you mean"; see edit_distance.h. */
#include <ctype.h>
#include "loader/edit_distance.h"

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

size_t edit_distance_bounded(const char *a, size_t la, const char *b,
			    size_t limit, size_t *row)
{
	size_t i, j;

	for (j = 0; j <= la; j++)
		row[j] = j;
	for (i = 0; b[i]; i++) {
		size_t diag = row[0], rmin = i + 1;

		row[0] = i + 1;
		for (j = 0; j < la; j++) {
			size_t up = row[j + 1], d = diag +
				(tolower((unsigned char)a[j]) !=
				 tolower((unsigned char)b[i]));

			d = min_sz(d, min_sz(up, row[j]) + 1);
			diag = up;
			row[j + 1] = d;
			rmin = min_sz(rmin, d);
		}
		if (rmin > limit)
			return limit + 1;
	}
	return row[la];
}
