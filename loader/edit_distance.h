/* SPDX-License-Identifier: MIT */
/* How far apart two names are, for "did you mean X?" suggestions. */
#ifndef SYNCTRACE_EDIT_DISTANCE_H
#define SYNCTRACE_EDIT_DISTANCE_H

#include <stddef.h>

/*
 * Case-insensitive Levenshtein distance of a (la long) and b, or limit + 1
 * as soon as it must exceed limit. row holds la + 1 entries.
 */
size_t edit_distance_bounded(const char *a, size_t la, const char *b, size_t limit,
			     size_t *row);

#endif /* SYNCTRACE_EDIT_DISTANCE_H */
