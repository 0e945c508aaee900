/* SPDX-License-Identifier: MIT */
/*
 * Reading a whole BPF hash map: the batch lookup (a few syscalls for
 * thousands of entries, where one lookup per key took ~3 syscalls a row),
 * with the key-by-key walk as a fallback on kernels without it.
 */
#ifndef SYNCTRACE_MAP_BATCH_H
#define SYNCTRACE_MAP_BATCH_H

#include <stddef.h>

/* Called once per entry; non-zero stops the walk and is returned. */
typedef int (*map_entry_fn)(void *ctx, const void *key, const void *value);

/*
 * fn for every entry of the hash map fd. value_size is what one lookup
 * returns (for a per-CPU map: the value rounded up to 8 bytes, times the
 * possible CPUs). Entries added or removed meanwhile may or may not be
 * seen; none is seen twice. Returns 0, fn's non-zero, or -errno.
 */
int map_batch_each(int fd, size_t key_size, size_t value_size, map_entry_fn fn, void *ctx);

/* The size a lookup of a per-CPU map with this value size returns, or 0. */
size_t map_percpu_value_size(size_t value_size);

#endif /* SYNCTRACE_MAP_BATCH_H */
