/* SPDX-License-Identifier: MIT */
/*
 * Internal to ops_spec.c: selectors, probes, and the rules that follow from
 * an op's probes. Each message is one line in msg, without the "FILE:LINE: "
 * that ops_spec.c puts before it.
 */
#ifndef SYNCTRACE_OPS_PROBE_H
#define SYNCTRACE_OPS_PROBE_H

#include <stddef.h>
#include "cli/ops_spec.h"

/*
 * NAME=PATH (blanks around '=' allowed; the caller saw an identifier before
 * the '=') into sel, NAME not yet one of f's selectors. 0, or -EINVAL
 * (-ENOMEM) with a message in msg; sel->path is then NULL.
 */
int selector__parse(const struct ops_file *f, const char *s, struct selector *sel,
		    char *msg, size_t len);

/*
 * Parse tok, [SEL:]TARGET[(EXPR)], into p, SEL being one of f's selectors.
 * 0, or -EINVAL (-ENOMEM) with a message in msg; p is to be freed with
 * probe_spec__free() either way.
 */
int probe_spec__parse(const struct ops_file *f, const char *tok, struct probe_spec *p,
		      char *msg, size_t len);
void probe_spec__free(struct probe_spec *p);

/*
 * With the whole op in hand: its probes pair by a key on both or by thread,
 * a lone usdt probe is only counted, and ret and @ret are used only where a
 * function returns. 0, or -EINVAL with a message in msg.
 */
int op_spec__check_probes(const struct op_spec *op, char *msg, size_t len);

/* A state's value is taken at the probe's entry: no ret, no @ret. */
int state_spec__check_ret(const struct state_spec *st, char *msg, size_t len);

#endif /* SYNCTRACE_OPS_PROBE_H */
