// SPDX-License-Identifier: MIT
/*
 * The open starts of paired ops, seen from user space: the kernel only adds
 * and removes them, so expiring those past their op's timeout (and counting
 * them as timeouts) and counting the rest (inflight) is done here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "maps/ops_starts.h"

static int cmp_start_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct op_start_key));
}

/* Every key, once: a key deleted under the walk restarts it from the first. */
static int collect_keys(int fd, struct op_start_key **out, size_t *n)
{
	struct op_start_key *keys = NULL, *k, next, *prev = NULL;
	size_t nr = 0, cap = 0, i, kept = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (nr == cap) {
			cap = cap ? 2 * cap : 256;
			k = realloc(keys, cap * sizeof(*k));
			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
		}
		keys[nr] = next;
		prev = &keys[nr++];
		if (nr > (1U << 24))
			break;	/* a map churning faster than we walk it */
	}
	if (nr)
		qsort(keys, nr, sizeof(*keys), cmp_start_key);
	for (i = 0; i < nr; i++)
		if (!kept || cmp_start_key(&keys[kept - 1], &keys[i]))
			keys[kept++] = keys[i];
	*out = keys;
	*n = kept;
	return 0;
}

/* The start is ours to count as a timeout only if our delete is the one that removes it. */
static int expire(struct op_pairing *p, int fd, const struct op_start_key *k,
		  const struct op_start *st, uint64_t age)
{
	struct op_key rk = { .op = k->op, .kind = st->label_kind, .label = st->label };
	struct op_expired e = { *k, *st, age };
	struct op_row *r;

	if (bpf_map_delete_elem(fd, k))
		return 0;	/* it ended meanwhile */
	r = op_table__row(&p->expired, &rk);
	if (!r)
		return -ENOMEM;
	r->timeouts++;
	if (p->on_expired)
		p->on_expired(p->ctx, &e);
	return 0;
}

int op_pairing__scan(struct op_pairing *p, int fd, struct op_table *t)
{
	struct op_start_key *keys;
	struct op_start st;
	struct op_row *r;
	size_t n, i;
	int err;

	if ((err = collect_keys(fd, &keys, &n)))
		return err;
	for (i = 0; i < n && !err; i++) {
		struct op_key rk = { .op = keys[i].op };
		uint64_t age, timeout;

		if (bpf_map_lookup_elem(fd, &keys[i], &st))
			continue;
		rk.kind = st.label_kind;
		rk.label = st.label;
		age = t->time_ns > st.ts ? t->time_ns - st.ts : 0;
		timeout = keys[i].op < OPS_MAX ? p->timeout_ns[keys[i].op] : 0;
		if (timeout && age > timeout) {
			err = expire(p, fd, &keys[i], &st, age);
			continue;
		}
		if (!(r = op_table__row(t, &rk)))
			err = -ENOMEM;
		else
			r->inflight++;
	}
	free(keys);
	for (i = 0; i < p->expired.nr_rows && !err; i++) {
		if (!(r = op_table__row(t, &p->expired.rows[i].key)))
			err = -ENOMEM;
		else
			r->timeouts = p->expired.rows[i].timeouts;
	}
	return err;
}

void op_pairing__free(struct op_pairing *p)
{
	op_table__free(&p->expired);
}
