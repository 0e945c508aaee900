// SPDX-License-Identifier: MIT
/* Rows of an op table, kept sorted; counts by key; see ops_table.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "maps/ops_table.h"

int op_key_cmp(const void *a, const void *b)
{
	const struct op_key *x = a, *y = b;

	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->label > y->label) - (x->label < y->label);
}

struct op_row *op_table__find(const struct op_table *t, const struct op_key *k)
{
	if (!t->nr_rows)
		return NULL;
	return bsearch(k, t->rows, t->nr_rows, sizeof(*t->rows), op_key_cmp);
}

int op_table__ensure(struct op_table *t, const struct op_key *keys, size_t n)
{
	size_t i = 0, j = 0, missing = 0, out = 0;
	struct op_row *rows;

	for (j = 0; j < n; j++)
		missing += !op_table__find(t, &keys[j]);
	if (!missing)
		return 0;
	rows = malloc((t->nr_rows + missing) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	/* merge two sorted runs: the table's rows and the keys it lacks */
	for (j = 0; i < t->nr_rows || j < n;) {
		int c = i == t->nr_rows ? 1 : j == n ? -1 : op_key_cmp(&t->rows[i].key, &keys[j]);

		if (c <= 0) {
			rows[out++] = t->rows[i++];
			j += c == 0;
			continue;
		}
		memset(&rows[out], 0, sizeof(rows[out]));
		rows[out++].key = keys[j++];
	}
	free(t->rows);
	t->rows = rows;
	t->nr_rows = out;
	return 0;
}

void op_table__free(struct op_table *t)
{
	size_t i;

	for (i = 0; i < t->nr_rows; i++) {
		hist_free(&t->rows[i].lat);
		hist_free(&t->rows[i].value);
	}
	free(t->rows);
	free(t->states);
	memset(t, 0, sizeof(*t));
}

int op_key_counts__add(struct op_key_counts *c, const struct op_key *key, uint64_t n)
{
	struct op_key_count *v;

	if (c->nr == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;

		if (!(v = realloc(c->v, cap * sizeof(*v))))
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->nr++] = (struct op_key_count){ *key, n };
	return 0;
}

void op_key_counts__sort(struct op_key_counts *c)
{
	size_t i, out = 0;

	/* the timeouts so far are sorted at every expiry tick: mostly nothing is new */
	if (c->nr == c->sorted)
		return;
	qsort(c->v, c->nr, sizeof(*c->v), op_key_cmp);	/* the key comes first */
	for (i = 1; i < c->nr; i++) {
		if (!op_key_cmp(&c->v[out].key, &c->v[i].key))
			c->v[out].n += c->v[i].n;
		else
			c->v[++out] = c->v[i];
	}
	c->nr = c->sorted = out + 1;
}

struct op_key *op_key_counts__keys(const struct op_key_counts *c)
{
	struct op_key *keys = malloc((c->nr ? c->nr : 1) * sizeof(*keys));
	size_t i;

	for (i = 0; keys && i < c->nr; i++)
		keys[i] = c->v[i].key;
	return keys;
}

void op_key_counts__free(struct op_key_counts *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}
