// SPDX-License-Identifier: MIT
/* The text of string labels; see ops_labels.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "maps/ops_labels.h"
#include "maps/ops_table.h"

static int cmp_name(const void *a, const void *b)
{
	return op_key_cmp(&((const struct op_name *)a)->key, &((const struct op_name *)b)->key);
}

int op_names__read(int fd, struct op_names *n)
{
	struct op_key k, next, *prev = NULL;
	struct op_label_text text;
	struct op_name *names;
	size_t cap = n->nr;

	/* labels are only ever added (a refused one is gone at once): read anew */
	n->nr = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &text))
			continue;
		if (n->nr == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(n->names, cap * sizeof(*names));
			if (!names)
				return -ENOMEM;
			n->names = names;
		}
		n->names[n->nr].key = k;
		memcpy(n->names[n->nr].text, text.s, sizeof(text.s));
		n->names[n->nr++].text[OPS_STR_MAX - 1] = '\0';
	}
	if (n->nr)
		qsort(n->names, n->nr, sizeof(*n->names), cmp_name);
	return 0;
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
