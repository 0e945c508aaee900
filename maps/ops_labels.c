// SPDX-License-Identifier: MIT
/* The text of string labels; see ops_labels.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "maps/map_batch.h"
#include "maps/ops_labels.h"
#include "maps/ops_table.h"

static int cmp_name(const void *a, const void *b)
{
	return op_key_cmp(&((const struct op_name *)a)->key, &((const struct op_name *)b)->key);
}

struct names_ctx {
	struct op_names *n;
	size_t cap;
};

static int on_label(void *ctx, const void *key, const void *value)
{
	const struct op_label_text *text = value;
	struct names_ctx *c = ctx;
	struct op_names *n = c->n;
	struct op_name *names;

	if (n->nr == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		if (!(names = realloc(n->names, c->cap * sizeof(*names))))
			return -ENOMEM;
		n->names = names;
	}
	n->names[n->nr].key = *(const struct op_key *)key;
	memcpy(n->names[n->nr].text, text->s, sizeof(text->s));
	n->names[n->nr++].text[OPS_STR_MAX - 1] = '\0';
	return 0;
}

int op_names__read(int fd, struct op_names *n)
{
	struct names_ctx c = { n, n->nr };
	int err;

	/* labels are only ever added (a refused one is gone at once): read anew */
	n->nr = 0;
	err = map_batch_each(fd, sizeof(struct op_key), sizeof(struct op_label_text), on_label,
			     &c);
	if (n->nr)
		qsort(n->names, n->nr, sizeof(*n->names), cmp_name);
	return err;
}

const char *op_names__find(const struct op_names *n, const struct op_key *key)
{
	const struct op_name *f;

	if (!n->nr)
		return NULL;
	f = bsearch(key, n->names, n->nr, sizeof(*n->names), cmp_name);
	return f ? f->text : NULL;
}

void op_names__free(struct op_names *n)
{
	free(n->names);
	memset(n, 0, sizeof(*n));
}
