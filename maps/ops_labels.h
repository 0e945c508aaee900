/* SPDX-License-Identifier: MIT */
/* The text of string labels, read from the ops labels map, by {op, label}. */
#ifndef SYNCTRACE_OPS_LABELS_H
#define SYNCTRACE_OPS_LABELS_H

#include <stddef.h>
#include "maps/ops.h"

struct op_names {
	struct op_name {
		struct op_key key;
		char text[OPS_STR_MAX];
	} *names;
	size_t nr;
};

int op_names__read(int labels_fd, struct op_names *n);
/* The text of key's label, or NULL (an integer label, or not read yet). */
const char *op_names__find(const struct op_names *n, const struct op_key *key);
void op_names__free(struct op_names *n);

#endif /* SYNCTRACE_OPS_LABELS_H */
