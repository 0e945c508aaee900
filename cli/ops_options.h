/* SPDX-License-Identifier: MIT */
/*
 * Internal to ops_spec.c: the options of an op line (error=, value=, by=,
 * ...), one table (ops_options.c) that says each option's name, whether it
 * takes a value, how that value is parsed into the op_spec, and what an op
 * must be to take it. docs/OPS-KERNEL.md has the checklist for adding one.
 * Messages are one line in msg, without the "FILE:LINE: " ops_spec.c adds.
 */
#ifndef SYNCTRACE_OPS_OPTIONS_H
#define SYNCTRACE_OPS_OPTIONS_H

#include <stddef.h>
#include "cli/ops_spec.h"

/*
 * One word after an op's probes, NAME or NAME=VALUE, applied to op: a known
 * option, not given before, with a value when it takes one. 0, or -EINVAL
 * (-ENOMEM) with a message in msg.
 */
int op_option__apply(struct op_spec *op, const char *word, char *msg, size_t len);

/* What only the whole op can tell (count with a timeout, ...); fills defaults. */
int op_options__check(struct op_spec *op, char *msg, size_t len);

#endif /* SYNCTRACE_OPS_OPTIONS_H */
