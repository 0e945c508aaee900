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
#include "maps/map_batch.h"
#include "maps/ops_starts.h"

struct open_start {
	struct op_start_key key;
	struct op_start start;
};

struct walk {
	const struct op_pairing *p;
	uint64_t now;
	struct open_start *old;		/* past their timeout */
	size_t nr_old, cap_old;
	struct op_key_counts inflight;	/* the rest, when counted */
	bool count_inflight;
};

static struct op_key row_key(const struct op_start_key *k, const struct op_start *st)
{
	return (struct op_key){ .op = k->op, .kind = st->label_kind, .label = st->label };
}

static int on_start(void *ctx, const void *key, const void *value)
{
	const struct op_start_key *k = key;
	const struct op_start *st = value;
	struct walk *w = ctx;
	uint64_t timeout = k->op < OPS_MAX ? w->p->timeout_ns[k->op] : 0;
	struct op_key rk = row_key(k, st);
	struct open_start *old;

	if (timeout && w->now > st->ts && w->now - st->ts > timeout) {
		if (w->nr_old == w->cap_old) {
			size_t cap = w->cap_old ? 2 * w->cap_old : 64;

			if (!(old = realloc(w->old, cap * sizeof(*old))))
				return -ENOMEM;
			w->old = old;
			w->cap_old = cap;
		}
		w->old[w->nr_old++] = (struct open_start){ *k, *st };
		return 0;
	}
	return w->count_inflight ? op_key_counts__add(&w->inflight, &rk, 1) : 0;
}

/* The start is ours to count only if our delete is the one that removes it. */
static int expire_one(struct op_pairing *p, int fd, const struct open_start *o, uint64_t now)
{
	struct op_key rk = row_key(&o->key, &o->start);
	struct op_expired e = { o->key, o->start, now - o->start.ts };
	int err;

	if (bpf_map_delete_elem(fd, &o->key))
		return 0;	/* it ended meanwhile */
	if (o->start.ends)
		return 0;	/* a fanout start its ends answered: done, not a timeout */
	if ((err = op_key_counts__add(&p->timeouts, &rk, 1)))
		return err;
	if (p->on_expired)
		p->on_expired(p->ctx, &e);
	return 0;
}

static int walk_starts(struct op_pairing *p, int fd, struct walk *w)
{
	size_t i;
	int err;

	err = map_batch_each(fd, sizeof(struct op_start_key), sizeof(struct op_start), on_start,
			     w);
	for (i = 0; i < w->nr_old && !err; i++)
		err = expire_one(p, fd, &w->old[i], w->now);
	op_key_counts__sort(&p->timeouts);
	free(w->old);
	w->old = NULL;
	return err;
}

int op_pairing__expire(struct op_pairing *p, int fd, uint64_t now)
{
	struct walk w = { .p = p, .now = now };

	return walk_starts(p, fd, &w);
}

/* t's rows get counts: inflight (a gauge of now), timeouts (so far). */
static int put_counts(struct op_table *t, const struct op_key_counts *c, bool inflight)
{
	struct op_key *keys = op_key_counts__keys(c);
	struct op_row *r;
	size_t i;
	int err;

	if (!keys)
		return -ENOMEM;
	err = op_table__ensure(t, keys, c->nr);
	for (i = 0; i < c->nr && !err; i++) {
		r = op_table__find(t, &c->v[i].key);
		if (inflight)
			r->inflight = c->v[i].n;
		else
			r->timeouts = c->v[i].n;
	}
	free(keys);
	return err;
}

int op_pairing__scan(struct op_pairing *p, int fd, struct op_table *t)
{
	struct walk w = { .p = p, .now = t->time_ns, .count_inflight = true };
	int err = walk_starts(p, fd, &w);

	op_key_counts__sort(&w.inflight);
	if (!err)
		err = put_counts(t, &w.inflight, true);
	if (!err)
		err = put_counts(t, &p->timeouts, false);
	op_key_counts__free(&w.inflight);
	return err;
}

void op_pairing__free(struct op_pairing *p)
{
	op_key_counts__free(&p->timeouts);
}
