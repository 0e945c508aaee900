// SPDX-License-Identifier: MIT
/* Rows of an op table, kept sorted; see ops_table.h. */
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

struct op_row *op_table__row(struct op_table *t, const struct op_key *k)
{
	struct op_row *r = t->nr_rows ? bsearch(k, t->rows, t->nr_rows, sizeof(*r), op_key_cmp) :
			   NULL;

	if (r)
		return r;
	r = realloc(t->rows, (t->nr_rows + 1) * sizeof(*r));
	if (!r)
		return NULL;
	t->rows = r;
	r = &t->rows[t->nr_rows++];
	memset(r, 0, sizeof(*r));
	r->key = *k;
	qsort(t->rows, t->nr_rows, sizeof(*r), op_key_cmp);
	return bsearch(k, t->rows, t->nr_rows, sizeof(*r), op_key_cmp);
}

void op_table__free(struct op_table *t)
{
	free(t->rows);
	free(t->states);
	memset(t, 0, sizeof(*t));
}
