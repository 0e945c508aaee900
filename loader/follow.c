// SPDX-License-Identifier: MIT
/* The task_struct layout a tree walk needs; see follow.h. */
#include <stdio.h>
#include <string.h>
#include "loader/follow.h"
#include "loader/kfunc_btf.h"

int follow_tree__init(struct follow_tree *t, pid_t root, char *err, size_t len)
{
	static const char *const members[] = { "real_parent", "tgid" };
	int off[2], rc;

	memset(t, 0, sizeof(*t));
	rc = kstruct_btf_offsets("/sys/kernel/btf/vmlinux", "task_struct", members, off, 2);
	if (rc) {
		snprintf(err, len, "cannot follow the children of pid %d: no task_struct layout "
			 "in /sys/kernel/btf/vmlinux (%s)", root, strerror(-rc));
		return rc;
	}
	t->root = root;
	t->real_parent_off = off[0];
	t->tgid_off = off[1];
	return 0;
}
