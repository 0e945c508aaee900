// SPDX-License-Identifier: MIT
/* Whole-map reads in batches; see map_batch.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps/kernel_errno.h"
#include "maps/map_batch.h"

/* Entries per batch: big enough to need few syscalls, small enough that a
 * batch of 8 KiB histograms stays a few MiB. */
#define BATCH_ENTRIES 256
/* One hash bucket holds more entries than a batch (-ENOSPC): grow to this. */
#define BATCH_ENTRIES_MAX 65536
/* A walk that never ends (a map churning faster than we read) is cut here. */
#define WALK_MAX_ENTRIES (1U << 24)
/* The batch token of a hash map is a bucket index (4 bytes). */
#define TOKEN_SIZE 8

size_t map_percpu_value_size(size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus();

	return ncpu > 0 ? ((value_size + 7) & ~(size_t)7) * (size_t)ncpu : 0;
}

/* Without batch support: one get_next_key and one lookup per entry. */
static int walk_keys(int fd, size_t key_size, void *key, void *next, void *value,
		     map_entry_fn fn, void *ctx)
{
	size_t seen = 0;
	bool first = true;
	int rc;

	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, key_size);
		if (++seen > WALK_MAX_ENTRIES)
			break;
		if (bpf_map_lookup_elem(fd, key, value))
			continue;	/* deleted meanwhile */
		if ((rc = fn(ctx, key, value)))
			return rc;
	}
	return 0;
}

static bool no_batch_ops(int err)
{
	return err == -EINVAL || err == -ENOTSUP || err == -KERNEL_ENOTSUPP;
}

int map_batch_each(int fd, size_t key_size, size_t value_size, map_entry_fn fn, void *ctx)
{
	size_t cap = BATCH_ENTRIES, seen = 0;
	char *keys = malloc(cap * key_size), *values = malloc(cap * value_size), *grown;
	char in[TOKEN_SIZE], out[TOKEN_SIZE];
	bool first = true;
	__u32 n, i;
	int rc = 0, err;

	if (!keys || !values) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		n = (__u32)cap;
		err = bpf_map_lookup_batch(fd, first ? NULL : in, out, keys, values, &n, NULL);
		err = err ? -errno : 0;
		if (err == -ENOSPC && cap < BATCH_ENTRIES_MAX) {
			/* one bucket holds more than a batch: the same batch, bigger */
			cap *= 4;
			if (!(grown = realloc(keys, cap * key_size)))
				goto nomem;
			keys = grown;
			if (!(grown = realloc(values, cap * value_size)))
				goto nomem;
			values = grown;
			continue;
		}
		if (err && err != -ENOENT) {
			/* an old kernel without batch ops: walk the keys instead */
			rc = first && no_batch_ops(err) ?
			     walk_keys(fd, key_size, keys, keys + key_size, values, fn, ctx) : err;
			break;
		}
		for (i = 0; i < n && !rc; i++)
			rc = fn(ctx, keys + i * key_size, values + i * value_size);
		seen += n;
		if (rc || err == -ENOENT || seen > WALK_MAX_ENTRIES)
			break;	/* -ENOENT: that was the last batch */
		first = false;
		memcpy(in, out, sizeof(in));
	}
	goto cleanup;
nomem:
	rc = -ENOMEM;
cleanup:
	free(keys);
	free(values);
	return rc;
}
